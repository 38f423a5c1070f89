"""The distributable package: what `make dist` builds, installed into a fresh venv.

`make dist` builds an sdist and one manylinux2014 x86_64 wheel per CPython from 3.9 to 3.13
(the extension is not abi3), with one `maturin build --release --zig` over the five
interpreters (Zig from the `ziglang` package in .venv), into target/wheels. This test runs it
(from a warm target/dist each interpreter still rebuilds pyo3 and the binding: a few minutes
on two cores), checks every wheel's tags, contents and glibc floor, installs the wheel for the
running interpreter with pip into a new venv without an index (fastprom has no runtime
dependencies), and uses it from there. `make test-wheels` runs the other interpreters' wheels.
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
# One wheel per CPython the package supports (pyproject.toml: requires-python = ">=3.9").
PYTHON_TAGS = ['cp39', 'cp310', 'cp311', 'cp312', 'cp313']
THIS_PYTHON = f'cp{sys.version_info.major}{sys.version_info.minor}'


@pytest.fixture(scope='module')
def dist():
    """{'wheels': {python tag: path}, 'sdist': path} freshly built by `make dist`."""
    proc = subprocess.run(['make', '-s', '-C', ROOT, 'dist'], capture_output=True, text=True, timeout=1800)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    wheels = glob.glob(os.path.join(WHEELS, 'fastprom-*.whl'))
    sdists = glob.glob(os.path.join(WHEELS, 'fastprom-*.tar.gz'))
    by_tag = {os.path.basename(w).split('-')[2]: w for w in wheels}
    assert len(wheels) == len(PYTHON_TAGS) and sorted(by_tag) == sorted(PYTHON_TAGS), os.listdir(WHEELS)
    assert len(sdists) == 1, os.listdir(WHEELS)
    return {'wheels': by_tag, 'sdist': sdists[0]}


def _source_files(suffix):
    found = set()
    for dirpath, dirnames, filenames in os.walk(PACKAGE_SRC):
        dirnames[:] = [d for d in dirnames if d != '__pycache__']
        for name in filenames:
            if name.endswith(suffix):
                found.add(os.path.relpath(os.path.join(dirpath, name), os.path.dirname(PACKAGE_SRC)).replace(os.sep, '/'))
    return found


@pytest.mark.parametrize('python_tag', PYTHON_TAGS)
def test_wheel_is_manylinux2014_x86_64_for_its_python(dist, python_tag):
    name = os.path.basename(dist['wheels'][python_tag])
    # {distribution}-{version}-{python tag}-{abi tag}-{platform tag}.whl
    _, _, wheel_python, abi_tag, platform_tag = name[:-len('.whl')].split('-')
    assert (wheel_python, abi_tag) == (python_tag, python_tag), name
    platforms = set(platform_tag.split('.'))
    assert platforms and platforms <= MANYLINUX_TAGS, name
    with zipfile.ZipFile(dist['wheels'][python_tag]) as zf:
        wheel_meta = zf.read(next(n for n in zf.namelist() if n.endswith('.dist-info/WHEEL'))).decode()
    tags = set(re.findall(r'^Tag: (\S+)$', wheel_meta, re.M))
    assert tags and {t.split('-')[0] for t in tags} == {python_tag}, wheel_meta
    assert {t.split('-')[1] for t in tags} == {python_tag}, wheel_meta
    assert {t.split('-')[2] for t in tags} <= MANYLINUX_TAGS, wheel_meta
    assert 'Root-Is-Purelib: false' in wheel_meta


def _extension(zf, python_tag):
    """The name of the wheel's extension module, which must be built for ``python_tag``."""
    [so] = [n for n in zf.namelist() if n.startswith('fastprom/_fastprom.') and n.endswith('.so')]
    assert so == f'fastprom/_fastprom.cpython-{python_tag[2:]}-x86_64-linux-gnu.so', so
    return so


@pytest.mark.parametrize('python_tag', PYTHON_TAGS)
def test_wheel_extension_needs_at_most_glibc_2_17(dist, python_tag):
    with zipfile.ZipFile(dist['wheels'][python_tag]) as zf:
        data = zf.read(_extension(zf, python_tag))
    assert data[:4] == b'\x7fELF'
    # The versioned symbols the extension needs are named in its .dynstr.
    versions = {tuple(int(p) for p in m.group(1).split(b'.')) for m in re.finditer(rb'GLIBC_(\d+(?:\.\d+)+)\x00', data)}
    assert versions and max(versions) <= (2, 17), sorted(versions)


@pytest.mark.parametrize('python_tag', PYTHON_TAGS)
def test_wheel_contains_the_whole_package_with_type_information(dist, python_tag):
    with zipfile.ZipFile(dist['wheels'][python_tag]) as zf:
        names = set(zf.namelist())
        _extension(zf, python_tag)
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
    # This interpreter's wheel; make test-wheels installs the oldest and newest ones.
    assert THIS_PYTHON in dist['wheels'], f'no wheel for {THIS_PYTHON}: make dist builds {PYTHON_TAGS}'
    venv = tmp_path / 'venv'
    subprocess.run([sys.executable, '-m', 'venv', str(venv)], check=True, timeout=120)
    python = str(venv / 'bin' / 'python')
    # --no-index: nothing is fetched, so this also proves there is no runtime dependency.
    install = subprocess.run([python, '-m', 'pip', 'install', '-q', '--no-index', '--disable-pip-version-check',
                              dist['wheels'][THIS_PYTHON]], capture_output=True, text=True, timeout=300)
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
