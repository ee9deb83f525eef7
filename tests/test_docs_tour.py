"""README's tour of the command works when followed in order in an empty folder: every
line parses, and every checkpoint, run folder or file a line reads was written by a line
before it (a resume continues a run the tour made, to more epochs than it had)."""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path

from nerve.cli import _parser
from nerve.demo import DEMO_TASKS

README = Path(__file__).resolve().parents[1] / "README.md"


def tour_lines() -> list[str]:
    text = README.read_text("utf-8")
    section = text[text.index("## A tour of the command") :]
    block = re.search(r"```sh\n(.*?)```", section, re.S).group(1)
    return [line.split("  #")[0].strip() for line in block.splitlines() if line.strip()]


def _inside(path: str, written: dict) -> str | None:
    """The written path that holds ``path`` (itself or a folder above it)."""
    p = os.path.normpath(path)
    for w in written:
        if p == w or p.startswith(w + os.sep):
            return w
    return None


def test_every_line_parses_and_reads_only_what_an_earlier_line_wrote():
    written: dict[str, int | None] = {}  # path -> the epochs its run planned
    lines = tour_lines()
    assert lines[0].startswith("nerve demo")
    for line in lines:
        words = shlex.split(line)
        if words[0] == "printf":  # printf '...' > FILE
            assert words[-2] == ">", line
            written[os.path.normpath(words[-1])] = None
            continue
        assert words[0] == "nerve", line
        if "--help" in words:
            continue
        args = _parser().parse_args(words[1:])
        for attr in ("checkpoint", "resume", "config"):
            path = getattr(args, attr, None)
            if path:
                assert _inside(path, written), f"{line!r} reads {path}, not written before"
        if args.command == "train" and args.resume:
            before = written[_inside(args.resume, written)]
            assert args.epochs and before and args.epochs > before, (
                f"{line!r} resumes a {before}-epoch run to {args.epochs} epochs"
            )
        if args.command == "train" and (args.out or args.resume):
            out = args.out or os.path.dirname(args.resume)
            written[os.path.normpath(out)] = args.epochs
        if args.command == "demo":
            assert args.out, "the tour names the demo's folder, so later lines can use it"
            for name, _ in DEMO_TASKS:
                written[os.path.normpath(os.path.join(args.out, name))] = None


def test_the_tour_resumes_a_run_and_reads_the_demo():
    lines = tour_lines()
    assert any("--resume" in line for line in lines)
    assert any(line.startswith("nerve generate runs/demo/") for line in lines)
