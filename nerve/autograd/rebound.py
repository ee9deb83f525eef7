"""Versions of a tensor rebound by an in-place op in a graph, and the edges they leave.

An in-place op in a graph (nerve/ops/inplace/updates.py) computes out of place and *rebinds*
the tensor object to the result, so ``y.grad_fn`` changes as in PyTorch. A node
records its inputs as Tensor objects, so nodes recorded before the rebinding (``s = y
* 3; y.relu_()``) point at ``y``, which now holds the newer version. Each node also
records ``needs_input_grad``, the inputs' ``requires_grad`` values at the time; a
rebound tensor's ``requires_grad`` is a fresh :class:`Version` token (equal to, and
printed as, True) that remembers the snapshot of the version before it. Before a
backward, :func:`mend_stale_edges` finds the edges whose recorded token is not the
tensor's current one and points them at the snapshot of the version they saw.
Ordinary ops pay nothing for this: the engine looks only while ``Version.live``.
"""

from __future__ import annotations


class Version(int):
    """``requires_grad`` of a tensor rebound by an in-place op: equal to True (and shown
    as True), but a distinct object per version, so that each node's recorded
    ``needs_input_grad`` tells which version of its input it saw. ``previous`` is the
    snapshot of the version before."""

    live = 0  # how many exist; backward looks for stale edges only when some do

    def __new__(cls, previous):
        v = int.__new__(cls, 1)
        v.previous = previous
        Version.live += 1
        return v

    def __del__(self) -> None:
        type(self).live -= 1

    def __repr__(self) -> str:
        return "True"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return format(True, spec)


def mend_stale_edges(root) -> None:
    """Point every edge recorded before an in-place rebinding of its input at the
    snapshot of the version it saw (called by backward while any Version exists)."""
    todo, seen = [root._ctx], set()
    while todo:
        fn = todo.pop()
        if fn is None or fn in seen:
            continue
        seen.add(fn)
        parents = fn.__dict__.get("parents")
        if parents is None:
            continue  # freed: the engine reports it
        fixed = None
        for i, (p, needed) in enumerate(zip(parents, fn.needs_input_grad)):
            if not needed:
                continue
            if needed is not p.requires_grad:
                s = _version_seen(p, needed)
                if s is not None:
                    fixed = fixed or list(parents)
                    fixed[i] = p = s
            todo.append(p._ctx)
        if fixed is not None:
            fn.parents = tuple(fixed)


def _version_seen(t, token):
    v = t.requires_grad
    while isinstance(v, Version):
        snap = v.previous
        if snap.requires_grad is token:
            return snap
        v = snap.requires_grad
    return None
