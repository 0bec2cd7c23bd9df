"""Training jobs (pipelines/jobs.py) with real toy training processes: a job starts and finishes, Stop
leaves a resumable run that Resume finishes, a failure keeps its reason and last lines, the queue takes
turns across owners, a stop that is not answered becomes a kill, and stale records are reconciled."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipelines import jobs, runs

TRAIN = [sys.executable, "-m", "pipelines.train"]


def _toy(out: Path, steps: int, preset: str = "toy-scalar") -> list[str]:
    return [*TRAIN, "--preset", preset, "--out", str(out), "--max-steps", str(steps), "--no-progress", "--device", "cpu"]


def _wait(jobs_dir: Path, job_id: str, until, timeout: float = 120.0) -> jobs.Job:
    """Poll the jobs folder (as the page does) until ``until(job)`` holds."""
    end = time.time() + timeout
    while time.time() < end:
        job = next(j for j in jobs.jobs(jobs_dir) if j.id == job_id)
        if until(job):
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} still {job.status} after {timeout} s: {job}")


def _done(job: jobs.Job) -> bool:
    return job.status in jobs.DONE


@pytest.fixture
def jobs_dir(tmp_path, monkeypatch):
    monkeypatch.delenv("GANSCOPE_JOBS_PER_DEVICE", raising=False)
    return tmp_path / "jobs"


def test_a_job_trains_to_its_end_and_records_it(jobs_dir, tmp_path):
    job = jobs.submit(jobs_dir, _toy(tmp_path / "run", 40), tmp_path / "run", max_steps=40)
    assert job.status in ("starting", "running")
    job = _wait(jobs_dir, job.id, _done)
    assert (job.status, job.exit_code, job.reason) == ("finished", 0, "")
    assert job.pid and job.started and job.ended >= job.started
    assert runs.read_log(tmp_path / "run")[-1]["step"] == 40
    assert job.log_path(jobs_dir).is_file() and "run written to" in job.log_path(jobs_dir).read_text()


def test_stop_leaves_a_resumable_run_and_resume_finishes_it(jobs_dir, tmp_path):
    run = tmp_path / "run"
    job = jobs.submit(jobs_dir, _toy(run, 3000), run, max_steps=3000)
    _wait(jobs_dir, job.id, lambda j: (run / runs.STATE).is_file())
    jobs.stop(jobs_dir, job.id)
    job = _wait(jobs_dir, job.id, _done, timeout=60)
    assert job.status == "stopped" and job.reason == "stopped from the dashboard"
    stopped_at = runs.read_log(run)[-1]["step"]
    assert 0 < stopped_at < 3000 and (run / runs.STATE).is_file()
    again = jobs.resume(jobs_dir, job.id)
    assert again.kind == "resume" and again.command == [*job.command, "--resume"]
    again = _wait(jobs_dir, again.id, _done, timeout=180)
    assert again.status == "finished", again.tail
    assert runs.read_log(run)[-1]["step"] == 3000


def test_a_failed_run_keeps_its_reason_and_last_lines(jobs_dir, tmp_path):
    job = jobs.submit(jobs_dir, _toy(tmp_path / "run", 10, preset="no-such-preset"), tmp_path / "run")
    job = _wait(jobs_dir, job.id, _done)
    assert job.status == "failed" and job.exit_code == 2
    assert job.reason.startswith("error: unknown preset 'no-such-preset'")
    assert any("no-such-preset" in line for line in job.tail)


def test_the_queue_runs_one_job_per_device_and_takes_turns_across_owners(jobs_dir, tmp_path):
    a = jobs.submit(jobs_dir, _toy(tmp_path / "a", 300), tmp_path / "a", owner="ann")
    b = jobs.submit(jobs_dir, _toy(tmp_path / "b", 20), tmp_path / "b", owner="ann")
    c = jobs.submit(jobs_dir, _toy(tmp_path / "c", 20), tmp_path / "c", owner="bob")
    assert (b.status, c.status) == ("queued", "queued")  # the device is busy with a
    for j in (a, b, c):
        _wait(jobs_dir, j.id, _done, timeout=180)
    done = {j.id: j for j in jobs.jobs(jobs_dir)}
    assert all(done[j.id].status == "finished" for j in (a, b, c))
    assert done[a.id].ended <= done[c.id].started <= done[c.id].ended <= done[b.id].started  # bob's turn before ann's second


def test_a_stop_that_is_not_answered_becomes_a_kill(jobs_dir, tmp_path):
    deaf = [
        sys.executable,
        "-c",
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('up', flush=True); time.sleep(60)",
    ]
    job = jobs.submit(jobs_dir, deaf, tmp_path / "run", kill_after=1.0)
    _wait(jobs_dir, job.id, lambda j: j.status == "running" and "up" in j.log_path(jobs_dir).read_text())
    t0 = time.time()
    jobs.stop(jobs_dir, job.id)
    job = _wait(jobs_dir, job.id, _done, timeout=20)
    assert job.status == "stopped" and job.exit_code == -9 and "did not stop within 1 s" in job.reason
    assert time.time() - t0 < 10


def test_a_stale_record_is_reconciled_on_read(jobs_dir, tmp_path):
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    jobs_dir.mkdir()
    stale = jobs.Job(
        "000000000001-dead", ["x"], str(tmp_path / "run"), "running", pid=gone.pid, supervisor_pid=gone.pid, created=1.0
    )
    jobs.write(jobs_dir, stale)
    (jobs_dir / "000000000001-dead.log").write_text("step 10\nstep 20\n")
    [job] = jobs.jobs(jobs_dir)
    assert job.status == "failed" and "its process is gone" in job.reason and job.tail == ["step 10", "step 20"]


def test_a_queued_job_behind_a_stale_one_starts(jobs_dir, tmp_path):
    """A record left 'running' by a reboot must not hold the device forever."""
    jobs_dir.mkdir()
    jobs.write(jobs_dir, jobs.Job("000000000001-dead", ["x"], str(tmp_path / "x"), "running", pid=2**22 + 7, created=1.0))
    job = jobs.submit(jobs_dir, _toy(tmp_path / "run", 10), tmp_path / "run")
    assert job.status in ("starting", "running", "finished")
    assert _wait(jobs_dir, job.id, _done).status == "finished"


def test_stop_takes_a_queued_job_out_of_the_queue(jobs_dir, tmp_path):
    a = jobs.submit(jobs_dir, _toy(tmp_path / "a", 3000), tmp_path / "a")
    b = jobs.submit(jobs_dir, _toy(tmp_path / "b", 10), tmp_path / "b")
    assert jobs.stop(jobs_dir, b.id).status == "stopped"
    jobs.stop(jobs_dir, a.id)
    assert _wait(jobs_dir, a.id, _done, timeout=60).status == "stopped"
    assert not (tmp_path / "b").exists()  # it never ran


def test_resume_of_a_fork_continues_its_own_folder():
    job = jobs.Job(
        "x", [*TRAIN, "--fork", "runs/p", "--at", "200", "--out", "runs/f", "--set", "lr_d=0.001", "--device", "cpu"], "runs/f"
    )
    assert jobs.resume_command(job) == [*TRAIN, "--out", "runs/f", "--device", "cpu", "--resume"]
