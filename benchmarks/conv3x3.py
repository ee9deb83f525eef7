"""3x3 stride-1 convolutions, im2col against Winograd F(2x2, 3x3) and F(4x4, 3x3):
the per-shape timings behind ``nerve.ops.nn.winograd.select`` and the float32 error of
each path against a float64 reference on realistic activations.

    python -m benchmarks.conv3x3             # timings over the shape grid, then errors
    python -m benchmarks.conv3x3 --errors    # errors only
    python -m benchmarks.conv3x3 --shapes 32,64,64,32 64,32,64,14 --rounds 7
    python -m benchmarks.conv3x3 --steps 3   # cnn_train, resnet_train: im2col vs auto

``--steps P``: whole training steps of benchmarks/cnn.py, each run in a process of its
own with NERVE_CONV3X3=im2col (before) and =auto (after), alternately, P pairs; prints
each pair's im2col/auto time ratio (the speedup), their median and the load average.

Timings: best of ``rounds`` per path, the paths interleaved round by round (A B C A B C
...) so that a busy machine slows them alike; forward, ∂L/∂x and ∂L/∂W each timed
alone through ``Conv`` with NERVE_CONV3X3's module flag forcing the path. Not a test.
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "2")

import numpy as np  # noqa: E402

PATHS = ("im2col", "f2", "f4")
# (N, C_in, C_out, H=W): cnn_train's and resnet_train's 3x3 convs, then a grid around them
SHAPES = (
    [(64, 1, 32, 28), (64, 32, 64, 14), (32, 3, 64, 32), (32, 64, 64, 32)]
    + [
        (32, c, c, s)
        for c in (8, 16, 24, 32, 64, 128)
        for s in (8, 16, 32)
        if c * c * s * s <= 1 << 22
    ]
    + [
        (32, 4, 64, 16),
        (32, 8, 64, 16),
        (32, 64, 8, 16),
        (32, 16, 64, 16),
        (32, 64, 16, 16),
        (32, 64, 64, 7),
        (32, 64, 64, 4),
        (32, 64, 64, 2),
        (8, 256, 256, 8),
    ]
)


def _steps(shape, path, dtype=np.float32):
    """Three callables (forward, ∂L/∂x, ∂L/∂W) of one conv of ``shape`` by ``path``."""
    from nerve.ops.nn import winograd
    from nerve.ops.nn.conv import Conv

    n, c, o, s = shape
    rng = np.random.default_rng(0)
    x = np.maximum(rng.standard_normal((n, c, s, s)), 0).astype(dtype)
    w = (rng.standard_normal((o, c, 3, 3)) * np.sqrt(2 / (9 * c))).astype(dtype)
    dy = rng.standard_normal((n, o, s, s)).astype(dtype)
    pad = ((1, 1), (1, 1))

    def forward():
        winograd.CONV3X3 = path
        fn = Conv()
        fn.forward(x, w, None, (1, 1), pad, (1, 1), 1)
        return fn

    def grad(which):
        fn = forward()
        fn.needs_input_grad = (which == 0, which == 1)

        def run():
            winograd.CONV3X3 = path
            fn.backward(dy)

        return run

    return forward, grad(0), grad(1)


def time_shape(shape, rounds: int) -> dict:
    """{path: (forward, ∂L/∂x, ∂L/∂W) best ms}, paths interleaved per round."""
    fns = {p: _steps(shape, p) for p in PATHS}
    best = {p: [float("inf")] * 3 for p in PATHS}
    for _ in range(rounds):
        for p in PATHS:
            for i, f in enumerate(fns[p]):
                t0 = time.perf_counter()
                f()
                best[p][i] = min(best[p][i], (time.perf_counter() - t0) * 1e3)
    return best


def print_timings(shapes, rounds: int) -> None:
    from nerve.ops.nn import winograd

    print(
        f"load average {os.getloadavg()[0]:.1f}; ms, best of {rounds}; "
        "'train' = forward + ∂L/∂x + ∂L/∂W"
    )
    print("| N, C_in, C_out, H=W | path | forward | ∂L/∂x | ∂L/∂W | train | rule |")
    print("|---|---|---|---|---|---|---|")
    for shape in shapes:
        best = time_shape(shape, rounds)
        rule = {0: "im2col", 2: "f2", 4: "f4"}[winograd.select(shape[1], shape[2], *shape[3:] * 2)]
        for p in PATHS:
            f, dx, dw = best[p]
            mark = " <-" if p == rule else ""
            print(
                f"| {shape} | {p} | {f:.2f} | {dx:.2f} | {dw:.2f} | {f + dx + dw:.2f} |{mark} |",
                flush=True,
            )


def errors(shape=(8, 64, 64, 32)) -> dict:
    """{path: {"forward"|"dx"|"dw": (max abs error, max abs error / max |reference|)}} of
    float32 against float64 im2col, post-ReLU inputs and He-initialised kernels."""
    from nerve.ops.nn import winograd
    from nerve.ops.nn.conv import Conv

    n, c, o, s = shape
    rng = np.random.default_rng(0)
    x = np.maximum(rng.standard_normal((n, c, s, s)), 0)
    w = rng.standard_normal((o, c, 3, 3)) * np.sqrt(2 / (9 * c))
    dy = rng.standard_normal((n, o, s, s)) / np.sqrt(n * s * s)

    def run(path, dtype):
        winograd.CONV3X3 = path
        fn = Conv()
        y = fn.forward(x.astype(dtype), w.astype(dtype), None, (1, 1), ((1, 1), (1, 1)), (1, 1), 1)
        fn.needs_input_grad = (True, True)
        dx, dw, _ = fn.backward(dy.astype(dtype))
        return {"forward": y, "dx": dx, "dw": dw}

    ref = run("im2col", np.float64)
    out = {}
    for p in PATHS:
        got = run(p, np.float32)
        out[p] = {
            k: (
                float(np.abs(got[k] - ref[k]).max()),
                float(np.abs(got[k] - ref[k]).max() / np.abs(ref[k]).max()),
            )
            for k in ref
        }
    winograd.CONV3X3 = "auto"
    return out


def print_errors(shape=(8, 64, 64, 32)) -> None:
    print(
        f"\nfloat32 error against float64, conv {shape} (N, C_in, C_out, H=W), pad 1, "
        "post-ReLU input, He-init kernels: max abs (max abs / max |ref|)"
    )
    print("| path | forward | ∂L/∂x | ∂L/∂W |")
    print("|---|---|---|---|")
    for p, e in errors(shape).items():
        cells = " | ".join(f"{a:.2e} ({r:.1e})" for a, r in e.values())
        print(f"| {p} | {cells} |")


def print_steps(pairs: int, rounds: int, names=("cnn_train", "resnet_train")) -> None:
    import statistics

    from benchmarks import runner

    for name in names:
        times = {"im2col": [], "auto": []}
        loads = [os.getloadavg()[0]]
        for _ in range(pairs):
            for path in times:
                env = dict(os.environ, NERVE_CONV3X3=path)
                r = runner.run_child(name, "nerve", rounds, env)
                if "error" in r:
                    raise SystemExit(f"{name} ({path}): {r['error']}")
                times[path].append(r["s"])
            loads.append(os.getloadavg()[0])
        ratios = [a / b for a, b in zip(times["im2col"], times["auto"])]
        print(
            f"{name}: im2col ms {[round(t * 1e3, 1) for t in times['im2col']]}, "
            f"auto ms {[round(t * 1e3, 1) for t in times['auto']]}, speedup per pair "
            f"{[round(r, 2) for r in ratios]}, median {statistics.median(ratios):.2f}x; "
            f"load average {min(loads):.1f}-{max(loads):.1f}",
            flush=True,
        )


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shapes", nargs="*", help="N,C_in,C_out,H shapes (default: the grid)")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--errors", action="store_true", help="only the error table")
    ap.add_argument(
        "--steps",
        type=int,
        default=0,
        metavar="PAIRS",
        help="time cnn_train/resnet_train steps, im2col vs auto, PAIRS pairs",
    )
    args = ap.parse_args(argv)
    if args.steps:
        print_steps(args.steps, args.rounds)
        return 0
    shapes = [tuple(int(v) for v in s.split(",")) for s in args.shapes] if args.shapes else SHAPES
    if not args.errors:
        print_timings(shapes, args.rounds)
    print_errors()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
