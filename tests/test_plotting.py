"""Figures are built with pandas fully imported (app/plotting.py): plotly looks pandas up in sys.modules
without importing it, so a half-imported pandas (another server thread importing it for the first time)
made the Lab's plane raise "partially initialized module 'pandas' has no attribute 'Series'" in a clean
checkout's browser test."""

from __future__ import annotations

import ast
import subprocess
import sys
import types

import numpy as np
import pytest

from tests.conftest import ROOT


def _plotly_imports(path) -> list[int]:
    """Lines of ``path`` that import plotly itself."""
    lines = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import) and any(a.name.split(".")[0] == "plotly" for a in node.names):
            lines.append(node.lineno)
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "plotly":
            lines.append(node.lineno)
    return lines


def test_only_app_plotting_imports_plotly():
    found = {
        str(p.relative_to(ROOT)): _plotly_imports(p)
        for folder in ("app", "pipelines", "models")
        for p in (ROOT / folder).rglob("*.py")
        if p != ROOT / "app" / "plotting.py"
    }
    assert not {k: v for k, v in found.items() if v}, "import go from app.plotting instead"


def test_app_plotting_has_pandas_complete_before_plotly():
    code = (
        "import sys, builtins\n"
        "order = []\n"
        "orig = builtins.__import__\n"
        "def imp(name, *a, **k):\n"
        "    top = name.split('.')[0]\n"
        "    if top in ('pandas', 'plotly') and top not in order: order.append(top)\n"
        "    return orig(name, *a, **k)\n"
        "builtins.__import__ = imp\n"
        "import app.plotting\n"
        "print(' '.join(order))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert out.split()[:2] == ["pandas", "plotly"], out


def test_a_half_imported_pandas_breaks_plotly_figures():
    """Why the order matters: with a pandas still initialising in sys.modules, a heatmap cannot be built."""
    import app.plotting  # noqa: F401 - plotly itself loaded, as in the server

    go = app.plotting.go
    real = sys.modules["pandas"]
    half = types.ModuleType("pandas")  # what another thread's import leaves there before it is done
    half.__spec__ = real.__spec__
    sys.modules["pandas"] = half
    try:
        with pytest.raises(AttributeError, match="Series"):
            go.Heatmap(z=np.zeros((3, 3)), hoverinfo="skip")
    finally:
        sys.modules["pandas"] = real
    go.Heatmap(z=np.zeros((3, 3)), hoverinfo="skip")  # and with pandas complete it is built
