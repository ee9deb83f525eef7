"""Train and evaluate a built-in task, with per-epoch checkpoints and exact resume; its
results as one line and its learning curves as a plot."""

from __future__ import annotations

import os
import warnings

from nerve.random import manual_seed
from nerve.tasks.base import Task, run_record, save_run
from nerve.train import Callback, History


class _EpochCheckpoint(Callback):
    """Writes ``last.nrv`` after every epoch (the state ``--resume`` continues from)."""

    def __init__(
        self,
        path: str,
        task: Task,
        loader,
        past: list | None = None,
        model=None,
        write: bool = True,
    ) -> None:
        super().__init__()
        self.path, self.task, self.loader = path, task, loader
        self.logs = list(past or [])  # the epochs before a resume, so the file holds all
        # the plain module (not its DistributedDataParallel wrapper), so that a checkpoint
        # of N ranks resumes on any number; only rank 0 writes
        self.module, self.write = model, write

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        s = self.state
        self.logs.append({"epoch": epoch, **{k: float(v) for k, v in (logs or {}).items()}})
        if self.write:
            save_run(
                self.path,
                self.task,
                self.module or s.model,
                s.optimizer,
                epoch + 1,
                self.loader,
                s.scheduler,
                self.logs,
            )


def run_training(
    task: Task, out_dir: str, resume: str | None = None, verbose: bool = True, device="cpu"
):
    """Train ``task`` into ``out_dir`` on ``device``; returns (model, history, test metrics)."""
    from nerve.train import evaluate, fit, load_checkpoint

    cfg = task.config
    manual_seed(cfg.seed)
    train_loader, val_loader, test_loader = task.loaders()
    model = task.build_model().to(device)  # fit and evaluate move each batch there
    optimizer = task.build_optimizer(model.parameters())
    scheduler = task.make_scheduler(optimizer)
    start, past = 0, []
    if resume:
        start = load_checkpoint(resume, model, optimizer, scheduler, train_loader=train_loader)
        record = run_record(resume)
        past = [e for e in record["history"] if e["epoch"] < start]
        planned = int(record["config"].get("epochs", cfg.epochs))
        if scheduler is not None and planned != cfg.epochs:
            scheduler = _rebuild_schedule(task, optimizer, start)
            if verbose:
                print(
                    f"resume: the learning-rate schedule is rebuilt for {cfg.epochs} "
                    f"epochs (the checkpoint's run planned {planned}); epoch {start + 1} "
                    f"trains at lr {optimizer.param_groups[0]['lr']:.3g}"
                )
    world, rank = _world()
    trained, loader, callbacks = model, train_loader, []
    if world > 1:  # data-parallel over the process group's ranks (nerve train --nproc)
        from nerve.nn.parallel import DistributedDataParallel
        from nerve.tasks import parallel

        parallel.limit_threads(world)
        trained = DistributedDataParallel(model)  # rank 0's weights on every rank
        loader = parallel.shard_loader(train_loader, world, cfg.seed)
        callbacks.append(parallel.RankEpochs(loader.sampler))
        if rank:  # its own dropout masks and augmentations, not rank 0's
            manual_seed(cfg.seed + 7919 * rank + start)
    verbose = verbose and rank == 0
    os.makedirs(out_dir, exist_ok=True)
    ckpt = os.path.join(out_dir, "last.nrv")
    saver = _EpochCheckpoint(ckpt, task, train_loader, past, model=model, write=rank == 0)
    fit(
        trained,
        task.loss_fn(),
        optimizer,
        loader,
        val_loader,
        epochs=cfg.epochs,
        metrics=task.metrics,
        initial_epoch=start,
        callbacks=[*callbacks, saver],
        verbose=verbose,
        clip_grad_norm=cfg.clip,
        scheduler=scheduler,
    )
    if start >= cfg.epochs and rank == 0:
        save_run(ckpt, task, model, optimizer, start, train_loader, scheduler, past)
    test = evaluate(model, task.loss_fn(), test_loader, metrics=task.metrics)
    return model, _whole_history(saver.logs), task.report(model, test)


def _world() -> tuple[int, int]:
    """(world size, rank) of the initialised default process group, else (1, 0)."""
    import nerve.distributed as dist

    if dist.is_available() and dist.is_initialized():
        return dist.get_world_size(), dist.get_rank()
    return 1, 0


def _rebuild_schedule(task: Task, optimizer, start: int):
    """The task's schedule for its (new) number of epochs, advanced ``start`` epochs, as if
    the run had planned this length from the beginning."""
    for group in optimizer.param_groups:
        group["lr"] = group.get("initial_lr", group["lr"])
    scheduler = task.make_scheduler(optimizer)
    with warnings.catch_warnings():  # stepping before optimizer.step() is the point here
        warnings.simplefilter("ignore")
        for _ in range(start):
            scheduler.step()
    return scheduler


def _whole_history(logs: list[dict]):
    """A History of every epoch, those before a resume included (for the plot)."""
    history = History()
    for entry in logs:
        history.on_epoch_end(entry["epoch"], {k: v for k, v in entry.items() if k != "epoch"})
    return history


def print_report(task: str, report: dict) -> None:
    """The task's test figures in one line: ``digits-mlp: test loss 0.1, accuracy 0.97``."""
    figures = ", ".join(
        f"{k} {v:.4f}" if isinstance(v, float) else f"{k} {v}" for k, v in report.items()
    )
    print(f"{task}: test {figures}")


def plot_history(history, path: str, task: str | None = None) -> None:
    """The learning curves as a PNG at ``path``, or a line saying matplotlib is missing."""
    try:
        history.plot(path, title=f"{task}: learning curves" if task else None)
        print(f"learning curves: {path}")
    except ImportError:
        print("learning curves: skipped (pip install 'nerve[plot]' for matplotlib)")
