"""The docs cannot rot: every ```python block of README.md and docs/*.md runs.

Each page's blocks run in order in one fresh namespace (later blocks use names from
earlier ones, as a reader would), in a temporary working directory, after
``nerve.manual_seed(0)``. Blocks tagged ```sh or ```text are not run.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import nerve

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PAGES = [ROOT / "README.md"] + sorted(DOCS.glob("*.md"))
FENCE = re.compile(r"^```([\w+-]*)[^\n]*\n(.*?)^```[ \t]*$", re.S | re.M)
LINK = re.compile(r"\]\(([^)#\s]+\.md)(#[^)]*)?\)")
EXPECTED = [
    "index",
    "tensors",
    "autograd",
    "nn",
    "losses",
    "optim",
    "data",
    "training",
    "cnn",
    "recurrent",
    "cli",
    "io",
    "performance",
    "lectures",
]


def python_blocks(text: str) -> list[tuple[int, str]]:
    """(line number, code) of every ```python fence, in page order."""
    out = []
    for m in FENCE.finditer(text):
        if m.group(1) == "python":
            line = text.count("\n", 0, m.start(2)) + 1
            out.append((line, m.group(2)))
    return out


def test_block_extraction_finds_python_fences_only():
    text = "x\n```python\na = 1\n```\n```sh\nrm -rf /\n```\n```python\nb = a\n```\n"
    assert python_blocks(text) == [(3, "a = 1\n"), (9, "b = a\n")]


def test_fences_are_tagged_so_nothing_is_skipped_by_mistake():
    # an untagged or misspelt fence (```pyhton) would silently not run
    for page in PAGES:
        tags = {m.group(1) for m in FENCE.finditer(page.read_text("utf-8"))}
        assert tags <= {"python", "sh", "text", "toml"}, f"{page.name}: fences tagged {tags}"


def test_every_topic_page_exists_and_has_runnable_code():
    names = {p.stem for p in DOCS.glob("*.md")}
    assert set(EXPECTED) <= names, f"missing pages: {sorted(set(EXPECTED) - names)}"
    for name in EXPECTED:
        if name == "index":
            continue
        assert python_blocks((DOCS / f"{name}.md").read_text("utf-8")), f"{name}.md has no code"


def anchors(text: str) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens."""
    heads = re.findall(r"^#+ +(.+?) *$", FENCE.sub("", text), re.M)
    return {re.sub(r"[^\w\- ]", "", h.lower()).replace(" ", "-") for h in heads}


def test_anchor_slugs_follow_github():
    text = "# A `nerve` page\n## nn.utils: clipping, pruning\n```python\n# not a heading\n```\n"
    assert anchors(text) == {"a-nerve-page", "nnutils-clipping-pruning"}


def test_index_links_every_page_and_links_resolve():
    index = (DOCS / "index.md").read_text("utf-8")
    linked = {m.group(1) for m in LINK.finditer(index)}
    assert {f"{n}.md" for n in EXPECTED if n != "index"} <= linked
    for page in PAGES:
        for m in LINK.finditer(page.read_text("utf-8")):
            target = (page.parent / m.group(1)).resolve()
            assert target.is_file(), f"{page.name}: broken link to {m.group(1)}"
            if m.group(2):
                assert m.group(2)[1:] in anchors(target.read_text("utf-8")), (
                    f"{page.name}: no heading for {m.group(1)}{m.group(2)}"
                )


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_page_code_runs(page, tmp_path, monkeypatch):
    blocks = python_blocks(page.read_text("utf-8"))
    monkeypatch.chdir(tmp_path)
    nerve.manual_seed(0)
    namespace = {"__name__": f"docs_{page.stem}"}
    dtype, grad = nerve.get_default_dtype(), nerve.is_grad_enabled()
    try:
        for line, code in blocks:
            try:
                exec(compile(code, f"{page.name}:{line}", "exec"), namespace)  # noqa: S102
            except Exception as err:  # noqa: BLE001 - report which block of which page
                pytest.fail(f"{page.name}, block at line {line}: {type(err).__name__}: {err}")
    finally:
        nerve.set_default_dtype(dtype)
        nerve.set_grad_enabled(grad)
