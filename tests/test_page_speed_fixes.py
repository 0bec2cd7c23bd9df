"""What made pages slow stays fixed (benchmarks/page-speed.md): files made on click, logs parsed once per
version, verdict bands in one layout update."""

import time

import plotly.graph_objects as go
import pytest

from app import export
from app.charts import bands
from pipelines.runs import read_jsonl
from tests.conftest import CHECKPOINTS
from tests.test_app import _app


def test_read_jsonl_parses_once_per_version_and_hands_out_copies(tmp_path):
    p = tmp_path / "log.jsonl"
    p.write_text('{"step": 1}\n')
    first = read_jsonl(p)
    first[0]["step"] = 99  # a caller changing its records changes nobody else's
    assert read_jsonl(p) == [{"step": 1}]
    with p.open("a") as f:
        f.write('{"step": 2}\n')
    assert read_jsonl(p) == [{"step": 1}, {"step": 2}]  # an appended record is seen
    assert read_jsonl(tmp_path / "missing.jsonl") == []
    log = CHECKPOINTS / "mnist-dcgan" / "log.jsonl"
    read_jsonl(log)
    t = time.perf_counter()
    again = read_jsonl(log)
    assert len(again) > 1000 and time.perf_counter() - t < 0.02  # parsing it takes 30 ms or more


@pytest.mark.parametrize(("page", "makers"), [("ablation", ("png_bytes",)), ("interpolate", ("gif_bytes", "mp4_bytes"))])
def test_downloads_are_made_on_click_not_on_every_run(monkeypatch, page, makers):
    calls = []
    for name in makers:
        real = getattr(export, name)
        monkeypatch.setattr(export, name, lambda *a, _real=real, _n=name, **k: calls.append(_n) or _real(*a, **k))
    _app(page)
    assert calls == []


def test_bands_match_add_vrect():
    spans = [(0, 10, "rgba(1,2,3,0.1)", "stable"), (10, 20, "rgba(3,2,1,0.1)", "")]
    fig = bands(go.Figure(go.Scatter(x=[0, 20], y=[0, 1])), spans)
    assert [(s.x0, s.x1, s.fillcolor, s.yref) for s in fig.layout.shapes] == [(a, b, c, "paper") for a, b, c, _ in spans]
    assert [a.text for a in fig.layout.annotations] == ["stable"]


def test_a_second_visitor_gets_the_grids_without_encoding_them(monkeypatch):
    """Compare's grids (and every page's drawn through ``show``) are enlarged and encoded once for every session."""
    from app.components import samples_view

    _app("compare")  # the first visitor: makes them
    made = []
    real = samples_view.screen_png
    monkeypatch.setattr(samples_view, "screen_png", lambda *a, **k: made.append(1) or real(*a, **k))
    _app("compare")
    assert made == []
