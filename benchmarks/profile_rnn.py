"""Where the recurrent training step spends its time.

``python -m benchmarks.profile_rnn [--threads 1 2] [--repeats N]`` prints, for the
lstm_train / gru_train shapes (T 64, B 32, I 64, H 256):

- the fused recurrent node alone: forward and backward in ms, split into the per-step
  recurrent GEMMs, the large GEMMs (input projection, weight and input gradients) and
  the rest (elementwise gate math, Python), each GEMM group timed on its own;
- the per-step GEMM (B, H) x (H, G·H) in its orientations, in NumPy and in PyTorch;
- the phases of the whole nerve training step (benchmarks/rnn.py ``profile``).

With one BLAS thread the times are thread CPU times (robust on a loaded machine); with
more they are wall-clock medians. threadpoolctl (a test extra) sets the thread count.
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "2")

import numpy as np  # noqa: E402

from benchmarks.rnn import BATCH, EMBED, HIDDEN, SEQ, profile  # noqa: E402


def _clock(threads: int):
    return time.thread_time if threads == 1 else time.perf_counter


def _median_ms(fn, clock, repeats: int) -> float:
    fn()
    times = []
    for _ in range(repeats):
        t0 = clock()
        fn()
        times.append(clock() - t0)
    return 1e3 * float(np.median(times))


def _arrays(gates: int, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    g = gates * HIDDEN

    def r(*shape, scale=1.0):
        return (rng.standard_normal(shape) * scale).astype(np.float32)

    return {
        "x": r(BATCH, SEQ, EMBED),
        "w_ih": r(g, EMBED, scale=0.06),
        "w_hh": r(g, HIDDEN, scale=0.06),
        "b_ih": r(g, scale=0.06),
        "b_hh": r(g, scale=0.06),
        "dy": r(BATCH, SEQ, HIDDEN),
    }


def fused_node(kind: str, clock, repeats: int) -> dict:
    """Forward and backward of one fused LSTMFn/GRUFn on raw arrays (ms)."""
    from nerve.ops.nn.recurrent_gru import GRUFn
    from nerve.ops.nn.recurrent_lstm import LSTMFn

    lstm = kind == "LSTM"
    a = _arrays(4 if lstm else 3)
    states = (None, None) if lstm else (None,)
    weights = (a["w_ih"], a["w_hh"], a["b_ih"], a["b_hh"])
    cls = LSTMFn if lstm else GRUFn
    fwd, bwd = [], []
    for _ in range(repeats + 1):
        fn = object.__new__(cls)
        t0 = clock()
        fn.forward(a["x"], *states, *weights, batch_first=True, layered=True)
        t1 = clock()
        fn.needs_input_grad = [True] + [False] * len(states) + [True] * 4
        fn.backward(a["dy"], *[None] * len(states))
        t2 = clock()
        fwd.append(t1 - t0)
        bwd.append(t2 - t1)
    return {"forward": 1e3 * float(np.median(fwd[1:])), "backward": 1e3 * float(np.median(bwd[1:]))}


def gemm_groups(gates: int, clock, repeats: int) -> dict:
    """The GEMMs of one fused forward + backward, each group timed on its own (ms)."""
    a = _arrays(gates)
    g = gates * HIDDEN
    w_hh, w_ih = a["w_hh"], a["w_ih"]
    hs = np.random.default_rng(1).standard_normal((SEQ + 1, BATCH, HIDDEN)).astype(np.float32)
    dz = np.random.default_rng(2).standard_normal((SEQ * BATCH, g)).astype(np.float32)
    x2 = a["x"].reshape(-1, EMBED)
    out_t = np.empty((g, BATCH), np.float32)
    dz_t, dh_t = np.ascontiguousarray(dz[:BATCH].T), np.empty((HIDDEN, BATCH), np.float32)

    def fwd_steps():
        for t in range(SEQ):
            np.matmul(w_hh, hs[t].T, out=out_t)

    def bwd_steps():  # both nodes are feature-major: W_hhᵀ δz (H, B)
        for _ in range(SEQ):
            np.matmul(w_hh.T, dz_t, out=dh_t)

    def large():
        x2 @ w_ih.T  # input projection
        dz.T @ hs[:-1].reshape(-1, HIDDEN)  # dW_hh
        dz.T @ x2  # dW_ih
        dz @ w_ih  # dx

    return {
        name: _median_ms(f, clock, repeats)
        for name, f in (
            ("per-step GEMMs fwd", fwd_steps),
            ("per-step GEMMs bwd", bwd_steps),
            ("large GEMMs", large),
        )
    }


def step_gemm_variants(clock, repeats: int) -> dict:
    """µs of one per-step LSTM GEMM (B, H) x (H, 4H) in each orientation."""
    a = _arrays(4)
    w, h = a["w_hh"], np.ascontiguousarray(a["x"][:, 0].repeat(4, axis=1))
    wt = np.ascontiguousarray(w.T)
    out_bg, out_gb = (
        np.empty((BATCH, 4 * HIDDEN), np.float32),
        np.empty((4 * HIDDEN, BATCH), np.float32),
    )
    dz = np.ascontiguousarray(a["w_hh"][:BATCH].repeat(4, axis=1))
    dh = np.empty((BATCH, HIDDEN), np.float32)
    dht = np.empty((HIDDEN, BATCH), np.float32)
    dzt = np.ascontiguousarray(dz.T)
    variants = {
        "h @ W_hh.T -> (B, 4H)": lambda: np.matmul(h, w.T, out=out_bg),
        "W_hh @ h.T -> (4H, B)": lambda: np.matmul(w, h.T, out=out_gb),
        "h @ W_hhT(contig) -> (B, 4H)": lambda: np.matmul(h, wt, out=out_bg),
        "bwd dz @ W_hh -> (B, H)": lambda: np.matmul(dz, w, out=dh),
        "bwd W_hh.T @ dz.T -> (H, B)": lambda: np.matmul(w.T, dzt, out=dht),
    }
    res = {}
    for name, f in variants.items():

        def block(f=f):
            for _ in range(50):
                f()

        res[name] = 1e3 * _median_ms(block, clock, repeats) / 50
    return res


def torch_step_gemm(threads: int, repeats: int) -> float | None:
    """µs of PyTorch's (B, H) x (H, 4H) product, for comparison."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(threads)
    a = _arrays(4)
    w = torch.from_numpy(a["w_hh"])
    h = torch.from_numpy(np.ascontiguousarray(a["x"][:, 0].repeat(4, axis=1)))
    out = torch.empty(BATCH, 4 * HIDDEN)

    def block():
        for _ in range(50):
            torch.matmul(h, w.T, out=out)

    return 1e3 * _median_ms(block, time.perf_counter, repeats) / 50


def report(threads: int, repeats: int) -> None:
    from threadpoolctl import threadpool_limits

    clock = _clock(threads)
    kind_label = "thread CPU" if threads == 1 else "wall"
    with threadpool_limits(threads, "blas"):
        print(f"## {threads} BLAS thread(s), {kind_label} time")
        for kind, gates in (("LSTM", 4), ("GRU", 3)):
            node = fused_node(kind, clock, repeats)
            gemms = gemm_groups(gates, clock, repeats)
            rest = node["forward"] + node["backward"] - sum(gemms.values())
            print(f"{kind} node: " + ", ".join(f"{k} {v:.2f} ms" for k, v in node.items()))
            print(
                "   "
                + ", ".join(f"{k} {v:.2f} ms" for k, v in gemms.items())
                + f", everything else {rest:.2f} ms"
            )
        for name, us in step_gemm_variants(clock, repeats).items():
            print(f"   per-step GEMM {name}: {us:.0f} µs")
        tus = torch_step_gemm(threads, repeats)
        if tus is not None:
            print(f"   per-step GEMM in torch (B, H) x (H, 4H): {tus:.0f} µs (wall)")
        if threads != 1:
            for kind in ("LSTM", "GRU"):
                print(
                    f"{kind} train step phases (ms):",
                    {k: round(v, 2) for k, v in profile(kind, repeats).items()},
                )


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    p.add_argument("--repeats", type=int, default=9)
    args = p.parse_args(argv)
    for n in args.threads:
        report(n, args.repeats)


if __name__ == "__main__":
    main()
