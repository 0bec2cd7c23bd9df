"""A fork on the Compare and Training pages (AppTest): Compare draws parent and fork side by side on the
same seeds from the fork step on; Training overlays the parent's curves and marks where the fork starts.

The fork here is a run folder laid out as ``ganscope-train --fork`` writes one (config.json's ``fork``
record, the parent relative to the fork), with the shipped ring-8 as its parent."""

from __future__ import annotations

import json
import shutil

import pytest
from streamlit.testing.v1 import AppTest

from app.components.fork_views import fork_origin
from pipelines import runs
from tests.conftest import CHECKPOINTS

APP = str(CHECKPOINTS.parent / "app" / "dashboard.py")
AT = 1600


@pytest.fixture
def fork(tmp_path, monkeypatch):
    parent, child = tmp_path / "ring-8", tmp_path / "ring-8-fork"
    shutil.copytree(CHECKPOINTS / "ring-8", parent)
    (child / runs.SNAPSHOTS).mkdir(parents=True)
    config = json.loads((parent / runs.CONFIG).read_text())
    config["train"]["lr_d"] = 5e-4
    config["fork"] = {"parent": "../ring-8", "parent_abs": str(parent), "parent_name": "ring-8", "step": AT}
    (child / runs.CONFIG).write_text(json.dumps(config))
    for path, meta in runs.list_snapshots(parent):
        if meta["step"] > AT:  # stand-ins for the fork's own snapshots: the same steps as the parent's
            shutil.copy(path, child / runs.SNAPSHOTS / path.name)
    with open(child / runs.LOG, "w") as f:
        for rec in runs.read_log(parent):
            if rec["step"] > AT:
                f.write(json.dumps({**rec, "g_loss": rec["g_loss"] + 0.5}) + "\n")
    for var in ("GANSCOPE_ALLOWED_ROOTS", "GANSCOPE_HIDE_PATH_BOX"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("GANSCOPE_RUNS", str(tmp_path))
    return parent, child


def _open(run, page: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    at.run()
    at.sidebar.selectbox(key="run_select").set_value(str(run)).run()
    at.switch_page(f"views/{page}.py").run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def test_the_fork_names_its_parent_and_step(fork):
    parent, child = fork
    assert fork_origin(child) == (parent.resolve(), AT)
    assert fork_origin(parent) is None


def test_compare_shows_parent_and_fork_side_by_side_from_the_fork_step(fork):
    parent, child = fork
    at = _open(child, "compare")
    assert f"Parent and fork from step {AT:,}" in [h.value for h in at.subheader]
    titles = [json.loads(c.proto.spec)["layout"]["title"]["text"] for c in at.get("plotly_chart")]
    pairs = [(t, t.replace("ring-8 (parent)", "ring-8-fork (fork)")) for t in titles if "(parent)" in t]
    assert pairs and all(fork_title in titles for _, fork_title in pairs)  # each parent step beside the fork's
    steps = [int(t.rsplit("step ", 1)[1].replace(",", "")) for t, _ in pairs]
    assert min(steps) > AT and steps == sorted(steps)


def test_a_run_that_is_not_a_fork_has_no_such_section(fork):
    at = _open(fork[0], "compare")
    assert not any("Parent and fork" in h.value for h in at.subheader)


def test_training_overlays_the_parent_and_marks_the_fork(fork):
    parent, child = fork
    at = _open(child, "training")
    assert set(at.multiselect(key="train_runs").value) == {str(child), str(parent.resolve())}
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    names = {trace.get("name", "") for trace in spec["data"]}
    assert any("ring-8-fork" in n for n in names) and any(n.startswith("ring-8") and "fork" not in n for n in names)
    shapes = spec["layout"].get("shapes", [])
    assert any(s.get("x0") == AT and s.get("type") == "line" for s in shapes)
    assert any("forked" in a.get("text", "") for a in spec["layout"].get("annotations", []))
