"""The lecture experiments, one command each (the same as ``nerve lab NAME``):

    python examples/labs.py backprop          # the two-layer sigmoid worked example, traced
    python examples/labs.py vanishing         # 10-layer sigmoid vs ReLU vs residual MLP
    python examples/labs.py init              # activation variance per layer, 4 inits
    python examples/labs.py activations       # ReLU, leaky ReLU, PReLU, RReLU, CReLU
    python examples/labs.py regularization    # weight decay, dropout, early stopping, pruning
    python examples/labs.py rnn-memory        # RNN vs LSTM vs GRU, gradient through time
    python examples/labs.py conv-arithmetic   # output sizes and parameter counts
    python examples/labs.py parallel          # a dense layer per unit, per row, as one GEMM
    python examples/labs.py bptt              # how far BPTT reaches; truncated BPTT
    python examples/labs.py exploding         # exp activation: exploding gradients, clipping
    python examples/labs.py traffic-sign      # the small CNN on synthetic traffic signs
    python examples/labs.py hello             # the "hello" character RNN
    python examples/labs.py all --quick       # every lab, reduced

Each prints its finding in one sentence with the numbers and writes lab_<name>.png to
--out (default: the current folder).
"""

from __future__ import annotations

import argparse

from nerve.diagnostics.labs import LAB_NAMES, run_lab


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("name", choices=LAB_NAMES + ("all",))
    p.add_argument("--quick", action="store_true", help="a reduced run")
    p.add_argument("--out", default=".")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    for name in LAB_NAMES if args.name == "all" else (args.name,):
        print(f"== lab {name} ==")
        run_lab(name, quick=args.quick, out=args.out, seed=args.seed)


if __name__ == "__main__":
    main()
