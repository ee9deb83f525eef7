"""Train and evaluate a built-in task, with per-epoch checkpoints and exact resume."""

from __future__ import annotations

import os

import nerve
from nerve.tasks.base import Task, make_optimizer, save_run


class _EpochCheckpoint(nerve.train.Callback):
    """Writes ``last.nrv`` after every epoch (the state ``--resume`` continues from)."""

    def __init__(self, path: str, task: Task, loader) -> None:
        super().__init__()
        self.path, self.task, self.loader = path, task, loader

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        s = self.state
        save_run(self.path, self.task, s.model, s.optimizer, epoch + 1, self.loader,
                 s.scheduler)


def run_training(task: Task, out_dir: str, resume: str | None = None, verbose: bool = True):
    """Train ``task`` into ``out_dir``; returns (model, history, test metrics)."""
    from nerve.train import evaluate, fit, load_checkpoint

    cfg = task.config
    nerve.manual_seed(int(cfg["seed"]))
    train_loader, val_loader, test_loader = task.loaders()
    model = task.build_model()
    optimizer = make_optimizer(cfg["optimizer"], model.parameters(), float(cfg["lr"]))
    scheduler = task.make_scheduler(optimizer)
    start = 0
    if resume:
        start = load_checkpoint(resume, model, optimizer, scheduler, train_loader=train_loader)
    os.makedirs(out_dir, exist_ok=True)
    ckpt = os.path.join(out_dir, "last.nrv")
    history = fit(model, task.loss_fn(), optimizer, train_loader, val_loader,
                  epochs=int(cfg["epochs"]), metrics=task.metrics, initial_epoch=start,
                  callbacks=[_EpochCheckpoint(ckpt, task, train_loader)], verbose=verbose,
                  clip_grad_norm=cfg.get("clip"), scheduler=scheduler)
    if start >= int(cfg["epochs"]):
        save_run(ckpt, task, model, optimizer, start, train_loader, scheduler)
    test = evaluate(model, task.loss_fn(), test_loader, metrics=task.metrics)
    return model, history, task.report(model, test)
