"""Runs being written to: their status and early warning, read from the files while training goes on."""

from __future__ import annotations

import dataclasses
import time

from pipelines import runs
from pipelines.live import early_warning, run_status
from pipelines.presets import get_preset
from pipelines.train import load_training_data, train
from tests.conftest import CHECKPOINTS, run_card


def test_status_while_training_then_finished_then_stopped(tmp_path, mnist_small):
    cfg = get_preset("mnist-mlp").replace(max_steps=12, batch_size=32, log_every=2, eval_samples=16, snapshot_every=6)
    seen = []

    def look(info):  # the trainer is mid-run: read the folder as the dashboard would
        if info.record is not None:
            seen.append(run_status(tmp_path / "r"))

    train(cfg, tmp_path / "r", data=mnist_small, progress=False, callbacks=[look])
    assert [s.state for s in seen[:-1]] == ["training"] * (len(seen) - 1)
    assert [s.step for s in seen] == list(range(2, 13, 2))  # the step shown advances with the log
    assert seen[2].total_steps == 12 and "training: step 6 of 12" in seen[2].describe()
    done = run_status(tmp_path / "r")
    assert done.state == "finished" and done.describe().startswith("finished: step 12 of 12")
    assert done.steps_per_second and done.steps_per_second > 0

    # a run killed halfway: its log stops growing and, after a while, it reads as stopped
    killed = tmp_path / "killed"
    killed.mkdir()
    runs.write_json(killed / runs.CONFIG, cfg.to_dict())
    for r in runs.read_log(tmp_path / "r")[:3]:
        runs.append_jsonl(killed / runs.LOG, r)
    assert run_status(killed).state == "training"
    late = run_status(killed, now=time.time() + 600)
    assert late.state == "stopped" and "no new log record for 6" in late.describe()
    assert run_status(tmp_path).state == "not started"


def test_early_warning_names_a_discriminator_that_wins_while_it_trains(tmp_path, mnist_dir):
    """The run built to fail (combined batches, Adam defaults): the warning appears mid-training."""
    cfg = get_preset("eights-convergence-failure").replace(data_dir=str(mnist_dir), max_steps=120, eval_samples=16)
    data = load_training_data(cfg)
    data = dataclasses.replace(data, images=data.images[:2048], labels=data.labels[:2048])
    warnings = {}

    def look(info):
        if info.step in (40, 80):
            warnings[info.step] = early_warning(runs.read_log(tmp_path / "fail"))

    train(cfg, tmp_path / "fail", data=data, progress=False, callbacks=[look])
    verdict, sentence = warnings[80]
    assert verdict == "convergence_failure"
    assert sentence.startswith("discriminator winning since step ") and "accuracy 1.00" in sentence


def test_no_warning_for_healthy_runs():
    assert early_warning(runs.read_log(CHECKPOINTS / "eights-stable")) is None
    assert early_warning(runs.read_log(CHECKPOINTS / "mnist-dcgan")) is None
    assert early_warning([]) is None


def test_sidebar_warns_while_a_failing_run_trains(tmp_path):
    """A run mid-way (its log still growing) that the diagnosis calls a convergence failure: the sidebar
    says it is training and shows the warning with its evidence; once finished, no warning."""
    import shutil

    from streamlit.testing.v1 import AppTest

    from tests.conftest import ROOT

    src = CHECKPOINTS / "eights-convergence-failure"
    run = tmp_path / "failing"
    shutil.copytree(src, run)
    log = runs.read_log(src)
    (run / runs.LOG).unlink()
    for record in log[:200]:  # training has reached step 200 of 450
        runs.append_jsonl(run / runs.LOG, record)
    at = AppTest.from_file(str(ROOT / "app" / "dashboard.py"), default_timeout=120)
    at.run()
    at.sidebar.text_input(key="typed_run").set_value(str(run)).run()
    assert not at.exception
    assert "training: step 200 of 450" in run_card(at)
    warning = [w.value for w in at.sidebar.warning]
    assert any(w.startswith("discriminator winning since step") and "convergence_failure" in w for w in warning), warning

    at.sidebar.text_input(key="typed_run").set_value(str(src)).run()  # the finished run: status, no banner
    assert "finished: step 450 of 450" in run_card(at)
    assert not [w.value for w in at.sidebar.warning if "winning" in w.value]


def test_the_snapshot_slider_follows_a_training_run_to_its_newest_snapshot(tmp_path):
    """Shown at its newest snapshot, a training run moves on to each new one; picked back, it stays."""
    import shutil

    from streamlit.testing.v1 import AppTest

    from tests.conftest import ROOT

    src = CHECKPOINTS / "mnist-cgan"  # 5 snapshots
    snaps = runs.list_snapshots(src)
    run = tmp_path / "growing"
    shutil.copytree(src, run)
    for p, _ in snaps[2:]:
        (run / "snapshots" / p.name).unlink()
    (run / runs.LOG).unlink()
    for record in runs.read_log(src)[:20]:
        runs.append_jsonl(run / runs.LOG, record)
    at = AppTest.from_file(str(ROOT / "app" / "dashboard.py"), default_timeout=120)
    at.query_params["run"] = str(run)
    at.run()
    assert at.session_state["snapshot"] == str(run / "snapshots" / snaps[1][0].name)
    shutil.copy(snaps[2][0], run / "snapshots" / snaps[2][0].name)  # the trainer writes the next one
    runs.append_jsonl(run / runs.LOG, runs.read_log(src)[20])
    at.run()
    assert not at.exception
    assert at.session_state["snapshot"] == str(run / "snapshots" / snaps[2][0].name)
    at.sidebar.select_slider(key=f"snap_{run}").set_value(0).run()  # the user looks back: it stays there
    shutil.copy(snaps[3][0], run / "snapshots" / snaps[3][0].name)
    at.run()
    assert at.session_state["snapshot"] == str(run / "snapshots" / snaps[0][0].name)
