"""A decoder-only transformer trained with AdamW ("gpt_train", tokens/s): 4 layers, 4 heads,
width 128, block 128, batch 16, GELU MLPs, pre-LayerNorm, causal attention, tied
embeddings, character vocabulary of 65. The same model code runs on nerve and on PyTorch
(the APIs match), from the same weights.

``python -m benchmarks.gpt nerve|torch [--steps N] [--rounds R] [--profile]`` times one
framework in this process (best round's ms/step) and prints the loss trajectory;
``python -m benchmarks.gpt compare [--pairs P]`` runs the two alternately in separate
processes (A B A B ...) and prints each pair's ratio, their median and the load average.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass

import numpy as np

from benchmarks.runner import Workload


@dataclass(frozen=True)
class Config:
    n_layer: int = 4
    n_head: int = 4
    n_embd: int = 128
    block: int = 128
    batch: int = 16
    vocab: int = 65
    lr: float = 3e-4


FULL = Config()


def build(fw, cfg: Config):
    """The model as a module of ``fw`` (nerve or torch): identical code for both."""
    nn, F = fw.nn, fw.nn.functional

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            c = cfg.n_embd
            self.ln_1, self.ln_2 = nn.LayerNorm(c), nn.LayerNorm(c)
            self.c_attn, self.c_proj = nn.Linear(c, 3 * c), nn.Linear(c, c)
            self.c_fc, self.mlp_proj = nn.Linear(c, 4 * c), nn.Linear(4 * c, c)
            self.gelu = nn.GELU()

        def attn(self, x):
            b, t, c = x.shape
            h = cfg.n_head
            q, k, v = self.c_attn(x).split(c, dim=2)
            # (B, T, C) -> (B, H, T, C/H): views, no copies
            q, k, v = (z.view(b, t, h, c // h).transpose(1, 2) for z in (q, k, v))
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
            return self.c_proj(y.transpose(1, 2).contiguous().view(b, t, c))

        def forward(self, x):
            x = x + self.attn(self.ln_1(x))
            return x + self.mlp_proj(self.gelu(self.c_fc(self.ln_2(x))))

    class GPT(nn.Module):
        def __init__(self):
            super().__init__()
            self.wte = nn.Embedding(cfg.vocab, cfg.n_embd)
            self.wpe = nn.Embedding(cfg.block, cfg.n_embd)
            self.h = nn.ModuleList([Block() for _ in range(cfg.n_layer)])
            self.ln_f = nn.LayerNorm(cfg.n_embd)
            self.lm_head = nn.Linear(cfg.n_embd, cfg.vocab, bias=False)

        def forward(self, idx, targets):
            t = idx.shape[1]
            x = self.wte(idx) + self.wpe(fw.arange(t))
            for block in self.h:
                x = block(x)
            logits = self.lm_head(self.ln_f(x))
            return F.cross_entropy(logits.view(-1, cfg.vocab), targets.view(-1))

    return GPT()


def weights(cfg: Config) -> dict:
    """A fixed set of weights (PyTorch's initialisation, seed 0) as NumPy arrays."""
    import torch

    torch.manual_seed(0)
    return {k: v.detach().numpy().copy() for k, v in build(torch, cfg).state_dict().items()}


def batch(cfg: Config, seed: int = 0) -> tuple:
    rng = np.random.default_rng(seed)
    data = rng.integers(0, cfg.vocab, (cfg.batch, cfg.block + 1))
    return data[:, :-1].copy(), data[:, 1:].copy()


def trainer(fw_name: str, cfg: Config, state: dict | None = None):
    """A zero-argument callable doing one AdamW step; returns the step's loss."""
    if fw_name == "torch":
        import torch as fw

        fw.set_num_threads(2)
        model = build(fw, cfg)
        if state is not None:
            model.load_state_dict({k: torch_tensor(v) for k, v in state.items()})
    else:
        import nerve as fw

        model = build(fw, cfg)
        if state is not None:
            model.load_state_dict(state)
    opt = fw.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=0.1)
    x, y = (fw.from_numpy(a) for a in batch(cfg))

    def step():
        opt.zero_grad(set_to_none=True)
        loss = model(x, y)
        loss.backward()
        opt.step()
        return loss.item()

    return step


def torch_tensor(a):
    import torch

    return torch.from_numpy(a)


def _setup(fw_name):
    def setup():
        # the runner times a fresh model from the common weights
        return trainer(fw_name, FULL, _common_weights())

    return setup


_WEIGHTS: dict = {}


def _common_weights():
    if "w" not in _WEIGHTS:
        try:
            _WEIGHTS["w"] = weights(FULL)
        except ImportError:  # no torch: nerve times its own initialisation
            _WEIGHTS["w"] = None
    return _WEIGHTS["w"]


def gemms(cfg: Config) -> list:
    """The step's matrix products, for the floor: per layer QKV, output projection and the
    two MLP linears, attention per (batch, head); the lm_head (the embedding's gradient is
    a scatter-add, no GEMM)."""
    from benchmarks import floor

    rows, c = cfg.batch * cfg.block, cfg.n_embd
    layer = (
        floor.linear(rows, c, 3 * c)
        + floor.linear(rows, c, c)
        + floor.linear(rows, c, 4 * c)
        + floor.linear(rows, 4 * c, c)
        + floor.attention(cfg.batch, cfg.n_head, cfg.block, c // cfg.n_head)
    )
    return layer * cfg.n_layer + floor.linear(rows, c, cfg.vocab)


WORKLOADS = [
    Workload(
        "gpt_train",
        "tokens",
        FULL.batch * FULL.block,
        _setup("nerve"),
        _setup("torch"),
        "decoder-only transformer 4x4x128, block 128, batch 16, AdamW (tokens/s)",
        gemms=gemms(FULL),
    ),
]


def time_steps(fw_name: str, steps: int, rounds: int) -> tuple:
    step = trainer(fw_name, FULL, _common_weights())
    losses = [step() for _ in range(2)]  # warm-up, and the first losses
    best = float("inf")
    for _ in range(rounds):
        t0 = time.perf_counter()
        for _ in range(steps):
            losses.append(step())
        best = min(best, (time.perf_counter() - t0) / steps)
    return best, losses


def _compare(pairs: int, steps: int, rounds: int) -> None:
    env = dict(os.environ, OPENBLAS_NUM_THREADS=os.environ.get("OPENBLAS_NUM_THREADS", "2"))
    ratios = []
    for i in range(pairs):
        ms = {}
        for name in ("nerve", "torch"):
            out = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "benchmarks.gpt",
                    name,
                    "--steps",
                    str(steps),
                    "--rounds",
                    str(rounds),
                ],
                env=env,
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            ms[name] = float(out.split("ms/step")[0].split()[-1])
        ratios.append(ms["torch"] / ms["nerve"])
        print(
            f"pair {i + 1}: nerve {ms['nerve']:.1f} ms/step, torch {ms['torch']:.1f} ms/step, "
            f"speed ratio {ratios[-1]:.2f}x  (load {os.getloadavg()[0]:.1f})",
            flush=True,
        )
    print(
        f"median speed ratio (nerve / torch): {statistics.median(ratios):.2f}x, "
        f"spread {min(ratios):.2f}-{max(ratios):.2f}, load average {os.getloadavg()}"
    )


def _op_names() -> dict:
    """(file, first line) of every nerve op's forward/backward -> "Class.method"."""
    from nerve.autograd.function import Function

    names, todo = {}, [Function]
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        for meth in ("forward", "backward"):
            code = getattr(cls.__dict__.get(meth), "__code__", None)
            if code is not None:
                names[(code.co_filename, code.co_firstlineno)] = f"{cls.__name__}.{meth}"
    return names


def profile(fw_name: str, steps: int, top: int = 15) -> None:
    """cProfile nerve's steps; print each op's forward/backward (time inside it, ms per
    step), the optimizer step and the rest."""
    import cProfile
    import pstats

    step = trainer(fw_name, FULL, _common_weights())
    step()
    prof = cProfile.Profile()
    t0 = time.perf_counter()
    prof.enable()
    for _ in range(steps):
        step()
    prof.disable()
    total = (time.perf_counter() - t0) / steps * 1e3
    names = _op_names()
    rows: dict = {}
    for (file, line, func), (_, _, _, cum, _) in pstats.Stats(prof).stats.items():
        name = names.get((file, line))
        if name is None and func == "step" and "optim" in file:
            name = "optimizer.step"
        if name is not None:
            rows[name] = rows.get(name, 0.0) + cum / steps * 1e3
    print(f"{fw_name}: {total:.1f} ms/step under cProfile, load {os.getloadavg()[0]:.1f}")
    print("| op | ms/step | share |\n|---|---|---|")
    for name, ms in sorted(rows.items(), key=lambda r: -r[1])[:top]:
        print(f"| {name} | {ms:.1f} | {ms / total:.0%} |")
    print(
        f"| everything else (Python, engine, ops below the top) | "
        f"{total - sum(sorted(rows.values())[-top:]):.1f} | |"
    )


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("which", choices=["nerve", "torch", "compare"])
    p.add_argument("--steps", type=int, default=5)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--pairs", type=int, default=3)
    p.add_argument("--profile", action="store_true", help="cProfile nerve's steps by function")
    args = p.parse_args(argv)
    if args.which == "compare":
        _compare(args.pairs, args.steps, args.rounds)
        return 0
    if args.profile:
        profile(args.which, args.steps)
        return 0
    best, losses = time_steps(args.which, args.steps, args.rounds)
    print(f"{args.which} {best * 1e3:.1f} ms/step")
    print("losses " + " ".join(f"{v:.5f}" for v in losses))
    return 0


if __name__ == "__main__":
    sys.exit(main())
