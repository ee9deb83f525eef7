"""Option values of the ``nerve`` command converted to their declared types.

A value comes as text (``--set hidden=64``, every value is a string) or already typed (a
TOML file, a checkpoint's JSON, a Python dict). ``convert`` turns either into the declared
type, or raises ``ConfigError`` naming the option, the type it expects and what it got:

    int      "64" -> 64            (a bool, 2.5 or "many" is refused)
    float    "2e-3" -> 0.002, 3 -> 3.0
    bool     true/false, yes/no, on/off, 1/0 (as text, any case)
    str      taken as it is (text only: 5 from a TOML file is refused)
    X | None "none" -> None, otherwise an X
    tuple    "0.9,0.999", "(0.9, 0.999)" or a TOML list [0.9, 0.999]; each item converted
"""

from __future__ import annotations

import types
import typing

TRUE, FALSE = ("true", "yes", "on", "1"), ("false", "no", "off", "0")


class ConfigError(ValueError):
    """An option the task or optimizer does not have, or a value of the wrong type: a usage
    error (the command exits 2, as argparse does for its own)."""


class _MismatchError(Exception):
    pass


def convert(value, typ, key: str, owner: str, source: str = ""):
    """``value`` as ``typ``; ``owner`` (a task or optimizer) and ``source`` (where the value
    came from: ``--set``, a TOML file) name it in the error."""
    try:
        return _convert(value, typ)
    except _MismatchError:
        got = repr(value) if isinstance(value, str) else f"{value!r} ({type(value).__name__})"
        where = f" ({source})" if source else ""
        raise ConfigError(f"{owner}: {key} expects {type_name(typ)}, got {got}{where}") from None


def type_name(typ) -> str:
    """How an error or ``--help`` spells a declared type: int, float or none, ..."""
    if typ is bool:
        return "bool (true or false)"
    if isinstance(typ, type) and not typing.get_args(typ):
        return typ.__name__
    args = typing.get_args(typ)
    if _is_optional(typ):
        inner = [a for a in args if a is not type(None)]
        return " or ".join(type_name(a) for a in inner) + " or none"
    if typing.get_origin(typ) is tuple:
        items = ["..." if a is Ellipsis else type_name(a) for a in args]
        return f"a tuple of {', '.join(items)} (comma-separated)"
    return str(typ)


def _is_optional(typ) -> bool:
    return typing.get_origin(typ) in (typing.Union, types.UnionType) and type(
        None
    ) in typing.get_args(typ)


def _convert(value, typ):
    if typ in (typing.Any, None):
        return _guess(value)
    if _is_optional(typ):
        if value is None or (isinstance(value, str) and value.strip().lower() in ("none", "")):
            return None
        for inner in typing.get_args(typ):
            if inner is not type(None):
                try:
                    return _convert(value, inner)
                except _MismatchError:
                    continue
        raise _MismatchError
    if typing.get_origin(typ) is tuple:
        return _tuple(value, typing.get_args(typ))
    if typ is bool:
        return _bool(value)
    if typ is int:
        return _number(value, int)
    if typ is float:
        return float(_number(value, float))
    if typ is str:
        if not isinstance(value, str):
            raise _MismatchError
        return value
    if isinstance(typ, type) and isinstance(value, typ):
        return value
    return _guess(value)  # an annotation this table does not know: the value as given


def _bool(value) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in TRUE + FALSE:
        return value.strip().lower() in TRUE
    raise _MismatchError


def _number(value, kind):
    if isinstance(value, bool):
        raise _MismatchError
    if isinstance(value, int) or (kind is float and isinstance(value, float)):
        return value
    if isinstance(value, str):
        try:
            return kind(value.strip())
        except ValueError:
            raise _MismatchError from None
    raise _MismatchError


def _tuple(value, args) -> tuple:
    if isinstance(value, str):
        text = value.strip()
        if text[:1] + text[-1:] in ("()", "[]"):
            text = text[1:-1]
        value = [v for v in text.split(",") if v.strip()]
    if not isinstance(value, list | tuple):
        raise _MismatchError
    if len(args) == 2 and args[1] is Ellipsis:
        return tuple(_convert(v, args[0]) for v in value)
    if args and len(args) != len(value):
        raise _MismatchError
    return tuple(_convert(v, a) for v, a in zip(value, args or [None] * len(value), strict=True))


def _guess(value):
    """Text for an argument of unknown type: an int, else a float, else the text."""
    if not isinstance(value, str):
        return value
    for kind in (int, float):
        try:
            return kind(value)
        except ValueError:
            continue
    return value
