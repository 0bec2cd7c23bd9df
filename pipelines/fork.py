"""Forking a run: a new run folder that starts from a parent run's kept resume state at one snapshot.

``ganscope-train --fork PARENT --at STEP --out NEW [--set KEY=VALUE ...]`` calls ``start_fork``, then
resumes NEW like any interrupted run. NEW starts with the parent's state at STEP (weights, optimiser
moments, RNG states), the parent's snapshot (and discriminator) of STEP as its first snapshot, the
parent's metrics record of STEP, and an empty log: its curves start after the fork point. The parent
is only read. ``config.json`` of NEW records ``fork`` (see ``fork_record``).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from models import atomic_write_bytes

from . import runs


def fork_record(parent: Path, out: Path, step: int) -> dict:
    """``config.json``'s ``fork``: ``parent`` (the parent folder relative to the fork's folder, as
    ``../ring-8``; resolve it as ``Path(fork_dir) / parent``), ``parent_abs`` (its absolute path when
    forked), ``parent_name`` and ``step`` (the parent's step the fork starts from)."""
    parent_abs = parent.resolve()
    return {
        "parent": os.path.relpath(parent_abs, out.resolve()),
        "parent_abs": str(parent_abs),
        "parent_name": parent_abs.name,
        "step": step,
    }


def no_state_sentence(parent: Path, step: int) -> str:
    """Why a fork at ``step`` is refused, with the steps that can be forked."""
    steps = runs.forkable_steps(parent)
    if not steps:
        return (
            f"{parent} kept no resume states to fork from (it was trained with keep_states=0, before "
            "states were kept, or shipped without them)"
        )
    return f"{parent} has no kept state at step {step:,}; it can be forked at step {', '.join(f'{s:,}' for s in steps)}"


def start_fork(parent: str | os.PathLike, step: int, out: str | os.PathLike) -> dict:
    """Seed ``out`` with ``parent``'s state at ``step``; returns the ``fork`` record for its config.json.

    Raises:
        runs.RunError: parent is not a run, has no kept state at ``step`` (naming the steps that have one),
            or ``out`` already holds a run.
    """
    parent, out = Path(parent), Path(out)
    runs.read_config(parent)  # a run folder, or a RunError saying why not
    state = runs.kept_state_path(parent, step)
    if not state.is_file():
        raise runs.RunError(no_state_sentence(parent, step))
    if (out / runs.CONFIG).exists():  # a state alone is an earlier try at this fork, cut short: done again
        raise runs.RunError(f"{out} already holds a run: pick another --out for the fork (or --resume to continue it)")
    if out.resolve() == parent.resolve():
        raise runs.RunError("a fork needs its own --out, not the parent's folder")
    (out / runs.SNAPSHOTS).mkdir(parents=True, exist_ok=True)
    snap = runs.snapshot_path(parent, step)
    if snap.is_file():
        shutil.copyfile(snap, runs.snapshot_path(out, step))
    d = runs.find_discriminator(parent, step)
    if d is not None:
        runs.discriminator_path(out, step).parent.mkdir(exist_ok=True)
        shutil.copyfile(d, runs.discriminator_path(out, step))
    metrics = [m for m in runs.read_metrics(parent) if m.get("step") == step]
    if metrics:
        atomic_write_bytes(out / runs.METRICS, b"")
        runs.append_jsonl(out / runs.METRICS, metrics[-1])
    atomic_write_bytes(out / runs.STATE, state.read_bytes())  # last: a fork without its state is no fork
    return fork_record(parent, out, step)
