"""Shared helpers for fastprom's Python tests.

Most tests are differential: the same calls go to fastprom and to the real
prometheus_client 0.26.0 (a test dependency), and their results must be equal.
"""

import os
import shutil
import socket
import subprocess
import sys
import textwrap

import pytest

import fastprom
import prometheus_client

LIBS = {'fastprom': fastprom, 'prometheus_client': prometheus_client}
BINDINGS_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port(host: str = '127.0.0.1') -> int:
    """A TCP port that was free on ``host`` a moment ago."""
    family = socket.AF_INET6 if ':' in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def ipv6_loopback_available() -> bool:
    if not socket.has_ipv6:
        return False
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(('::1', 0))
        return True
    except OSError:
        return False


def sample_families(lib):
    """One family of every type, with escaping, UTF-8 names, timestamps, exemplars,
    infinities and NaN, built with ``lib``'s own metric-family classes."""
    mc = lib.metrics_core
    Exemplar = lib.samples.Exemplar
    c = mc.CounterMetricFamily('requests', 'Requests "served".\nSecond line \\', labels=['method', 'path'])
    c.add_metric(['GET', '/a'], 3, created=1700000000.5)
    c.add_metric(['POST', '/b "q"\n\\'], 1.5, exemplar=Exemplar({'trace_id': 'abc'}, 1.0, 1700000000.25))
    g = mc.GaugeMetricFamily('temperature_celsius', 'Temperature.', value=-3.25, unit='celsius')
    s = mc.SummaryMetricFamily('latency_seconds', 'Latency.', count_value=4, sum_value=1.25)
    h = mc.HistogramMetricFamily('size_bytes', 'Sizes.', buckets=[
        ('0.5', 1), ('1.0', 3, Exemplar({'trace_id': 'def'}, 0.7, 1700000000.0)), ('+Inf', 5)], sum_value=3.5)
    gh = mc.GaugeHistogramMetricFamily('queue', 'Queue.', buckets=[('1.0', 2), ('+Inf', 4)], gsum_value=6)
    info = mc.InfoMetricFamily('build', 'Build.', value={'version': '1.2', 'commit': 'abc'})
    st = mc.StateSetMetricFamily('state', 'States.', value={'b': False, 'a': True})
    unk = mc.UnknownMetricFamily('mystery', 'Mystery.', value=float('nan'))
    utf = mc.GaugeMetricFamily('my.dotted.metric', 'UTF-8 name.', labels=['label.with.dots', 'ok'])
    utf.add_metric(['v', 'é'], 1e21)
    ts = mc.GaugeMetricFamily('with_ts', 'Timestamps.', labels=['x'])
    ts.add_metric(['1'], 5, timestamp=1700000000.123)
    ts.add_metric(['2'], 6, timestamp=lib.samples.Timestamp(1700000000, 5))
    inf = mc.GaugeMetricFamily('infs', 'Infinities.', labels=['k'])
    inf.add_metric(['p'], float('inf'))
    inf.add_metric(['n'], float('-inf'))
    big = mc.GaugeMetricFamily('big', 'Numbers.', labels=['k'])
    for i, v in enumerate([0, -0.0, 1e-9, 123456789.0, 12345678.9, 2 ** 53, True]):
        big.add_metric([str(i)], v)
    return [c, g, s, h, gh, info, st, unk, utf, ts, inf, big]


class FixedCollector:
    """A custom collector returning ``sample_families(lib)``."""

    def __init__(self, lib):
        self.lib = lib

    def collect(self):
        return sample_families(self.lib)

    def describe(self):
        # Describing lets the registry map names to this collector, so ``name[]``
        # restrictions find it.
        return sample_families(self.lib)


def fixed_registry(lib):
    """A fresh ``lib.CollectorRegistry`` holding only a FixedCollector."""
    registry = lib.CollectorRegistry()
    registry.register(FixedCollector(lib))
    return registry


@pytest.fixture
def registries():
    """{'fastprom': registry, 'prometheus_client': registry} with the same content."""
    return {name: fixed_registry(lib) for name, lib in LIBS.items()}


def run_python(code: str, env=None, timeout: float = 120) -> subprocess.CompletedProcess:
    """Runs ``code`` in a fresh interpreter (the one running the tests)."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    return subprocess.run([sys.executable, '-c', textwrap.dedent(code)], capture_output=True,
                          text=True, timeout=timeout, env=full_env)


# --- TLS material ------------------------------------------------------------------------

def _make_certs_with_cryptography(d):
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.now(datetime.timezone.utc)

    def name(cn):
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])

    def write_key(key, path):
        with open(path, 'wb') as f:
            f.write(key.private_bytes(serialization.Encoding.PEM,
                                      serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()))

    def write_cert(cert, path):
        with open(path, 'wb') as f:
            f.write(cert.public_bytes(serialization.Encoding.PEM))

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(name('fastprom test CA')).issuer_name(name('fastprom test CA'))
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=30))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                       content_commitment=False, key_encipherment=False,
                                       data_encipherment=False, key_agreement=False,
                                       encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    write_cert(ca, os.path.join(d, 'ca.pem'))

    def leaf(cn, usage, sans, stem):
        key = ec.generate_private_key(ec.SECP256R1())
        builder = (x509.CertificateBuilder().subject_name(name(cn)).issuer_name(ca.subject)
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now - datetime.timedelta(days=1))
                   .not_valid_after(now + datetime.timedelta(days=30))
                   .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                   .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
                   .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                                  critical=False))
        if sans:
            builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
        write_cert(builder.sign(ca_key, hashes.SHA256()), os.path.join(d, stem + '-cert.pem'))
        write_key(key, os.path.join(d, stem + '-key.pem'))

    leaf('localhost', ExtendedKeyUsageOID.SERVER_AUTH,
         [x509.DNSName('localhost'), x509.IPAddress(ipaddress.ip_address('127.0.0.1'))], 'server')
    leaf('fastprom test client', ExtendedKeyUsageOID.CLIENT_AUTH, None, 'client')


def _make_certs_with_openssl(d):
    def run(*args):
        subprocess.run(['openssl', *args], check=True, capture_output=True, cwd=d)

    run('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
        '-keyout', 'ca-key.pem', '-out', 'ca.pem', '-days', '30', '-subj', '/CN=fastprom test CA')
    for stem, cn, ext in (
            ('server', 'localhost', 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n'),
            ('client', 'fastprom test client', 'extendedKeyUsage=clientAuth\n')):
        with open(os.path.join(d, stem + '.ext'), 'w') as f:
            f.write(ext)
        run('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
            '-keyout', f'{stem}-key.pem', '-out', f'{stem}.csr', '-subj', f'/CN={cn}')
        run('x509', '-req', '-in', f'{stem}.csr', '-CA', 'ca.pem', '-CAkey', 'ca-key.pem',
            '-CAcreateserial', '-out', f'{stem}-cert.pem', '-days', '30', '-extfile', f'{stem}.ext')


@pytest.fixture(scope='session')
def certs(tmp_path_factory):
    """A throwaway CA with a server certificate (localhost, 127.0.0.1) and a client
    certificate: paths ``ca``, ``server_cert``, ``server_key``, ``client_cert``,
    ``client_key``. Made with the ``cryptography`` package, or the openssl CLI."""
    d = str(tmp_path_factory.mktemp('certs'))
    try:
        _make_certs_with_cryptography(d)
    except ImportError:
        if shutil.which('openssl') is None:
            pytest.skip('neither the cryptography package nor the openssl CLI is available')
        _make_certs_with_openssl(d)
    return {
        'ca': os.path.join(d, 'ca.pem'),
        'server_cert': os.path.join(d, 'server-cert.pem'),
        'server_key': os.path.join(d, 'server-key.pem'),
        'client_cert': os.path.join(d, 'client-cert.pem'),
        'client_key': os.path.join(d, 'client-key.pem'),
    }
