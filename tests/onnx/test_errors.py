"""nerve.onnx without the onnx package: importable, and a clear error when used."""

from __future__ import annotations

import subprocess
import sys

CODE = """
import sys
sys.modules["onnx"] = None  # as if not installed
import nerve, nerve.onnx
assert "onnx" not in [m for m in sys.modules if sys.modules[m] is not None]
for call in (lambda: nerve.onnx.export(nerve.nn.Linear(1, 1), (nerve.zeros(1, 1),), "x.onnx"),
             lambda: nerve.onnx.load_model("x.onnx")):
    try:
        call()
    except ImportError as err:
        assert 'pip install "nerve[onnx]"' in str(err), err
    else:
        raise AssertionError("no ImportError")
print("ok")
"""


def test_import_nerve_does_not_load_onnx():
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, nerve; import nerve.onnx; "
            "print('onnx' in sys.modules, 'onnxruntime' in sys.modules)",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.split() == ["False", "False"]


def test_without_onnx_installed_the_error_says_what_to_install(tmp_path):
    out = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"
