"""The hello lab: the lectures' character model of "hello".

Vocabulary in the slide's order h, e, l, o; the inputs "hell" as one-hot vectors, the
targets "ello": at every step the RNN reads a character and predicts the next,
hₜ = tanh(W_xh xₜ + W_hh hₜ₋₁ + b),  yₜ = W_hy hₜ + b_y,  pₜ = softmax(yₜ),
trained on L = Σₜ -log pₜ[targetₜ]. Both "l"s are the same input but must give
different outputs ("l" then "o"): only the hidden state, the memory of what came
before, can tell them apart.
"""

from __future__ import annotations

import os

import numpy as np

import nerve.nn.functional as F
from nerve import creation, nn, optim
from nerve.autograd.grad_mode import no_grad
from nerve.diagnostics.labs.result import LabResult, save_plot
from nerve.diagnostics.plots import new_figure, save_figure
from nerve.random import manual_seed

VOCAB = ("h", "e", "l", "o")
INPUT, TARGET = "hell", "ello"


def one_hot(text: str) -> np.ndarray:
    """(len(text), len(VOCAB)): row t is the one-hot vector of text[t]."""
    return np.eye(len(VOCAB), dtype=np.float32)[[VOCAB.index(c) for c in text]]


class CharRNN(nn.Module):
    """One-hot characters → tanh RNN → logits over the vocabulary, at every step."""

    def __init__(self, hidden: int = 3) -> None:
        super().__init__()
        self.rnn = nn.RNN(len(VOCAB), hidden, batch_first=True)
        self.head = nn.Linear(hidden, len(VOCAB))

    def forward(self, x):
        return self.head(self.rnn(x)[0])


def probabilities(model) -> np.ndarray:
    """(steps, vocab): pₜ for the input "hell"."""
    with no_grad():
        logits = model(creation.from_numpy(one_hot(INPUT)[None]))[0]
        return F.softmax(logits, dim=-1).numpy()


def predicted(p: np.ndarray) -> str:
    return "".join(VOCAB[i] for i in p.argmax(-1))


def train(model, max_steps: int, lr: float = 0.05) -> list:
    """Adam on L = mean cross-entropy, until the predictions read "ello" with every
    target above probability 0.9 (or ``max_steps``); the losses."""
    opt = optim.Adam(model.parameters(), lr=lr)
    x = creation.from_numpy(one_hot(INPUT)[None])
    target = creation.tensor([VOCAB.index(c) for c in TARGET])
    rows = np.arange(len(TARGET))
    losses = []
    for _ in range(max_steps):
        loss = F.cross_entropy(model(x)[0], target)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
        p = probabilities(model)
        if predicted(p) == TARGET and p[rows, target.numpy()].min() > 0.9:
            break
    return losses


def _table(p: np.ndarray) -> list:
    lines = [
        f"  {'step':<5}{'input':<7}{'target':<8}{'predicted':<11}"
        + "".join(f"{'p(' + c + ')':<7}" for c in VOCAB)
    ]
    for t, (a, b) in enumerate(zip(INPUT, TARGET)):
        lines.append(
            f"  {t + 1:<5}{a:<7}{b:<8}{VOCAB[p[t].argmax()]:<11}"
            + "".join(f"{v:<7.2f}" for v in p[t])
        )
    return [line.rstrip() for line in lines]


def plot_hello(before: np.ndarray, after: np.ndarray, losses: list, path: str) -> str:
    """pₜ before and after training (characters by steps, annotated), and the loss."""
    from matplotlib.ticker import MaxNLocator

    fig, axes = new_figure(ncols=3, width=3.8, height=3.6)
    steps = [f"{t + 1}: {a}→{b}" for t, (a, b) in enumerate(zip(INPUT, TARGET))]
    for ax, p, title in ((axes[0], before, "before training"), (axes[1], after, "after training")):
        ax.imshow(p.T, vmin=0, vmax=1, cmap="Blues", aspect="auto")
        for t in range(p.shape[0]):
            for c in range(p.shape[1]):
                ax.text(
                    t,
                    c,
                    f"{p[t, c]:.2f}",
                    ha="center",
                    va="center",
                    fontsize=8,
                    color="white" if p[t, c] > 0.6 else "black",
                )
        ax.set_xticks(range(len(steps)), steps, fontsize=8)
        ax.set_yticks(range(len(VOCAB)), VOCAB)
        ax.set_xlabel("step: input → target")
        ax.set_ylabel("next character")
        ax.set_title(f'pₜ {title}: predicts "{predicted(p)}"', fontsize=9)
    ax = axes[2]
    ax.semilogy(np.arange(1, len(losses) + 1), losses)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("training step")
    ax.set_ylabel("cross-entropy")
    ax.set_title("loss", fontsize=9)
    ax.grid(True, which="major", alpha=0.3)
    fig.suptitle('the "hello" character RNN: input "hell", target "ello"', fontsize=11)
    return save_figure(fig, path)


def lab_hello(quick: bool = False, out: str = ".", seed: int = 0) -> LabResult:
    """Train the 3-unit RNN on "hell" → "ello"; pₜ before and after."""
    manual_seed(seed)
    model = CharRNN()
    before = probabilities(model)
    losses = train(model, 300 if quick else 1000)
    after = probabilities(model)
    nums = {
        "vocab": list(VOCAB),
        "one_hot": one_hot(INPUT).tolist(),
        "before": before.tolist(),
        "after": after.tolist(),
        "predicted_before": predicted(before),
        "predicted_after": predicted(after),
        "steps": len(losses),
        "loss_first": losses[0],
        "loss_last": losses[-1],
    }
    lines = [
        "vocabulary (the slide's order): " + ", ".join(VOCAB),
        f'input "{INPUT}" → target "{TARGET}"; one-hot encoding:',
        "  char " + " ".join(f"{c:>2}" for c in VOCAB),
    ]
    lines += [
        f"  {c:<4} " + " ".join(f"{int(v):>2}" for v in row)
        for c, row in zip(VOCAB, np.eye(len(VOCAB), dtype=int))
    ]
    lines += [
        f"a tanh RNN with 3 hidden units; before training it predicts "
        f'"{nums["predicted_before"]}":',
        *_table(before),
        f"after {len(losses)} Adam steps (cross-entropy {losses[0]:.3f} → "
        f'{losses[-1]:.3f}) it predicts "{nums["predicted_after"]}":',
        *_table(after),
    ]
    rows = np.arange(len(TARGET)), [VOCAB.index(c) for c in TARGET]
    finding = (
        f'After {len(losses)} training steps the RNN predicts "{nums["predicted_after"]}'
        f'" from "{INPUT}" (it predicted "{nums["predicted_before"]}" untrained), '
        f"the target's probability at least {after[rows].min():.2f} at every step: the "
        f'two "l" inputs give "l" ({after[2, 2]:.2f}) and then "o" '
        f"({after[3, 3]:.2f}), which only the hidden state can tell apart."
    )
    path = save_plot(plot_hello, before, after, losses, os.path.join(out, "lab_hello.png"))
    return LabResult("hello", finding, nums, path, "\n".join(lines))
