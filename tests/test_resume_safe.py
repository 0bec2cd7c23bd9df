"""Resume that is safe to repeat (issue #22): the same command with --resume carries on whatever state a
kill -9 left the folder in (before the config, before the first state, mid-run, after the last state), and
SIGINT/SIGTERM stop after the step with the state written. Real processes (python -m pipelines.train) on a
toy preset; the final weights are compared with an undisturbed run's, bit for bit (CPU)."""

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from pipelines import runs
from pipelines.train import main

ROOT = Path(__file__).resolve().parents[1]
STEPS = 200
SETTINGS = ["--preset", "toy-scalar", "--max-steps", str(STEPS), "--snapshot-every", "50", "--device", "cpu", "--no-progress"]
SETTINGS += ["--set", "state_every=50", "--set", "log_every=5", "--set", "eval_samples=16"]


def _cmd(out: Path, resume: bool = False) -> list[str]:
    return [sys.executable, "-m", "pipelines.train", *SETTINGS, "--out", str(out), *(["--resume"] if resume else [])]


def _start(out: Path, resume: bool = False) -> subprocess.Popen:
    return subprocess.Popen(
        _cmd(out, resume), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )


def _wait_for(proc: subprocess.Popen, ready, timeout: float = 240) -> bool:
    """Poll until ``ready()`` (True) or the process ends (False)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if ready():
            return True
        if proc.poll() is not None:
            return False
        time.sleep(0.002)
    raise AssertionError("timed out")


def _kill9(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.kill()
    proc.communicate()


def _finish(out: Path) -> subprocess.CompletedProcess:
    done = subprocess.run(_cmd(out, resume=True), cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    return done


@pytest.fixture(scope="module")
def straight(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("straight") / "run"
    assert main([*SETTINGS, "--out", str(out)]) == 0
    return out


def _same_run(a: Path, b: Path, stopped_at: int | None = None) -> None:
    """The same weights, states and log; a run stopped by a signal also logged the step it stopped after
    (a state is written with a log record: the means of the steps since the last one)."""
    final = f"step-{STEPS:07d}.safetensors"
    wa, wb = load_file(str(a / runs.SNAPSHOTS / final)), load_file(str(b / runs.SNAPSHOTS / final))
    assert wa.keys() == wb.keys() and all(torch.equal(wa[k], wb[k]) for k in wa)
    sa, sb = runs.load_state(a), runs.load_state(b)
    assert sa["step"] == sb["step"] == STEPS
    for net in ("G", "D"):
        assert all(torch.equal(sa[net][k], sb[net][k]) for k in sa[net])
    strip = lambda rs: [{k: v for k, v in r.items() if k != "time"} for r in rs]  # noqa: E731
    if stopped_at is None:
        assert strip(runs.read_log(a)) == strip(runs.read_log(b))  # no step missing, none twice
    else:
        want = sorted({r["step"] for r in runs.read_log(a)} | {stopped_at})
        assert [r["step"] for r in runs.read_log(b)] == want
    assert [m["step"] for m in runs.read_metrics(b)] == sorted({50, 100, 150, 200} | ({stopped_at} - {None}))
    assert runs.forkable_steps(b) == [100, 150, 200]  # keep_states=3


def test_killed_before_the_run_folder_exists(tmp_path, straight):
    out = tmp_path / "run"
    proc = _start(out)
    time.sleep(0.3)  # still importing torch: nothing written
    _kill9(proc)
    assert not (out / runs.CONFIG).exists()
    _finish(out)  # was: "is not a run folder: it has no config.json"
    _same_run(straight, out)


def test_killed_with_a_config_and_no_state(tmp_path, straight):
    out = tmp_path / "run"
    proc = _start(out)
    assert _wait_for(proc, (out / runs.CONFIG).exists)
    _kill9(proc)
    assert not (out / runs.STATE).exists()  # the first state comes at step 50
    _finish(out)  # was: "has no state.pt to resume from"
    _same_run(straight, out)


def test_killed_after_the_last_state(tmp_path, straight):
    out = tmp_path / "run"
    proc = _start(out)
    last = runs.kept_state_path(out, STEPS)
    _wait_for(proc, last.exists)
    _kill9(proc)
    done = _finish(out)  # was: exit status 1, "already reached its limit"
    assert "already finished" in done.stdout
    _same_run(straight, out)


def test_killed_at_random_moments_again_and_again(tmp_path, straight):
    out = tmp_path / "run"
    rng = random.Random(22)
    for attempt in range(3):
        proc = _start(out, resume=attempt > 0)
        logged = rng.randint(1, STEPS // 5)  # somewhere in the run, by log records seen
        _wait_for(proc, lambda n=logged: len(runs.read_log(out)) >= n)
        time.sleep(rng.random() * 0.05)
        _kill9(proc)
    _finish(out)
    _same_run(straight, out)


@pytest.mark.parametrize("sig, status", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_stops_after_the_step_with_the_state_written(tmp_path, straight, sig, status):
    out = tmp_path / "run"
    proc = _start(out)
    at = random.Random(int(sig)).randint(12, 30)  # log records: steps 60..150, between states
    assert _wait_for(proc, lambda: len(runs.read_log(out)) >= at)
    os.kill(proc.pid, sig)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == status, stderr[-2000:]
    step = runs.load_state(out)["step"]
    assert step == runs.read_log(out)[-1]["step"] and step < STEPS  # the state of the step it stopped after
    assert runs.snapshot_path(out, step).is_file() and runs.find_discriminator(out, step)
    said = stderr.strip().splitlines()[-1]
    assert said.startswith("stopped; the resume state is saved. Continue with: ganscope-train --preset toy-scalar")
    assert said.endswith(f"--out {out} --resume")
    _finish(out)
    _same_run(straight, out, stopped_at=step)
