"""The table through which Tensor's methods reach the ops above them.

Tensor sits below autograd and the ops (backend <- tensor <- autograd <- ops), yet
``x.sum()`` must run ``nerve.ops.reduce.reductions.sum``. So the methods are declared here in the
tensor tier (nerve/tensor/*.py, one-liners such as ``return ops.sum(self, dim,
keepdim, dtype)``) and call through ``ops``, an object whose attributes the op modules
set as they load: each ends with ``ops_table.register(sum, mean, ...)``. The arrow of
that import points down (ops -> tensor), and nothing in the tensor tier imports an op.

``ops.name`` is an ordinary attribute of a plain object, found in one step (CPython
specialises the lookup), so a method costs one Python call more than the op itself.
"""

from __future__ import annotations


class OpsTable:
    """The ops, autograd entry points and Functions Tensor's methods call, by name."""

    def __repr__(self) -> str:
        return f"<the ops table of Tensor's methods: {len(vars(self))} entries>"


ops = OpsTable()


def register(*functions, **named) -> None:
    """Enter ``functions`` under their ``__name__`` (a Function class under its class
    name) and ``named`` under the given names; a name already entered for another
    object is an error, so two ops cannot silently claim one method."""
    entries = {f.__name__: f for f in functions}
    entries.update(named)
    table = vars(ops)
    for name, fn in entries.items():
        old = table.get(name)
        if old is not None and old is not fn:
            raise RuntimeError(f"ops_table.register: '{name}' is already {old!r}, not {fn!r}")
        table[name] = fn


def missing(names) -> list[str]:
    """Those of ``names`` that no module has registered (a test checks none are)."""
    return sorted(n for n in names if n not in vars(ops))
