"""``functional_call``: run a module with some of its parameters and buffers replaced by
given tensors, as ``torch.func.functional_call``. The module's own tensors are swapped
back afterwards, also when the call raises, so the module is left as it was.

Keys are the state_dict names (``"0.weight"``); the name of a parametrized tensor
(``"weight"`` of a weight-normed Linear) replaces the computed tensor itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from nerve.nn.module import Module
from nerve.nn.utils.parametrize import is_parametrized
from nerve.tensor import Tensor

__all__ = ["functional_call"]

_ABSENT = object()


def _merge(dicts) -> dict:
    if isinstance(dicts, Mapping):
        return dict(dicts)
    if not isinstance(dicts, Sequence):
        raise ValueError(
            "Expected all elements of parameter_and_buffer_dicts to be "
            f"dictionaries, got {type(dicts).__name__}"
        )
    merged: dict = {}
    for d in dicts:
        repeated = sorted(k for k in d if k in merged)
        if repeated:
            raise ValueError(
                f"{repeated} appeared in multiple dictionaries; behavior of "
                "functional call is ambiguous"
            )
        merged.update(d)
    return merged


def _tensor_names(module: Module) -> list[str]:
    names = [n for n, _ in module.named_parameters(remove_duplicate=False)]
    return names + [n for n, _ in module.named_buffers(remove_duplicate=False)]


def _tie(module: Module, values: dict) -> dict:
    """Give every name of a shared tensor the value given for any of its names."""
    groups: dict = {}
    for members in (
        module.named_parameters(remove_duplicate=False),
        module.named_buffers(remove_duplicate=False),
    ):
        for name, t in members:
            groups.setdefault(id(t), []).append(name)
    out = dict(values)
    for names in groups.values():
        given = [n for n in names if n in values]
        if len(names) < 2 or not given:
            continue
        if len({id(values[n]) for n in given}) > 1:
            raise ValueError(
                f"functional_call got multiple values for keys {sorted(given)}, "
                "which are tied. Consider using tie_weights=False"
            )
        out.update({n: values[given[0]] for n in names})
    return out


def _owner(module: Module, key: str) -> tuple[Module, str]:
    path, _, name = key.rpartition(".")
    m = module
    for part in filter(None, path.split(".")):
        if not hasattr(m, part):
            raise AttributeError(f"{m._get_name()} has no attribute `{part}`")
        m = getattr(m, part)
        if not isinstance(m, Module):
            raise TypeError(f"submodule `{part}`: {m} is not an instance of nerve.nn.Module")
    return m, name


def _swap(m: Module, name: str, value):
    """Put ``value`` in place of ``m.name``; returns what restores it."""
    d = m.__dict__
    if is_parametrized(m, name):
        overrides = d.setdefault("_tensor_overrides", {})
        old = overrides.get(name, _ABSENT)
        overrides[name] = value
        return ("override", m, name, old)
    for store in ("_parameters", "_buffers"):
        if name in d[store]:
            old = d[store][name]
            d[store][name] = value
            return (store, m, name, old)
    old = d.get(name, _ABSENT)
    d[name] = value
    return ("__dict__", m, name, old)


def _restore(record) -> None:
    where, m, name, old = record
    d = m.__dict__
    target = (
        d["_tensor_overrides"] if where == "override" else d if where == "__dict__" else d[where]
    )
    if old is _ABSENT:
        del target[name]
    else:
        target[name] = old


def _check_strict(module: Module, keys) -> None:
    names = _tensor_names(module)
    unexpected = [k for k in keys if k not in names]
    missing = [n for n in names if n not in keys]
    if unexpected or missing:
        lines = []
        if unexpected:
            lines.append("Unexpected key(s): " + ", ".join(f"'{k}'" for k in unexpected) + ".")
        if missing:
            lines.append("Missing key(s): " + ", ".join(f"'{k}'" for k in missing) + ".")
        raise RuntimeError(
            f"Error(s) in reparametrizing for {module._get_name()}:\n\t" + "\n\t".join(lines)
        )


def functional_call(
    module: Module,
    parameters_and_buffers,
    args=None,
    kwargs=None,
    *,
    tie_weights: bool = True,
    strict: bool = False,
):
    """``module(*args, **kwargs)`` with the tensors named in ``parameters_and_buffers`` (a
    dict, or a sequence of dicts with distinct keys) in place of the module's own.

    With ``tie_weights`` a value given for one name of a shared tensor is used for all of
    its names; with ``strict`` the keys must be exactly the module's parameters and
    buffers."""
    values = _merge(parameters_and_buffers)
    if tie_weights:
        values = _tie(module, values)
    if strict:
        _check_strict(module, values)
    if args is None:
        args = ()
    elif not isinstance(args, tuple):
        args = (args,)
    kwargs = {} if kwargs is None else kwargs
    records = []
    try:
        for key, value in values.items():
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(
                    f"functional_call: the value for '{key}' must be a Tensor, "
                    f"got {type(value).__name__}"
                )
            m, name = _owner(module, key)
            records.append(_swap(m, name, value))
        return module(*args, **kwargs)
    finally:
        for record in reversed(records):
            _restore(record)
