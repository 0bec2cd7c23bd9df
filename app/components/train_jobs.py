"""The Train page's list of jobs: status, progress, Stop / Resume / Fork, the queue, a failed run's
reason and last lines, and links that open the run in the other pages. Redrawn every few seconds; the
records it reads are ``pipelines.jobs``'s, so a reloaded page (or a restarted dashboard) finds them again."""

from __future__ import annotations

import shlex
import time
from pathlib import Path
from urllib.parse import quote

import streamlit as st

from pipelines import jobs, live, runs

from .. import state

REFRESH_SECONDS = 2
FORK_REQUEST = "train_fork_request"  # a Fork button was pressed: the whole page reruns to show the fork form
MODE_KEY, PARENT_KEY, STEP_KEY = "train_mode", "train_parent", "train_fork_step"  # the form's widgets
FORK_MODE = "A fork of a run"


def forkable_steps(run_dir: str | Path) -> list[int]:
    """Steps of ``run_dir`` a fork may start from (``runs.forkable_steps``; [] with a trainer that keeps
    no states at snapshots)."""
    find = getattr(runs, "forkable_steps", None)
    if find is None or not runs.is_run(Path(run_dir)):
        return []
    try:
        return list(find(run_dir))
    except (OSError, ValueError, runs.RunError):
        return []


def run_query(run_dir: str | Path) -> str:
    """``?run=`` for a run folder: relative to the checkout when inside it (as the trainer prints), else absolute."""
    real = Path(run_dir).resolve()
    try:
        value = str(real.relative_to(state.ROOT))
    except ValueError:
        value = str(real)
    return "?run=" + quote(value, safe="/")


def shown_command(job: jobs.Job) -> str:
    """The job's command as typed in a terminal (``ganscope-train ...``)."""
    if job.command[1:3] == ["-m", "pipelines.train"]:
        return shlex.join(["ganscope-train", *job.command[3:]])
    return shlex.join(job.command)


def _stop(jobs_dir: str, job_id: str) -> None:
    jobs.stop(jobs_dir, job_id)


def _resume(jobs_dir: str, job_id: str) -> None:
    try:
        jobs.resume(jobs_dir, job_id)
    except (KeyError, ValueError) as e:
        st.session_state["train_job_problem"] = str(e)


def _fork(run_dir: str, step: int) -> None:
    """Fill the form above with a fork of ``run_dir`` at ``step``."""
    st.session_state[MODE_KEY], st.session_state[PARENT_KEY], st.session_state[STEP_KEY] = FORK_MODE, run_dir, step
    st.session_state[FORK_REQUEST] = True


def _progress(job: jobs.Job) -> str:
    if job.status in ("queued", "starting") or not runs.is_run(Path(job.run_dir)):
        return ""
    try:
        return live.run_status(job.run_dir).describe()
    except (OSError, ValueError, runs.RunError):
        return ""


def _row(jobs_dir: str, job: jobs.Job, ahead: int, continued: bool = False) -> None:
    """One job; ``continued``: a later job (a resume) works on the same run folder, so this row shows neither
    the run's live progress (that is the later job's) nor a Resume of its own."""
    name = Path(job.run_dir).name
    when = time.strftime("%H:%M:%S", time.localtime(job.started or job.created))
    head = f"**{name}** · :{_COLOURS.get(job.status, 'gray')}[{job.status}] · {job.kind} · {when}"
    if job.status == "queued":
        head += f" · {ahead} ahead in the queue" if ahead else " · next in the queue"
    progress = "continued by a later job on this run folder" if continued else _progress(job)
    st.markdown(head + (f"  \n{progress}" if progress else ""))
    cols = st.columns([1, 1, 1, 3])
    if job.status in jobs.ACTIVE:
        cols[0].button("Stop", key=f"stop_{job.id}", on_click=_stop, args=(jobs_dir, job.id), disabled=job.status == "stopping")
    elif job.status in ("stopped", "failed") and not continued:
        cols[0].button("Resume", key=f"resume_{job.id}", on_click=_resume, args=(jobs_dir, job.id))
    steps = forkable_steps(job.run_dir) if job.status in jobs.DONE else []
    if steps:
        cols[1].button(
            "Fork…", key=f"fork_{job.id}", on_click=_fork, args=(job.run_dir, steps[-1]), help="Fork this run at a kept state"
        )
    if runs.is_run(Path(job.run_dir)):
        q = run_query(job.run_dir)
        cols[3].markdown(f"Open: [samples](./{q}) · [training curves](./training{q}) · [compare](./compare{q})")
    if job.status == "failed":
        st.error(job.reason or "the trainer failed", icon=":material/error:")
        if job.tail:
            st.code("\n".join(job.tail), language=None)
    elif job.status == "stopped" and job.reason:
        st.caption(job.reason)
    with st.expander("Command and output"):
        st.code(shown_command(job), language="bash", wrap_lines=True)
        lines = jobs._tail(job.log_path(jobs_dir), 12)  # noqa: SLF001 - the same tail the record keeps
        st.code("\n".join(lines) or "(no output yet)", language=None)


_COLOURS = {"running": "green", "starting": "green", "queued": "blue", "stopping": "orange", "finished": "gray", "failed": "red"}


@st.fragment(run_every=REFRESH_SECONDS)
def job_list(jobs_dir: str, owner: str | None) -> None:
    """Every job (``owner`` None: everyone's; else that visitor's), newest first, redrawn every few seconds."""
    everything = jobs.jobs(jobs_dir)
    problem = st.session_state.pop("train_job_problem", None)
    if problem:
        st.error(problem)
    mine = [j for j in everything if owner is None or j.owner == owner]
    queued = [j for j in everything if j.status == "queued"]
    if queued:
        st.caption(f"Queue: {len(queued)} run(s) waiting for a free device (one run per device at a time).")
    if not mine:
        st.caption("No runs started from this page yet.")
        return
    newest = {}  # run folder -> its latest job: only that one speaks for the run
    for j in everything:
        if j.run_dir not in newest or j.created > newest[j.run_dir].created:
            newest[j.run_dir] = j
    for job in reversed(mine):
        ahead = sum(q.created < job.created for q in queued) if job.status == "queued" else 0
        with st.container(border=True, key=f"job_{job.id}"):
            _row(jobs_dir, job, ahead, continued=newest[job.run_dir].id != job.id)
    if st.session_state.pop(FORK_REQUEST, False):
        st.rerun(scope="app")  # the form above shows the fork
