"""Signature-preserving decoration (``prometheus_client.decorator``).

prometheus_client vendors Michele Simionato's ``decorator`` 4.0.10 so that a function
decorated with ``@counter.count_exceptions()``, ``@gauge.track_inprogress()`` or
``@histogram.time()`` keeps its exact signature: ``inspect.getfullargspec`` on the result
reports the original arguments, not ``(*args, **kwargs)``. This module is fastprom's own
implementation of the part of that API which prometheus_client and its users rely on:
``decorate``, ``decorator``, ``getargspec``, ``FunctionMaker.create`` and ``contextmanager``.
It builds a real function with the same parameter list, so argument errors are raised by
the wrapper itself, before the wrapped body runs.
"""

import collections
import contextlib
import inspect
import itertools
import re
import sys
from inspect import getfullargspec

__version__ = '4.0.10'


ArgSpec = collections.namedtuple('ArgSpec', 'args varargs varkw defaults')


def getargspec(f):
    """``inspect.getargspec`` as it was: (args, varargs, varkw, defaults)."""
    spec = getfullargspec(f)
    return ArgSpec(spec.args, spec.varargs, spec.varkw, spec.defaults)


_DEF_RE = re.compile(r'\s*(?:async\s+)?def\s*([_\w][_\w\d]*)\s*\(')
_RESERVED = ('_func_', '_call_')


class FunctionMaker:
    """Builds a function with a given name and signature from a body template.

    ``signature`` is the parameter list with no defaults (defaults are attached to the
    built function afterwards); ``shortsignature`` is the argument list that forwards
    every parameter (``a, b, *args, k=k, **kw``).
    """

    # Numbers the generated functions' file names.
    _compile_count = itertools.count()

    def __init__(self, func=None, name=None, signature=None, defaults=None, doc=None,
                 module=None, funcdict=None):
        self.shortsignature = signature
        if func is not None:
            self.name = '_lambda_' if func.__name__ == '<lambda>' else func.__name__
            self.doc = func.__doc__
            self.module = func.__module__
            if inspect.isfunction(func):
                spec = getfullargspec(func)
                self.annotations = getattr(func, '__annotations__', {})
                self.args = spec.args
                self.varargs = spec.varargs
                self.varkw = spec.varkw
                self.defaults = spec.defaults
                self.kwonlyargs = spec.kwonlyargs
                self.kwonlydefaults = spec.kwonlydefaults
                # Templates may name positional parameters as %(arg0)s, %(arg1)s, ...
                for position, arg in enumerate(spec.args):
                    setattr(self, f'arg{position}', arg)
                self.signature, self.shortsignature = self._signatures(spec)
                self.dict = func.__dict__.copy()
        # Explicit arguments override what was read from ``func``; empty ones are skipped,
        # except an empty signature, which is a valid parameter list.
        if signature is not None:
            self.signature = signature
        given = {'name': name, 'defaults': defaults, 'doc': doc, 'module': module, 'dict': funcdict}
        for attr, value in given.items():
            if value:
                setattr(self, attr, value)
        assert hasattr(self, 'name')
        if not hasattr(self, 'signature'):
            raise TypeError(f'You are decorating a non function: {func}')

    @staticmethod
    def _signatures(spec):
        full = list(spec.args)
        short = list(spec.args)
        if spec.varargs:
            full.append('*' + spec.varargs)
            short.append('*' + spec.varargs)
        elif spec.kwonlyargs:
            full.append('*')
        for a in spec.kwonlyargs:
            full.append(f'{a}=None')
            short.append(f'{a}={a}')
        if spec.varkw:
            full.append('**' + spec.varkw)
            short.append('**' + spec.varkw)
        return ', '.join(full), ', '.join(short)

    def update(self, func, **kw):
        """Copies name, doc, defaults, annotations and attributes onto ``func``."""
        func.__name__ = self.name
        func.__doc__ = getattr(self, 'doc', None)
        func.__dict__ = getattr(self, 'dict', {})
        func.__defaults__ = getattr(self, 'defaults', ())
        func.__kwdefaults__ = getattr(self, 'kwonlydefaults', None)
        func.__annotations__ = getattr(self, 'annotations', None)
        try:
            caller_module = sys._getframe(3).f_globals.get('__name__', '?')
        except (AttributeError, ValueError):
            caller_module = '?'
        func.__module__ = getattr(self, 'module', caller_module)
        func.__dict__.update(kw)

    def make(self, src_templ, evaldict=None, addsource=False, **attrs):
        """Compiles ``src_templ % vars(self)`` and returns the function it defines."""
        src = src_templ % vars(self)
        evaldict = evaldict or {}
        match = _DEF_RE.match(src)
        if match is None:
            raise SyntaxError('not a valid function template\n%s' % src)
        name = match.group(1)
        names = {name} | {a.strip(' *') for a in self.shortsignature.split(',')}
        for n in names:
            if n in _RESERVED:
                raise NameError(f'{n} is overridden in\n{src}')
        if not src.endswith('\n'):
            src += '\n'
        # A distinct file name per generated function keeps profilers' keys unique.
        filename = f'<decorator-gen-{next(self._compile_count)}>'
        try:
            exec(compile(src, filename, 'single'), evaldict)
        except BaseException:
            # Show the generated source: the traceback alone points into a file that
            # does not exist.
            print('Error in generated code:', src, sep='\n', file=sys.stderr)
            raise
        func = evaldict[name]
        self.update(func, **(dict(attrs, __source__=src) if addsource else attrs))
        return func

    @classmethod
    def create(cls, obj, body, evaldict, defaults=None, doc=None, module=None,
               addsource=True, **attrs):
        """Creates a function from ``obj`` (a function, or a ``"name(signature)"``
        string) and a body template."""
        if isinstance(obj, str):
            name, rest = obj.strip().split('(', 1)
            self = cls(None, name, rest[:-1], defaults, doc, module)
        else:
            self = cls(obj, None, None, defaults, doc, module)
        body = '\n'.join('    ' + line for line in body.splitlines())
        return self.make('def %(name)s(%(signature)s):\n' + body, evaldict, addsource, **attrs)


def decorate(func, caller):
    """Returns a function with ``func``'s signature that calls
    ``caller(func, *args, **kwargs)``."""
    evaldict = {'_call_': caller, '_func_': func}
    fun = FunctionMaker.create(func, 'return _call_(_func_, %(shortsignature)s)', evaldict,
                               __wrapped__=func)
    if hasattr(func, '__qualname__'):
        fun.__qualname__ = func.__qualname__
    return fun


def decorator(caller, _func=None):
    """Turns ``caller(func, *args, **kw)`` into a signature-preserving decorator."""
    if _func is not None:
        return decorate(_func, caller)
    if inspect.isclass(caller):
        name = caller.__name__.lower()
        doc = (f'decorator({caller.__name__}) converts functions/generators into '
               f'factories of {caller.__name__} objects')
    elif inspect.isfunction(caller):
        name = '_lambda_' if caller.__name__ == '<lambda>' else caller.__name__
        doc = caller.__doc__
    else:
        name = caller.__class__.__name__.lower()
        doc = caller.__call__.__doc__
    evaldict = {'_call_': caller, '_decorate_': decorate}
    return FunctionMaker.create(f'{name}(func)', 'return _decorate_(func, _call_)', evaldict,
                                doc=doc, module=caller.__module__, __wrapped__=caller)


class ContextManager(contextlib._GeneratorContextManager):
    """A generator-based context manager that also decorates, keeping signatures."""

    def __init__(self, g, *a, **k):
        contextlib._GeneratorContextManager.__init__(self, g, a, k)

    def __call__(self, func):
        return FunctionMaker.create(func, 'with _self_: return _func_(%(shortsignature)s)',
                                    {'_self_': self, '_func_': func}, __wrapped__=func)


contextmanager = decorator(ContextManager)
