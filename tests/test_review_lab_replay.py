"""Lab replay: switching to a run with another number of snapshots draws that run's latest snapshot
(the snapshot slider's state was shared by every run, so the plane showed the previous run's index)."""

from __future__ import annotations

import json

from streamlit.testing.v1 import AppTest

from pipelines.lab.engine import LabSession
from pipelines.lab.runfolder import open_run, save_run
from pipelines.lab.settings import LabSettings
from tests.conftest import CHECKPOINTS

APP = str(CHECKPOINTS.parent / "app" / "dashboard.py")


def _titles(at) -> str:
    return " ".join(json.dumps(c.proto.spec) if hasattr(c.proto, "spec") else str(c.proto) for c in at.get("plotly_chart"))


def test_replay_switching_runs_shows_the_new_runs_latest_snapshot(monkeypatch, tmp_path):
    s = LabSession(LabSettings(g_width=32, d_width=32, batch=64, noise="uniform"))
    for _ in range(25):
        s.iterate()
    saved = save_run(s, tmp_path / "runs" / "lab-few")
    last = open_run(saved).steps[-1]
    monkeypatch.setenv("GANSCOPE_IMPORT_DIR", str(tmp_path / "saved"))
    monkeypatch.setenv("GANSCOPE_RUNS", str(tmp_path / "runs"))
    at = AppTest.from_file(APP, default_timeout=180)
    at.run()
    at.switch_page("views/lab.py").run()
    at.radio(key="lab_mode").set_value("Replay a run").run()
    at.selectbox(key="lab_replay_run").set_value(str(CHECKPOINTS / "quadratic-1d")).run()
    at.select_slider[0].set_value(1).run()  # scrub the first run back
    at.selectbox(key="lab_replay_run").set_value(str(saved)).run()
    assert not at.exception, [e.message for e in at.exception]
    assert f"lab-few \\u00b7 step {last}" in _titles(at)  # the figure's JSON escapes the middle dot
