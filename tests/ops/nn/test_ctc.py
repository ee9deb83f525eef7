"""CTC loss: finite differences through log_softmax, and PyTorch on log_probs directly
(PyTorch's gradient w.r.t. log_probs is the one already taken through a log_softmax; nerve
returns the same)."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from opcheck import Case, Const, table_tests

import nerve
import nerve.nn.functional as F

rng = np.random.default_rng(0)
T, N, C, S = 7, 4, 5, 3
LOGITS = rng.standard_normal((T, N, C))
TARGETS = rng.integers(1, C, (N, S))
TARGETS[1, 1] = TARGETS[1, 0]  # a repeated label needs a blank between its copies
IL, TL = np.array([7, 6, 7, 4]), np.array([3, 2, 0, 3])
FLAT = np.concatenate([TARGETS[i, : TL[i]] for i in range(N)])
SHORT = np.array([7, 2, 7, 4])  # sample 1 cannot align: infinite loss


def _via_softmax(red="mean", blank=0, zi=False, tg=TARGETS, il=IL, tl=TL):
    targets = Const(tg)

    def ours(x, t):
        return F.ctc_loss(F.log_softmax(x, 2), t, il, tl, blank, red, zi)

    def theirs(x, t):
        return TF.ctc_loss(
            TF.log_softmax(x, 2), t, torch.from_numpy(il), torch.from_numpy(tl), blank, red, zi
        )

    return ours, theirs, targets


def _case(name, **kw):
    ours, theirs, t = _via_softmax(**kw)
    return Case(f"CTC/{name}", ours, theirs, [LOGITS, t])


def _direct(name, red):
    lp = torch.log_softmax(torch.from_numpy(LOGITS), 2).numpy()
    return Case(
        f"CTC/direct_{name}",
        lambda x: F.ctc_loss(x, TARGETS, IL, TL, reduction=red),
        lambda x: TF.ctc_loss(
            x, torch.from_numpy(TARGETS), torch.from_numpy(IL), torch.from_numpy(TL), reduction=red
        ),
        [lp],
        gradcheck=False,
    )


CASES = [
    _case("mean"),
    _case("sum", red="sum"),
    _case("none", red="none"),
    _case("blank_last", blank=C - 1, tg=np.where(TARGETS == C - 1, 0, TARGETS)),
    _case("flat_targets", tg=FLAT),
    _case("zero_infinity", red="none", zi=True, il=SHORT),
    _case("zero_infinity_mean", zi=True, il=SHORT),
    _direct("mean", "mean"),
    _direct("none", "none"),
]


table_tests(CASES)


def test_unbatched():
    x = rng.standard_normal((6, C))
    lp = F.log_softmax(nerve.tensor(x), 1)
    ours = F.ctc_loss(lp, TARGETS[0], [6], [3], reduction="none")
    theirs = TF.ctc_loss(
        torch.log_softmax(torch.from_numpy(x), 1),
        torch.from_numpy(TARGETS[0]),
        torch.tensor([6]),
        torch.tensor([3]),
        reduction="none",
    )
    assert ours.shape == tuple(theirs.shape) == ()
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)


def test_impossible_alignment_is_infinite():
    lp = F.log_softmax(nerve.tensor(LOGITS), 2)
    loss = F.ctc_loss(lp, TARGETS, SHORT, TL, reduction="none")
    assert np.isinf(loss.numpy()[1]) and np.all(np.isfinite(loss.numpy()[[0, 2, 3]]))


def test_long_sequence_is_stable():
    x = rng.standard_normal((400, 2, 30)) * 5
    tg = rng.integers(1, 30, (2, 60))
    lp = F.log_softmax(nerve.tensor(x, requires_grad=True), 2)
    loss = F.ctc_loss(lp, tg, [400, 350], [60, 45])
    t = TF.ctc_loss(
        torch.log_softmax(torch.from_numpy(x), 2),
        torch.from_numpy(tg),
        torch.tensor([400, 350]),
        torch.tensor([60, 45]),
    )
    np.testing.assert_allclose(loss.detach().numpy(), t.numpy(), rtol=1e-10)


@pytest.mark.parametrize(
    "kw",
    [dict(input_lengths=[8, 6, 7, 4]), dict(target_lengths=[4, 2, 0, 3]), dict(reduction="avg")],
)
def test_errors_match_torch(kw):
    args = dict(input_lengths=IL, target_lengths=TL, reduction="mean")
    args.update(kw)
    exc = ValueError if "reduction" in kw else RuntimeError
    lp = torch.log_softmax(torch.from_numpy(LOGITS), 2)
    with pytest.raises(exc):
        TF.ctc_loss(
            lp,
            torch.from_numpy(TARGETS),
            torch.tensor(args["input_lengths"]),
            torch.tensor(args["target_lengths"]),
            reduction=args["reduction"],
        )
    with pytest.raises(exc):
        F.ctc_loss(
            nerve.tensor(lp.numpy()),
            TARGETS,
            args["input_lengths"],
            args["target_lengths"],
            reduction=args["reduction"],
        )
