"""The optimizers ``nerve train --optimizer NAME`` builds: every optimizer ``nerve.optim``
exports that steps once per batch, named in any case (``sgd``, ``Adam``, ``adamw``), with
any of its own keyword arguments (``--set momentum=0.5``), read from its signature.

The task's ``lr`` is the optimizer's ``lr``; ``build_optimizer`` calls
``cls(params, lr=config.lr, **config.optimizer_args)``.
"""

from __future__ import annotations

import difflib
import inspect
import typing

from nerve import optim
from nerve.tasks.values import ConfigError, convert

# Arguments the command fills in itself, not settable as optimizer arguments.
OWN = ("params", "lr")


def optimizer_classes() -> dict[str, type[optim.Optimizer]]:
    """Lower-case name -> class, for every Optimizer subclass in ``nerve.optim.__all__``."""
    out = {}
    for name in optim.__all__:
        obj = getattr(optim, name)
        if inspect.isclass(obj) and issubclass(obj, optim.Optimizer) and obj is not optim.Optimizer:
            out[name.lower()] = obj
    return out


def needs_closure(cls) -> bool:
    """Whether ``step`` requires a closure (L-BFGS re-evaluates the model several times a
    step), which a loop that steps once per batch cannot give."""
    params = list(inspect.signature(cls.step).parameters.values())[1:]
    return any(
        p.default is inspect.Parameter.empty
        and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        for p in params
    )


def optimizer_class(name, owner: str = "") -> type[optim.Optimizer]:
    """The class for ``--optimizer NAME`` (any case), or a ConfigError listing the names;
    ``owner`` (the task) starts the message."""
    classes = optimizer_classes()
    usable = sorted(n for n, c in classes.items() if not needs_closure(c))
    start = f"{owner}: " if owner else ""
    if not isinstance(name, str):
        raise ConfigError(
            f"{start}optimizer expects a name, got {name!r} "
            f"({type(name).__name__}); choose from {', '.join(usable)}"
        )
    key = name.strip().lower()
    if key not in classes:
        close = difflib.get_close_matches(key, usable, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise ConfigError(
            f"{start}unknown optimizer '{name}'{hint}; choose from {', '.join(usable)}"
        )
    if needs_closure(classes[key]):
        raise ConfigError(
            f"{start}optimizer '{name}': {classes[key].__name__}.step needs a "
            "closure that re-evaluates the model, and nerve train steps once "
            f"per batch; choose from {', '.join(usable)}"
        )
    return classes[key]


def optimizer_arguments(cls) -> dict[str, inspect.Parameter]:
    """The keyword arguments of ``cls`` a config may set (all but params and lr), their
    annotations resolved to types."""
    try:
        sig = inspect.signature(cls, eval_str=True)
    except (NameError, TypeError, SyntaxError):  # an annotation that cannot be evaluated
        sig = inspect.signature(cls)
    return {
        n: p
        for n, p in sig.parameters.items()
        if n not in OWN and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    }


def all_optimizer_arguments() -> set[str]:
    """Every argument any of the optimizers takes (to tell a misplaced one from a typo)."""
    return {n for c in optimizer_classes().values() for n in optimizer_arguments(c)}


def convert_arguments(cls, given: dict, owner: str) -> dict:
    """``given`` (name -> (value, source)) converted to ``cls``'s argument types; an argument
    ``cls`` does not take is a ConfigError naming the optimizer and those it takes."""
    params = optimizer_arguments(cls)
    out = {}
    for key, (value, source) in given.items():
        if key not in params:
            close = difflib.get_close_matches(key, list(params), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            where = f" ({source})" if source else ""
            raise ConfigError(
                f"{owner}: {cls.__name__} takes no argument '{key}'{where}"
                f"{hint}; {cls.__name__} takes: {', '.join(params)}"
            )
        typ = params[key].annotation
        typ = typing.Any if typ is inspect.Parameter.empty or isinstance(typ, str) else typ
        out[key] = convert(value, typ, key, f"{owner}: {cls.__name__}", source)
    return out


def build_optimizer(config, params) -> optim.Optimizer:
    """``config.optimizer`` over ``params`` with ``lr=config.lr`` and the config's
    ``optimizer_args``."""
    cls = optimizer_class(config.optimizer)
    return cls(params, lr=config.lr, **config.optimizer_args)
