"""The distributable package: what `make dist` builds, installed into a fresh venv.

`make dist` builds a manylinux2014 wheel (maturin --release --zig, Zig from the `ziglang`
package in .venv) and an sdist into target/wheels. This test runs it (incremental when the
Rust build is warm, about a minute from cold), checks the wheel's tags, contents and glibc
floor, installs it with pip into a new venv without an index (fastprom has no runtime
dependencies), and uses it from there.
"""

import glob
import os
import re
import subprocess
import sys
import tarfile
import zipfile

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PACKAGE_SRC = os.path.join(ROOT, 'bindings-python', 'python', 'fastprom')
WHEELS = os.path.join(ROOT, 'target', 'wheels')
MANYLINUX_TAGS = {'manylinux2014_x86_64', 'manylinux_2_17_x86_64'}


@pytest.fixture(scope='module')
def dist():
    """{'wheel': path, 'sdist': path} freshly built by `make dist`."""
    proc = subprocess.run(['make', '-s', '-C', ROOT, 'dist'], capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    wheels = glob.glob(os.path.join(WHEELS, 'fastprom-*.whl'))
    sdists = glob.glob(os.path.join(WHEELS, 'fastprom-*.tar.gz'))
    assert len(wheels) == 1 and len(sdists) == 1, os.listdir(WHEELS)
    return {'wheel': wheels[0], 'sdist': sdists[0]}


def _source_files(suffix):
    found = set()
    for dirpath, dirnames, filenames in os.walk(PACKAGE_SRC):
        dirnames[:] = [d for d in dirnames if d != '__pycache__']
        for name in filenames:
            if name.endswith(suffix):
                found.add(os.path.relpath(os.path.join(dirpath, name), os.path.dirname(PACKAGE_SRC)).replace(os.sep, '/'))
    return found


def test_wheel_is_manylinux2014_x86_64_for_this_python(dist):
    name = os.path.basename(dist['wheel'])
    # {distribution}-{version}-{python tag}-{abi tag}-{platform tag}.whl
    _, _, python_tag, abi_tag, platform_tag = name[:-len('.whl')].split('-')
    this = f'cp{sys.version_info.major}{sys.version_info.minor}'
    assert (python_tag, abi_tag) == (this, this), name
    platforms = set(platform_tag.split('.'))
    assert platforms and platforms <= MANYLINUX_TAGS, name
    with zipfile.ZipFile(dist['wheel']) as zf:
        wheel_meta = zf.read(next(n for n in zf.namelist() if n.endswith('.dist-info/WHEEL'))).decode()
    tags = set(re.findall(r'^Tag: (\S+)$', wheel_meta, re.M))
    assert tags and {t.split('-')[2] for t in tags} <= MANYLINUX_TAGS, wheel_meta
    assert 'Root-Is-Purelib: false' in wheel_meta


def test_wheel_extension_needs_at_most_glibc_2_17(dist):
    with zipfile.ZipFile(dist['wheel']) as zf:
        [so] = [n for n in zf.namelist() if n.startswith('fastprom/_fastprom.') and n.endswith('.so')]
        data = zf.read(so)
    assert data[:4] == b'\x7fELF'
    # The versioned symbols the extension needs are named in its .dynstr.
    versions = {tuple(int(p) for p in m.group(1).split(b'.')) for m in re.finditer(rb'GLIBC_(\d+(?:\.\d+)+)\x00', data)}
    assert versions and max(versions) <= (2, 17), sorted(versions)


def test_wheel_contains_the_whole_package_with_type_information(dist):
    with zipfile.ZipFile(dist['wheel']) as zf:
        names = set(zf.namelist())
    assert 'fastprom/py.typed' in names
    stubs = _source_files('.pyi')
    assert 'fastprom/_fastprom.pyi' in stubs
    assert stubs <= names, sorted(stubs - names)
    modules = _source_files('.py')
    assert modules <= names, sorted(modules - names)
    assert not [n for n in names if '__pycache__' in n or n.endswith('.pyc')]


def test_sdist_holds_what_a_build_needs(dist):
    with tarfile.open(dist['sdist']) as tf:
        names = {n.split('/', 1)[1] for n in tf.getnames() if '/' in n}
    for needed in ('pyproject.toml', 'PKG-INFO', 'Cargo.toml', 'Cargo.lock', 'bindings-python/Cargo.toml',
                   'bindings-python/src/lib.rs', 'core/Cargo.toml', 'core/src/lib.rs',
                   'python/fastprom/__init__.py', 'python/fastprom/py.typed', 'python/fastprom/_fastprom.pyi'):
        assert needed in names, needed
    assert not [n for n in names if n.endswith('.so')], 'a locally built extension leaked into the sdist'


def test_wheel_installs_offline_into_a_fresh_venv_and_works(dist, tmp_path):
    venv = tmp_path / 'venv'
    subprocess.run([sys.executable, '-m', 'venv', str(venv)], check=True, timeout=120)
    python = str(venv / 'bin' / 'python')
    # --no-index: nothing is fetched, so this also proves there is no runtime dependency.
    install = subprocess.run([python, '-m', 'pip', 'install', '-q', '--no-index', '--disable-pip-version-check',
                              dist['wheel']], capture_output=True, text=True, timeout=300)
    assert install.returncode == 0, install.stdout + install.stderr
    code = """
import sys, fastprom
from fastprom import CollectorRegistry, Counter, generate_latest
assert fastprom.__file__.startswith(sys.prefix), fastprom.__file__
registry = CollectorRegistry()
c = Counter('requests', 'Requests served.', ['method'], registry=registry)
c.labels('GET').inc()
c.labels('GET').inc(2.5)
sys.stdout.write(generate_latest(registry).decode())
"""
    # Run outside the repository, isolated, so only the installed package can be imported.
    run = subprocess.run([python, '-I', '-c', code], capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    # The same calls on the real prometheus_client give the same bytes, but for the
    # _created timestamp.
    import prometheus_client
    registry = prometheus_client.CollectorRegistry()
    c = prometheus_client.Counter('requests', 'Requests served.', ['method'], registry=registry)
    c.labels('GET').inc()
    c.labels('GET').inc(2.5)
    expected = prometheus_client.generate_latest(registry).decode()

    def mask(text):
        return re.sub(r'^(requests_created\{method="GET"\}) \S+$', r'\1 <time>', text, flags=re.M)
    assert 'requests_total{method="GET"} 3.5\n' in run.stdout
    assert mask(run.stdout) == mask(expected)
