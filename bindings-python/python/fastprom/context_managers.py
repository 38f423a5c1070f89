"""Context managers and decorators behind ``count_exceptions()``,
``track_inprogress()`` and ``time()`` (``prometheus_client.context_managers``).

Each works both as ``with metric.time():`` and as ``@metric.time()``; as a decorator it
keeps the decorated function's signature (see :mod:`fastprom.decorator`).
"""

import inspect
from timeit import default_timer  # noqa: F401  (a name prometheus_client's module has)
from types import TracebackType  # noqa: F401
from typing import (
    Any, Callable, Literal, Optional, Tuple, Type, TYPE_CHECKING, TypeVar, Union,
)

from . import _fastprom
from .decorator import decorate, FunctionMaker

if TYPE_CHECKING:
    from . import Counter
    F = TypeVar("F", bound=Callable[..., Any])


# The classes are native (``fastprom._fastprom``); their decorating ``__call__`` comes
# back here, to _decorate, for the signature-preserving wrapper.
ExceptionCounter = _fastprom.ExceptionCounter
InprogressTracker = _fastprom.InprogressTracker
Timer = _fastprom.Timer

_NATIVE = (ExceptionCounter, InprogressTracker, Timer)
_HOOKS = ('__enter__', '__exit__', '_for_call', '_new_timer')


def _decorate(manager, f):
    """``manager(f)``: a function with ``f``'s signature that runs each call inside
    ``manager._for_call()``.

    Through the native caller (``_fp_caller``) when ``manager``'s class keeps the native
    ``__enter__``, ``__exit__`` and ``_for_call``; through those methods otherwise. An
    ``async def`` function gets an ``async def`` wrapper that runs the awaited call in the
    context, so the time, the exception or the call in progress is the coroutine's, not its
    creation's (prometheus_client measures the creation)."""
    if inspect.iscoroutinefunction(f):
        async def awaited(func, *args, **kwargs):
            with manager._for_call():
                return await func(*args, **kwargs)

        wrapper = FunctionMaker(f).make('async def %(name)s(%(signature)s):\n'
                                        '    return await _call_(_func_, %(shortsignature)s)',
                                        {'_call_': awaited, '_func_': f}, __wrapped__=f)
        if hasattr(f, '__qualname__'):
            wrapper.__qualname__ = f.__qualname__
        return wrapper
    cls = type(manager)
    base = next(b for b in cls.__mro__ if b in _NATIVE)
    if all(getattr(cls, name, None) is getattr(base, name, None) for name in _HOOKS):
        return decorate(f, manager._fp_caller())

    def wrapped(func, *args, **kwargs):
        with manager._for_call():
            return func(*args, **kwargs)

    return decorate(f, wrapped)


_fastprom.configure(decorate=_decorate)
