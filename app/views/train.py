"""Train page: pick a preset (or a run to fork at a kept state), change any switch, see the exact
command, Start; the runs started here with Stop, Resume, Fork and their queue. Each run trains in a
process of its own (``pipelines.jobs``): it outlives this tab and the dashboard."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import streamlit as st

from app import hosting, state
from app.components import train_jobs
from app.components.train_form import preview, switches
from pipelines import jobs, runs
from pipelines import train_form as tf
from pipelines.presets import PRESETS, get_preset

NEW_MODE = "A new run from a preset"
VISITOR_LOCKED = ("dataset", "data_dir", "download", "limit")  # a visitor may not point training at server folders


def _default_name(stem: str, where: Path, taken: str = "") -> str:
    """``stem-1``, ``stem-2``, ...: the first name no folder in ``where`` has yet (nor ``taken``)."""
    n = 1
    while (where / f"{stem}-{n}").exists() or f"{stem}-{n}" == taken:
        n += 1
    return f"{stem}-{n}"


def _start(
    jobs_dir: str, args: list[str], out: Path, device: str, owner: str, kind: str, steps: int, name_key: str, stem: str
) -> None:
    """Queue the run (it starts at once when its device is free); the next run gets a new name."""
    command = [sys.executable, "-m", "pipelines.train", *args, "--no-progress"]
    try:
        jobs.submit(jobs_dir, command, out, jobs.device_key(device), owner, kind, steps or None)
    except jobs.JobRefused as e:
        st.session_state["train_refused"] = str(e)
        return
    st.session_state[name_key] = _default_name(stem, out.parent, taken=out.name)


def _shown(path: Path) -> str:
    """A path as the command shows it: relative to the checkout when inside it (``runs/NAME``)."""
    try:
        return str(path.relative_to(state.ROOT))
    except ValueError:
        return str(path)


st.title("Train")
policy = hosting.training()
if not policy.allowed:
    st.info(policy.reason, icon=":material/lock:")
    st.stop()
jobs_dir = str(jobs.default_dir())
owner = hosting.visitor_id()
where = (
    hosting.session_dir() if hosting.settings().restricted else Path(os.environ.get("GANSCOPE_TRAIN_DIR") or state.ROOT / "runs")
)

mode = st.radio("Start", [NEW_MODE, train_jobs.FORK_MODE], key=train_jobs.MODE_KEY, horizontal=True)
if mode == NEW_MODE:
    preset = st.selectbox(
        "Preset", list(PRESETS), key="train_preset", format_func=lambda n: f"{n}: {PRESETS[n].description[:90]}"
    )
    base, prefix, stem = get_preset(preset), f"tf_{preset}", preset
else:
    parents = [str(p) for p in state.discover_runs() if train_jobs.forkable_steps(p)]
    if not parents:
        st.info("No run has a kept resume state to fork from yet: train one here first (states are kept at snapshots).")
        st.stop()
    if st.session_state.get(train_jobs.PARENT_KEY) not in parents:
        st.session_state[train_jobs.PARENT_KEY] = parents[0]
    parent = st.selectbox("Run to fork", parents, key=train_jobs.PARENT_KEY, format_func=state.run_label)
    steps = train_jobs.forkable_steps(parent)
    if st.session_state.get(train_jobs.STEP_KEY) not in steps:
        st.session_state[train_jobs.STEP_KEY] = steps[-1]
    step = st.selectbox("From the state at step", steps, key=train_jobs.STEP_KEY)
    base, prefix, stem = runs.read_config(parent), f"tf_fork_{parent}", f"{Path(parent).name}-fork{step}"
    st.caption("The switches below start from the parent's config; the fork changes only those you change.")

c1, c2 = st.columns([3, 1])
name_key = f"train_name_{stem}"
if name_key not in st.session_state:
    st.session_state[name_key] = _default_name(stem, where)
name = c1.text_input(f"Run name (a folder in {'your session folder' if owner else _shown(where)})", key=name_key).strip()
device = c2.selectbox("Device", ["auto", "cpu", "cuda"], key="train_device")
form = switches(base, prefix, policy.max_steps, VISITOR_LOCKED if owner else ())
out = Path(_shown(where / name))
args = (
    tf.command_args(base.preset, str(out), form.changes, device)
    if mode == NEW_MODE
    else tf.fork_args(parent, step, str(out), form.changes, device)
)
preview(args)

steps_asked = form.changes.get("max_steps", base.max_steps)
problem = form.problem
if not problem and (not name or name != Path(name).name or name.startswith(".")):
    problem = "Give the run a folder name (letters, digits, dashes; no slashes)."
if not problem and mode != NEW_MODE and 0 < steps_asked <= step:  # the trainer would say "already finished"
    problem = (
        f"The fork starts at step {step:,} and max_steps is {steps_asked:,}: it would train nothing. "
        f"Raise max_steps above {step:,}."
    )
if not problem and (state.ROOT / out).exists():
    problem = f"{out} already exists: pick another run name (or Resume that run below)."
if not problem and (policy.max_runs or policy.max_steps):
    problem = jobs.quota_refusal(jobs.jobs(jobs_dir), owner, policy.max_runs, policy.max_steps, steps_asked) or ""
if problem:
    st.error(problem)
st.button(
    "Start",
    type="primary",
    disabled=bool(problem),
    on_click=_start,
    args=(jobs_dir, args, state.ROOT / out, device, owner, "start" if mode == NEW_MODE else "fork", steps_asked, name_key, stem),
)
if policy.max_runs:
    st.caption(f"On this shared dashboard: at most {policy.max_runs} run(s) at once, of at most {policy.max_steps:,} steps each.")

if refused := st.session_state.pop("train_refused", ""):
    st.error(refused)
st.subheader("Runs started here")
train_jobs.job_list(jobs_dir, owner if hosting.settings().restricted else None)
