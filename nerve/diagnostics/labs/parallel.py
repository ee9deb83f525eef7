"""The parallel lab: one dense layer y = x Wᵀ + b, forward and backward, written three
ways, as the lectures' "parallel inference" section has it, and timed on 1 and 2 BLAS
threads.

- per unit (the slides' loop over output units j): yⱼ = x wⱼ + bⱼ, then
  ∂L/∂wⱼ = δⱼᵀ x, ∂L/∂bⱼ = Σₙ δₙⱼ, ∂L/∂x += δⱼ wⱼ;
- per row (a loop over the batch rows n): yₙ = W xₙ + b, then ∂L/∂W += δₙ ⊗ xₙ,
  ∂L/∂xₙ = Wᵀ δₙ;
- one matrix product: y = x Wᵀ + b, ∂L/∂W = δᵀ x, ∂L/∂b = Σₙ δₙ, ∂L/∂x = δ W
  (nerve's ``nn.Linear``, timed too, computes this one with its autograd around it).

The loops are the point of the lab (the slides' picture of what a unit computes), not
a path anything else uses. BLAS threads are set with threadpoolctl (the ``test`` and
``perf`` extras); without it the lab times the default threads only and says so.
"""

from __future__ import annotations

import os
import time
from contextlib import nullcontext

import numpy as np

from nerve import creation, cuda, nn
from nerve.autograd.grad_mode import no_grad
from nerve.diagnostics.labs.result import LabResult, save_plot
from nerve.diagnostics.plots import new_figure

WAYS = ("per unit", "per row", "matrix", "nn.Linear")


def forward_per_unit(x, w, b):
    y = np.empty((x.shape[0], w.shape[0]), x.dtype)
    for j in range(w.shape[0]):
        y[:, j] = x @ w[j] + b[j]
    return y


def backward_per_unit(x, w, dy):
    dw, db, dx = np.empty_like(w), np.empty(w.shape[0], w.dtype), np.zeros_like(x)
    for j in range(w.shape[0]):
        dw[j] = dy[:, j] @ x
        db[j] = dy[:, j].sum()
        dx += dy[:, j, None] * w[j]
    return dw, db, dx


def forward_per_row(x, w, b):
    y = np.empty((x.shape[0], w.shape[0]), x.dtype)
    for n in range(x.shape[0]):
        y[n] = w @ x[n] + b
    return y


def backward_per_row(x, w, dy):
    dw, dx = np.zeros_like(w), np.empty_like(x)
    for n in range(x.shape[0]):
        dw += np.outer(dy[n], x[n])
        dx[n] = dy[n] @ w
    return dw, dy.sum(0), dx


def forward_matrix(x, w, b):
    y = x @ w.T
    y += b  # in place: no second (batch, out) array
    return y


def backward_matrix(x, w, dy):
    return dy.T @ x, dy.sum(0), dy @ w


def _linear_pass(layer, x, dy):
    """nerve's nn.Linear: forward, backward, and its gradients (dW, db, dx)."""
    layer.zero_grad()
    xt = creation.from_numpy(x).requires_grad_()
    y = layer(xt)
    y.backward(creation.from_numpy(dy))
    return y.detach().numpy(), (layer.weight.grad.numpy(), layer.bias.grad.numpy(), xt.grad.numpy())


def compute_all(x, w, b, dy) -> dict:
    """{way: (y, (dW, db, dx))} for the four ways, to check that they agree."""
    layer = nn.Linear(w.shape[1], w.shape[0])
    with no_grad():
        layer.weight.copy_(creation.from_numpy(w))
        layer.bias.copy_(creation.from_numpy(b))
    return {
        "per unit": (forward_per_unit(x, w, b), backward_per_unit(x, w, dy)),
        "per row": (forward_per_row(x, w, b), backward_per_row(x, w, dy)),
        "matrix": (forward_matrix(x, w, b), backward_matrix(x, w, dy)),
        "nn.Linear": _linear_pass(layer, x, dy),
    }


def _once(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def _passes(x, w, b, dy) -> dict:
    """{way: (forward, forward + backward)}: the callables timed."""
    layer = nn.Linear(w.shape[1], w.shape[0])
    xt, dyt = creation.from_numpy(x).requires_grad_(), creation.from_numpy(dy)

    def linear_forward():
        with no_grad():
            layer(xt)

    def linear_both():  # nn.Linear's backward needs the graph its forward records
        layer(xt).backward(dyt)

    return {
        "per unit": (lambda: forward_per_unit(x, w, b), lambda: backward_per_unit(x, w, dy)),
        "per row": (lambda: forward_per_row(x, w, b), lambda: backward_per_row(x, w, dy)),
        "matrix": (lambda: forward_matrix(x, w, b), lambda: backward_matrix(x, w, dy)),
        "nn.Linear": (linear_forward, linear_both),
    }


def time_ways(x, w, b, dy, repeats: int, settings: dict, limits) -> dict:
    """{setting: {way: {"forward": s, "backward": s}}}, the fastest of ``repeats`` runs
    (the least disturbed by other load); the settings take turns (A B A B ...) so that
    a burst of load hits both, and each turn starts with a warm-up, as a thread count
    change wakes the BLAS threads."""
    fns = _passes(x, w, b, dy)
    best = {s: {way: {"forward": np.inf, "backward": np.inf} for way in fns} for s in settings}
    for _ in range(repeats):
        for setting, threads in settings.items():
            with limits(threads) if limits else nullcontext():
                for way, (fwd, bwd) in fns.items():
                    for _ in range(2):
                        fwd(), bwd()
                    t = best[setting][way]
                    t["forward"] = min(t["forward"], _once(fwd))
                    t["backward"] = min(t["backward"], _once(bwd))
    for t in best.values():  # nn.Linear's second callable ran the forward as well
        lin = t["nn.Linear"]
        lin["backward"] = max(lin["backward"] - lin["forward"], 0.0)
    return best


def _thread_limits():
    """threads -> context manager setting the BLAS threads, or None without threadpoolctl."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return None
    return lambda n: threadpool_limits(limits=n, user_api="blas")


def plot_parallel(times: dict, path: str, title: str) -> str:
    """Grouped bars, log axis: seconds per pass, one group per way, one bar per threads,
    forward and backward side by side."""
    fig, axes = new_figure(ncols=2, width=4.6, height=4.2)
    from matplotlib.ticker import FuncFormatter, NullFormatter

    settings = list(times)
    width = 0.8 / len(settings)
    for ax, phase in zip(axes, ("forward", "backward")):
        for k, setting in enumerate(settings):
            ms = [times[setting][way][phase] * 1e3 for way in WAYS]
            ax.bar(
                np.arange(len(WAYS)) + (k - (len(settings) - 1) / 2) * width,
                ms,
                width,
                label=setting,
            )
        ax.set_yscale("log")
        every = [times[st][way][phase] * 1e3 for st in settings for way in WAYS]
        # whole decades, so that a bar's height reads as a ratio from the axis
        ax.set_ylim(10 ** np.floor(np.log10(min(every))), 10 ** np.ceil(np.log10(max(every))))
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax.yaxis.set_minor_formatter(NullFormatter())
        ax.set_xticks(np.arange(len(WAYS)), WAYS, fontsize=8)
        ax.set_ylabel("milliseconds per pass (log)")
        ax.set_title(phase)
        ax.grid(True, axis="y", which="both", alpha=0.3)
    # the legend sits under the bars, never over them
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=len(settings), fontsize=8)
    fig.suptitle(title)
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    fig.savefig(path, dpi=110)  # not plots.save_figure: its tight_layout would drop the margin
    return path


def _threads_text(times: dict, nums: dict) -> str:
    """The sentence on 1 against 2 BLAS threads (and the speed-ups into ``nums``)."""
    if "2 threads" not in times:
        return (
            "threadpoolctl is not installed (pip install threadpoolctl), so only the "
            "default BLAS threads were timed."
        )
    two = {
        p: times["1 thread"]["matrix"][p] / times["2 threads"]["matrix"][p]
        for p in ("forward", "backward")
    }
    nums["two_thread_speedup"] = two
    text = (
        f"2 BLAS threads run the matrix product {two['forward']:.2f}x (forward) and "
        f"{two['backward']:.2f}x (backward) as fast as 1"
    )
    if min(two.values()) < 1.1:
        text += (
            f" (no gain: the second core was busy, load average "
            f"{os.getloadavg()[0]:.1f}, and a BLAS thread waits for it)"
        )
    return text + "."


def _table(times: dict) -> list:
    lines = [f"{'':<18}" + "".join(f"{way:>12}" for way in WAYS)]
    for label, t in times.items():
        for phase in ("forward", "backward"):
            lines.append(
                f"{label + ', ' + phase:<18}"
                + "".join(f"{t[way][phase] * 1e3:>10.3f}ms" for way in WAYS)
            )
    return lines


def lab_parallel(quick: bool = False, out: str = ".", seed: int = 0) -> LabResult:
    """One dense layer per unit, per row and as one matrix product, on 1 and 2 threads."""
    n, d_in, d_out, repeats = (32, 64, 32, 2) if quick else (128, 256, 128, 7)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d_in), dtype=np.float32)
    w = (rng.standard_normal((d_out, d_in)) / np.sqrt(d_in)).astype(np.float32)
    b = rng.standard_normal(d_out, dtype=np.float32)
    dy = rng.standard_normal((n, d_out), dtype=np.float32)
    results = compute_all(x, w, b, dy)
    ref_y, ref_grads = results["matrix"]
    agree = max(
        max(
            float(np.max(np.abs(y - ref_y))),
            *(float(np.max(np.abs(g - r))) for g, r in zip(grads, ref_grads)),
        )
        for y, grads in results.values()
    )
    limits = _thread_limits()
    settings = {"1 thread": 1, "2 threads": 2} if limits else {"default threads": None}
    times = time_ways(x, w, b, dy, repeats, settings, limits)
    first = next(iter(times.values()))
    speed = {
        p: {way: first[way][p] / first["matrix"][p] for way in WAYS}
        for p in ("forward", "backward")
    }
    nums = {
        "sizes": {"batch": n, "in": d_in, "out": d_out},
        "max_abs_difference": agree,
        "seconds": times,
        "threadpoolctl": limits is not None,
        "gpu": cuda.is_available(),
        "speedup_of_matrix": speed,
    }
    threads_text = _threads_text(times, nums)
    lines = [
        f"one dense layer y = x Wᵀ + b: batch {n}, {d_in} inputs, {d_out} units (float32)",
        f"the four ways agree: max |difference| = {agree:.1e}",
        *_table(times),
        threads_text,
        "GPU: present, but this lab times the CPU only"
        if nums["gpu"]
        else "GPU: no GPU device in this build (nerve.cuda.is_available() is False)",
        "timings are the fastest of several runs; on a loaded machine they vary",
    ]
    finding = (
        f"On {next(iter(times))} one matrix product is {speed['forward']['per unit']:.0f}x "
        f"faster than the per-unit loop and {speed['forward']['per row']:.0f}x faster "
        f"than the per-row loop in the forward pass ({speed['backward']['per unit']:.0f}x "
        f"and {speed['backward']['per row']:.0f}x in the backward pass), with the same "
        f"results to {agree:.0e}; {threads_text}"
    )
    path = save_plot(
        plot_parallel,
        times,
        os.path.join(out, "lab_parallel.png"),
        f"one dense layer, batch {n}, {d_in}→{d_out}: per unit, per row, matrix",
    )
    return LabResult("parallel", finding, nums, path, "\n".join(lines))
