"""A task's options as a dataclass: each option's type, default and help in one place.

Every task declares ``Config``, a subclass of ``TaskConfig``, whose fields are its options
(``dropout: float = option(0.2, "dropout probability")``); ``nerve train --help`` and
docs/cli.md show them. The options every task has (epochs, batch_size, lr, hidden) have
no default in ``TaskConfig``: each task states its own, once.

``make_config`` builds a config from layers of values, later layers winning (a checkpoint's
saved config, then a TOML file, then the command line), each value converted to its
field's type (``nerve.tasks.values``). A key that is no field is an argument of the chosen
optimizer (``--set momentum=0.5`` reaches SGD), checked against its signature; anything
else is a ``ConfigError`` naming the task, the valid keys and the closest one.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import typing
import warnings
from collections.abc import Mapping
from typing import Any, ClassVar

from nerve.tasks.optimizers import (
    all_optimizer_arguments,
    convert_arguments,
    optimizer_arguments,
    optimizer_class,
)
from nerve.tasks.values import ConfigError, convert, type_name

__all__ = ["ConfigError", "TaskConfig", "load_toml", "make_config", "option", "option_table"]


def option(
    default=dataclasses.MISSING,
    doc: str = "",
    *,
    at_least: int | None = None,
    positive: bool = False,
    settable: bool = True,
    default_factory=dataclasses.MISSING,
):
    """A config field with its one-line help ``doc`` (``nerve train --help`` shows it);
    ``at_least`` (a whole number of at least this) and ``positive`` are checked by
    ``make_config``. A subclass re-declaring the field with a plain default keeps this help
    and these checks."""
    meta = {"help": doc} if doc else {}
    if at_least is not None:
        meta["at_least"] = at_least
    if positive:
        meta["positive"] = True
    if not settable:
        meta["settable"] = False
    return dataclasses.field(default=default, default_factory=default_factory, metadata=meta)


@dataclasses.dataclass
class TaskConfig:
    """The options of every task; a task's ``Config`` subclass gives the first four their
    defaults and adds its own."""

    epochs: int = option(doc="passes over the training data", at_least=1)
    batch_size: int = option(doc="samples per step (all --nproc ranks together)", at_least=1)
    lr: float = option(doc="learning rate (the optimizer's lr)", positive=True)
    hidden: int = option(doc="width of the hidden layers", at_least=1)
    optimizer: str = option(
        "adam", "any nerve.optim optimizer, in any case (adam, sgd, adamw, rmsprop, ...)"
    )
    seed: int = option(0, "seed of the weights, the shuffling and the dropout masks")
    clip: float | None = option(
        None, "clip the gradients' global norm to this (none: off)", positive=True
    )
    optimizer_args: dict[str, Any] = option(
        default_factory=dict,
        settable=False,
        doc="the optimizer's own arguments besides lr (--set momentum=0.5)",
    )

    # the tasks' own defaults for an optimizer's arguments, where they differ from its
    # signature's (SGD without momentum trains these tasks badly)
    optimizer_defaults: ClassVar[dict[str, dict]] = {"sgd": {"momentum": 0.9}}

    def to_dict(self) -> dict:
        """Plain values (a checkpoint stores them as JSON)."""
        return dataclasses.asdict(self)


def field_meta(cls, name: str) -> dict:
    """The help and checks of field ``name``, merged from ``cls`` and its bases."""
    meta: dict = {}
    for klass in reversed(cls.__mro__):
        f = klass.__dict__.get("__dataclass_fields__", {}).get(name)
        if f is not None:
            meta.update(f.metadata)
    return meta


def settable_fields(cls) -> dict[str, Any]:
    """Option name -> declared type, for the fields a config file or --set may give."""
    hints = typing.get_type_hints(cls)
    return {
        f.name: hints[f.name]
        for f in dataclasses.fields(cls)
        if field_meta(cls, f.name).get("settable", True)
    }


def make_config(
    cls: type[TaskConfig], task: str, *layers: tuple[str, Mapping], saved: Mapping | None = None
) -> TaskConfig:
    """A ``cls`` from ``layers`` of (source, values), later ones winning; ``saved`` (a
    checkpoint's config) comes first, its unknown keys dropped with a warning, its optimizer
    arguments kept only while the optimizer stays the same. ``source`` names where a value
    came from in an error (``--set``, a file's path)."""
    fields = settable_fields(cls)
    values: dict = {}
    args: dict = {}  # the optimizer's: name -> (value, source)
    saved_args: dict = {}
    if saved:
        saved = dict(saved)
        saved_args = {
            k: (v, "the checkpoint") for k, v in (saved.pop("optimizer_args", None) or {}).items()
        }
        _take(cls, task, fields, "the checkpoint", saved, values, args, lenient=True)
    saved_optimizer = str(values.get("optimizer", "")).lower()
    for source, mapping in layers:
        _take(cls, task, fields, source, mapping, values, args)
    opt_cls = optimizer_class(values.get("optimizer", _default(cls, "optimizer")), task)
    values["optimizer"] = opt_cls.__name__.lower()
    if saved_optimizer == values["optimizer"]:
        args = {**saved_args, **args}
    _refuse_unknown(cls, task, fields, opt_cls, args)
    given = convert_arguments(opt_cls, args, task)
    values["optimizer_args"] = {**cls.optimizer_defaults.get(values["optimizer"], {}), **given}
    config = cls(**values)
    check_values(config, task)
    return config


def _take(cls, task, fields, source, mapping, values, args, lenient=False) -> None:
    for key, value in mapping.items():
        key = str(key).replace("-", "_")
        if value is None:  # not given (a Python caller's None keeps the default)
            continue
        if key in fields:
            values[key] = _field_value(cls, task, key, fields[key], value, source)
        elif lenient:  # a saved config keeps the optimizer's arguments apart, under
            # optimizer_args: a loose key is one an older version accepted and ignored
            warnings.warn(
                f"{task}: the checkpoint's option '{key}' is not an option of this task (ignored)",
                stacklevel=3,
            )
        else:
            args[key] = (value, source)


def _field_value(cls, task, key, typ, value, source):
    at_least = field_meta(cls, key).get("at_least")
    try:
        return convert(value, typ, key, task, source)
    except ConfigError:
        if at_least is None:
            raise
        where = f" ({source})" if source else ""
        raise ConfigError(
            f"{task}: {key} must be a whole number of at least {at_least}, got {value!r}{where}"
        ) from None


def _refuse_unknown(cls, task, fields, opt_cls, args) -> None:
    known = all_optimizer_arguments()
    own = list(optimizer_arguments(opt_cls))
    for key, (_, source) in args.items():
        if key in known:
            continue  # an optimizer's argument: convert_arguments names the chosen one
        close = difflib.get_close_matches(key, list(fields) + own, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        where = f" ({source})" if source else ""
        raise ConfigError(
            f"{task}: unknown option '{key}'{where}{hint}; {task} takes "
            f"{', '.join(fields)}, and the arguments of its optimizer "
            f"{opt_cls.__name__}: {', '.join(own)}"
        )


def check_values(config: TaskConfig, task: str) -> None:
    """One clear line for a value that cannot train (``--hidden 0``, ``--lr 0``)."""
    for name in settable_fields(type(config)):
        meta, v = field_meta(type(config), name), getattr(config, name)
        n = meta.get("at_least")
        if n is not None and (isinstance(v, bool) or not isinstance(v, int) or v < n):
            raise ValueError(f"{task}: {name} must be a whole number of at least {n}, got {v!r}")
        if meta.get("positive") and v is not None and not v > 0:
            raise ValueError(f"{task}: {name} must be a positive number, got {v!r}")


def _default(cls, name):
    f = {f.name: f for f in dataclasses.fields(cls)}[name]
    return f.default


def option_table(cls) -> list[tuple[str, str, Any, str]]:
    """(name, type, default, help) of every settable option of ``cls``."""
    rows = []
    for f in dataclasses.fields(cls):
        meta = field_meta(cls, f.name)
        if meta.get("settable", True):
            rows.append(
                (
                    f.name,
                    type_name(typing.get_type_hints(cls)[f.name]),
                    f.default,
                    meta.get("help", ""),
                )
            )
    return rows


def load_toml(path: str) -> dict:
    """A TOML config file's options, flat: sections such as ``[model]`` only group them."""
    import tomllib

    if not os.path.isfile(path):
        raise FileNotFoundError(f"config file not found: {path}")
    with open(path, "rb") as f:
        try:
            raw = tomllib.load(f)
        except tomllib.TOMLDecodeError as err:
            raise ValueError(f"{path}: not valid TOML ({err})") from None
    flat: dict = {}
    for k, v in raw.items():
        items = v.items() if isinstance(v, dict) else [(k, v)]
        for key, value in items:
            key = key.replace("-", "_")
            if key in flat:
                raise ConfigError(f"{path}: option '{key}' is given twice")
            flat[key] = value
    return flat
