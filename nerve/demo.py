"""``nerve demo``: the main job on built-in data, no network.

Trains an MLP and a CNN on the 8x8 handwritten digits and a character-level LSTM on
Python's own documentation text, prints test accuracy, perplexity (against the
unigram baseline) and a sampled paragraph, and writes the learning curves (PNG) and
the trained weights into the output folder.
"""

from __future__ import annotations

import os
import time

DEMO_TASKS = [("digits-mlp", {}), ("digits-cnn", {}), ("charlm", {})]
# --quick: a smoke test of a few seconds a task; the char model still gets enough steps
# (5 epochs of 20,000 characters) to beat the unigram baseline
QUICK = {
    "digits-mlp": {"epochs": 2},
    "digits-cnn": {"epochs": 1},
    "charlm": {"epochs": 5, "max_chars": 20000},
}


def run_demo(out_dir: str, quick: bool = False, seed: int = 0, quiet: bool = False) -> int:
    """``quiet``: no progress bars or per-epoch lines, only each task's results."""
    from nerve.tasks import get_task, run_training
    from nerve.tasks.runner import plot_history, print_report

    os.makedirs(out_dir, exist_ok=True)
    print(f"nerve demo: writing into {out_dir}")
    start = time.perf_counter()
    for name, cfg in DEMO_TASKS:
        cfg = dict(cfg, seed=seed, **(QUICK[name] if quick else {}))
        task = get_task(name, cfg)
        print(f"\n== {name}: {task.description}")
        t0 = time.perf_counter()
        folder = os.path.join(out_dir, name)
        model, history, report = run_training(task, folder, verbose=not quiet)
        print_report(name, report)
        plot_history(history, os.path.join(folder, "history.png"), name)
        if name == "charlm":
            print(baseline_verdict(report, quick))
            print("sample (temperature 0.8):")
            print(task.generate(model, 400, 0.8, "The "))
        print(f"({time.perf_counter() - t0:.1f} s; weights in {folder}/last.nrv)")
    print(f"\n({_duration(time.perf_counter() - start)} in all)")
    return 0


def baseline_verdict(report: dict, quick: bool = False) -> str:
    """One line comparing the char model's perplexity with the unigram baseline's (the
    perplexity of predicting every character by its frequency alone)."""
    ppl, base = report["perplexity"], report.get("unigram_perplexity")
    if not base:
        return f"perplexity {ppl:.2f} (no unigram baseline for this text)"
    if ppl < base:
        return (
            f"the model beats the unigram baseline: perplexity {ppl:.2f} against "
            f"{base:.2f} ({base / ppl:.1f}x lower)"
        )
    hint = " (a --quick run: train longer without it)" if quick else " (train longer)"
    return (
        f"the model is NO better than the unigram baseline: perplexity {ppl:.2f} "
        f"against {base:.2f}{hint}"
    )


def _duration(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes} min {secs} s" if minutes else f"{seconds:.1f} s"
