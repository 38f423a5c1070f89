"""``install_as_prometheus_client()``: make ``import prometheus_client`` yield fastprom.

After the call, ``prometheus_client`` and every ``prometheus_client.X`` resolve to
``fastprom`` and ``fastprom.X`` — the very same module objects, so metrics created
through either name share one registry. This holds even when the real prometheus_client
is installed: a finder placed first on ``sys.meta_path`` answers for those names before
the path finders look at site-packages.
"""

import importlib
import importlib.abc
import importlib.machinery
import sys
import threading
import warnings

__all__ = ('install_as_prometheus_client',)

_ALIAS = 'prometheus_client'
_TARGET = __name__.rsplit('.', 1)[0]  # 'fastprom'
_lock = threading.Lock()


def _target_name(name: str):
    """``prometheus_client[.X]`` -> ``fastprom[.X]``, or None for other names."""
    if name == _ALIAS:
        return _TARGET
    if name.startswith(_ALIAS + '.'):
        return _TARGET + name[len(_ALIAS):]
    return None


class _AliasLoader(importlib.abc.Loader):
    """Loads an alias by handing back the already imported fastprom module."""

    def __init__(self, module):
        self._module = module
        self._spec = module.__spec__

    def create_module(self, spec):
        return self._module

    def exec_module(self, module):
        # The import system stamped the alias spec on the module; give it back its own,
        # so that reload() and introspection still see fastprom's module.
        module.__spec__ = self._spec


class _AliasFinder(importlib.abc.MetaPathFinder):
    """Answers ``prometheus_client`` names with the matching fastprom modules."""

    def find_spec(self, name, path=None, target=None):
        real = _target_name(name)
        if real is None:
            return None
        try:
            module = importlib.import_module(real)
        except ModuleNotFoundError as exc:
            if exc.name == real:
                # No such fastprom module: let the import fail as "No module named ...".
                # (The later finders search fastprom's own directory, which lacks it too.)
                return None
            raise
        is_package = hasattr(module, '__path__')
        return importlib.machinery.ModuleSpec(name, _AliasLoader(module), is_package=is_package)

    def __repr__(self):
        return f'<{_TARGET} alias finder for {_ALIAS}>'


_finder = _AliasFinder()


def install_as_prometheus_client() -> None:
    """Makes ``import prometheus_client`` (and every ``prometheus_client.X``) yield
    fastprom's modules from now on. Idempotent; thread-safe.

    Call it before anything imports prometheus_client. Code that already imported the
    real prometheus_client keeps the objects it holds (a RuntimeWarning says so); its
    entries in ``sys.modules`` are replaced, so later imports get fastprom."""
    with _lock:
        real_loaded = [n for n, m in list(sys.modules.items())
                       if _target_name(n) is not None and m is not None
                       and not getattr(m, '__name__', '').startswith(_TARGET)]
        if real_loaded:
            warnings.warn(
                'prometheus_client was imported before fastprom.install_as_prometheus_client(); '
                'modules that imported it already keep the real prometheus_client objects',
                RuntimeWarning, stacklevel=2)
            for n in real_loaded:
                del sys.modules[n]
        if _finder not in sys.meta_path:
            sys.meta_path.insert(0, _finder)
        # Alias what fastprom has imported already, so the names resolve without a search.
        for n, m in list(sys.modules.items()):
            if n == _TARGET or n.startswith(_TARGET + '.'):
                if m is not None:
                    sys.modules[_ALIAS + n[len(_TARGET):]] = m
