"""Fuzz every file loader of nerve with mutated copies of a valid file, and count outcomes.

    python tools/fuzz_loaders.py                      # the full run: 10,000 per loader
    python tools/fuzz_loaders.py --count 300 --json out.json

Each loader starts from one valid file (a nerve.save checkpoint, an MNIST IDX file, a
CIFAR-10 batch pickle, a `nerve train` TOML config, and an ONNX model where nerve.onnx
exists). Each mutant (bit flips, random bytes, 32-bit "interesting" values over size
fields, truncation, insertion, deletion, zeroed runs) is loaded in a worker process that
runs under a 2 GiB address-space limit, with a 5 s alarm per load. Outcomes:

- ``error``: the loader's own clean exception (LoadError, DataFileError, ValueError ...);
- ``identical``: it loaded exactly the original data;
- ``different``: it loaded other, well-formed data. Acceptable only for formats that
  carry no checksum (IDX, pickle, TOML, where a flipped data byte is simply other data);
  for nerve checkpoints it is a failure;
- ``crash`` (any other exception), ``hang`` (over 5 s), ``memory`` (MemoryError):
  failures everywhere.

Peak resident memory of the workers and the slowest load are reported too.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import pickle
import resource
import signal
import sys
import tempfile
import time

import numpy as np

ADDRESS_LIMIT = 2 << 30
ALARM_S = 5
MUTATIONS = ("bitflip", "bytes", "interesting", "truncate", "insert", "delete", "zeros")
_INTERESTING = [0, 1, 0x7F, 0x80, 0xFF, 0x7FFF, 0xFFFF, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF]


def mutate(data: bytes, rng: np.random.Generator) -> tuple[str, bytes]:
    kind = MUTATIONS[rng.integers(len(MUTATIONS))]
    buf = bytearray(data)
    n = len(buf)
    at = int(rng.integers(n))
    if kind == "bitflip":
        for _ in range(int(rng.integers(1, 5))):
            i = int(rng.integers(n))
            buf[i] ^= 1 << int(rng.integers(8))
    elif kind == "bytes":
        for _ in range(int(rng.integers(1, 5))):
            buf[int(rng.integers(n))] = int(rng.integers(256))
    elif kind == "interesting":
        value = _INTERESTING[rng.integers(len(_INTERESTING))]
        order = "little" if rng.integers(2) else "big"
        buf[at : at + 4] = value.to_bytes(4, order)
    elif kind == "truncate":
        del buf[at:]
    elif kind == "insert":
        buf[at:at] = rng.integers(0, 256, int(rng.integers(1, 17)), dtype=np.uint8).tobytes()
    elif kind == "delete":
        del buf[at : at + int(rng.integers(1, 65))]
    else:
        end = min(n, at + int(rng.integers(1, 65)))
        buf[at:end] = bytes(end - at)
    return kind, bytes(buf)


# ----- the loaders: a valid seed file, how to load it, what is clean and what is equal ----


def _same(a, b) -> bool:
    """Deep equality that also tells dtypes, shapes and Tensor-ness apart."""
    import nerve

    if isinstance(a, nerve.Tensor) or isinstance(b, nerve.Tensor):
        return (
            type(a) is type(b)
            and a.requires_grad == b.requires_grad
            and _same(
                a.numpy() if not a.requires_grad else a.detach().numpy(),
                b.numpy() if not b.requires_grad else b.detach().numpy(),
            )
        )
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (
            type(a) is type(b)
            and a.dtype == b.dtype
            and a.shape == b.shape
            and a.tobytes() == b.tobytes()
        )
    if isinstance(a, dict):
        return type(a) is type(b) and list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple):
        return type(a) is type(b) and len(a) == len(b) and all(map(_same, a, b))
    return type(a) is type(b) and (a == b or (a != a and b != b))


class Checkpoint:
    name, checksummed = "nrv", True

    def seed(self, folder: str) -> str:
        import nerve
        from nerve import nn

        nerve.manual_seed(0)
        model = nn.Sequential(nn.Linear(8, 6), nn.ReLU(), nn.Linear(6, 3))
        opt = nerve.optim.Adam(model.parameters(), lr=0.01)
        nn.functional.cross_entropy(model(nerve.randn(4, 8)), nerve.tensor([0, 1, 2, 0])).backward()
        opt.step()
        path = os.path.join(folder, "seed.nrv")
        nerve.save(
            {
                "model": model.state_dict(),
                "optimizer": opt.state_dict(),
                "epoch": 3,
                "config": '{"lr": 0.01}',
            },
            path,
        )
        return path

    def load(self, path: str):
        import nerve

        return nerve.load(path)

    def clean(self):
        from nerve.io import LoadError

        return (LoadError,)


class Idx:
    name, checksummed = "idx", False

    def seed(self, folder: str) -> str:
        images = np.random.default_rng(0).integers(0, 256, (6, 8, 8), dtype=np.uint8)
        path = os.path.join(folder, "images-idx3-ubyte")
        with open(path, "wb") as f:
            f.write(bytes([0, 0, 0x08, 3]) + np.array(images.shape, ">u4").tobytes())
            f.write(images.tobytes())
        return path

    def load(self, path: str):
        from nerve.data.datasets.mnist import read_idx

        return read_idx(path)

    def clean(self):
        from nerve.data.datasets.mnist import DataFileError

        return (DataFileError,)


class CifarBatch:
    name, checksummed = "cifar", False

    def seed(self, folder: str) -> str:
        rng = np.random.default_rng(0)
        base = os.path.join(folder, "cifar-10-batches-py")
        os.makedirs(base, exist_ok=True)
        batch = {
            "batch_label": "testing batch 1 of 1",
            "labels": [3, 1, 4, 1],
            "data": rng.integers(0, 256, (4, 3072), dtype=np.uint8),
            "filenames": ["a.png", "b.png", "c.png", "d.png"],
        }
        names = {
            "label_names": [
                "airplane",
                "automobile",
                "bird",
                "cat",
                "deer",
                "dog",
                "frog",
                "horse",
                "ship",
                "truck",
            ]
        }
        with open(os.path.join(base, "batches.meta"), "wb") as f:
            pickle.dump(names, f, protocol=4)
        for name in (
            "data_batch_1",
            "data_batch_2",
            "data_batch_3",
            "data_batch_4",
            "data_batch_5",
        ):
            with open(os.path.join(base, name), "wb") as f:
                pickle.dump(batch, f, protocol=4)
        path = os.path.join(base, "test_batch")
        with open(path, "wb") as f:
            pickle.dump(batch, f, protocol=4)
        return path

    def load(self, path: str):
        from nerve.data.datasets import cifar

        ds = cifar.CIFAR10(os.path.dirname(os.path.dirname(path)), train=False)
        return {"data": ds.data, "targets": ds.targets, "classes": ds.classes}

    def clean(self):
        from nerve.data.datasets.mnist import DataFileError

        return (DataFileError,)


class TaskConfig:
    name, checksummed = "toml", False

    def seed(self, folder: str) -> str:
        path = os.path.join(folder, "task.toml")
        with open(path, "w") as f:
            f.write(
                'task = "digits-mlp"\nepochs = 5\nbatch_size = 32\n\n'
                '[optim]\nlr = 0.01\noptimizer = "sgd"\n\n[model]\nhidden = 64\n'
            )
        return path

    def load(self, path: str):
        from nerve.cli import _load_config
        from nerve.tasks import get_task

        cfg = _load_config(path)
        name = cfg.pop("task", None)
        if not isinstance(name, str):
            raise ValueError(f"task must be a name, got {name!r}")
        return get_task(name, cfg).config

    def clean(self):
        return (ValueError, KeyError)


class OnnxModel:
    name, checksummed = "onnx", False

    def seed(self, folder: str) -> str:
        import nerve
        import nerve.onnx
        from nerve import nn

        nerve.manual_seed(0)
        model = nn.Sequential(nn.Linear(4, 3), nn.Tanh(), nn.Linear(3, 2)).eval()
        path = os.path.join(folder, "seed.onnx")
        nerve.onnx.export(model, (nerve.randn(1, 4),), path)
        return path

    def load(self, path: str):
        import nerve
        import nerve.onnx

        model = nerve.onnx.load_model(path)
        with nerve.no_grad():
            out = model(nerve.ones(1, 4))
        # a damaged graph may list other outputs: compare whatever it returns
        return (
            tuple(o.numpy().copy() for o in out) if isinstance(out, tuple) else (out.numpy().copy())
        )

    def clean(self):
        from nerve.onnx.errors import OnnxLoadError, OnnxRunError, UnsupportedOperatorError

        return (OnnxLoadError, OnnxRunError, UnsupportedOperatorError)


def available_loaders() -> list:
    loaders = [Checkpoint(), Idx(), CifarBatch(), TaskConfig()]
    try:
        import onnx  # noqa: F401

        import nerve.onnx
    except ImportError:
        return loaders
    if hasattr(nerve.onnx, "load_model") and hasattr(nerve.onnx, "export"):
        loaders.append(OnnxModel())
    return loaders


# ----- the worker: loads mutants under limits ----------------------------------------------


class _AlarmError(Exception):
    pass


def _on_alarm(signum, frame):
    raise _AlarmError


def _work(job):
    loader_name, start, count, seed = job
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_LIMIT, ADDRESS_LIMIT))
    signal.signal(signal.SIGALRM, _on_alarm)
    loader = next(x for x in available_loaders() if x.name == loader_name)
    counts: dict[str, int] = {}
    bad: list = []
    slowest = 0.0
    with tempfile.TemporaryDirectory() as folder:
        path = loader.seed(folder)
        original = open(path, "rb").read()
        reference = loader.load(path)
        clean = loader.clean()
        for i in range(start, start + count):
            kind, data = mutate(original, np.random.default_rng([seed, i]))
            with open(path, "wb") as f:
                f.write(data)
            outcome, detail, took = _one(loader, path, reference, clean)
            slowest = max(slowest, took)
            counts[outcome] = counts.get(outcome, 0) + 1
            counts[f"{kind}:{outcome}"] = counts.get(f"{kind}:{outcome}", 0) + 1
            if outcome in ("crash", "hang", "memory") or (
                outcome == "different" and loader.checksummed
            ):
                bad.append({"mutant": i, "kind": kind, "outcome": outcome, "detail": detail})
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return loader_name, counts, bad[:20], slowest, rss_mb


def _one(loader, path, reference, clean):
    t0 = time.perf_counter()
    signal.alarm(ALARM_S)
    try:
        result = loader.load(path)
        outcome, detail = ("identical" if _same(result, reference) else "different"), ""
    except _AlarmError:
        outcome, detail = "hang", f"over {ALARM_S} s"
    except MemoryError as err:
        outcome, detail = "memory", repr(err)[:200]
    except clean as err:
        outcome, detail = "error", str(err)[:200]
    except Exception as err:  # noqa: BLE001 - what the fuzzer is looking for
        outcome, detail = "crash", f"{type(err).__name__}: {err}"[:300]
    finally:
        signal.alarm(0)
    return outcome, detail, time.perf_counter() - t0


def run(count: int, seed: int = 0, jobs: int = 2, names=None, chunk: int = 500) -> dict:
    loaders = [x.name for x in available_loaders() if names is None or x.name in names]
    work = [
        (name, s, min(chunk, count - s), seed) for name in loaders for s in range(0, count, chunk)
    ]
    report = {
        name: {"counts": {}, "bad": [], "slowest_s": 0.0, "peak_rss_mb": 0.0} for name in loaders
    }
    with mp.get_context("spawn").Pool(jobs, maxtasksperchild=1) as pool:
        for name, counts, bad, slowest, rss in pool.imap_unordered(_work, work):
            entry = report[name]
            for k, v in counts.items():
                entry["counts"][k] = entry["counts"].get(k, 0) + v
            entry["bad"] += bad
            entry["slowest_s"] = max(entry["slowest_s"], slowest)
            entry["peak_rss_mb"] = max(entry["peak_rss_mb"], rss)
    for name, entry in report.items():
        checksummed = next(x for x in available_loaders() if x.name == name).checksummed
        failures = ("crash", "hang", "memory") + (("different",) if checksummed else ())
        entry["failures"] = sum(entry["counts"].get(k, 0) for k in failures)
        entry["mutants"] = count
    return report


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--count", type=int, default=10_000, help="mutants per loader")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--loaders", default=None, help="comma-separated subset")
    p.add_argument("--json", default=None, help="write the report here")
    args = p.parse_args(argv)
    names = args.loaders.split(",") if args.loaders else None
    t0 = time.perf_counter()
    report = run(args.count, args.seed, args.jobs, names)
    print(
        f"{'loader':<8}{'mutants':>8}{'error':>8}{'identical':>10}{'different':>10}"
        f"{'crash':>7}{'hang':>6}{'memory':>7}{'slowest s':>10}{'peak MB':>9}"
    )
    for name, e in report.items():
        c = e["counts"]
        print(
            f"{name:<8}{e['mutants']:>8}{c.get('error', 0):>8}{c.get('identical', 0):>10}"
            f"{c.get('different', 0):>10}{c.get('crash', 0):>7}{c.get('hang', 0):>6}"
            f"{c.get('memory', 0):>7}{e['slowest_s']:>10.3f}{e['peak_rss_mb']:>9.0f}"
        )
        for b in e["bad"][:5]:
            print(f"    {b['outcome']} (mutant {b['mutant']}, {b['kind']}): {b['detail']}")
    print(
        f"({time.perf_counter() - t0:.0f} s; 'different' is a failure only for nrv, "
        "the one format with digests)"
    )
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=1)
    return 1 if any(e["failures"] for e in report.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
