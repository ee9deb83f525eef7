"""Long runs that must stay flat: resident memory over 10,000 training steps of an MLP and
an LSTM, and one 10,000-step LSTM and GRU sequence through forward and BPTT backward.

    python tools/soak.py                    # the full run
    python tools/soak.py --steps 1000       # shorter

Memory is the process's resident set (VmRSS) after the step; a graph kept alive by
mistake (a hidden state not detached, a hook holding tensors, an optimizer keeping old
arrays) shows as growth between the checkpoints.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time

import numpy as np


def rss_mb() -> float:
    """The resident set now (Linux), else the peak so far."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _marks(steps: int) -> list[int]:
    return sorted({m for m in (100, 1000, 5000, 10_000, steps) if m <= steps})


def train_mlp(steps: int) -> dict:
    import nerve
    from nerve import nn

    nerve.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Dropout(0.2), nn.Linear(128, 10))
    opt = nerve.optim.Adam(model.parameters(), lr=1e-3)
    x, y = nerve.randn(32, 64), nerve.randint(0, 10, (32,))
    return _loop(steps, lambda: nn.functional.cross_entropy(model(x), y), opt)


def train_lstm(steps: int) -> dict:
    import nerve
    from nerve import nn

    nerve.manual_seed(0)
    lstm, head = nn.LSTM(16, 32, batch_first=True), nn.Linear(32, 16)
    opt = nerve.optim.SGD([*lstm.parameters(), *head.parameters()], lr=0.05, momentum=0.9)
    x, y = nerve.randn(8, 20, 16), nerve.randint(0, 16, (8, 20))
    state = {"h": None}

    def loss():
        out, (h, c) = lstm(x, state["h"])
        state["h"] = (h.detach(), c.detach())  # truncated BPTT: carry the state, not the graph
        return nn.functional.cross_entropy(head(out).reshape(-1, 16), y.reshape(-1))

    return _loop(steps, loss, opt)


def _loop(steps: int, loss_fn, opt) -> dict:
    marks, rss, losses = _marks(steps), {}, []
    t0 = time.perf_counter()
    for step in range(1, steps + 1):
        opt.zero_grad()
        loss = loss_fn()
        loss.backward()
        opt.step()
        if step in marks:
            rss[step] = round(rss_mb(), 1)
            losses.append(loss.item())
    return {
        "rss_mb": rss,
        "loss_at_marks": [round(v, 4) for v in losses],
        "finite": bool(np.isfinite(losses).all()),
        "ms_per_step": round(1000 * (time.perf_counter() - t0) / steps, 3),
    }


def long_sequence(cell: str, length: int) -> dict:
    import nerve
    from nerve import nn

    nerve.manual_seed(0)
    layer = getattr(nn, cell)(8, 16, batch_first=True)
    x = nerve.randn(2, length, 8, requires_grad=True)
    before = rss_mb()
    t0 = time.perf_counter()
    out, _ = layer(x)
    loss = out.pow(2).mean()
    loss.backward()
    grads = [p.grad.numpy() for p in layer.parameters()] + [x.grad.numpy()]
    return {
        "length": length,
        "seconds": round(time.perf_counter() - t0, 3),
        "rss_growth_mb": round(rss_mb() - before, 1),
        "finite": bool(np.isfinite(loss.item()) and all(np.isfinite(g).all() for g in grads)),
        "first_step_grad_norm": float(np.linalg.norm(x.grad.numpy()[:, 0])),
    }


def run(steps: int = 10_000, length: int = 10_000) -> dict:
    return {
        "mlp": train_mlp(steps),
        "lstm": train_lstm(steps),
        "lstm_sequence": long_sequence("LSTM", length),
        "gru_sequence": long_sequence("GRU", length),
    }


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=10_000)
    p.add_argument("--length", type=int, default=10_000)
    args = p.parse_args(argv)
    report = run(args.steps, args.length)
    print(json.dumps(report, indent=1))
    return 0 if all(r["finite"] for r in report.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
