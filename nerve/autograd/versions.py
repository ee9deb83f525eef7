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
  once any write has happened): a value a node keeps among its own attributes (nerve's
  Functions save what backward needs on ``self``) whose memory was written after the
  node was recorded (an input's, or the node's own output, as ``y = x.exp()`` then
  ``y.add_(1)`` under ``no_grad``) is replaced by a stand-in that raises PyTorch's
  "modified by an inplace operation" error when the backward reads it. So ``w * x``, then
  ``w.add_(1)`` under no_grad, backpropagates to w when x needs no gradient (w's
  derivative reads x only), and raises when x needs one, as in PyTorch. A backward
  recorded as a graph (``create_graph``) reads its inputs as tensors, so there an
  overwritten kept value raises at once. Keeping a copy, or nothing, is not an error.
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
    tensors rebound in a graph; ``viewed``: some view of this memory was made."""

    __slots__ = ("version", "bumps", "written", "writes", "rebinds", "viewed")

    def __init__(self) -> None:
        self.version, self.bumps, self.written, self.writes, self.rebinds = 0, [], 0, [], None
        self.viewed = False

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
    c = alias._vc = counter(src)
    if view:
        c.viewed = True
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


def check_saved(fn, strict: bool = False) -> None:
    """Before ``fn``'s backward (the engine calls it once ``last_write`` is later than
    ``fn._epoch``): each value fn keeps whose memory was written after fn was recorded
    (an input's, or its own output's) is replaced by a stand-in that raises PyTorch's
    error when the backward reads it, so a backward that does not need it (``w * x``
    keeps w for x's gradient only) runs, as PyTorch's does where it saved nothing.
    ``strict`` (a backward recorded as a graph, which reads the inputs themselves) and
    custom Functions' saved Tensors: an overwritten kept value raises at once instead."""
    d = fn.__dict__
    epoch = d.get("_epoch", 0)
    written = []  # (memory, the error naming it)
    for p in d.get("parents", ()):
        c = getattr(p, "_vc", None)
        if c is not None and c.written > epoch:
            then = c.version_at(epoch)
            message = _message(p.type(), p._data, c.version, then, p._ctx, p._out_index)
            written.append((p._data, message))
    out = d.get("_out_written")
    if out is not None and out[1].version != out[2]:
        index, c, then, arr, kind = out
        written.append((arr, _message(kind, arr, c.version, then, fn, index)))
    for key, value in list(d.items()) if written else ():
        if key in ("parents", "_out_written", "_tensor_hooks"):
            continue
        several = type(value) in (tuple, list)
        items = list(value) if several else [value]
        hit = False
        for j, x in enumerate(items):
            message = _overwritten(x, written)
            if message is not None:
                if strict or type(x) not in MODULES_OF:  # a Tensor: raise now
                    raise RuntimeError(message)
                items[j], hit = Overwritten(message), True
        if hit:
            d[key] = type(value)(items) if several else items[0]


def _overwritten(x, written: list):
    """The error for ``x`` (an array, or a Tensor) if it is memory in ``written``."""
    a = x if type(x) in MODULES_OF else getattr(x, "_data", None)
    if type(a) not in MODULES_OF:
        return None
    for memory, message in written:
        if type(a) is type(memory) and _overlaps(a, memory):
            return message
    return None


class Overwritten:
    """Stands, in a node, for a value an in-place op has overwritten since the node was
    recorded: reading it in any way (arithmetic, NumPy, attributes) raises the error."""

    __slots__ = ("message",)

    def __init__(self, message: str) -> None:
        self.message = message

    def _refuse(self, *args, **kwargs):
        raise RuntimeError(self.message)

    def __getattr__(self, name: str):
        raise RuntimeError(self.message)

    __array_ufunc__ = __array_function__ = __array__ = __getitem__ = __setitem__ = _refuse
    __len__ = __iter__ = __float__ = __int__ = __bool__ = __index__ = _refuse
    __neg__ = __pos__ = __abs__ = __invert__ = _refuse
    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = _refuse
    __truediv__ = __rtruediv__ = __floordiv__ = __rfloordiv__ = __mod__ = __rmod__ = _refuse
    __pow__ = __rpow__ = __matmul__ = __rmatmul__ = __lt__ = __le__ = __gt__ = __ge__ = _refuse
    __and__ = __rand__ = __or__ = __ror__ = __xor__ = __rxor__ = _refuse


def _message(kind: str, arr, now: int, then: int, fn, index: int) -> str:
    which = "" if fn is None else f", which is output {index} of {type(fn).__name__},"
    return MODIFIED.format(
        kind=kind, shape=", ".join(map(str, arr.shape)), which=which, now=now, then=then
    )
