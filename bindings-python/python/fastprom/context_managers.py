"""Context managers and decorators behind ``count_exceptions()``,
``track_inprogress()`` and ``time()`` (``prometheus_client.context_managers``).

Each works both as ``with metric.time():`` and as ``@metric.time()``; as a decorator it
keeps the decorated function's signature (see :mod:`fastprom.decorator`).
"""

from timeit import default_timer
from types import TracebackType
from typing import (
    Any, Callable, Literal, Optional, Tuple, Type, TYPE_CHECKING, TypeVar, Union,
)

from .decorator import decorate

if TYPE_CHECKING:
    from . import Counter
    F = TypeVar("F", bound=Callable[..., Any])



class _Decorating:
    """``__call__`` for a context manager: run the function inside ``self._for_call()``."""

    def _for_call(self):
        return self

    def __call__(self, f: "F") -> "F":
        def wrapped(func, *args, **kwargs):
            with self._for_call():
                return func(*args, **kwargs)

        return decorate(f, wrapped)


class ExceptionCounter(_Decorating):
    """Increments ``counter`` when the block raises an instance of ``exception``
    (a class or a tuple of classes); never swallows the exception."""

    def __init__(self, counter: "Counter",
                 exception: Union[Type[BaseException], Tuple[Type[BaseException], ...]]) -> None:
        self._counter = counter
        self._exception = exception

    def __enter__(self) -> None:
        pass

    def __exit__(self, typ: Optional[Type[BaseException]], value: Optional[BaseException],
                 traceback: Optional[TracebackType]) -> Literal[False]:
        if isinstance(value, self._exception):
            self._counter.inc()
        return False


class InprogressTracker(_Decorating):
    """Increments ``gauge`` on entry and decrements it on exit."""

    def __init__(self, gauge):
        self._gauge = gauge

    def __enter__(self):
        self._gauge.inc()

    def __exit__(self, typ, value, traceback):
        self._gauge.dec()


class Timer(_Decorating):
    """Times the block with ``timeit.default_timer`` and passes the duration (never
    negative) to ``getattr(metric, callback_name)``; ``duration`` holds the last one.

    ``labels(...)`` inside the block re-targets the timer to a labelled child. As a
    decorator, every call uses a fresh Timer, so it is thread-safe and re-entrant.
    """

    def __init__(self, metric, callback_name):
        self._metric = metric
        self._callback_name = callback_name
        self.duration = None

    def _new_timer(self):
        return self.__class__(self._metric, self._callback_name)

    def _for_call(self):
        return self._new_timer()

    def __enter__(self):
        self._start = default_timer()
        return self

    def __exit__(self, typ, value, traceback):
        self.duration = max(default_timer() - self._start, 0)
        getattr(self._metric, self._callback_name)(self.duration)

    def labels(self, *args, **kw):
        """Switches the timed metric to ``metric.labels(*args, **kw)``."""
        self._metric = self._metric.labels(*args, **kw)
