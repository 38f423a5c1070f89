"""fastprom's Python modules are written by us, not copied from prometheus_client.

The public API (names, signatures, defaults, messages) must match prometheus_client
0.26 exactly, so some lines are bound to coincide. Everything else (docstrings,
comments, bodies) is ours. The yardstick, module by module against the installed
prometheus_client (a test dependency): over the non-blank lines with their indentation
stripped, difflib's matching blocks may cover at most half of a module, and no block
may run longer than 15 lines. Re-export modules (package ``__init__`` files and ``core.py``,
which only import names) are left out, since a list of names is all they hold.
"""

import difflib
import os

import pytest

import prometheus_client

OURS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'python', 'fastprom')
THEIRS = os.path.dirname(os.path.abspath(prometheus_client.__file__))
MAX_RUN = 15
MAX_SHARE = 0.5
# Modules that only re-export names: the list of public names is the API itself.
REEXPORTS = {
    '__init__.py',
    'aiohttp/__init__.py',
    'bridge/__init__.py',
    'core.py',
    'django/__init__.py',
    'openmetrics/__init__.py',
    'twisted/__init__.py',
}


def _lines(path):
    with open(path, encoding='utf-8') as f:
        return [line.strip() for line in f if line.strip()]


def _pairs():
    for root, _, files in os.walk(OURS):
        for name in sorted(files):
            if not name.endswith('.py'):
                continue
            ours = os.path.join(root, name)
            rel = os.path.relpath(ours, OURS).replace(os.sep, '/')
            theirs = os.path.join(THEIRS, rel)
            if rel not in REEXPORTS and os.path.exists(theirs):
                yield rel, ours, theirs


def overlap(ours, theirs):
    """(identical lines, total lines, longest identical run) of ``ours`` against ``theirs``."""
    a, b = _lines(ours), _lines(theirs)
    blocks = difflib.SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks()
    same = sum(block.size for block in blocks)
    longest = max((block.size for block in blocks), default=0)
    return same, len(a), longest


PAIRS = sorted(_pairs())


def test_modules_are_compared():
    # The walk must find the modules that mirror prometheus_client's, or the checks
    # below would pass on nothing.
    names = {rel for rel, _, _ in PAIRS}
    assert {'metrics.py', 'registry.py', 'exposition.py', 'values.py', 'parser.py'} <= names


@pytest.mark.parametrize('rel,ours,theirs', PAIRS, ids=[p[0] for p in PAIRS])
def test_module_is_our_own(rel, ours, theirs):
    same, total, longest = overlap(ours, theirs)
    assert longest <= MAX_RUN, f'{rel}: {longest} consecutive lines identical to prometheus_client'
    assert same <= MAX_SHARE * total, f'{rel}: {same} of {total} lines identical to prometheus_client'


def test_yardstick_catches_a_copy(tmp_path):
    # A verbatim copy must fail both limits, so the test above can fail.
    src = os.path.join(THEIRS, 'registry.py')
    copy = tmp_path / 'registry.py'
    copy.write_text(open(src, encoding='utf-8').read(), encoding='utf-8')
    same, total, longest = overlap(str(copy), src)
    assert same == total and longest > MAX_RUN
