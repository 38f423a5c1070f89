"""Label values whose str() is a str subclass (with Python-level __hash__), as found by
review: labels() must neither deadlock nor lose children, and must behave as
prometheus_client (one child per label set, removals take effect)."""

import subprocess
import sys
import textwrap


def run(code):
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def test_subclass_hash_calling_labels_does_not_deadlock():
    out = run(
        """
        import fastprom
        reg = fastprom.CollectorRegistry()
        c = fastprom.Counter('c', 'h', ['a'], registry=reg)
        c.labels('y')
        class S(str):
            def __hash__(self):
                c.labels('y').inc()
                return str.__hash__(self)
        class A:
            def __str__(self):
                return S('x')
        c.labels(A()).inc(2)
        print(reg.get_sample_value('c_total', {'a': 'x'}), reg.get_sample_value('c_total', {'a': 'y'}))
        """
    )
    # The children are found by their UTF-8 values in the core, so the subclass's
    # __hash__ may or may not run; whether it does, nothing deadlocks and 'y' is counted
    # once per call it made. (prometheus_client itself deadlocks here: its __hash__ runs
    # under the metric's non-reentrant lock.)
    x, y = out.split()
    assert x == "2.0" and float(y) >= 0


def test_subclass_keys_are_one_child_and_removable():
    out = run(
        """
        import fastprom
        reg = fastprom.CollectorRegistry()
        c = fastprom.Counter('c', 'h', ['a'], registry=reg)
        class S(str):
            pass
        class A:
            def __str__(self):
                return S('x')
        first = c.labels(A())
        print(first is c.labels(A()), first is c.labels('x'))
        c.remove_by_labels({'a': 'x'})
        again = c.labels('x')
        again.inc(5)
        print(again is first, reg.get_sample_value('c_total', {'a': 'x'}))
        """
    )
    assert out.split() == ["True", "True", "False", "5.0"]
