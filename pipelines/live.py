"""Runs that are being written to: is a run training, how far it is, and the latest early warning.

A run folder is *training* while its log keeps growing: the last record is younger than
``STALE_SECONDS``. It is *finished* when the last record is the run's last step (its ``max_steps``, or
``epochs`` times the steps per epoch, read off the snapshots), and *stopped* when neither holds: the
process ended early or was killed, or is hanging. Nothing here needs the training process: the
dashboard reads the same files the trainer appends to.

The early warning is the diagnosis of the latest log window (``pipelines.diagnose``), phrased with
its evidence and the step since which the verdict has held, e.g. "discriminator winning since step
1,200: D loss 0.02, accuracy 1.00".
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from . import runs
from .diagnose import diagnose
from .train_config import TOY_DATASETS

STALE_SECONDS = 60.0  # no new log record for this long: the run is no longer training
WINDOWS = 10  # the early warning cuts the log so far into this many windows and reads the last

WARNINGS = {
    "convergence_failure": "discriminator winning",
    "oscillation": "losses oscillating",
    "diverged": "training diverged",
}


@dataclass(frozen=True)
class RunStatus:
    """Where a run stands, read from its files.

    Args:
        state: "training", "finished", "stopped" or "not started" (no log record yet).
        step, epoch: of the last log record (epoch 0: a toy run, which draws fresh samples and has no epochs).
        total_steps: the step the run stops at, when the files say (None: not known yet).
        steps_per_second: over the last records (None with fewer than two).
        idle_seconds: since the log was last written.
    """

    state: str
    step: int = 0
    epoch: int = 0
    total_steps: int | None = None
    steps_per_second: float | None = None
    idle_seconds: float = 0.0

    def describe(self) -> str:
        """One line for the sidebar."""
        if self.state == "not started":
            return "not started: no training log yet"
        of = f" of {self.total_steps:,}" if self.total_steps else ""
        where = f"step {self.step:,}{of}" + (f", epoch {self.epoch}" if self.epoch else "")
        if self.state == "training":
            speed = f", {self.steps_per_second:,.1f} steps/s" if self.steps_per_second else ""
            return f"training: {where}{speed}"
        if self.state == "finished":
            return f"finished: {where}"
        return f"stopped: no new log record for {self.idle_seconds:,.0f} s ({where})"


def _total_steps(snaps: list[tuple[Path, dict]], cfg) -> int | None:
    """The last step of the run: max_steps, or epochs x the steps per epoch a snapshot's metadata gives."""
    by_epochs = None
    for _, meta in reversed(snaps):
        if meta.get("epoch"):
            by_epochs = round(cfg.epochs * meta["step"] / meta["epoch"])
            break
    if cfg.max_steps:
        return min(cfg.max_steps, by_epochs) if by_epochs else cfg.max_steps
    return by_epochs


def run_status(
    run_dir: str | os.PathLike,
    now: float | None = None,
    stale_after: float = STALE_SECONDS,
    snapshots: list[tuple[Path, dict]] | None = None,
) -> RunStatus:
    """Where the run in ``run_dir`` stands (``now``: a time.time() to judge staleness against;
    ``snapshots``: its readable snapshots when the caller has scanned them already)."""
    run_dir = Path(run_dir)
    log_path = run_dir / runs.LOG
    records = runs.read_log(run_dir) if log_path.is_file() else []
    if not records:
        return RunStatus("not started")
    last = records[-1]
    idle = max(0.0, (time.time() if now is None else now) - log_path.stat().st_mtime)
    speed = None
    if len(records) >= 2:
        a, b = records[max(0, len(records) - 10)], last
        if b.get("time") and a.get("time") is not None and b["time"] > a["time"]:
            speed = (b["step"] - a["step"]) / (b["time"] - a["time"])
    cfg = runs.read_config(run_dir)
    if snapshots is None:
        snapshots, _ = runs.scan_snapshots(run_dir)  # unreadable snapshots are the sidebar's to report
    total = _total_steps(snapshots, cfg)
    step = int(last["step"])
    epoch = 0 if cfg.dataset in TOY_DATASETS else int(last.get("epoch", 0))  # toy data has no epochs
    if total is not None and step >= total:
        state = "finished"
    elif idle <= stale_after:
        state = "training"
    else:
        state = "stopped"
    return RunStatus(state, step, epoch, total, speed, idle)


def early_warning(records: list[dict]) -> tuple[str, str] | None:
    """(verdict, sentence) for the latest window of ``records`` when it is not stable, else None."""
    if len(records) < 8:
        return None
    windows = diagnose(records, windows=WINDOWS).windows
    latest = windows[-1]
    if latest.verdict not in WARNINGS:
        return None
    since = latest.start
    for w in reversed(windows[:-1]):  # back to where this verdict began
        if w.verdict != latest.verdict:
            break
        since = w.start
    s = latest.stats
    if latest.verdict == "diverged":
        detail = latest.evidence[0].note
    elif latest.verdict == "convergence_failure":
        detail = f"D loss {s['d_loss']:.2f}, accuracy {min(s['d_acc_real'], s['d_acc_fake']):.2f}, G loss {s['g_loss']:.2f}"
    else:
        detail = f"G loss varies by {s['g_cv']:.0%}, D accuracy on fakes spans {s['acc_fake_range']:.2f}"
    return latest.verdict, f"{WARNINGS[latest.verdict]} since step {since:,}: {detail}"


def verdict_changes(records: list[dict], steps: list[int]) -> dict[int, str]:
    """For snapshots at ``steps``: the ones whose log window's verdict differs from the previous
    snapshot's, as {step: "stable → convergence_failure"} (the first snapshot is never marked)."""
    if len(records) < 8 or len(steps) < 2:
        return {}
    windows = diagnose(records, windows=WINDOWS).windows

    def verdict_at(step: int) -> str:
        return next((w.verdict for w in windows if step <= w.end), windows[-1].verdict)

    marks, previous = {}, None
    for step in sorted(steps):
        verdict = verdict_at(step)
        if previous is not None and verdict != previous:
            marks[step] = f"{previous} → {verdict}"
        previous = verdict
    return marks


DASHBOARD_PORT = 8501  # streamlit's default


def dashboard_link(run_dir: str | os.PathLike, port: int = DASHBOARD_PORT) -> tuple[str, str]:
    """(the command that starts the dashboard, the URL that opens ``run_dir`` in it), as ganscope-train
    prints them. The run is named by its folder relative to the checkout when it lies inside it (runs/NAME:
    a bare name could be a shipped run's), else by its absolute path."""
    real = Path(run_dir).resolve()
    try:
        value = str(real.relative_to(runs.PROJECT_ROOT))
    except ValueError:
        value = str(real)
    command = f"streamlit run {runs.PROJECT_ROOT / 'app' / 'main.py'}"
    return command, f"http://localhost:{port}/?run={quote(value, safe='/')}"
