"""The tasks' typed config: what `nerve train` builds by default, options from --set and
TOML files converted to their declared types, unknown keys and wrong types refused."""

import pytest

import nerve
from nerve.cli import main

# What the command handed to fit before the config was typed (commit ba3cd45): the
# optimizer's first param group (less its params) and fit's epochs and clip_grad_norm.
ADAM = {
    "betas": (0.9, 0.999),
    "eps": 1e-08,
    "weight_decay": 0,
    "amsgrad": False,
    "maximize": False,
    "foreach": None,
    "capturable": False,
    "differentiable": False,
    "fused": None,
    "decoupled_weight_decay": False,
}
BEFORE = {
    "digits-mlp": ("Adam", {"lr": 0.002, **ADAM, "initial_lr": 0.002}, 40, None),
    "digits-cnn": ("Adam", {"lr": 0.003, **ADAM, "initial_lr": 0.003}, 15, None),
    "charlm": ("Adam", {"lr": 0.003, **ADAM}, 6, 1.0),
    "reber": ("Adam", {"lr": 0.01, **ADAM}, 15, None),
}
BEFORE_DIGITS_MLP = {
    "sgd": (
        "SGD",
        {
            "lr": 0.002,
            "momentum": 0.9,
            "dampening": 0,
            "weight_decay": 0,
            "nesterov": False,
            "maximize": False,
            "foreach": None,
            "differentiable": False,
            "fused": None,
            "initial_lr": 0.002,
        },
    ),
    "adam": ("Adam", {"lr": 0.002, **ADAM, "initial_lr": 0.002}),
    "adamw": (
        "AdamW",
        {
            "lr": 0.002,
            **ADAM,
            "weight_decay": 0.01,
            "decoupled_weight_decay": True,
            "initial_lr": 0.002,
        },
    ),
    "rmsprop": (
        "RMSprop",
        {
            "lr": 0.002,
            "momentum": 0,
            "alpha": 0.99,
            "eps": 1e-08,
            "centered": False,
            "weight_decay": 0,
            "capturable": False,
            "foreach": None,
            "maximize": False,
            "differentiable": False,
            "initial_lr": 0.002,
        },
    ),
    "adagrad": (
        "Adagrad",
        {
            "lr": 0.002,
            "lr_decay": 0,
            "eps": 1e-10,
            "weight_decay": 0,
            "initial_accumulator_value": 0,
            "foreach": None,
            "maximize": False,
            "differentiable": False,
            "fused": None,
            "initial_lr": 0.002,
        },
    ),
}


@pytest.fixture
def handed_to_fit(tmp_path):
    """Runs `nerve train ARGS` up to the call of fit and returns what fit was given:
    (optimizer class name, first param group without params, epochs, clip_grad_norm)."""
    seen = []

    def fake_fit(model, loss_fn, optimizer, *args, **kwargs):
        group = {k: v for k, v in optimizer.param_groups[0].items() if k != "params"}
        seen.append(
            (type(optimizer).__name__, group, kwargs["epochs"], kwargs["clip_grad_norm"], optimizer)
        )
        raise KeyboardInterrupt  # stop before training: main returns 130

    def run(*argv):
        seen.clear()
        with pytest.MonkeyPatch.context() as m:  # the real fit outside run()
            m.setattr(nerve.train, "fit", fake_fit)
            assert main(["train", *argv, "--out", str(tmp_path / "fit"), "--quiet"]) == 130
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


def usage_error(capsys, *argv) -> str:
    """Runs `nerve train ARGV`, which must stop as a usage error (exit 2, as argparse);
    returns the message line argparse printed."""
    with pytest.raises(SystemExit) as e:
        main(["train", *argv, "--quiet"])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: nerve train") and "Traceback" not in err
    return err.strip().splitlines()[-1]


def test_an_unknown_set_key_names_the_task_the_closest_and_the_valid_keys(capsys, tmp_path):
    line = usage_error(capsys, "digits-mlp", "--set", "hiden=64", "--out", str(tmp_path))
    assert line.startswith(
        "nerve train: error: digits-mlp: unknown option 'hiden' (--set) "
        "(did you mean 'hidden'?); digits-mlp takes epochs, batch_size, "
        "lr, hidden, optimizer, seed, clip, dropout, and the arguments of "
        "its optimizer Adam: betas, eps, weight_decay"
    )
    assert not (tmp_path / "last.nrv").exists()


def test_an_unknown_toml_key_names_the_file(capsys, tmp_path):
    cfg = tmp_path / "task.toml"
    cfg.write_text('task = "charlm"\n[model]\nhidden = 32\nseqlen = 16\n')
    line = usage_error(capsys, "--config", str(cfg))
    assert f"charlm: unknown option 'seqlen' ({cfg}) (did you mean 'seq_len'?)" in line
    assert "charlm takes epochs, batch_size, lr, hidden" in line and "max_chars" in line


def test_a_key_given_twice_in_a_toml_file_is_refused(capsys, tmp_path):
    cfg = tmp_path / "task.toml"
    cfg.write_text('task = "digits-mlp"\n[train]\nlr = 0.01\n[optim]\nlr = 0.02\n')
    assert usage_error(capsys, "--config", str(cfg)).endswith(f"{cfg}: option 'lr' is given twice")


@pytest.mark.parametrize(
    "argv,message",
    [
        (
            ["digits-mlp", "--set", "dropout=lots"],
            "digits-mlp: dropout expects float, got 'lots' (--set)",
        ),
        (
            ["digits-mlp", "--set", "epochs=2.5"],
            "digits-mlp: epochs must be a whole number of at least 1, got '2.5' (--set)",
        ),
        (
            ["charlm", "--set", "clip=strong"],
            "charlm: clip expects float or none, got 'strong' (--set)",
        ),
        (
            ["digits-mlp", "--optimizer", "sgd", "--set", "nesterov=maybe"],
            "digits-mlp: SGD: nesterov expects bool (true or false), got 'maybe' (--set)",
        ),
        (
            ["digits-mlp", "--set", "betas=0.9"],
            "digits-mlp: Adam: betas expects a tuple of float, float (comma-separated), got '0.9' "
            "(--set)",
        ),
        (["digits-mlp", "--set", "seed"], "--set expects KEY=VALUE, got 'seed'"),
    ],
)
def test_a_badly_typed_value_names_the_key_the_type_and_what_it_got(capsys, argv, message):
    assert usage_error(capsys, *argv) == f"nerve train: error: {message}"


def test_a_badly_typed_toml_value_says_what_type_it_got(capsys, tmp_path):
    cfg = tmp_path / "task.toml"
    cfg.write_text('task = "charlm"\ntext = 5\n')
    assert usage_error(capsys, "--config", str(cfg)) == (
        f"nerve train: error: charlm: text expects str, got 5 (int) ({cfg})"
    )
    cfg.write_text('task = "digits-mlp"\nepochs = true\n')
    assert usage_error(capsys, "--config", str(cfg)) == (
        "nerve train: error: digits-mlp: epochs must be a whole number of at least 1, got "
        f"True ({cfg})"
    )


def test_values_are_converted_to_the_declared_types():
    from nerve.tasks.base import task_config

    cfg = task_config(
        "charlm",
        ("toml", {"lr": 1, "layers": 2, "text": "corpus.txt"}),
        ("--set", {"dropout": "0.5", "clip": "none", "max_chars": "1000", "seed": " 7 "}),
    )
    assert cfg.lr == 1.0 and type(cfg.lr) is float
    assert (cfg.layers, cfg.text, cfg.dropout, cfg.clip, cfg.max_chars, cfg.seed) == (
        2,
        "corpus.txt",
        0.5,
        None,
        1000,
        7,
    )
    assert task_config("charlm", ("--set", {"text": "5"})).text == "5"  # text stays text
    opt = task_config("reber", ("--set", {"optimizer": "SGD", "nesterov": "yes", "dampening": "0"}))
    assert opt.optimizer == "sgd"
    assert opt.optimizer_args == {"momentum": 0.9, "nesterov": True, "dampening": 0.0}
    assert task_config(
        "reber", ("toml", {"optimizer": "Adam", "betas": [0.8, 0.95]})
    ).optimizer_args == {"betas": (0.8, 0.95)}


@pytest.mark.parametrize(
    "argv,name,expected",
    [
        (
            ["--optimizer", "adam", "--set", "betas=0.8,0.99", "--set", "weight_decay=1e-4"],
            "Adam",
            {"betas": (0.8, 0.99), "weight_decay": 1e-4, "eps": 1e-08},
        ),
        (
            ["--optimizer", "SGD", "--set", "momentum=0.5", "--set", "nesterov=true"],
            "SGD",
            {"momentum": 0.5, "nesterov": True, "lr": 0.002},
        ),
        (["--optimizer", "sgd", "--lr", "0.05"], "SGD", {"momentum": 0.9, "lr": 0.05}),
        (
            ["--optimizer", "RMSprop", "--set", "alpha=0.9", "--set", "centered=true"],
            "RMSprop",
            {"alpha": 0.9, "centered": True},
        ),
        (
            ["--optimizer", "nadam", "--set", "momentum_decay=0.01"],
            "NAdam",
            {"momentum_decay": 0.01},
        ),
    ],
)
def test_optimizer_arguments_reach_the_optimizer(handed_to_fit, argv, name, expected):
    got, group, _, _, optimizer = handed_to_fit("digits-mlp", *argv)
    assert got == name
    assert {k: group[k] for k in expected} == expected
    assert optimizer.defaults["lr"] == group["initial_lr"]


def test_optimizer_arguments_from_a_toml_file_reach_the_optimizer(handed_to_fit, tmp_path):
    cfg = tmp_path / "task.toml"
    cfg.write_text(
        'task = "reber"\n[optim]\noptimizer = "sgd"\nmomentum = 0.5\nweight_decay = 0.001\n'
    )
    name, group, _, _, _ = handed_to_fit("--config", str(cfg))
    assert (name, group["lr"], group["momentum"], group["weight_decay"]) == (
        "SGD",
        0.01,
        0.5,
        0.001,
    )


def test_an_argument_the_chosen_optimizer_does_not_take_names_it_and_its_arguments(capsys):
    line = usage_error(capsys, "digits-mlp", "--set", "momentum=0.5")
    assert line == (
        "nerve train: error: digits-mlp: Adam takes no argument 'momentum' "
        "(--set); Adam takes: betas, eps, weight_decay, amsgrad, foreach, "
        "maximize, capturable, differentiable, fused, decoupled_weight_decay"
    )
    line = usage_error(capsys, "digits-mlp", "--optimizer", "sgd", "--set", "betas=0.9,0.9")
    assert "SGD takes no argument 'betas' (--set); SGD takes: momentum, dampening" in line


def test_an_unknown_optimizer_suggests_the_closest_and_lists_them(capsys):
    line = usage_error(capsys, "digits-mlp", "--optimizer", "adm")
    assert "digits-mlp: unknown optimizer 'adm' (did you mean 'adam'?); choose from " in line
    for name in (
        "adadelta",
        "adagrad",
        "adam",
        "adamax",
        "adamw",
        "asgd",
        "nadam",
        "radam",
        "rmsprop",
        "rprop",
        "sgd",
    ):
        assert name in line
    line = usage_error(capsys, "digits-mlp", "--optimizer", "LBFGS")
    assert "LBFGS.step needs a closure that re-evaluates the model" in line


def test_every_optimizer_nerve_optim_exports_can_be_chosen():
    import inspect

    from nerve.tasks import get_task
    from nerve.tasks.optimizers import needs_closure

    exported = [
        n
        for n in nerve.optim.__all__
        if inspect.isclass(getattr(nerve.optim, n))
        and issubclass(getattr(nerve.optim, n), nerve.optim.Optimizer)
        and n != "Optimizer"
    ]
    assert len(exported) == 12
    for name in exported:
        cls = getattr(nerve.optim, name)
        if needs_closure(cls):
            assert name == "LBFGS"
            continue
        for spelling in (name, name.lower(), name.upper()):
            task = get_task("reber", {"optimizer": spelling, "hidden": 2})
            opt = task.build_optimizer(task.build_model().parameters())
            assert type(opt) is cls and opt.param_groups[0]["lr"] == 0.01


def test_the_python_api_refuses_unknown_keys_too():
    from nerve.tasks import get_task
    from nerve.tasks.config import ConfigError

    with pytest.raises(
        ConfigError, match="digits-cnn: unknown option 'dropuot'.*did you mean 'dropout'"
    ):
        get_task("digits-cnn", {"dropuot": 0.1})
    assert issubclass(ConfigError, ValueError)
    assert get_task("digits-cnn", {"hidden": None}).config.hidden == 32  # None: the default


def test_a_run_saves_its_config_and_resume_eval_read_it_back(tmp_path, capsys, handed_to_fit):
    from nerve.tasks import open_run
    from nerve.tasks.base import run_record

    run = tmp_path / "run"
    argv = [
        "digits-mlp",
        "--epochs",
        "1",
        "--hidden",
        "8",
        "--optimizer",
        "SGD",
        "--set",
        "momentum=0.5",
        "--set",
        "dropout=0.1",
        "--set",
        "clip=2",
    ]
    assert main(["train", *argv, "--out", str(run), "--quiet"]) == 0
    saved = run_record(str(run / "last.nrv"))["config"]
    assert saved == {
        "epochs": 1,
        "batch_size": 64,
        "lr": 0.002,
        "hidden": 8,
        "optimizer": "sgd",
        "seed": 0,
        "clip": 2.0,
        "optimizer_args": {"momentum": 0.5},
        "dropout": 0.1,
    }
    task, model, _ = open_run(str(run))
    assert task.config.optimizer_args == {"momentum": 0.5} and task.config.dropout == 0.1
    assert model[3].p == 0.1
    capsys.readouterr()
    assert main(["eval", str(run)]) == 0 and "accuracy" in capsys.readouterr().out
    # a resume takes the saved options, the optimizer's arguments among them (its lr is
    # where the cosine schedule, rebuilt for 2 epochs, has it after one)
    name, group, epochs, clip, _ = handed_to_fit("--resume", str(run / "last.nrv"), "--epochs", "2")
    assert (name, group["momentum"], group["initial_lr"], epochs, clip) == (
        "SGD",
        0.5,
        0.002,
        2,
        2.0,
    )


def test_a_resume_with_another_optimizer_drops_the_saved_optimizers_arguments():
    from nerve.tasks.base import task_config

    saved = {"optimizer": "sgd", "optimizer_args": {"momentum": 0.5}, "hidden": 8}
    assert task_config("digits-mlp", ("--set", {}), saved=saved).optimizer_args == {"momentum": 0.5}
    same = task_config("digits-mlp", ("flags", {"optimizer": "SGD"}), saved=saved)
    assert same.optimizer_args == {"momentum": 0.5}
    other = task_config("digits-mlp", ("flags", {"optimizer": "adam"}), saved=saved)
    assert (other.optimizer, other.optimizer_args, other.hidden) == ("adam", {}, 8)


def test_a_saved_config_with_a_key_this_version_lacks_loads_with_a_warning():
    from nerve.tasks.base import task_config

    # before the config was typed, `--set momentm=0.5` or `--set momentum=0.5` with Adam
    # was accepted, ignored and saved: such a checkpoint still loads, and says so
    old = {
        "epochs": 3,
        "batch_size": 64,
        "lr": 0.002,
        "optimizer": "adam",
        "hidden": 16,
        "seed": 0,
        "dropout": 0.2,
        "momentm": 0.5,
        "momentum": 0.5,
    }
    with pytest.warns(UserWarning) as caught:
        cfg = task_config("digits-mlp", saved=old)
    assert [str(w.message) for w in caught] == [
        f"digits-mlp: the checkpoint's option '{k}' is not an option of this task (ignored)"
        for k in ("momentm", "momentum")
    ]
    assert (cfg.epochs, cfg.hidden, cfg.optimizer, cfg.optimizer_args) == (3, 16, "adam", {})


def test_a_task_option_may_not_shadow_an_optimizer_argument():
    import dataclasses

    from nerve.tasks.base import Task, register
    from nerve.tasks.config import TaskConfig

    @dataclasses.dataclass
    class Shadowing(TaskConfig):
        epochs: int = 1
        batch_size: int = 1
        lr: float = 0.1
        hidden: int = 1
        momentum: float = 0.0

    class ShadowTask(Task):
        name = "shadow"
        Config = Shadowing

    with pytest.raises(
        TypeError,
        match=r"task shadow: options \['momentum'\] are also "
        "optimizer arguments",
    ):
        register(ShadowTask)


def test_train_help_lists_every_option_with_its_help(capsys):
    from nerve.tasks import TASKS
    from nerve.tasks.config import option_table

    with pytest.raises(SystemExit):
        main(["train", "--help"])
    text = capsys.readouterr().out
    for cls in TASKS.values():
        for name, _, _, doc in option_table(cls.Config):
            assert doc and f" {name} " in text and doc in text, name
    assert "--set momentum=0.5" in text


def test_docs_cli_names_every_option():
    from pathlib import Path

    from nerve.tasks import TASKS
    from nerve.tasks.config import option_table

    page = (Path(__file__).resolve().parents[2] / "docs" / "cli.md").read_text("utf-8")
    for cls in TASKS.values():
        for name, *_ in option_table(cls.Config):
            assert f"`{name}`" in page, name


def test_docs_cli_task_table_shows_each_tasks_defaults():
    import re
    from pathlib import Path

    from nerve.tasks import TASKS

    page = (Path(__file__).resolve().parents[2] / "docs" / "cli.md").read_text("utf-8")
    rows = dict(re.findall(r"^\| `([\w-]+)` \| .* \| (\d[\w., -]*) \|$", page, re.M))
    assert set(rows) == set(TASKS)
    for name, cls in TASKS.items():
        c = cls.Config()
        epochs, batch, lr, hidden = (v.strip() for v in rows[name].split(","))
        assert (int(epochs), int(batch), float(lr), int(hidden)) == (
            c.epochs,
            c.batch_size,
            c.lr,
            c.hidden,
        ), name
