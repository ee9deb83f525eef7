"""`nerve demo`: --quick trains the char model past the unigram baseline and says so."""

from nerve.cli import main
from nerve.demo import baseline_verdict


def test_quick_demo_beats_the_unigram_baseline(tmp_path, capsys):
    assert main(["demo", "--quick", "--quiet", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    figures = out.split("charlm: test ")[1].splitlines()[0]
    ppl = float(figures.split("perplexity ")[1].split(",")[0])
    base = float(figures.split("unigram_perplexity ")[1])
    assert ppl < 0.8 * base, figures
    assert "the model beats the unigram baseline" in out
    assert "Epoch 1/" not in out  # --quiet: results only
    for task in ("digits-mlp", "digits-cnn", "charlm"):
        assert (tmp_path / task / "last.nrv").is_file()
    assert " in all)" in out.splitlines()[-1]


def test_verdict_says_when_the_model_is_no_better_than_the_baseline():
    line = baseline_verdict({"perplexity": 23.69, "unigram_perplexity": 23.60}, quick=True)
    assert "NO better than the unigram baseline" in line and "23.69" in line
    assert "--quick" in line
    assert "beats" in baseline_verdict({"perplexity": 13.4, "unigram_perplexity": 23.6})


def test_the_demo_and_the_tasks_do_not_import_the_command():
    """cli imports demo and the tasks, never the other way round (no cycle)."""
    import ast
    from pathlib import Path

    package = Path(__file__).resolve().parents[1] / "nerve"
    for path in [package / "demo.py", *sorted((package / "tasks").glob("*.py"))]:
        tree = ast.parse(path.read_text("utf-8"))
        imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        imported |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
        imported |= {
            f"{n.module}.{a.name}"
            for n in ast.walk(tree)
            if isinstance(n, ast.ImportFrom) and n.module
            for a in n.names
        }
        assert not {m for m in imported if m == "nerve.cli" or m.startswith("nerve.cli.")}, (
            path.name
        )
