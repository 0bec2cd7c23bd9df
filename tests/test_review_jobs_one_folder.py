"""Two tabs (or a stale record's Resume) must not queue two trainers on one run folder: the second
submit is refused with a sentence; another folder is queued as before."""

from __future__ import annotations

import sys

import pytest

from pipelines import jobs

SLEEP = [sys.executable, "-c", "import time; time.sleep(30)"]


def test_a_second_job_on_the_same_run_folder_is_refused(tmp_path):
    jobs_dir = tmp_path / "jobs"
    first = jobs.submit(jobs_dir, SLEEP, tmp_path / "runs" / "r", "cpu")
    try:
        with pytest.raises(jobs.JobRefused, match="already"):
            jobs.submit(jobs_dir, SLEEP, tmp_path / "runs" / "r", "cpu")
        other = jobs.submit(jobs_dir, SLEEP, tmp_path / "runs" / "other", "cpu")
        assert other.status == "queued"
        assert len(jobs.jobs(jobs_dir)) == 2
    finally:
        for job in jobs.jobs(jobs_dir):
            jobs.stop(jobs_dir, job.id)
    assert first.run_dir.endswith("r")
