"""Typical mistakes, made in nerve and in PyTorch with the same code: the exception each
raises, side by side, and whether nerve's message names the layer or op, what it expected
and what it got.

    python tools/mistakes.py              # a Markdown table on stdout

Each case is one function of the library module (``nerve`` or ``torch``): nerve's API is
PyTorch's, so the same line makes the same mistake in both. ``must`` lists the words
nerve's message has to contain (case-insensitive): the layer or op, and the expected and
actual sizes, types or names.
"""

from __future__ import annotations

import sys
import warnings


def _backward_twice(lib):
    w = lib.ones(3, requires_grad=True)
    loss = (w * w).sum()
    loss.backward()
    loss.backward()


def _nan_anomaly(lib):
    x = lib.tensor([-1.0, 1.0], requires_grad=True)
    with lib.autograd.detect_anomaly():
        lib.sqrt(x).sum().backward()


def _state_dict(lib, change):
    src = lib.nn.Linear(4, 3).state_dict()
    if change == "missing":
        del src["bias"]
    elif change == "unexpected":
        src["scale"] = lib.ones(1)
    else:
        src["weight"] = lib.ones(3, 5)
    lib.nn.Linear(4, 3).load_state_dict(src)


def _in_place_leaf(lib):
    w = lib.ones(3, requires_grad=True)
    w.add_(1)


def _view_non_contiguous(lib):
    lib.arange(12.0).reshape(3, 4).t().view(12)


def _bn_one_sample(lib):
    lib.nn.BatchNorm1d(4).train()(lib.randn(1, 4))


CASES = [
    (
        "Linear: wrong number of input features",
        lambda lib: lib.nn.Linear(4, 3)(lib.randn(2, 5)),
        ["linear", "4", "(2, 5)"],
    ),
    (
        "Linear: int input",
        lambda lib: lib.nn.Linear(4, 3)(lib.ones(2, 4, dtype=lib.int64)),
        ["long", "float"],
    ),
    (
        "Conv2d: wrong number of channels",
        lambda lib: lib.nn.Conv2d(3, 8, 3)(lib.randn(1, 4, 8, 8)),
        ["3 channels", "4"],
    ),
    (
        "Conv2d: a 2-D image without batch and channel",
        lambda lib: lib.nn.Conv2d(3, 8, 3)(lib.randn(8, 8)),
        ["conv2d", "3d", "4d", "[8, 8]"],
    ),
    (
        "Conv2d: kernel larger than the (padded) input",
        lambda lib: lib.nn.Conv2d(3, 8, 5)(lib.randn(1, 3, 3, 3)),
        ["conv2d", "kernel size 5", "input size 3"],
    ),
    (
        "MaxPool2d: kernel larger than the input",
        lambda lib: lib.nn.MaxPool2d(4)(lib.randn(1, 1, 2, 2)),
        ["output size", "too small"],
    ),
    (
        "LSTM: wrong input size",
        lambda lib: lib.nn.LSTM(4, 8)(lib.randn(5, 2, 3)),
        ["input_size", "4", "3"],
    ),
    (
        "LSTM: 4-D input",
        lambda lib: lib.nn.LSTM(4, 8)(lib.randn(5, 2, 3, 4)),
        ["lstm", "2d", "3d", "4d"],
    ),
    (
        "LSTM: initial state of the wrong batch size",
        lambda lib: lib.nn.LSTM(4, 8)(lib.randn(5, 2, 4), (lib.zeros(1, 3, 8), lib.zeros(1, 3, 8))),
        ["lstm", "h_0", "(1, 2, 8)", "(1, 3, 8)"],
    ),
    (
        "GRU: batch_first mix-up, features in the wrong place",
        lambda lib: lib.nn.GRU(4, 8, batch_first=True)(lib.randn(2, 4, 5)),
        ["input_size", "4", "5"],
    ),
    (
        "cross_entropy: float class indices",
        lambda lib: lib.nn.functional.cross_entropy(
            lib.randn(4, 3), lib.tensor([0.0, 1.0, 2.0, 1.0])
        ),
        ["long", "float"],
    ),
    (
        "cross_entropy: class index out of range",
        lambda lib: lib.nn.functional.cross_entropy(lib.randn(4, 3), lib.tensor([0, 1, 5, 1])),
        ["target 5", "out of bounds"],
    ),
    (
        "nll_loss: negative class index",
        lambda lib: lib.nn.functional.nll_loss(lib.randn(4, 3), lib.tensor([0, -2, 1, 1])),
        ["target -2", "out of bounds"],
    ),
    (
        "cross_entropy: batch sizes differ",
        lambda lib: lib.nn.functional.cross_entropy(lib.randn(4, 3), lib.tensor([0, 1, 2, 1, 0])),
        ["batch_size", "(4)", "(5)"],
    ),
    (
        "mse_loss: int target for a float loss",
        lambda lib: lib.nn.functional.mse_loss(
            lib.randn(3, requires_grad=True), lib.tensor([1, 2, 3])
        ).backward(),
        [],
    ),
    (
        "binary_cross_entropy: input outside [0, 1]",
        lambda lib: lib.nn.functional.binary_cross_entropy(
            lib.tensor([1.5, 0.2]), lib.tensor([1.0, 0.0])
        ),
        ["between 0 and 1"],
    ),
    (
        "Embedding: index out of range",
        lambda lib: lib.nn.Embedding(10, 4)(lib.tensor([3, 12])),
        ["index out of range"],
    ),
    (
        "matmul: inner sizes differ",
        lambda lib: lib.randn(2, 3) @ lib.randn(4, 5),
        ["matmul", "(2, 3)", "(4, 5)"],
    ),
    (
        "reshape: wrong total size",
        lambda lib: lib.arange(12.0).reshape(5, 5),
        ["[5, 5]", "size 12"],
    ),
    ("view of a transposed tensor", _view_non_contiguous, ["view", "reshape"]),
    (
        "cat: sizes differ outside the cat dimension",
        lambda lib: lib.cat([lib.ones(2, 3), lib.ones(2, 4)]),
        ["sizes of tensors must match", "3", "4"],
    ),
    ("backward twice through the same graph", _backward_twice, ["second time"]),
    (
        "backward of a non-scalar without a gradient",
        lambda lib: (lib.ones(3, requires_grad=True) * 2).backward(),
        ["scalar outputs"],
    ),
    (
        "backward of a tensor that needs no grad",
        lambda lib: lib.ones(3).sum().backward(),
        ["does not require grad"],
    ),
    ("NaN in backward under anomaly mode", _nan_anomaly, ["nan", "sqrt"]),
    ("in-place update of a leaf that requires grad", _in_place_leaf, ["leaf", "in-place"]),
    (
        "load_state_dict: missing key",
        lambda lib: _state_dict(lib, "missing"),
        ["linear", "missing", "bias"],
    ),
    (
        "load_state_dict: unexpected key",
        lambda lib: _state_dict(lib, "unexpected"),
        ["linear", "unexpected", "scale"],
    ),
    (
        "load_state_dict: mis-shaped weight",
        lambda lib: _state_dict(lib, "shape"),
        ["linear", "weight", "(3, 5)", "(3, 4)"],
    ),
    (
        "BatchNorm1d: one sample in training",
        _bn_one_sample,
        ["more than 1 value per channel", "[1, 4]"],
    ),
    ("Dropout: probability above 1", lambda lib: lib.nn.Dropout(1.5), ["dropout", "1.5"]),
    ("optimizer of no parameters", lambda lib: lib.optim.SGD([], lr=0.1), ["empty parameter list"]),
    (
        "numpy() of a tensor that requires grad",
        lambda lib: lib.ones(2, requires_grad=True).numpy(),
        ["numpy", "detach"],
    ),
    ("item() of a tensor with several elements", lambda lib: lib.ones(4).item(), ["4 elements"]),
    ("a tensor moved to a GPU that is not there", lambda lib: lib.ones(2).cuda(), ["cuda"]),
]


def outcome(lib, fn) -> tuple[type | None, str]:
    """(exception type, message) of one case, or (None, "no error")."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            fn(lib)
        except Exception as err:  # noqa: BLE001 - recording what each library raises
            return type(err), " ".join(str(err).split())
    return None, "no error"


def _name(kind) -> str:
    return "-" if kind is None else kind.__name__


def table(torch=None) -> list[dict]:
    import nerve

    rows = []
    for what, fn, must in CASES:
        n_type, n_msg = outcome(nerve, fn)
        t_type, t_msg = outcome(torch, fn) if torch is not None else (None, "torch not installed")
        missing = [w for w in must if w.lower() not in n_msg.lower()]
        # nerve's own exception classes subclass the builtin type PyTorch raises
        same = n_type is t_type or (
            n_type is not None and t_type is not None and issubclass(n_type, t_type)
        )
        rows.append(
            {
                "mistake": what,
                "nerve_type": _name(n_type),
                "nerve": n_msg,
                "torch_type": _name(t_type),
                "torch": t_msg,
                "same_type": same,
                "missing_words": missing,
            }
        )
    return rows


def main() -> int:
    try:
        import torch
    except ImportError:
        torch = None
    rows = table(torch)
    print("| mistake | PyTorch | nerve | same type | message complete |")
    print("|---|---|---|---|---|")
    for r in rows:

        def cell(kind, msg):
            return f"`{kind}`: {msg[:140]}".replace("|", "\\|")

        print(
            f"| {r['mistake']} | {cell(r['torch_type'], r['torch'])} | "
            f"{cell(r['nerve_type'], r['nerve'])} | "
            f"{'yes' if r['same_type'] else 'NO'} | "
            f"{'yes' if not r['missing_words'] else 'lacks ' + ', '.join(r['missing_words'])} |"
        )
    bad = [r for r in rows if not r["same_type"] or r["missing_words"]]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
