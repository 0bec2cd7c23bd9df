"""The Lab's charts after a long Play: lines cut to the points that draw them, verdict windows diagnosed once,
one band per run of equal verdicts. Played for 10 minutes, the charts cost the server ~200 ms and Chromium ~80 ms
every redraw before (benchmarks/lab_charts_speed.py)."""

from __future__ import annotations

import numpy as np
import pytest

from app.charts import decimate
from app.components import lab_plane
from pipelines.diagnose import Window
from pipelines.lab import views
from pipelines.lab.engine import LabSession
from pipelines.lab.settings import LabSettings


def test_decimate_keeps_each_buckets_extremes_and_the_ends():
    x = np.arange(12_000) * 10
    y = np.sin(x / 37.0) + 0.001 * x  # an oscillation far faster than a bucket, on a slope
    y[5_000:5_040] = np.nan  # a gap: missing values are never picked
    y[7_777] = 9.0  # a spike: a min-max bucket keeps it
    xs, ys = decimate(x, y, 1200)
    assert len(xs) <= 1202 and xs[0] == 0 and xs[-1] == x[-1]
    assert np.all(np.diff(xs) > 0)  # in order, each point once
    assert not np.isnan(ys).any()
    assert 9.0 in ys and np.nanmin(y) in ys  # the full swing survives
    assert np.array_equal(ys, y[xs // 10])  # points of the series, not averages
    short = np.arange(50.0)
    assert decimate(short, short, 1200)[0] is short  # a short line is left as it is


def _log(n_records: int) -> list[dict]:
    lab = LabSession(LabSettings(batch=32, g_width=16, d_width=16))
    while len(lab.log) < 20:
        lab.iterate()
    return [dict(lab.log[i % 20], step=(i + 1) * 10) for i in range(n_records)]


def test_verdict_windows_of_a_growing_log_are_diagnosed_once_and_agree(monkeypatch):
    log = _log(180)
    cache = views.VerdictWindows()
    calls = []
    diagnose = views.diagnose_window
    monkeypatch.setattr(views, "diagnose_window", lambda span: calls.append(len(span)) or diagnose(span))
    grown = log[:45]  # two full windows of 20 records and a partial one
    assert [w.verdict for w in cache(grown)] == [w.verdict for w in views.verdict_windows(grown)]
    grown = log[:100]  # the log grew: the partial window is full now, and more came
    want = [(w.start, w.end, w.verdict) for w in views.verdict_windows(grown)]
    calls.clear()
    assert [(w.start, w.end, w.verdict) for w in cache(grown)] == want
    assert calls == [20, 20, 20]  # windows 3 to 5 (the third was partial before); the first two not again
    calls.clear()
    cache(grown)
    assert calls == []  # nothing new: nothing diagnosed
    for shown in (log[:70], [r for r in log if r["step"] <= 650]):  # scrubbed back; a fork's copy of the records
        want = [(w.start, w.end, w.verdict) for w in views.verdict_windows(shown)]
        assert [(w.start, w.end, w.verdict) for w in cache(shown)] == want
    reset = [dict(r, d_loss_real=r["d_loss_real"] + 5.0) for r in log[:60]]  # a reset: new records, other values
    want = [(w.start, w.verdict, w.stats) for w in views.verdict_windows(reset)]
    assert [(w.start, w.verdict, w.stats) for w in cache(reset)] == want


@pytest.mark.parametrize("verdicts, spans", [
    (["stable"] * 4, [(0, 39, "stable")]),
    (["stable", "stable", "oscillation", "stable"], [(0, 19, "stable"), (20, 29, "oscillation"), (30, 39, "stable")]),
    ([], []),
])  # fmt: skip
def test_verdict_spans_join_consecutive_equal_verdicts(verdicts, spans):
    windows = [Window(10 * i, 10 * i + 9, v) for i, v in enumerate(verdicts)]
    assert lab_plane.verdict_spans(windows) == spans


def test_the_charts_of_a_ten_minute_lab_stay_small():
    log = _log(12_000)  # 120,000 iterations
    for i in range(4_000, 4_400):  # 20 windows where D wins outright: another verdict, other bands
        log[i] = dict(log[i], d_loss_real=0.01, d_loss_fake=0.01, g_loss=6.0, d_acc_real=1.0, d_acc_fake=1.0)
    divs = [{"step": 50 * i, "kl": 1.0 / (i + 1), "js": 0.5 / (i + 1)} for i in range(2_400)]
    windows = views.VerdictWindows()(log)
    loss = lab_plane.loss_chart({"run": log}, windows)
    div = lab_plane.divergence_chart({"run": divs})
    spans = lab_plane.verdict_spans(windows)
    assert len(windows) == 600 and len(loss.layout.shapes) == len(spans) < 600
    assert len({v for _, _, v in spans}) >= 2 and len(spans) >= 3  # the other verdict cuts the band in three
    keys = [t.name for t in loss.data if t.name.startswith("band: ")]
    assert sorted(keys) == sorted(f"band: {v.replace('_', ' ')}" for v in {v for _, _, v in spans})  # each colour named
    assert all(len(t.x) <= lab_plane.CHART_POINTS + 2 for t in (*loss.data, *div.data))
    assert loss.data[0].x[-1] == 120_000 and div.data[0].x[-1] == 50 * 2_399  # the newest point is drawn
