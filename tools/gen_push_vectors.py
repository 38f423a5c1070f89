#!/usr/bin/env python3
"""Generate Pushgateway request test vectors for fastprom's core/src/push.rs.

Calls prometheus_client 0.26.0's `_use_gateway` (what push_to_gateway, pushadd_to_gateway and
delete_from_gateway call) with a capturing `handler=` over combinations of gateways, jobs,
grouping keys, methods and compression, and records what it would send. Each output line is
one record of space-separated fields:

    <method> <gateway> <job> <grouping_key> <compression> <body> ok <url> <headers> <sent_body>
    <method> <gateway> <job> <grouping_key> <compression> <body> err <message>

A string field is `x` followed by the lowercase hex of its UTF-8 bytes (`x` alone is the
empty string). `compression` is `-` for None. `grouping_key` and `headers` are `L` followed by
`,`-separated `<name>=<value>` items, each side a string field, in dict insertion (for the
grouping key) or list (for headers) order. `body` is the uncompressed text 0.0.4 exposition of
the registry that is pushed (the input fastprom's caller encodes); `sent_body` is what the
handler received, gunzipped when compressed (Python stamps gzip output with the current time,
so compressed bytes are not comparable). `err` records hold the message of the ValueError
`_use_gateway` raised; only the errors fastprom mirrors are kept (DELETE with compression,
unsupported compression name, "Invalid IPv6 URL"), other urlparse errors are skipped.

Run with the prometheus_client 0.26.0 virtualenv:

    .venv/bin/python tools/gen_push_vectors.py > core/src/testdata/push.txt
"""

import gzip
import sys

from prometheus_client import CollectorRegistry, Counter, Gauge, disable_created_metrics
from prometheus_client.exposition import _use_gateway, generate_latest

MIRRORED_ERRORS = {
    'Compression is not supported for DELETE requests.',
    'Invalid IPv6 URL',
}


def s(v):
    return 'x' + v.encode('utf-8').hex()


def b(v):
    return 'x' + v.hex()


def pairs(items):
    return 'L' + ','.join(f'{s(k)}={s(v)}' for k, v in items)


disable_created_metrics()  # no *_created timestamps: keep the output reproducible
registry = CollectorRegistry()
c = Counter('pushed', 'Pushed things.', ['path'], registry=registry)
c.labels('/a b').inc(3)
c.labels('\u00e9\n"').inc()
Gauge('last_push_seconds', 'Last push.', registry=registry).set(1.5)
BODY = generate_latest(registry)

GATEWAYS = [
    'localhost:9091', 'localhost:9091/', 'http://localhost:9091', 'http://localhost:9091/',
    'https://pushgateway.example.com', 'https://pushgateway.example.com:443///',
    'HTTP://Gateway:9091', 'HtTpS://gw', 'pushgateway', 'pushgateway/', '127.0.0.1:9091',
    '10.0.0.1', 'http://10.0.0.1:9091/prefix/path', 'gw:9091/prefix/path/', 'ftp://gw:21',
    'http:gw', 'http:/gw', 'https:', 'unix:/tmp/sock', '[::1]:9091', 'http://[::1]:9091/',
    'https://[2001:db8::1]', 'gw.example.com:9091?x=1', 'gw#frag', ' http://gw', '\x01http://gw',
    'ht\ttp://gw', 'h\nttps://gw/', '//gw:9091', 'xn--bcher-kva.example', 'b\u00fccher.example:9091',
    'http://user:pass@gw:9091', '/', '//', '///', 'http://', 'http:///', 'a+b-c.d://gw', '1http://gw',
    'http://gw/%20/', 'gw with space',
    # urlparse raises ValueError("Invalid IPv6 URL") for these.
    'http://[::1', 'http://::1]:9091', '//[::1', 'x://a]',
]

JOBS = ['my_job', '', 'a/b', 'a b', 'a+b', '100%', 'user@host', 'k=v', '\u00e9t\u00e9', '\U0001F600',
        '~._-', 'tab\there', 'plus+and/slash', '?#&']

GROUPING_KEYS = [
    None,
    {},
    {'instance': 'host:9100'},
    {'instance': '', 'zone': 'eu'},
    {'zone': 'eu/west', 'instance': 'a b'},
    {'b': '2', 'a': '1', 'C': '3', '_': '4'},
    {'\u00e9': 'x', 'z': 'y', 'Z': 'w'},
    {'path': '/', 'space': ' ', 'plus': '+', 'pct': '%', 'at': '@', 'eq': '='},
    {'unicode': '\u65e5\u672c', 'emoji': '\U0001F600', 'mixed': 'caf\u00e9 au lait'},
    {'k': '~._-', 'q': '?&#', 'slash_first': '/start', 'end': 'end/'},
    {'label@base64': 'v', 'weird/name': 'v2'},
]

records = []
skipped = []


def run(method, gateway, job, grouping_key, compression):
    captured = {}

    def handler(url, method, timeout, headers, data):
        def send():
            captured.update(url=url, method=method, headers=list(headers), data=data)
        return send

    fields = [s(method), s(gateway), s(job), pairs((grouping_key or {}).items()),
              '-' if compression is None else s(compression), b(BODY)]
    try:
        _use_gateway(method, gateway, job, None if method == 'DELETE' else registry,
                     grouping_key, None, handler, compression)
    except ValueError as e:
        msg = str(e)
        if msg in MIRRORED_ERRORS or msg.startswith('Unsupported compression type: '):
            records.append(' '.join(fields + ['err', s(msg)]))
        else:
            skipped.append((gateway, msg))
        return
    data = captured['data']
    if compression is not None:
        data = gzip.decompress(data)
    assert captured['method'] == method
    records.append(' '.join(fields + ['ok', s(captured['url']), pairs(captured['headers']), b(data)]))


methods = ['PUT', 'POST', 'DELETE']
# Every gateway once, cycling methods, jobs and grouping keys so that each meets many others.
for i, gateway in enumerate(GATEWAYS):
    run(methods[i % 3], gateway, JOBS[i % len(JOBS)], GROUPING_KEYS[i % len(GROUPING_KEYS)], None)
# Every job and every grouping key with a plain gateway.
for i, job in enumerate(JOBS):
    run(methods[i % 3], 'http://gw:9091', job, {'instance': job} if job else None, None)
for i, gk in enumerate(GROUPING_KEYS):
    for method in methods:
        run(method, 'gw:9091', 'job' + str(i), gk, None)
# Compression.
# (DELETE only with known names: Python checks DELETE first, fastprom parses the name first.)
for i, compression in enumerate(['gzip', 'GZIP', 'Gzip', 'bogus', 'zstd', 'snap', '']):
    for method in ['PUT', 'POST', 'DELETE'] if i < 3 else ['PUT', 'POST']:
        run(method, GATEWAYS[i], JOBS[i], GROUPING_KEYS[i], compression)

sys.stdout.write('\n'.join(records) + '\n')
print(f'{len(records)} records, skipped {skipped}', file=sys.stderr)
