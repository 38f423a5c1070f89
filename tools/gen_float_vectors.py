#!/usr/bin/env python3
"""Generate float formatting test vectors for fastprom's core/src/floatfmt.rs.

Each output line is

    <16 hex digits of the f64 bits> <repr(v)> <floatToGoString(v)>

and the Rust unit tests check `write_py_repr` / `write_go_float` against every line.
Run with the prometheus_client 0.26.0 virtualenv:

    .venv/bin/python tools/gen_float_vectors.py > core/src/testdata/floats.txt
"""

import math
import random
import struct
import sys

from prometheus_client.utils import floatToGoString


def bits(v):
    return struct.unpack('<Q', struct.pack('<d', v))[0]


def from_bits(b):
    return struct.unpack('<d', struct.pack('<Q', b))[0]


def is_nan_bits(b):
    return (b >> 52) & 0x7FF == 0x7FF and (b & ((1 << 52) - 1)) != 0


values = []


def add(v):
    values.append(float(v))


def add_pm(v):
    add(v)
    add(-float(v))


# Edge cases.
for v in [
    0.0, 5e-324, 1e-323, 2.2250738585072014e-308, 2.225073858507201e-308,
    1.7976931348623157e308, 1.7976931348623155e308,
    1e15, 1e16, 1e17, 1e-4, 1e-5, 0.00011, 0.000099999,
    0.1, 0.2, 0.3, 0.1 + 0.2, 1 / 3, 2 / 3, math.pi, math.e, 0.5, 0.25, 1.5,
    2.0 ** 53, 2.0 ** 53 + 2, 2.0 ** 53 - 1, 2.0 ** 63, 2.0 ** 64, 2.0 ** 52 + 0.5,
    999999.0, 1000000.0, 1000001.0, 1234567.0, 123456.7, 999999.9, 1000000.5,
    10000000.5, 12345678.9, 1200000.0, 100000000.0, 1e7, 1e8, 1e9,
    123456789012345.0, 1234567890123456.8, 9999999999999998.0, 999999999999999.9,
    999999999999999.0, 1000000000000001.0, 4503599627370495.5, 4503599627370497.0,
    1e22, 1e23, 9007199254740993.0, 0.001, 0.005, 0.01, 0.025, 0.05, 0.075,
    0.25, 0.75, 2.5, 7.5, 10.0, 60.0, 120.0, 300.0, 3600.0, 86400.0,
    1.0000000000000002, 0.9999999999999999, 123.456, 1e-7, 1.5e300, 1.5e-300,
    4.35, 5e-5, 9.5e-5, 1e100, 1e-100, 1e308, 1e-308,
]:
    add_pm(v)
add(math.inf)
add(-math.inf)

# Powers of ten 1e-30 .. 1e30 (parsed, so they are the nearest doubles).
for k in range(-30, 31):
    add_pm(float('1e%d' % k))

# Integers around every power of ten that a double can tell apart from its neighbours.
for k in range(0, 23):
    p = 10 ** k
    for d in (-2, -1, 0, 1, 2):
        add_pm(p + d)
    add_pm(p - 0.5)
    add_pm(p + 0.5)
    add_pm(p * 1.5)

rng = random.Random(20240601)

# Random doubles: decimal mantissa times a power of ten, across exponent ranges.
for _ in range(650):
    e = rng.randint(-30, 30)
    add_pm(rng.random() * 10.0 ** e)
# Rarely exercised extreme exponents.
for _ in range(150):
    e = rng.randint(-320, 308)
    add(rng.random() * 10.0 ** e)
# The floatToGoString rewrite range (dot index > 6) and around the repr switch points.
for _ in range(250):
    add(rng.uniform(1e5, 1e16))
for _ in range(100):
    add(float(rng.randint(10 ** 5, 10 ** 17)))
for _ in range(100):
    add(rng.uniform(1e-6, 1e-3))
# Short decimals (typical bucket bounds and measurements).
for _ in range(200):
    digits = rng.randint(1, 6)
    scale = rng.randint(-8, 12)
    add(float('%de%d' % (rng.randint(1, 10 ** digits), scale)))
# Random integers (the encoder's fast path).
for _ in range(200):
    add_pm(float(rng.randint(0, 10 ** rng.randint(1, 16))))
# Exact ties: v lies halfway between the two shortest candidates, where Python rounds half
# to even (e.g. 1900422569350612.25 -> 1900422569350612.2). Quarters in [2**50, 2**51) ...
for _ in range(60):
    add(rng.randrange(2 ** 50, 2 ** 51) + rng.choice((0.25, 0.75)))
# ... and in general: v = mo * 2**(q-1), so 2v = s * 10**q with s odd.
n = 0
while n < 90:
    q = rng.randint(-25, 22)
    if q >= 0:
        p5 = 5 ** q
        mo = (rng.randrange(1, max(2, 2 ** 53 // p5)) | 1) * p5
        if mo >= 2 ** 53:
            continue
    else:
        mo = rng.getrandbits(rng.randint(40, 53)) | 1
    v = math.ldexp(mo, q - 1)
    if v == 0.0 or math.isinf(v):
        continue
    add_pm(v)
    n += 1
# Random bit patterns (subnormals, huge and tiny numbers), skipping NaN payloads.
n = 0
while n < 350:
    b = rng.getrandbits(64)
    if is_nan_bits(b):
        continue
    values.append(from_bits(b))
    n += 1

seen = set()
out = []
for v in values:
    b = bits(v)
    if b in seen:
        continue
    seen.add(b)
    out.append('%016x %s %s' % (b, repr(v), floatToGoString(v)))

# NaN: the canonical quiet NaN and its negative twin print the same.
for b in (0x7FF8000000000000, 0xFFF8000000000000):
    v = from_bits(b)
    out.append('%016x %s %s' % (b, repr(v), floatToGoString(v)))

sys.stdout.write('\n'.join(out) + '\n')
