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
QUICK = {"digits-mlp": {"epochs": 2}, "digits-cnn": {"epochs": 1},
         "charlm": {"epochs": 1, "max_chars": 20000}}


def run_demo(out_dir: str, quick: bool = False, seed: int = 0) -> int:
    from nerve.cli import _plot, _print_report
    from nerve.tasks import get_task, run_training

    os.makedirs(out_dir, exist_ok=True)
    print(f"nerve demo: writing into {out_dir}")
    for name, cfg in DEMO_TASKS:
        cfg = dict(cfg, seed=seed, **(QUICK[name] if quick else {}))
        task = get_task(name, cfg)
        print(f"\n== {name}: {task.description}")
        t0 = time.perf_counter()
        folder = os.path.join(out_dir, name)
        model, history, report = run_training(task, folder)
        _print_report(name, report)
        _plot(history, os.path.join(folder, "history.png"))
        if name == "charlm":
            print("sample (temperature 0.8):")
            print(task.generate(model, 400, 0.8, "The "))
        print(f"({time.perf_counter() - t0:.1f} s; weights in {folder}/last.nrv)")
    return 0
