"""Run folders: where a training run keeps its config, log, snapshots, metrics and resume state.

    RUN/
      config.json                  resolved TrainConfig (format "ganscope-run", format_version)
      log.jsonl                    append-only, one record per log_every steps
      metrics.jsonl                one record per snapshot
      snapshots/step-0000469.safetensors   generator weights + architecture config (no pickle)
      discriminators/step-0000469.safetensors   the discriminator at the same step (``keep_d``, default on)
      state.pt                     resume state (G, D, optimisers, step, RNG); never shipped in git
      skipped.jsonl                folder datasets only: each unreadable file skipped, with the reason

Every whole-file write goes to a temporary file in the same folder and is renamed over the
target, so a crash leaves either the old file or the new one, never half of one.
"""

from __future__ import annotations

import io
import json
import math
import os
from pathlib import Path
from typing import Any

from models import CheckpointError, atomic_write_bytes, read_header
from models.snapshot_file import SNAPSHOT_SUFFIX

from .data import DataError, user_path
from .presets import TrainConfig

CONFIG = "config.json"
LOG = "log.jsonl"
METRICS = "metrics.jsonl"
SNAPSHOTS = "snapshots"
DISCRIMINATORS = "discriminators"  # beside snapshots/, not in it: nothing that globs snapshots/ sees a D
STATE = "state.pt"
SKIPPED = "skipped.jsonl"


class RunError(RuntimeError):
    """A run folder that cannot be used as asked; the message says why and what to do."""


def _clean(v: Any) -> Any:
    if isinstance(v, float) and not math.isfinite(v):
        return None  # JSON has no NaN/Inf
    return v


def write_json(path: Path, data: Any) -> None:
    atomic_write_bytes(path, (json.dumps(data, indent=2) + "\n").encode())


def append_jsonl(path: Path, record: dict) -> None:
    """Append one record as a line, flushed to disk. A torn last line (a crash mid-write) is ended
    first, so the new record starts a line of its own and ``read_jsonl`` drops only the torn one."""
    line = json.dumps({k: _clean(v) for k, v in record.items()}) + "\n"
    with open(path, "a+b") as f:
        if f.tell():
            f.seek(-1, os.SEEK_END)
            if f.read(1) != b"\n":
                line = "\n" + line
        f.write(line.encode("utf-8"))
        f.flush()
        os.fsync(f.fileno())


def read_jsonl(path: Path) -> list[dict]:
    """Records of a JSONL file; a torn last line (from a crash mid-write) is dropped."""
    if not path.is_file():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return out


def truncate_jsonl(path: Path, max_step: int) -> int:
    """Atomically keep only records with ``step <= max_step``; returns how many were dropped."""
    records = read_jsonl(path)
    keep = [r for r in records if r.get("step", 0) <= max_step]
    text = "".join(json.dumps(r) + "\n" for r in keep)
    atomic_write_bytes(path, text.encode())
    return len(records) - len(keep)


def write_skipped(run_dir: str | os.PathLike, skipped: list[tuple[str, str]]) -> Path | None:
    """Record the training files that could not be read (``ImageData.skipped``) in the run folder, one
    JSON line each (``file``, ``reason``), replacing an earlier list; returns the file (None: nothing skipped,
    and an old list is removed)."""
    path = Path(run_dir) / SKIPPED
    if not skipped:
        path.unlink(missing_ok=True)
        return None
    text = "".join(json.dumps({"file": f, "reason": r}) + "\n" for f, r in skipped)
    atomic_write_bytes(path, text.encode("utf-8"))
    return path


def snapshot_path(run_dir: Path, step: int) -> Path:
    return Path(run_dir) / SNAPSHOTS / f"step-{step:07d}{SNAPSHOT_SUFFIX}"


def discriminator_path(run_dir: str | os.PathLike, step: int) -> Path:
    """Where a run keeps its discriminator at ``step`` (numbered as ``snapshot_path``)."""
    return Path(run_dir) / DISCRIMINATORS / f"step-{step:07d}{SNAPSHOT_SUFFIX}"


def find_discriminator(run_dir: str | os.PathLike, step: int) -> Path | None:
    """The discriminator file of ``step``, or None when the run kept no D for that step."""
    path = discriminator_path(run_dir, step)
    return path if path.is_file() else None


def scan_snapshots(run_dir: str | os.PathLike) -> tuple[list[tuple[Path, dict]], list[tuple[Path, str]]]:
    """(good, bad): (path, meta) of each readable snapshot in step order (meta holds step, epoch...
    from the header), and (path, problem) of each one whose header cannot be read (truncated, corrupt)."""
    good, bad = [], []
    for p in sorted((Path(run_dir) / SNAPSHOTS).glob(f"*{SNAPSHOT_SUFFIX}")):
        try:
            good.append((p, read_header(p)["meta"]))
        except CheckpointError as e:
            bad.append((p, e.problem))
    good.sort(key=lambda pm: pm[1].get("step", 0))
    return good, bad


def list_snapshots(run_dir: str | os.PathLike) -> list[tuple[Path, dict]]:
    """(path, meta) of each snapshot in step order; raises CheckpointError for the first unreadable one
    (``scan_snapshots`` lists the readable ones and the others apart)."""
    good, bad = scan_snapshots(run_dir)
    if bad:
        raise CheckpointError(*bad[0])
    return good


def read_config(run_dir: str | os.PathLike) -> TrainConfig:
    path = Path(run_dir) / CONFIG
    if not path.is_file():
        raise RunError(f"{run_dir} is not a run folder: it has no {CONFIG}")
    try:
        return TrainConfig.from_dict(json.loads(path.read_text()))
    except (json.JSONDecodeError, ValueError, KeyError, TypeError) as e:
        raise RunError(f"{path}: invalid run config ({e})") from None


def read_source(run_dir: str | os.PathLike) -> dict | None:
    """Where an imported run came from (config.json's ``source`` record), or None for a trained run."""
    try:
        data = json.loads((Path(run_dir) / CONFIG).read_text())
    except (OSError, json.JSONDecodeError):
        return None
    source = data.get("source") if isinstance(data, dict) else None
    return source if isinstance(source, dict) else None


def read_log(run_dir: str | os.PathLike) -> list[dict]:
    return read_jsonl(Path(run_dir) / LOG)


def read_metrics(run_dir: str | os.PathLike) -> list[dict]:
    return read_jsonl(Path(run_dir) / METRICS)


PROJECT_ROOT = Path(__file__).resolve().parents[1]  # the ganscope checkout (shipped runs say ../shared/data/...)


def data_dir_candidates(run_dir: str | os.PathLike, data_dir: str | os.PathLike) -> list[Path]:
    """Where a run's recorded ``data_dir`` may be, in the order they are tried.

    An absolute path is itself. A relative one (e.g. ``../shared/data/mnist`` in the shipped runs, written
    from the repository root) is tried from the current folder, from the folder the run was trained from
    (the parent of ``runs/`` or ``checkpoints/`` holding the run), from the ganscope checkout and from the
    run folder itself, so ``ganscope-evaluate`` and the dashboard find it from anywhere.
    """
    d = user_path(data_dir)
    if d.is_absolute():
        return [d]
    run = Path(run_dir).resolve()
    found: list[Path] = []
    for base in (Path.cwd(), run.parent.parent, PROJECT_ROOT, run):
        cand = (base / d).resolve()
        if cand not in found:
            found.append(cand)
    return found


def resolve_data_dir(run_dir: str | os.PathLike, data_dir: str | os.PathLike) -> Path:
    """The first existing place of a run's ``data_dir`` (see ``data_dir_candidates``).

    Raises:
        DataError: naming every place it looked, and how to point at the data instead.
    """
    cands = data_dir_candidates(run_dir, data_dir)
    for c in cands:
        if c.exists():
            return c
    raise DataError(
        f"the run's data folder {str(data_dir)!r} was not found; looked in "
        + ", ".join(str(c) for c in cands)
        + ". Pass --data-dir (or type the folder in the dashboard) to point at the data"
    )


def is_run(path: Path) -> bool:
    """Whether ``path`` is a run folder (False, not an error, for a name the system cannot even look up)."""
    try:
        return (path / CONFIG).is_file() and (path / SNAPSHOTS).is_dir()
    except OSError:  # e.g. a typed or linked name longer than the system allows
        return False


def list_runs(root: str | os.PathLike) -> list[Path]:
    """Run folders directly under ``root`` (or root itself if it is one), sorted by name."""
    root = Path(root)
    if is_run(root):
        return [root]
    if not root.is_dir():
        return []
    return sorted(p for p in root.iterdir() if p.is_dir() and is_run(p))


def save_state(run_dir: Path, state: dict) -> None:
    """Atomically write the resume state (tensors and plain containers only)."""
    import torch  # here, not at the top: the dashboard reads runs before it imports torch

    buf = io.BytesIO()
    torch.save(state, buf)
    atomic_write_bytes(Path(run_dir) / STATE, buf.getvalue())


def load_state(run_dir: Path) -> dict:
    """Read the resume state with ``weights_only=True``: a crafted pickle cannot run code."""
    path = Path(run_dir) / STATE
    if not path.is_file():
        raise RunError(f"{run_dir} has no {STATE} to resume from (was it trained elsewhere, or shipped?)")
    import pickle
    import warnings

    import torch

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch's notes on pickle protocols are not for our users
            return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:  # torch's message here advises weights_only=False: never
        raise RunError(
            f"{path}: refused to load the resume state: it holds Python objects other than tensors, which ganscope "
            "never unpickles (a crafted or foreign file); delete it and train the run afresh"
        ) from None
    except Exception:  # noqa: BLE001 - truncated, corrupt or not a torch file at all: one clear message
        raise RunError(
            f"{path}: cannot load the resume state: the file is truncated, corrupt or not one ganscope wrote"
        ) from None
