"""Forks on the Compare and Training pages: a fork (``ganscope-train --fork``) records its parent and
step in its config.json; Compare draws parent and fork side by side on the same seeds from that step
on, and Training overlays the parent's curves with the fork's start marked."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import streamlit as st

from app import state
from app.components.samples_view import show
from models import OutputSpec
from pipelines import runs

MOST_ROWS = 6  # parent/fork pairs drawn at most (evenly spaced over the common steps)


def fork_origin(run_dir: str | Path) -> tuple[Path, int] | None:
    """(parent run folder, fork step) when ``run_dir`` is a fork whose parent is still there, else None.
    The parent is recorded relative to the fork's folder (``../ring-8``), and absolute as it was then."""
    try:
        fork = json.loads((Path(run_dir) / runs.CONFIG).read_text(encoding="utf-8")).get("fork")
        step = int(fork["step"])
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None
    for candidate in (Path(run_dir) / str(fork.get("parent", "")), Path(str(fork.get("parent_abs", "")))):
        if str(candidate) and runs.is_run(candidate.resolve()):
            return candidate.resolve(), step
    return None


def _by_step(run_dir: Path) -> dict[int, Path]:
    return {int(m.get("step") or 0): p for p, m in state.good_snapshots(run_dir)}


def _spread(steps: list[int], most: int) -> list[int]:
    if len(steps) <= most:
        return steps
    return [steps[round(i * (len(steps) - 1) / (most - 1))] for i in range(most)]


def parent_and_fork(run_dir: Path, z: np.ndarray, labels, spec: OutputSpec, nrow: int) -> None:
    """Compare's section for a fork: at each step both runs have a snapshot, from the fork step on, the
    parent (left) and the fork (right) drawn from the same latents."""
    origin = fork_origin(run_dir)
    if origin is None:
        return
    parent, at = origin
    st.subheader(f"Parent and fork from step {at:,}")
    mine, theirs = _by_step(run_dir), _by_step(parent)
    common = sorted(s for s in mine if s >= at and s in theirs)
    if not common:
        st.caption(
            f"{run_dir.name} was forked from {parent.name} at step {at:,}; the two have no snapshot at the same step "
            "after that yet (it appears here when both have one)."
        )
        return
    st.caption(f"{run_dir.name} was forked from {parent.name} at step {at:,}: the same seeds through both, step by step.")
    for step in _spread(common, MOST_ROWS):
        sides = ((theirs[step], f"{parent.name} (parent)", "p"), (mine[step], f"{run_dir.name} (fork)", "f"))
        for column, (snapshot, who, k) in zip(st.columns(2), sides, strict=True):
            with column:
                show(state.render_latents(snapshot, z, labels), spec, nrow, f"{who} · step {step:,}", key=f"fk_{k}_{step}")


def with_parents(chosen: list[str]) -> tuple[list[str], dict[str, int]]:
    """The Training page's runs with each fork's parent added, and {fork: its start step} to mark."""
    out, marks = list(chosen), {}
    for run in chosen:
        origin = fork_origin(run)
        if origin:
            marks[run] = origin[1]
            if str(origin[0]) not in out:
                out.append(str(origin[0]))
    return out, marks


def mark_forks(fig, marks: dict[str, int], names: dict[str, str]) -> None:
    """A dotted vertical line where each fork starts, named after the fork."""
    for run, step in marks.items():
        fig.add_vline(x=step, line_dash="dot", line_color="grey", annotation_text=f"{names.get(run, Path(run).name)} forked")
