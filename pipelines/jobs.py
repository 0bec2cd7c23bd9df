"""Training jobs started from the dashboard: a record file per job, a queue, stop, resume.

A job is a JSON record in a jobs folder (``runs/.jobs`` by default, or ``GANSCOPE_JOBS_DIR``) beside
its output log::

    runs/.jobs/19a3c2f1e0b-4f2a.json   command, run folder, status, pids, times, exit code, reason
    runs/.jobs/19a3c2f1e0b-4f2a.log    the trainer's stdout and stderr

The trainer stays an ordinary process (``python -m pipelines.train ...``), started in a session of its
own, so it survives the browser tab, the dashboard and its restarts. Each job has a small *supervisor*
(``python -m pipelines.job_supervisor DIR ID``, detached too) that starts the trainer, waits for it,
records its exit status (it is the trainer's parent, so the status is exact, not guessed), hard-kills it
when a stop is not answered in time, and then starts the next queued job. So the queue advances with
no browser open and without a long-lived daemon: the last job's exit launches the next one.

Status: queued -> starting -> running -> finished | failed | stopped (stopping between a stop and the
exit). Stop sends SIGTERM to the trainer's process group (the trainer writes its state at the end of the
step and exits); SIGKILL follows after ``kill_after`` seconds. Resume is a new job running the same
command with ``--resume``. Records whose processes are gone (a reboot, a killed supervisor) are
reconciled whenever the folder is read.

One job per device at a time by default (``GANSCOPE_JOBS_PER_DEVICE``); the next job is the earliest
queued one of the owner (a hosted dashboard's visitor; "" locally) who has waited longest since their
last start, so visitors take turns.
"""

from __future__ import annotations

import dataclasses
import fcntl
import json
import os
import secrets
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from .runs import PROJECT_ROOT

ACTIVE = ("queued", "starting", "running", "stopping")
ALIVE = ("starting", "running", "stopping")
DONE = ("finished", "failed", "stopped")
KILL_AFTER_S = 60.0  # a stop not answered within this long becomes SIGKILL
TAIL_LINES = 20  # a failed run keeps this many last lines of its output
POLL_S = 0.2  # the supervisor's look at its trainer and its record


@dataclass
class Job:
    """One training job, as stored in ``<jobs dir>/<id>.json``.

    Args:
        id: the record's name (sortable by creation time).
        command: the argv the supervisor runs (``sys.executable -m pipelines.train ...``).
        run_dir: the run folder the trainer writes.
        status: queued, starting, running, stopping, finished, failed or stopped.
        device: the queue this job waits in ("cpu", "cuda", ...): one job per device at a time.
        owner: who queued it (a hosted visitor's id; "" on a local dashboard).
        kind: "start", "resume" or "fork".
        max_steps: the run's step limit when the command sets one (for quotas).
        created, started, ended: time.time() stamps.
        pid, pgid, pid_start: the trainer's process, its group and its start time (guards pid reuse).
        supervisor_pid, supervisor_start: the supervisor's process.
        exit_code: the trainer's exit status (negative: killed by that signal).
        stop_requested: when Stop was pressed; kill_after: seconds until SIGKILL after that.
        reason: why it failed or stopped, one sentence; tail: its last lines of output when it failed.
    """

    id: str
    command: list[str]
    run_dir: str
    status: str = "queued"
    device: str = "cpu"
    owner: str = ""
    kind: str = "start"
    max_steps: int | None = None
    created: float = 0.0
    started: float | None = None
    ended: float | None = None
    pid: int | None = None
    pgid: int | None = None
    pid_start: str | None = None
    supervisor_pid: int | None = None
    supervisor_start: str | None = None
    exit_code: int | None = None
    stop_requested: float | None = None
    kill_after: float = KILL_AFTER_S
    reason: str = ""
    tail: list[str] = field(default_factory=list)
    cwd: str = str(PROJECT_ROOT)

    def log_path(self, jobs_dir: str | os.PathLike) -> Path:
        return Path(jobs_dir) / f"{self.id}.log"


def default_dir() -> Path:
    """Where job records live: ``GANSCOPE_JOBS_DIR``, else ``runs/.jobs`` in the checkout."""
    return Path(os.environ.get("GANSCOPE_JOBS_DIR") or PROJECT_ROOT / "runs" / ".jobs")


def per_device() -> int:
    """Jobs that may train at once on one device (``GANSCOPE_JOBS_PER_DEVICE``, default 1)."""
    try:
        return max(1, int(os.environ.get("GANSCOPE_JOBS_PER_DEVICE", "1")))
    except ValueError:
        return 1


def device_key(device: str) -> str:
    """The queue a run on ``device`` waits in: "auto" is the GPU when the machine has an NVIDIA driver loaded
    (read from /proc, without importing torch), else the CPU; "cuda:1" waits for that GPU only."""
    if device == "auto":
        return "cuda" if Path("/proc/driver/nvidia/version").exists() else "cpu"
    return "cuda" if device == "cuda:0" else device


# Records.


def _record(jobs_dir: Path, job_id: str) -> Path:
    return Path(jobs_dir) / f"{job_id}.json"


def write(jobs_dir: str | os.PathLike, job: Job) -> None:
    """Write a job record atomically (a temporary file in the same folder, renamed over the record)."""
    path = _record(Path(jobs_dir), job.id)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(dataclasses.asdict(job), indent=1) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def read(jobs_dir: str | os.PathLike, job_id: str) -> Job:
    """One job record (KeyError naming it when there is none or it cannot be read)."""
    try:
        data = json.loads(_record(Path(jobs_dir), job_id).read_text(encoding="utf-8"))
        names = {f.name for f in dataclasses.fields(Job)}
        return Job(**{k: v for k, v in data.items() if k in names})
    except (OSError, ValueError, TypeError) as e:
        raise KeyError(f"no readable job {job_id!r} in {jobs_dir}: {e}") from None


def _all(jobs_dir: Path) -> list[Job]:
    found = []
    for path in sorted(Path(jobs_dir).glob("*.json")):
        try:
            found.append(read(jobs_dir, path.stem))
        except KeyError:
            continue  # a record being replaced, or not ours
    return found


@contextmanager
def _locked(jobs_dir: Path):
    """Hold the jobs folder's lock (one advance of the queue at a time, across processes)."""
    jobs_dir.mkdir(parents=True, exist_ok=True)
    with open(jobs_dir / ".lock", "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


# Processes.


def _start_time(pid: int) -> str | None:
    """The process's start time in clock ticks (/proc), None when it is gone or a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        if not Path("/proc/self/stat").exists():  # no /proc (macOS): ask the kernel instead
            try:
                os.kill(pid, 0)
                return "?"
            except OSError:
                return None
        return None
    after = stat.rsplit(")", 1)[1].split()  # the command name may hold spaces and brackets
    if after[0] in ("Z", "X"):
        return None
    return after[19]


def alive(pid: int | None, start: str | None) -> bool:
    """Whether ``pid`` is still the process that started at ``start`` (not a reused pid, not a zombie)."""
    if not pid:
        return False
    now = _start_time(pid)
    return now is not None and (start in (None, "?") or now == start)


_children: list[subprocess.Popen] = []  # supervisors this process started: reaped so none stays a zombie


def _reap() -> None:
    _children[:] = [p for p in _children if p.poll() is None]


def _tail(path: Path, n: int = TAIL_LINES) -> list[str]:
    try:
        lines = path.read_bytes()[-65536:].decode("utf-8", "replace").replace("\r", "\n").splitlines()
    except OSError:
        return []
    return [ln for ln in lines if ln.strip()][-n:]


def _failure_reason(code: int | None, tail: list[str]) -> str:
    """One sentence: the trainer's own error line when it printed one, else how it ended."""
    said = next((ln.strip() for ln in reversed(tail) if ln.strip().lower().startswith("error")), "")
    if said:
        return said
    if code is not None and code < 0:
        name = signal.Signals(-code).name if -code in signal.valid_signals() else str(-code)
        return f"the trainer was killed by {name}" + (" (out of memory?)" if name == "SIGKILL" else "")
    last = next((ln.strip() for ln in reversed(tail) if ln.strip()), "")
    return f"the trainer exited with status {code}" + (f": {last}" if last else "")


# The queue.


class JobRefused(ValueError):
    """A job that cannot be queued (its run folder is already being trained), with the sentence to show."""


def submit(
    jobs_dir: str | os.PathLike,
    command: list[str],
    run_dir: str | os.PathLike,
    device: str = "cpu",
    owner: str = "",
    kind: str = "start",
    max_steps: int | None = None,
    kill_after: float = KILL_AFTER_S,
    cwd: str | os.PathLike = PROJECT_ROOT,
) -> Job:
    """Queue ``command`` (an argv) and start it at once if its device is free. Returns its record."""
    jobs_dir = Path(jobs_dir)
    jobs_dir.mkdir(parents=True, exist_ok=True)
    job_id = f"{time.time_ns() // 1_000_000:012x}-{secrets.token_hex(2)}"
    job = Job(job_id, [str(c) for c in command], str(run_dir), "queued", device, owner, kind, max_steps, time.time())
    job.kill_after, job.cwd = float(kill_after), str(cwd)
    with _locked(jobs_dir):  # two tabs (or a stale record's Resume) must not queue two trainers on one folder
        here = (Path(cwd) / run_dir).resolve()
        for other in (_reconcile(jobs_dir, j) for j in _all(jobs_dir)):
            if other.status in (*ALIVE, "queued") and (Path(other.cwd or cwd) / other.run_dir).resolve() == here:
                raise JobRefused(f"{run_dir} is already {other.status} in another job: wait for it or stop it first.")
        write(jobs_dir, job)
    advance(jobs_dir)
    return read(jobs_dir, job_id)


def _next(queued: list[Job], everyone: list[Job]) -> Job:
    """The owner who has waited longest since their last start goes next (round-robin), earliest job first."""
    last_start: dict[str, float] = {}
    for j in everyone:
        if j.started is not None:
            last_start[j.owner] = max(last_start.get(j.owner, 0.0), j.started)
    return min(queued, key=lambda j: (last_start.get(j.owner, -1.0), j.created, j.id))


def advance(jobs_dir: str | os.PathLike, limit: int | None = None) -> list[Job]:
    """Reconcile stale records, then start queued jobs on every device with a free place.
    Returns every job, oldest first."""
    jobs_dir = Path(jobs_dir)
    _reap()
    limit = limit or per_device()
    with _locked(jobs_dir):
        jobs = [_reconcile(jobs_dir, j) for j in _all(jobs_dir)]
        for device in sorted({j.device for j in jobs if j.status == "queued"}):
            busy = sum(j.status in ALIVE and j.device == device for j in jobs)
            while busy < limit:
                queued = [j for j in jobs if j.status == "queued" and j.device == device]
                if not queued:
                    break
                job = _next(queued, jobs)
                _spawn_supervisor(jobs_dir, job)
                busy += 1
    return _all(jobs_dir)


def _spawn_supervisor(jobs_dir: Path, job: Job) -> None:
    job.status, job.started = "starting", time.time()
    write(jobs_dir, job)  # before the supervisor reads it
    proc = subprocess.Popen(
        [sys.executable, "-m", "pipelines.job_supervisor", str(jobs_dir), job.id],
        cwd=str(PROJECT_ROOT),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=open(job.log_path(jobs_dir), "ab"),  # noqa: SIM115 - the child holds it; a supervisor's own crash lands in the log
        start_new_session=True,  # not in the dashboard's process group: Ctrl-C on the dashboard leaves it running
    )
    _children.append(proc)
    job.supervisor_pid, job.supervisor_start = proc.pid, _start_time(proc.pid)
    write(jobs_dir, job)


def _reconcile(jobs_dir: Path, job: Job) -> Job:
    """A job said to be alive whose supervisor and trainer are both gone gets its end written now."""
    if job.status not in ALIVE or alive(job.supervisor_pid, job.supervisor_start) or alive(job.pid, job.pid_start):
        return job
    if job.status == "starting" and job.supervisor_pid is None and time.time() - (job.started or 0) < 10:
        return job  # being spawned right now by another process
    job.tail = _tail(job.log_path(jobs_dir))
    job.ended = job.ended or time.time()
    if job.stop_requested:
        job.status, job.reason = "stopped", job.reason or "stopped from the dashboard"
    elif _run_finished(job.run_dir):
        job.status = "finished"
    else:
        job.status = "failed"
        job.reason = "its process is gone and no exit status was recorded (the machine restarted, or its supervisor was killed)"
    write(jobs_dir, job)
    return job


def _run_finished(run_dir: str) -> bool:
    try:
        from .live import run_status

        return run_status(run_dir).state == "finished"
    except Exception:  # noqa: BLE001 - an unreadable run folder is simply not finished
        return False


def jobs(jobs_dir: str | os.PathLike) -> list[Job]:
    """Every job, oldest first, with stale records reconciled and the queue advanced."""
    if not Path(jobs_dir).is_dir():
        return []
    return advance(jobs_dir)


def stop(jobs_dir: str | os.PathLike, job_id: str) -> Job:
    """Stop a job: a queued one leaves the queue; a running one gets SIGTERM (its supervisor sends
    SIGKILL ``kill_after`` seconds later if it is still there)."""
    jobs_dir = Path(jobs_dir)
    with _locked(jobs_dir):
        job = read(jobs_dir, job_id)
        if job.status == "queued":
            job.status, job.ended, job.reason = "stopped", time.time(), "taken out of the queue before it started"
            write(jobs_dir, job)
            return job
        if job.status not in ALIVE:
            return job
        job.stop_requested = job.stop_requested or time.time()
        job.status = "stopping"
        write(jobs_dir, job)
    if job.pgid and alive(job.pid, job.pid_start):
        _signal_group(job.pgid, signal.SIGTERM)
    return job


def _signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def resume_command(job: Job) -> list[str]:
    """The command that continues ``job``'s run: the same command with ``--resume`` (a fork continues
    its own folder: ``--out NEW --resume``, not a second fork)."""
    cmd = [c for c in job.command if c != "--resume"]
    if "--fork" in cmd:
        head = cmd[: cmd.index("-m") + 2] if "-m" in cmd else cmd[:1]
        tail = ["--no-progress"] if "--no-progress" in cmd else []
        return [*head, "--out", job.run_dir, *_pairs(cmd, ("--device",)), *tail, "--resume"]
    return [*cmd, "--resume"]


def _pairs(cmd: list[str], flags: tuple[str, ...]) -> list[str]:
    out = []
    for i, c in enumerate(cmd[:-1]):
        if c in flags:
            out += [c, cmd[i + 1]]
    return out


def resume(jobs_dir: str | os.PathLike, job_id: str) -> Job:
    """Queue a job that continues ``job_id``'s run (same device, owner and step limit)."""
    job = read(jobs_dir, job_id)
    if job.status in ACTIVE:
        raise ValueError(f"job {job_id} is still {job.status}: stop it first")
    cmd = resume_command(job)
    return submit(jobs_dir, cmd, job.run_dir, job.device, job.owner, "resume", job.max_steps, job.kill_after, job.cwd)


def quota_refusal(all_jobs: list[Job], owner: str, max_runs: int | None, max_steps: int | None, steps: int) -> str | None:
    """A sentence when ``owner`` may not queue a run of ``steps`` steps (0: no limit) under the quotas, else None."""
    if max_steps is not None and (steps <= 0 or steps > max_steps):
        return f"Runs here are limited to {max_steps:,} steps: set max_steps to {max_steps:,} or fewer."
    mine = sum(j.owner == owner and j.status in ACTIVE for j in all_jobs)
    if max_runs is not None and mine >= max_runs:
        return f"You have {mine} run(s) queued or training, the most this dashboard allows: stop one or wait for it to finish."
    return None


# The supervisor (its own process).
