"""The ``nerve`` command: demo, train, eval, generate, bench, info.

Errors print one line (``nerve: error: ...``) and exit 1; usage errors exit 2 (an unknown
or badly typed task option too, from ``--set`` or ``--config``); ``--debug`` shows the
traceback instead.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from nerve.tasks.values import ConfigError

EPILOG = """examples:
  nerve demo                         train the MLP, the CNN and the char LSTM (built-in data)
  nerve train digits-mlp --epochs 20 --lr 2e-3 --out runs/mlp
  nerve train digits-cnn --resume runs/cnn/last.nrv
  nerve train --config my_task.toml
  nerve eval runs/mlp/last.nrv
  nerve generate runs/charlm/last.nrv --length 300 --temperature 0.8 --prime "The "
  nerve bench --against torch --markdown
  nerve info
  nerve export runs/mlp/last.nrv mlp.onnx   the model as ONNX (pip install "nerve[onnx]")
  nerve lab vanishing                a lecture experiment: finding and plot
"""


def _default_out(task: str) -> str:
    return os.path.join("nerve-runs", time.strftime("%Y%m%d-%H%M%S") + "-" + task)


def _task_options(tasks: dict) -> str:
    """``nerve train --help``'s list of the task options, from the tasks' Config classes."""
    from nerve.tasks.config import TaskConfig, option_table

    base = {row[0]: row for row in option_table(TaskConfig)}
    lines = ["options of every task (--set KEY=VALUE, or KEY = value in a --config file):"]
    lines += [f"  {n:<11} {t:<14} {h}" for n, t, _, h in base.values()]
    lines.append("each task's defaults, and its own options (type, default):")
    for name, cls in sorted(tasks.items()):
        rows = option_table(cls.Config)
        own = [r for r in rows if r[0] not in base or r[3] != base[r[0]][3]]
        lines.append(
            f"  {name:<11} "
            + ", ".join(
                f"{n} {d}"
                for n, _, d, _ in rows
                if n in base and d != base[n][2] and all(n != r[0] for r in own)
            )
        )
        lines += [f"    {n:<11} {t:<6} {d!r:<7} {h}" for n, t, d, h in own]
    lines += [
        "optimizer arguments: --set NAME=VALUE for any keyword argument of the chosen",
        "  optimizer's signature (nerve.optim), e.g. --optimizer sgd --set momentum=0.5",
        "  (the tasks' SGD has momentum 0.9 unless set), --optimizer adam --set betas=0.9,0.99",
    ]
    return "\n".join(lines)


def _parser() -> argparse.ArgumentParser:
    from nerve.tasks import TASKS

    p = argparse.ArgumentParser(
        prog="nerve",
        description=__doc__.splitlines()[0],
        epilog=EPILOG,
        formatter_class=argparse.RawTextHelpFormatter,
    )
    p.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    fmt = argparse.RawTextHelpFormatter

    d = sub.add_parser(
        "demo",
        help="the main job on built-in data",
        formatter_class=fmt,
        epilog="example:\n  nerve demo --out runs/demo --quick",
    )
    d.add_argument("--out", default=None, help="output folder (default ./nerve-runs/<time>)")
    d.add_argument("--quick", action="store_true", help="fewer epochs (a smoke test)")
    d.add_argument("--seed", type=int, default=0)
    d.add_argument("--quiet", action="store_true", help="no progress bars or epoch lines")

    t = sub.add_parser(
        "train",
        help="train a built-in task",
        formatter_class=fmt,
        epilog="examples:\n  nerve train digits-mlp --epochs 20\n"
        "  nerve train charlm --hidden 256 --out runs/lm\n"
        "  nerve train --config task.toml\n"
        "  nerve train digits-cnn --optimizer sgd --set nesterov=true\n"
        "\ntasks:\n"
        + "\n".join(f"  {n:<12} {c.description}" for n, c in sorted(TASKS.items()))
        + "\n\n"
        + _task_options(TASKS),
    )
    t.add_argument(
        "task",
        nargs="?",
        choices=sorted(TASKS),
        metavar="TASK",
        help="one of: " + ", ".join(sorted(TASKS)),
    )
    t.add_argument("--config", help="TOML file: task = '...' and option = value lines")
    for name, typ in (
        ("epochs", int),
        ("batch-size", int),
        ("lr", float),
        ("hidden", int),
        ("seed", int),
    ):
        t.add_argument(f"--{name}", type=typ, default=None)
    t.add_argument(
        "--optimizer",
        default=None,
        metavar="NAME",
        help="any nerve.optim optimizer, in any case (default adam); its\n"
        "arguments by --set, e.g. --set momentum=0.5",
    )
    t.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="any task option or optimizer argument, e.g. --set seq_len=128\n"
        "(the lists below); an unknown key is an error",
    )
    t.add_argument("--out", default=None, help="output folder (default ./nerve-runs/<time>)")
    t.add_argument("--resume", default=None, metavar="CHECKPOINT")
    t.add_argument(
        "--device", default="cpu", help="cpu, or cuda / cuda:N (needs cupy: docs/devices.md)"
    )
    t.add_argument("--quiet", action="store_true", help="no progress bars")
    t.add_argument(
        "--nproc",
        type=int,
        default=1,
        metavar="N",
        help="data-parallel over N MPI processes (launches mpiexec -n N itself,\n"
        "or runs under a given mpiexec); the batch size stays global",
    )
    t.set_defaults(usage_error=t.error)  # a bad task option is a usage error of train

    e = sub.add_parser(
        "eval",
        help="evaluate a checkpoint on its task's test split",
        formatter_class=fmt,
        epilog="example:\n  nerve eval runs/mlp/last.nrv",
    )
    e.add_argument("checkpoint")
    e.add_argument("--device", default="cpu", help="cpu, or cuda / cuda:N")

    g = sub.add_parser(
        "generate",
        help="sample text from a character-model checkpoint",
        formatter_class=fmt,
        epilog="example:\n  nerve generate runs/lm/last.nrv --length 200",
    )
    g.add_argument("checkpoint")
    g.add_argument("--length", type=int, default=300)
    g.add_argument("--temperature", type=float, default=0.8)
    g.add_argument("--prime", default="\n")
    g.add_argument("--seed", type=int, default=0)
    g.add_argument("--device", default="cpu", help="cpu, or cuda / cuda:N")

    b = sub.add_parser(
        "bench",
        help="benchmarks side by side with PyTorch",
        formatter_class=fmt,
        epilog="examples:\n  nerve bench --markdown\n  nerve bench --loaded\n"
        "  nerve bench mlp_train --pairs 5\n(python -m benchmarks.run "
        "--help tells the method)",
    )
    b.add_argument("names", nargs="*", help="workloads (default: all)")
    b.add_argument("--against", choices=["torch", "none"], default="torch")
    b.add_argument("--markdown", action="store_true")
    b.add_argument("--pairs", type=int, default=3, help="nerve/torch process pairs (default 3)")
    b.add_argument(
        "--rounds",
        "--repeats",
        type=int,
        default=5,
        dest="rounds",
        help="timed rounds per process, the best counts (default 5)",
    )
    b.add_argument("--loaded", action="store_true", help="also beside two busy processes")

    sub.add_parser(
        "info",
        help="version, array backend, BLAS and threads",
        formatter_class=fmt,
        epilog="example:\n  nerve info",
    )

    x = sub.add_parser(
        "export",
        help="a checkpoint's model as an ONNX file",
        formatter_class=fmt,
        epilog="example:\n  nerve export runs/mlp/last.nrv mlp.onnx",
    )
    x.add_argument("checkpoint")
    x.add_argument("out", help="the .onnx file to write")
    x.add_argument("--opset", type=int, default=17, help="ONNX opset version (default 17)")

    from nerve.diagnostics.labs import LAB_NAMES

    lab = sub.add_parser(
        "lab",
        help="a lecture experiment: its finding and its plot",
        formatter_class=fmt,
        epilog="example:\n  nerve lab vanishing --quick",
    )
    lab.add_argument("name", choices=LAB_NAMES, metavar="NAME", help=", ".join(LAB_NAMES))
    lab.add_argument("--quick", action="store_true", help="a reduced run (a smoke test)")
    lab.add_argument("--out", default=None, help="plot folder (default ./nerve-runs/<time>)")
    lab.add_argument("--seed", type=int, default=0)
    return p


def _load_config(path: str) -> dict:
    from nerve.tasks.config import load_toml

    return load_toml(path)


def cmd_train(args) -> int:
    from nerve.backend import check_device
    from nerve.tasks.parallel import launcher_world_size, relaunch

    check_device(args.device)
    if args.nproc < 1:
        raise ValueError(f"train: --nproc must be at least 1, got {args.nproc}")
    world = launcher_world_size()
    if args.nproc > 1 and world is None:  # not yet under mpiexec: launch N of this command
        return relaunch(args.argv, args.nproc)
    if world is not None and world > 1:
        import nerve.distributed as dist

        dist.init_process_group("mpi")
        try:
            return _train(args)
        except BaseException as err:  # the other ranks would wait in a collective
            print(
                f"nerve: error on rank {dist.get_rank()}: {type(err).__name__}: {err}",
                file=sys.stderr,
                flush=True,
            )
            from nerve.distributed.process_group import mpi

            mpi().COMM_WORLD.Abort(1)
        finally:
            if dist.is_initialized():
                dist.destroy_process_group()
    return _train(args)


def _train(args) -> int:
    from nerve.tasks import get_task, run_training
    from nerve.tasks.base import run_record, task_config
    from nerve.tasks.runner import plot_history, print_report

    layers, task_name, saved = [], args.task, None
    if args.config:
        from_file = _load_config(args.config)
        name = from_file.pop("task", None)
        task_name = task_name or name
        layers.append((args.config, from_file))
    flags = {
        k: v
        for k, v in (
            ("epochs", args.epochs),
            ("batch_size", args.batch_size),
            ("lr", args.lr),
            ("hidden", args.hidden),
            ("seed", args.seed),
            ("optimizer", args.optimizer),
        )
        if v is not None
    }
    layers += [("command line", flags), ("--set", _parse_sets(args.set))]
    if args.resume:  # continue the checkpoint's run: its options, unless given again
        record = run_record(args.resume)
        if task_name not in (None, record["task"]):
            raise ValueError(f"--resume {args.resume} is a {record['task']} run, not {task_name}")
        task_name, saved = record["task"], record["config"]
    if task_name is None:
        raise ValueError("name a TASK or give --config with a task = '...' line")
    task = get_task(task_name, task_config(task_name, *layers, saved=saved))
    if args.out:
        out = args.out
    elif args.resume:  # into the run's own folder, so its plot shows the whole history
        out = os.path.dirname(os.path.abspath(args.resume))
    else:
        out = _default_out(task.name)
    import nerve.distributed as dist

    rank = dist.get_rank() if dist.is_initialized() else 0
    model, history, report = run_training(
        task, out, args.resume, verbose=not args.quiet and rank == 0, device=args.device
    )
    if rank:  # rank 0 alone reports, plots and (in run_training) writes the checkpoint
        return 0
    print_report(task.name, report)
    plot_history(history, os.path.join(out, "history.png"), task.name)
    print(f"checkpoint: {os.path.join(out, 'last.nrv')}")
    return 0


def _parse_sets(items: list) -> dict:
    """``--set KEY=VALUE`` items as text; the task's config converts each to its type."""
    out = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise ConfigError(f"--set expects KEY=VALUE, got '{item}'")
        out[key.strip().replace("-", "_")] = raw
    return out


def cmd_eval(args) -> int:
    from nerve.backend import check_device
    from nerve.tasks import open_run
    from nerve.train import evaluate

    check_device(args.device)
    from nerve.tasks.runner import print_report

    task, model, _ = open_run(args.checkpoint, args.device)
    _, _, test_loader = task.loaders()
    metrics = evaluate(model, task.loss_fn(), test_loader, metrics=task.metrics)
    print_report(task.name, task.report(model, metrics))
    return 0


def cmd_generate(args) -> int:
    from nerve.backend import check_device
    from nerve.random import manual_seed
    from nerve.tasks import open_run

    if args.length < 1:
        raise ValueError(f"--length must be positive, got {args.length}")
    if args.temperature <= 0:
        raise ValueError(f"--temperature must be positive, got {args.temperature}")
    check_device(args.device)
    manual_seed(args.seed)
    task, model, _ = open_run(args.checkpoint, args.device)
    print(task.generate(model, args.length, args.temperature, args.prime))
    return 0


def cmd_bench(args) -> int:
    try:
        from benchmarks import run as bench_run
    except ImportError:
        raise RuntimeError(
            "the benchmarks/ folder is not importable: run `nerve bench` from "
            "a checkout of nerve (pip install -e .)"
        ) from None
    argv = list(args.names) + ["--pairs", str(args.pairs), "--rounds", str(args.rounds)]
    argv += [f"--{k}" for k in ("markdown", "loaded") if getattr(args, k)]
    if args.against == "none":
        argv.append("--no-torch")
    return bench_run.main(argv)


def cmd_info(args) -> int:
    import numpy as np

    from nerve.backend import blas_summary
    from nerve.backend.threads import get_num_threads
    from nerve.version import __version__

    print(f"nerve {__version__}")
    print(f"python {sys.version.split()[0]}, numpy {np.__version__}")
    print("array backend: numpy (device cpu)")
    print(f"BLAS: {blas_summary()}")
    print(
        f"threads: {_thread_pools()}; nerve's own passes {get_num_threads()} "
        f"(nerve.set_num_threads); {os.cpu_count()} cores"
    )
    for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
        print(f"{k}: {os.environ.get(k, '(unset)')}")
    return 0


def _thread_pools() -> str:
    """BLAS's threads (read from OpenBLAS itself, no extra package), and the OpenMP pools
    numpy loaded where threadpoolctl is installed."""
    from nerve.backend.threads import blas_policy

    line = f"BLAS {blas_policy()}"
    try:
        from threadpoolctl import threadpool_info  # optional, lazily: only for OpenMP pools
    except ImportError:
        return line
    omp = [
        f"OpenMP ({i.get('internal_api')}) {i.get('num_threads')}"
        for i in threadpool_info()
        if i.get("user_api") == "openmp"
    ]
    return ", ".join([line, *omp])


def cmd_lab(args) -> int:
    from nerve.diagnostics.labs import run_lab

    run_lab(
        args.name,
        quick=args.quick,
        out=args.out or _default_out("lab-" + args.name),
        seed=args.seed,
    )
    return 0


def cmd_export(args) -> int:
    from nerve.tasks.export import export_checkpoint

    info = export_checkpoint(args.checkpoint, args.out, args.opset)
    print(
        f"{info['task']}: {args.out} (opset {info['opset']}, {info['nodes']} nodes, "
        f"{info['initializers']} initializers, traced on input {info['input']}, batch "
        "axis dynamic)"
    )
    return 0


COMMANDS = {
    "train": cmd_train,
    "eval": cmd_eval,
    "generate": cmd_generate,
    "bench": cmd_bench,
    "info": cmd_info,
    "lab": cmd_lab,
    "export": cmd_export,
}


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = _parser().parse_args(argv)
    args.argv = argv  # for nerve train --nproc, which runs this command again under mpiexec
    if hasattr(sys.stdout, "reconfigure"):  # a redirected log shows each epoch as it ends,
        sys.stdout.reconfigure(line_buffering=True)  # not 8 KB at a time
    try:
        if args.command == "demo":
            from nerve.demo import run_demo

            return run_demo(
                args.out or _default_out("demo"), quick=args.quick, seed=args.seed, quiet=args.quiet
            )
        return COMMANDS[args.command](args)
    except KeyboardInterrupt:
        print("nerve: interrupted", file=sys.stderr)
        return 130
    except ConfigError as err:  # an unknown or mistyped option: a usage error, as argparse's
        if args.debug or not hasattr(args, "usage_error"):
            if args.debug:
                raise
            print(f"nerve: error: {type(err).__name__}: {err}", file=sys.stderr)
            return 1
        args.usage_error(str(err))  # prints the usage and the message, exits 2
    except Exception as err:  # one line for the user; the traceback with --debug
        if args.debug:
            raise
        print(f"nerve: error: {type(err).__name__}: {err}".splitlines()[0], file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
