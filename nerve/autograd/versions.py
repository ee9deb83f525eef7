"""Version counters (PyTorch's ``_version``, ``_base``): the one place autograd tracks
in-place writes, and the two checks a backward makes with them.

The rules, as in PyTorch:

- every tensor has a version, 0 when made; each in-place op adds 1 (``add_``, ``x[i] = v``,
  ``x += 1``, ``copy_``, ``zero_``, in-place activations, initialisers, and the writes an
  optimizer makes under ``no_grad``, through :func:`bump_all`). A view and its base share
  one :class:`Counter`; ``detach()`` shares it too. A tensor gets a counter only when it is
  first written or viewed, so an ordinary op pays nothing for it.
- a *clock* counts writes and rebindings; every graph node records the clock at its
  creation (``fn._epoch``, one store in ``Function.apply``). A write at a later clock
  than a node cannot have been seen by it.
- **saved values** (:func:`check_saved`, called by the engine before a node's backward
  once any write has happened): a node whose input's memory was written after the node
  was recorded, and which keeps that memory among its own attributes (nerve's Functions
  save what backward needs on ``self``), raises PyTorch's "modified by an inplace
  operation" error; so does a node whose output was written over (``y = x.exp()``, then
  ``y.add_(1)`` under ``no_grad``). Keeping a copy, or nothing, is not an error. This is
  coarser than PyTorch, which knows which input each derivative formula needs: nerve
  raises wherever the node holds the memory (``w * x`` then ``w.add_(1)`` under no_grad
  raises even when x needs no grad), never where a gradient would silently be wrong.
- **rebound tensors** (:func:`mend_stale_edges`): in a graph, an in-place op on a tensor
  that is not a view computes out of place and rebinds the tensor object to the result
  (nerve/ops/inplace/updates.py), so nothing is overwritten; its version still goes up. A
  node recorded before the rebinding points at the object, which now holds the newer
  version, so before a backward each such edge is moved to the snapshot of the version
  that node saw (the counter keeps the snapshots, with the clock of each rebinding).
  Where PyTorch raises because such an op overwrote a saved value (``z = y * y`` then
  ``y.add_(1)``), nerve has overwritten nothing and gives the right gradient. A write
  to a view in a graph does overwrite memory: its base's node and its own become
  CopySlices and AsStrided (nerve/ops/inplace/views.py), and the checks above apply;
  another view of that base, made before and used after, is read by the later nodes as
  AsStrided of the newer version (PyTorch regenerates its grad_fn the same way).

Why this shape: a counter per memory (not per object) is what makes a write through any
alias visible, as in PyTorch; a clock instead of a version per saved value lets a node
record one integer, whatever it saved, and lets backward skip a node's check (one
comparison) unless some memory was written after that node was made.
"""

from __future__ import annotations

from nerve.backend import MODULES_OF, array_module

clock = [0]  # writes and rebindings so far; a node records it when it is created
last_write = [0]  # the clock of the latest write into memory: the engine checks after one
rebinds_live = [0]  # counters holding snapshots of rebound tensors: backward mends while > 0
# set by nerve/ops/inplace/views.py: (view, base) -> the view as a node over that base
regenerate_view: list = [None]
_KEEP = 64  # the bumps whose clock a counter remembers (enough to name an old version)

MODIFIED = (
    "one of the variables needed for gradient computation has been modified by an "
    "inplace operation: [{kind} [{shape}]]{which} is at version {now}; expected version "
    "{then} instead. Hint: enable anomaly detection to find the operation that failed to "
    "compute its gradient, with nerve.autograd.set_detect_anomaly(True, check_nan=False)."
)


class Counter:
    """The version shared by a tensor, its views and its detached aliases.

    ``version``: in-place ops so far; ``bumps``: the clocks of the latest ones;
    ``written``, ``writes``: the clock of the latest write into memory, of the latest
    ones; ``rebinds``: id(tensor) -> [(clock, snapshot of the version before)], for
    tensors rebound in a graph."""

    __slots__ = ("version", "bumps", "written", "writes", "rebinds")

    def __init__(self) -> None:
        self.version, self.bumps, self.written, self.writes, self.rebinds = 0, [], 0, [], None

    def __del__(self) -> None:
        if self.rebinds is not None:
            rebinds_live[0] -= 1

    def version_at(self, epoch: int) -> int:
        """The version a node recorded at clock ``epoch`` saw (exact for the last bumps)."""
        return self.version - sum(1 for b in self.bumps if b > epoch)


def counter(t) -> Counter:
    """``t``'s counter, made on first use."""
    c = getattr(t, "_vc", None)
    if c is None:
        c = t._vc = Counter()
    return c


def bump(t, written: bool = True) -> None:
    """One in-place op on ``t``: its version (and its views') goes up by one. ``written``:
    the op overwrote memory (False where a graph op was computed out of place)."""
    c = counter(t)
    clock[0] += 1
    c.version += 1
    c.bumps.append(clock[0])
    if len(c.bumps) > _KEEP:
        del c.bumps[: _KEEP // 2]
    if written:
        c.written = last_write[0] = clock[0]
        c.writes.append(clock[0])
        if len(c.writes) > _KEEP:
            del c.writes[: _KEEP // 2]
        base = getattr(t, "_view_base", None)
        base = t if base is None else base
        fn = base._ctx
        if fn is not None and "_out_written" not in fn.__dict__:
            # the node that made this memory may have kept it (its output) for backward
            fn._out_written = (base._out_index, c, c.version - 1, base._data, base.type())


def bump_all(tensors) -> None:
    """:func:`bump` for each tensor written in place outside the ops (an optimizer's step
    updates ``p._data`` with NumPy in place)."""
    for t in tensors:
        bump(t)


def share(src, alias, view: bool) -> None:
    """``alias`` sees ``src``'s memory: it shares its counter, and is a view of ``src``'s
    base when ``view`` (``detach()`` shares the counter but is no view, as in PyTorch)."""
    alias._vc = counter(src)
    if view:
        base = getattr(src, "_view_base", None)
        alias._view_base = src if base is None else base


def mark_view(src, out) -> None:
    """After a view op (a Function with ``_view_op = True``): each output whose array
    shares ``src``'s memory becomes a view of it (reshape and advanced indexing may copy)."""
    arr = src._data
    for o in out if type(out) is tuple else (out,):
        a = o._data
        if getattr(a, "base", None) is not None and _overlaps(a, arr):
            share(src, o, True)


def _overlaps(a, b) -> bool:
    return bool(array_module(a).may_share_memory(a, b))


def rebound(t, snapshot) -> None:
    """``t`` was rebound to a new version in the graph; ``snapshot`` stands for the old one."""
    c = counter(t)
    clock[0] += 1
    if c.rebinds is None:
        c.rebinds = {}
        rebinds_live[0] += 1
    c.rebinds.setdefault(id(t), []).append((clock[0], snapshot))


def mend_stale_edges(root) -> None:
    """Point every edge recorded before an in-place rebinding of its input at the
    snapshot of the version it saw (backward calls it while ``rebinds_live``)."""
    todo, seen, fresh = [root._ctx], set(), {}
    while todo:
        fn = todo.pop()
        if fn is None or fn in seen:
            continue
        seen.add(fn)
        d = fn.__dict__
        parents = d.get("parents")
        if parents is None:
            continue  # freed: the engine reports it
        epoch, fixed = d.get("_epoch", 0), None
        for i, (p, needed) in enumerate(zip(parents, fn.needs_input_grad)):
            if not needed:
                continue
            c = getattr(p, "_vc", None)
            if c is not None and c.rebinds:
                for when, snap in c.rebinds.get(id(p), ()):
                    if when > epoch:
                        fixed = fixed or list(parents)
                        fixed[i] = p = snap
                        break
            if c is not None and c.writes and p._ctx is not None and p._base is not None:
                q = _fresh_view(p, c, epoch, fresh)
                if q is not None:
                    fixed = fixed or list(parents)
                    fixed[i] = p = q
            todo.append(p._ctx)
        if fixed is not None:
            fn.parents = tuple(fixed)


def _fresh_view(p, c: Counter, epoch: int, fresh: dict):
    """A view made before its base's memory was written, used by a node recorded after:
    the view of the base's version that node saw, as PyTorch regenerates a view's
    grad_fn (its values are the memory, so its gradient must reach the newer version)."""
    made = p._ctx.__dict__.get("_epoch", 0)
    if not any(made < w <= epoch for w in c.writes):
        return None
    base = p._base
    for when, snap in c.rebinds.get(id(base), ()) if c.rebinds else ():
        if when > epoch:
            base = snap
            break
    key = (id(p), id(base))
    if key not in fresh:
        fresh[key] = None
        if _overlaps(p._data, base._data):
            fresh[key] = regenerate_view[0](p, base)
    return fresh[key]


def check_saved(fn) -> None:
    """Raise PyTorch's error if ``fn`` keeps memory that was written after it was
    recorded: an input's, or its own output's (the engine calls it once ``last_write``
    is later than ``fn._epoch``)."""
    d = fn.__dict__
    epoch = d.get("_epoch", 0)
    kept = None
    for p in d.get("parents", ()):
        c = getattr(p, "_vc", None)
        if c is None or c.written <= epoch:
            continue
        kept = _kept(d) if kept is None else kept
        if any(_overlaps(k, p._data) for k in kept if _same_module(k, p._data)):
            then = c.version_at(epoch)
            raise RuntimeError(_message(p.type(), p._data, c.version, then, p._ctx, p._out_index))
    out = d.get("_out_written")
    if out is not None:
        index, c, then, arr, kind = out
        kept = _kept(d) if kept is None else kept
        if c.version != then and any(_overlaps(k, arr) for k in kept if _same_module(k, arr)):
            raise RuntimeError(_message(kind, arr, c.version, then, fn, index))


def _kept(d: dict) -> list:
    """The arrays a node holds on itself (and inside tuples, lists and Tensors there)."""
    out = []
    for k, v in d.items():
        if k in ("parents", "_out_written", "_tensor_hooks"):
            continue
        for x in v if type(v) in (tuple, list) else (v,):
            if type(x) not in MODULES_OF:
                x = getattr(x, "_data", None)  # a Tensor (a custom Function's saved ones)
            if type(x) in MODULES_OF:
                out.append(x)
    return out


def _same_module(a, b) -> bool:
    return type(a) is type(b)


def _message(kind: str, arr, now: int, then: int, fn, index: int) -> str:
    which = "" if fn is None else f", which is output {index} of {type(fn).__name__},"
    return MODIFIED.format(
        kind=kind, shape=", ".join(map(str, arr.shape)), which=which, now=now, then=then
    )
