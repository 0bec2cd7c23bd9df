"""A training job's supervisor (``python -m pipelines.job_supervisor JOBS_DIR JOB_ID``, started detached by
``pipelines.jobs``): it starts the trainer, waits for it, records its exact exit status, hard-kills it when a
stop is not answered within the job's ``kill_after``, and then advances the queue."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from .jobs import POLL_S, _failure_reason, _locked, _signal_group, _start_time, _tail, advance, read, write


def supervise(jobs_dir: str | os.PathLike, job_id: str) -> int:
    """Run one job's trainer to its end, record how it ended, then advance the queue."""
    jobs_dir = Path(jobs_dir)
    job = read(jobs_dir, job_id)
    log = job.log_path(jobs_dir)
    with open(log, "ab") as out:
        try:
            proc = subprocess.Popen(
                job.command,
                cwd=job.cwd,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: Stop signals the trainer and its workers
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
        except OSError as e:
            job = read(jobs_dir, job_id)
            job.status, job.ended, job.reason = "failed", time.time(), f"the trainer could not be started: {e}"
            write(jobs_dir, job)
            advance(jobs_dir)
            return 1
    with _locked(jobs_dir):
        job = read(jobs_dir, job_id)
        job.pid, job.pgid, job.pid_start = proc.pid, proc.pid, _start_time(proc.pid)
        if job.status == "starting":
            job.status = "running"
        write(jobs_dir, job)
    if job.status == "stopping":  # Stop was pressed while it was starting
        _signal_group(proc.pid, signal.SIGTERM)
    killed = False
    while proc.poll() is None:
        time.sleep(POLL_S)
        try:
            job = read(jobs_dir, job_id)
        except KeyError:
            continue
        if job.stop_requested and not killed and time.time() - job.stop_requested > job.kill_after:
            _signal_group(proc.pid, signal.SIGKILL)
            killed = True
    with _locked(jobs_dir):
        job = read(jobs_dir, job_id)
        job.exit_code, job.ended = proc.returncode, time.time()
        job.tail = _tail(log)
        if job.stop_requested:
            job.status = "stopped"
            late = f"killed: the trainer did not stop within {job.kill_after:g} s of SIGTERM"
            job.reason = late if killed else "stopped from the dashboard"
        elif proc.returncode == 0:
            job.status, job.reason = "finished", ""
        else:
            job.status, job.reason = "failed", _failure_reason(proc.returncode, job.tail)
        write(jobs_dir, job)
    advance(jobs_dir)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) == 2:
        return supervise(args[0], args[1])
    print("usage: python -m pipelines.job_supervisor JOBS_DIR JOB_ID", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
