"""The tasks' typed config: what `nerve train` builds by default, options from --set and
TOML files converted to their declared types, unknown keys and wrong types refused."""

import pytest

import nerve
from nerve.cli import main

# What the command handed to fit before the config was typed (commit ba3cd45): the
# optimizer's first param group (less its params) and fit's epochs and clip_grad_norm.
ADAM = {"betas": (0.9, 0.999), "eps": 1e-08, "weight_decay": 0, "amsgrad": False,
        "maximize": False, "foreach": None, "capturable": False, "differentiable": False,
        "fused": None, "decoupled_weight_decay": False}
BEFORE = {
    "digits-mlp": ("Adam", {"lr": 0.002, **ADAM, "initial_lr": 0.002}, 40, None),
    "digits-cnn": ("Adam", {"lr": 0.003, **ADAM, "initial_lr": 0.003}, 15, None),
    "charlm": ("Adam", {"lr": 0.003, **ADAM}, 6, 1.0),
    "reber": ("Adam", {"lr": 0.01, **ADAM}, 15, None),
}
BEFORE_DIGITS_MLP = {
    "sgd": ("SGD", {"lr": 0.002, "momentum": 0.9, "dampening": 0, "weight_decay": 0,
                    "nesterov": False, "maximize": False, "foreach": None,
                    "differentiable": False, "fused": None, "initial_lr": 0.002}),
    "adam": ("Adam", {"lr": 0.002, **ADAM, "initial_lr": 0.002}),
    "adamw": ("AdamW", {"lr": 0.002, **ADAM, "weight_decay": 0.01,
                        "decoupled_weight_decay": True, "initial_lr": 0.002}),
    "rmsprop": ("RMSprop", {"lr": 0.002, "momentum": 0, "alpha": 0.99, "eps": 1e-08,
                            "centered": False, "weight_decay": 0, "capturable": False,
                            "foreach": None, "maximize": False, "differentiable": False,
                            "initial_lr": 0.002}),
    "adagrad": ("Adagrad", {"lr": 0.002, "lr_decay": 0, "eps": 1e-10, "weight_decay": 0,
                            "initial_accumulator_value": 0, "foreach": None,
                            "maximize": False, "differentiable": False, "fused": None,
                            "initial_lr": 0.002}),
}


@pytest.fixture
def handed_to_fit(monkeypatch, tmp_path):
    """Runs `nerve train ARGS` up to the call of fit and returns what fit was given:
    (optimizer class name, first param group without params, epochs, clip_grad_norm)."""
    seen = []

    def fake_fit(model, loss_fn, optimizer, *args, **kwargs):
        group = {k: v for k, v in optimizer.param_groups[0].items() if k != "params"}
        seen.append((type(optimizer).__name__, group, kwargs["epochs"],
                     kwargs["clip_grad_norm"], optimizer))
        raise KeyboardInterrupt  # stop before training: main returns 130

    monkeypatch.setattr(nerve.train, "fit", fake_fit)

    def run(*argv):
        seen.clear()
        assert main(["train", *argv, "--out", str(tmp_path / "run"), "--quiet"]) == 130
        return seen[0]

    return run


@pytest.mark.parametrize("task", sorted(BEFORE))
def test_each_task_builds_the_optimizer_it_built_before(handed_to_fit, task):
    extra = ["--set", "max_chars=3000"] if task == "charlm" else []  # the optimizer only
    name, group, epochs, clip, _ = handed_to_fit(task, *extra)
    assert (name, group, epochs, clip) == BEFORE[task]


@pytest.mark.parametrize("optimizer", sorted(BEFORE_DIGITS_MLP))
def test_the_named_optimizers_keep_their_defaults(handed_to_fit, optimizer):
    name, group, _, _, _ = handed_to_fit("digits-mlp", "--optimizer", optimizer)
    assert (name, group) == BEFORE_DIGITS_MLP[optimizer]
