"""time(), count_exceptions() and track_inprogress() as decorators and context managers,
on native callers: the same observable behaviour as prometheus_client 0.26 for plain
functions (signature, name, errors, generators, Timer.labels), and, beyond it, awaited
measurements for ``async def`` functions."""

import asyncio
import inspect

import pytest

from conftest import LIBS


def _registry_and_metrics(lib):
    reg = lib.CollectorRegistry()
    return (reg,
            lib.Summary('s', 'S.', registry=reg),
            lib.Histogram('h', 'H.', ['route'], registry=reg),
            lib.Counter('errors', 'E.', registry=reg),
            lib.Gauge('busy', 'B.', registry=reg))


def _value(reg, name, labels=None):
    return reg.get_sample_value(name, labels or {})


def test_decorated_functions_behave_as_prometheus_clients():
    seen = {}
    for name, lib in LIBS.items():
        reg, s, h, errors, busy = _registry_and_metrics(lib)

        @s.time()
        @errors.count_exceptions(ValueError)
        @busy.track_inprogress()
        def work(a, b=2, *rest, key=None, **extra):
            """Adds."""
            if a < 0:
                raise ValueError('negative')
            if a == 0:
                raise KeyError('zero')
            return a + b

        out = [work(1), work(1, 3), work.__name__, work.__doc__, str(inspect.signature(work)),
               work.__wrapped__.__name__]
        for bad in (-1, 0):
            with pytest.raises((ValueError, KeyError)):
                work(bad)
        # A call with arguments the signature refuses fails before anything runs.
        with pytest.raises(TypeError) as e:
            work()
        out.append(str(e.value).replace('work.<locals>.', ''))
        out.append((_value(reg, 's_count'), _value(reg, 'errors_total'), _value(reg, 'busy')))

        def gen(n):
            yield from range(n)

        @s.time()
        def echo(a, b=2, *rest, key=None, **extra):
            return a, b, rest, key, extra

        # Positional, default, variadic, keyword-only and extra keyword arguments all reach
        # the wrapped function (the native caller forwards them by vectorcall, and before
        # Python 3.11 as a keyword dict).
        out.append([echo(1), echo(1, 3, 4, 5, key='k', other=6), echo(b=7, a=8, z=9)])

        timed_gen = s.time()(gen)
        out.append((list(timed_gen(3)), _value(reg, 's_count'), inspect.isgeneratorfunction(timed_gen)))
        seen[name] = out
    assert seen['fastprom'] == seen['prometheus_client']
    assert seen['fastprom'][-3] == (4.0, 1.0, 0.0)
    assert seen['fastprom'][-2][1] == (1, 3, (4, 5), 'k', {'other': 6})


def test_context_managers_behave_as_prometheus_clients():
    seen = {}
    for name, lib in LIBS.items():
        reg, s, h, errors, busy = _registry_and_metrics(lib)
        with s.time() as t:
            pass
        durations = [t.duration >= 0]
        with h.time() as t:
            t.labels('/home')
        with pytest.raises(ZeroDivisionError):
            with errors.count_exceptions(ArithmeticError):
                1 / 0
        with pytest.raises(KeyError):
            with errors.count_exceptions(ArithmeticError):
                raise KeyError('not counted')
        with busy.track_inprogress():
            inside = _value(reg, 'busy')
        seen[name] = (durations, _value(reg, 's_count'), _value(reg, 'h_count', {'route': '/home'}),
                      _value(reg, 'errors_total'), inside, _value(reg, 'busy'))
    assert seen['fastprom'] == seen['prometheus_client'] == ([True], 1.0, 1.0, 1.0, 1.0, 0.0)


def test_async_functions_are_measured_when_awaited():
    import fastprom
    reg = fastprom.CollectorRegistry()
    s = fastprom.Summary('s', 'S.', registry=reg)
    errors = fastprom.Counter('errors', 'E.', registry=reg)
    busy = fastprom.Gauge('busy', 'B.', registry=reg)
    seen_inside = []

    @s.time()
    @errors.count_exceptions()
    @busy.track_inprogress()
    async def handler(delay, fail=False):
        """Handles."""
        await asyncio.sleep(delay)
        seen_inside.append(reg.get_sample_value('busy'))
        if fail:
            raise RuntimeError('late')
        return delay

    # What FastAPI and Starlette check, and the signature they introspect.
    assert inspect.iscoroutinefunction(handler) and asyncio.iscoroutinefunction(handler)
    assert str(inspect.signature(handler)) == '(delay, fail=False)' and handler.__doc__ == 'Handles.'
    assert asyncio.run(handler(0.05)) == 0.05
    with pytest.raises(RuntimeError):
        asyncio.run(handler(0.01, fail=True))
    assert seen_inside == [1.0, 1.0]
    assert reg.get_sample_value('busy') == 0.0
    assert reg.get_sample_value('errors_total') == 1.0
    assert reg.get_sample_value('s_count') == 2.0
    # The time includes the awaited sleeps, not just the coroutine's creation.
    assert reg.get_sample_value('s_sum') >= 0.06


def test_a_subclass_keeps_its_own_enter_and_exit():
    import fastprom
    from fastprom.context_managers import Timer

    calls = []

    class Traced(Timer):
        def __exit__(self, typ, value, traceback):
            calls.append('exit')
            return super().__exit__(typ, value, traceback)

    s = fastprom.Summary('s', 'S.', registry=None)

    @Traced(s, 'observe')
    def f():
        return 1

    assert f() == 1 and f() == 1
    assert calls == ['exit', 'exit']
    assert s._count.get() == 2.0
