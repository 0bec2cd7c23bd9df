"""The Train page through AppTest: the form's switches make the command preview (only what changed, as
``--set``), bad values are refused with a sentence, and on a shared dashboard training is off unless the
host allows it, and then each visitor's quota holds."""

from __future__ import annotations

import time

import pytest
from streamlit.testing.v1 import AppTest

from pipelines import jobs
from tests.conftest import CHECKPOINTS

APP = str(CHECKPOINTS.parent / "app" / "dashboard.py")


@pytest.fixture
def jobs_dir(tmp_path, monkeypatch):
    for var in ("GANSCOPE_ALLOWED_ROOTS", "GANSCOPE_ALLOW_TRAINING", "GANSCOPE_TRAINING_MAX_RUNS", "GANSCOPE_TRAINING_MAX_STEPS"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("GANSCOPE_JOBS_DIR", str(tmp_path / "jobs"))
    yield tmp_path / "jobs"
    for job in jobs.jobs(tmp_path / "jobs"):  # no trainer outlives its test
        jobs.stop(tmp_path / "jobs", job.id)


def _page(preset: str | None = "ring-8") -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page("views/train.py").run()
    assert not at.exception, [e.message for e in at.exception]
    if preset:
        at.selectbox(key="train_preset").set_value(preset).run()
    return at


def _command(at: AppTest) -> str:
    return at.code[0].value


def _start(at: AppTest):
    return next(b for b in at.button if b.label == "Start")


def test_an_unchanged_preset_makes_a_command_without_set(jobs_dir):
    at = _page()
    assert at.title[0].value == "Train"
    assert _command(at) == "ganscope-train --preset ring-8 --out runs/ring-8-1"
    assert "torchrun --nproc_per_node=2 -m pipelines.train --preset ring-8 --out runs/ring-8-1" == at.code[1].value
    assert not at.error, [e.value for e in at.error]
    assert not _start(at).disabled


def test_changed_switches_appear_in_the_command_as_flags_and_sets(jobs_dir):
    at = _page()
    at.number_input(key="tf_ring-8__max_steps").set_value(500)
    at.text_input(key="tf_ring-8__lr_d").set_value("5e-4")
    at.checkbox(key="tf_ring-8__model.layernorm").check()
    at.text_input(key="tf_ring-8__model.g_hidden").set_value("256,256").run()
    assert not at.exception and not at.error
    assert _command(at) == (
        "ganscope-train --preset ring-8 --out runs/ring-8-1 --max-steps 500 "
        "--set lr_d=0.0005 --set model.g_hidden=256,256 --set model.layernorm=true"
    )
    help_text = at.checkbox(key="tf_ring-8__model.layernorm").help
    assert "LayerNorm after each hidden activation" in help_text  # the field's own docstring entry


@pytest.mark.parametrize(
    ("key", "value", "said"),
    [
        ("tf_ring-8__lr_d", "fast", "lr_d takes float, not 'fast'"),
        ("tf_ring-8__label_flip", "0.7", "label_flip must be in [0, 0.5)"),
        ("tf_ring-8__model.g_hidden", "128,x", "model.g_hidden takes whole numbers separated by commas"),
    ],
)
def test_a_bad_value_is_one_sentence_and_start_is_off(jobs_dir, key, value, said):
    at = _page()
    at.text_input(key=key).set_value(value).run()
    assert not at.exception
    assert said in at.error[0].value
    assert _start(at).disabled


def test_a_shared_dashboard_has_no_training_unless_the_host_allows_it(jobs_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("GANSCOPE_ALLOWED_ROOTS", str(CHECKPOINTS))
    at = _page(preset=None)
    assert "Training is off on this shared dashboard" in at.info[0].value
    assert not [b for b in at.button if b.label == "Start"]


def test_a_visitor_s_quota_holds(jobs_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("GANSCOPE_ALLOWED_ROOTS", str(CHECKPOINTS))
    monkeypatch.setenv("GANSCOPE_ALLOW_TRAINING", "1")
    monkeypatch.setenv("GANSCOPE_TRAINING_MAX_RUNS", "1")
    monkeypatch.setenv("GANSCOPE_TRAINING_MAX_STEPS", "100")
    at = _page(preset="toy-scalar")
    assert at.number_input(key="tf_toy-scalar__max_steps").value == 100  # the preset's 300 is over the limit
    assert "--max-steps 100" in _command(at) and "ganscope-session-" in _command(at)  # into the visitor's own folder
    assert at.text_input(key="tf_toy-scalar__data_dir__locked").disabled  # no training on server folders of their choosing
    at.number_input(key="tf_toy-scalar__max_steps").set_value(500).run()
    assert "limited to 100 steps" in at.error[0].value and _start(at).disabled
    at.number_input(key="tf_toy-scalar__max_steps").set_value(100).run()
    _start(at).click().run()
    [job] = jobs.jobs(jobs_dir)
    assert job.owner.startswith("ganscope-session-") and job.max_steps == 100
    assert job.run_dir.startswith(str(at.session_state["hosting_session_dir"]))
    assert "You have 1 run(s) queued or training" in at.error[0].value and _start(at).disabled
    deadline = time.time() + 60
    while jobs.jobs(jobs_dir)[0].status not in jobs.DONE and time.time() < deadline:
        time.sleep(0.5)
    at.run()  # the run finished: the visitor may start another
    assert not at.error, [e.value for e in at.error]
    assert not _start(at).disabled


def test_fork_from_a_kept_state_with_a_switch_changed(jobs_dir, tmp_path, monkeypatch):
    """Fork… on a finished run fills the form; the command is ``--fork PARENT --at STEP`` with the changed
    switch as ``--set``; the fork trains, records its parent and step, and Compare shows the two side by side."""
    import sys

    from pipelines import runs

    parent = tmp_path / "runs" / "parent"
    cmd = [sys.executable, "-m", "pipelines.train", "--preset", "toy-scalar", "--out", str(parent), "--max-steps", "90"]
    first = jobs.submit(jobs_dir, [*cmd, "--no-progress", "--device", "cpu"], parent)
    deadline = time.time() + 120
    while (first := jobs.jobs(jobs_dir)[0]).status not in jobs.DONE and time.time() < deadline:
        time.sleep(0.5)
    steps = runs.forkable_steps(parent)
    assert first.status == "finished" and steps
    monkeypatch.setenv("GANSCOPE_RUNS", str(tmp_path / "runs"))
    monkeypatch.setenv("GANSCOPE_TRAIN_DIR", str(tmp_path / "runs"))
    at = _page(preset=None)
    next(b for b in at.button if b.label == "Fork…").click().run()  # on the finished run's row
    assert at.radio(key="train_mode").value == "A fork of a run"
    assert at.selectbox(key="train_parent").value == str(parent) and at.selectbox(key="train_fork_step").value == steps[-1]
    at.selectbox(key="train_fork_step").set_value(steps[0]).run()
    at.text_input(key=f"tf_fork_{parent}__lr_d").set_value("0.01").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    out = tmp_path / "runs" / f"parent-fork{steps[0]}-1"
    assert _command(at) == f"ganscope-train --fork {parent} --at {steps[0]} --out {out} --set lr_d=0.01"
    _start(at).click().run()
    job = jobs.jobs(jobs_dir)[-1]
    assert job.kind == "fork"
    deadline = time.time() + 120
    while (job := jobs.jobs(jobs_dir)[-1]).status not in jobs.DONE and time.time() < deadline:
        time.sleep(0.5)
    assert job.status == "finished", job.tail
    assert runs.read_config(out).lr_d == 0.01
    from app.components.fork_views import fork_origin

    assert fork_origin(out) == (parent.resolve(), steps[0])
    at.run()  # the run list now holds the fork
    at.sidebar.selectbox(key="run_select").set_value(str(out)).run()
    at.switch_page("views/compare.py").run()
    assert not at.exception and f"Parent and fork from step {steps[0]:,}" in [h.value for h in at.subheader]


def test_a_stopped_job_continued_by_a_resume_gives_way_to_it(jobs_dir, tmp_path):
    """Stop, then Resume: the old 'stopped' row showed the new job's live progress and still offered Resume
    (the stranger review). Only the newest job of a run folder speaks for the run."""
    import shutil

    run = tmp_path / "toy"
    shutil.copytree(CHECKPOINTS / "toy-scalar", run)
    now = time.time()
    old = jobs.Job("a-old", ["true"], str(run), status="stopped", created=now - 60, reason="stopped from the dashboard")
    new = jobs.Job("b-new", ["true"], str(run), status="finished", kind="resume", created=now - 30)
    jobs_dir.mkdir(parents=True, exist_ok=True)
    jobs.write(jobs_dir, old)
    jobs.write(jobs_dir, new)
    at = _page(None)
    texts = [m.value for m in at.markdown]
    assert not [b for b in at.button if b.label == "Resume"], "a superseded job offers Resume"
    assert sum("continued by a later job" in t for t in texts) == 1
    assert sum("finished" in t and "step" in t for t in texts) == 1, texts  # the live progress is the resume's alone
