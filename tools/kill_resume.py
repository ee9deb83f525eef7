"""Kill `nerve train` with SIGKILL at random moments, resume it, and check it ends exactly
where an uninterrupted run ends.

    python tools/kill_resume.py                       # 30 kills per task, 3 tasks
    python tools/kill_resume.py --kills 3 --tasks digits-mlp

For each task (all with dropout on) an uninterrupted run writes ``ref/last.nrv``. Then the
same command runs again and is killed (SIGKILL, no chance to clean up) at a random moment
between its start and the reference run's duration, then started again with ``--resume``
from whatever ``last.nrv`` it left, until ``--kills`` kills are done and a run finishes.
After every kill the checkpoint left behind must load (or not exist yet). At the end:

- the final weights, optimizer state, scheduler, RNG state and epoch count are bitwise
  the reference's, and so is the loss trajectory stored in the checkpoint (every epoch's
  loss, accuracy, validation figures and lr);
- no temporary ``.last.nrv.*.tmp`` file is left in the folder.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

from fuzz_loaders import _same  # one deep equality for both harnesses (same folder)

TASKS = {
    "digits-mlp": ["--epochs", "6", "--set", "dropout=0.3"],
    "digits-cnn": ["--epochs", "2", "--hidden", "8", "--set", "dropout=0.3"],
    "charlm": [
        "--epochs",
        "3",
        "--hidden",
        "48",
        "--set",
        "max_chars=12000",
        "--set",
        "layers=2",
        "--set",
        "dropout=0.3",
    ],
}


def _command(task: str, out: str, resume: bool) -> list[str]:
    cmd = [sys.executable, "-m", "nerve", "train", task, *TASKS[task], "--quiet", "--out", out]
    return cmd + (["--resume", os.path.join(out, "last.nrv")] if resume else [])


def _env() -> dict:
    # one BLAS thread: the products then add up in one order, run after run
    return dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MPLBACKEND="Agg")


def _train(task: str, out: str, resume: bool) -> subprocess.Popen:
    return subprocess.Popen(
        _command(task, out, resume), env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )


def _loads(path: str) -> bool:
    import nerve

    try:
        nerve.load(path)
    except Exception:  # noqa: BLE001 - any failure to load is what is counted
        return False
    return True


def run_task(task: str, kills: int, folder: str, rng: random.Random) -> dict:
    import nerve

    ref = os.path.join(folder, task, "ref")
    t0 = time.perf_counter()
    p = _train(task, ref, False)
    _, err = p.communicate()
    if p.returncode:
        raise RuntimeError(f"{task}: the reference run failed:\n{err.decode()[-2000:]}")
    duration = time.perf_counter() - t0
    out = os.path.join(folder, task, "killed")
    killed = during_write = loadable = missing = starts = restarts = 0
    while True:
        resume = os.path.exists(os.path.join(out, "last.nrv"))
        p = _train(task, out, resume)
        starts += 1
        if killed == kills:  # enough kills: this run must finish from where the last left
            _, err = p.communicate()
            if p.returncode:
                raise RuntimeError(f"{task}: a resumed run failed:\n{err.decode()[-2000:]}")
            break
        time.sleep(rng.uniform(0.2, 0.9 * duration))
        if p.poll() is not None:  # it finished first: start over, so every kill counts
            shutil.rmtree(out)
            restarts += 1
            continue
        p.kill()
        p.wait()
        killed += 1
        during_write += (
            any(n.endswith(".tmp") for n in os.listdir(out)) if os.path.isdir(out) else 0
        )
        last = os.path.join(out, "last.nrv")
        if not os.path.exists(last):
            missing += 1
        elif _loads(last):
            loadable += 1
        else:
            raise RuntimeError(f"{task}: after kill {killed} the checkpoint does not load")
    a = nerve.load(os.path.join(ref, "last.nrv"))
    b = nerve.load(os.path.join(out, "last.nrv"))
    differing = [k for k in a if k not in b or not _same(a[k], b[k])]
    history = json.loads(b["history"]) if "history" in b else []
    return {
        "task": task,
        "kills": killed,
        "starts": starts,
        "fresh_restarts": restarts,
        "killed_during_write": during_write,
        "loadable_after_kill": loadable,
        "no_checkpoint_yet": missing,
        "identical": not differing,
        "differing_keys": differing,
        "epochs_in_history": len(history),
        "stale_temporaries": sorted(n for n in os.listdir(out) if n.endswith(".tmp")),
        "reference_run_s": round(duration, 2),
    }


_WRITER = """
import sys
import numpy as np
import nerve
path, step = sys.argv[1], 0
while True:
    step += 1
    nerve.save({"step": step, "w": nerve.full((2_500_000,), float(step))}, path)
    if step == 1:  # the parent times its kill from here, not from the start (imports vary)
        print("saving", flush=True)
"""


def _wait_for_temporary(folder: str, limit: float = 5.0) -> None:
    """Return as soon as a writer's temporary file exists in ``folder`` (or after
    ``limit`` seconds), so that the kill lands inside a write, whatever the load."""
    end = time.monotonic() + limit
    while time.monotonic() < end:
        if any(n.endswith(".tmp") for n in os.listdir(folder)):
            return
        time.sleep(0.001)


def kill_writes(kills: int, folder: str, rng: random.Random) -> dict:
    """SIGKILL a process that saves a 10 MB checkpoint over and over, each kill at a
    random point of the loop while a temporary file is open (inside a write). The file
    must always load whole (one step's tensor, all equal to its step), and the next save
    must remove the killed writers' temporary files."""
    import numpy as np

    import nerve

    path = os.path.join(folder, "writes", "last.nrv")
    os.makedirs(os.path.dirname(path))
    during_write = whole = missing = 0
    w = np.zeros(1)
    for _ in range(kills):
        p = subprocess.Popen(
            [sys.executable, "-c", _WRITER, path], env=_env(), stdout=subprocess.PIPE, text=True
        )
        if p.stdout.readline() != "saving\n":  # it died before its first save
            p.wait()
            raise RuntimeError(f"kill_writes: the save loop did not start (exit {p.returncode})")
        time.sleep(rng.uniform(0.05, 0.6))  # into the save loop, at a random point
        _wait_for_temporary(os.path.dirname(path))  # then strike while a write is open
        p.kill()
        p.wait()
        during_write += any(n.endswith(".tmp") for n in os.listdir(os.path.dirname(path)))
        if not os.path.exists(path):
            missing += 1
            continue
        obj = nerve.load(path)
        w = obj["w"].numpy()
        whole += bool(w.shape == (2_500_000,) and (w == float(obj["step"])).all())
    left = [n for n in os.listdir(os.path.dirname(path)) if n.endswith(".tmp")]
    nerve.save({"w": nerve.ones(1)}, path)
    after = [n for n in os.listdir(os.path.dirname(path)) if n.endswith(".tmp")]
    return {
        "task": "save-loop",
        "kills": kills,
        "killed_during_write": during_write,
        "loaded_whole": whole,
        "no_checkpoint_yet": missing,
        "temporaries_before_next_save": len(left),
        "stale_temporaries": after,
        "identical": whole + missing == kills and bool(np.isfinite(w).all()),
    }


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--kills", type=int, default=30, help="kills per task")
    p.add_argument("--tasks", default=",".join(TASKS))
    p.add_argument("--writes", type=int, default=30, help="kills of a save loop")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", default=None)
    args = p.parse_args(argv)
    rng = random.Random(args.seed)
    folder = tempfile.mkdtemp(prefix="nerve-kill-")
    try:
        results = [run_task(t, args.kills, folder, rng) for t in args.tasks.split(",") if t]
        if args.writes:
            results.append(kill_writes(args.writes, folder, rng))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    for r in results:
        print(json.dumps(r))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)
    ok = all(r["identical"] and not r["stale_temporaries"] for r in results)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
