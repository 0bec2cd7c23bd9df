"""Train page: a fork at a run's last step with the parent's max_steps would train nothing (the trainer
says "already finished" and the job shows as finished); the form says so and Start waits."""

from __future__ import annotations

import subprocess
import sys

import pytest
from streamlit.testing.v1 import AppTest

from pipelines import runs
from tests.conftest import CHECKPOINTS
from tests.test_train_page import jobs_dir  # noqa: F401 - the fixture

APP = str(CHECKPOINTS.parent / "app" / "dashboard.py")


@pytest.fixture
def env(jobs_dir, tmp_path, monkeypatch):  # noqa: F811 - jobs_dir is the imported fixture
    """The Train page tests' jobs folder (no hosting settings), with the runs in ``tmp_path/runs``."""
    monkeypatch.setenv("GANSCOPE_RUNS", str(tmp_path / "runs"))
    monkeypatch.setenv("GANSCOPE_TRAIN_DIR", str(tmp_path / "runs"))
    return tmp_path


def test_fork_at_the_last_step_asks_for_more_steps(env):
    parent = env / "runs" / "parent"
    cmd = [sys.executable, "-m", "pipelines.train", "--preset", "toy-scalar", "--out", str(parent), "--max-steps", "90"]
    subprocess.run([*cmd, "--no-progress", "--device", "cpu"], check=True, cwd=CHECKPOINTS.parent, capture_output=True)
    last = runs.forkable_steps(parent)[-1]
    assert last == 90
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page("views/train.py").run()
    at.radio(key="train_mode").set_value("A fork of a run").run()
    at.selectbox(key="train_parent").set_value(str(parent)).run()
    at.selectbox(key="train_fork_step").set_value(last).run()
    assert not at.exception
    assert any("max_steps" in e.value and "90" in e.value for e in at.error), [e.value for e in at.error]
    assert next(b for b in at.button if b.label == "Start").disabled
    at.number_input(key=f"tf_fork_{parent}__max_steps").set_value(120).run()
    assert not at.error, [e.value for e in at.error]
    assert not next(b for b in at.button if b.label == "Start").disabled
