"""Save a lab as an ordinary run folder, and open a run folder as a history the Lab replays.

A saved lab is what ``ganscope-train`` writes: ``config.json`` (a ``TrainConfig`` with the trainer's MLP
config, plus a ``lab`` record of the Lab's own settings), ``log.jsonl``, ``metrics.jsonl``,
``snapshots/step-NNNNNNN.safetensors`` (G, one per history entry) and ``discriminators/`` (D beside
each G, written by ``models.save_discriminator``). Every page opens it;
its snapshots load with ``models.load_generator`` and no Lab code.
"""

from __future__ import annotations

import dataclasses
import json
import re
from dataclasses import dataclass
from pathlib import Path

import torch

from models import build_discriminator, build_generator, load_discriminator, save_discriminator, save_generator
from models.latent import sample_latents

from .. import runs
from ..records import evaluate_snapshot
from ..train_config import TrainConfig
from . import data
from .engine import LOG_EVERY, LabSession
from .settings import LabSettings

TRAINER_LOSS = {"ns": "bce", "minimax": "bce", "ls": "mse_linear", "hinge": "hinge", "wgan-gp": "hinge"}  # nearest
LAB_LOSS = {"bce": "ns", "mse": "ls", "mse_linear": "ls", "hinge": "hinge"}  # a trained run's loss, for the arrows


class LabRunError(ValueError):
    """A run folder the Lab cannot replay; the message says why and what to open instead."""


def train_config(session: LabSession, name: str) -> TrainConfig:
    """The ``TrainConfig`` of a lab: the trainer's fields, with the nearest trainer loss."""
    s = session.settings
    return TrainConfig(
        preset="lab",
        model=session.cfg,
        dataset=data.TRAIN_DATASET.get(s.dataset, f"lab-{s.dataset}"),
        description=f"trained live in the Lab ({name}): {s.dataset}, loss {s.loss}, {session.iteration} iterations",
        data_dir="",
        max_steps=max(session.iteration, 1),
        batch_size=s.batch,
        loss=TRAINER_LOSS[s.loss],
        optimizer=s.opt_g,
        lr_g=s.lr_g,
        lr_d=s.lr_d,
        d_steps=max(s.d_steps, 1),
        g_steps=max(s.g_steps, 1),
        seed=s.seed,
        log_every=LOG_EVERY,
        snapshot_every=session.history.every,
        eval_samples=512,
        r1_gamma=s.r1_gamma,
    )


def save_run(session: LabSession, run_dir: str | Path) -> Path:
    """Write the lab as a run folder (a new folder; refuses to overwrite a run). Returns its path."""
    run_dir = Path(run_dir)
    if (run_dir / runs.CONFIG).exists():
        raise LabRunError(f"{run_dir} already holds a run: pick another name")
    (run_dir / runs.SNAPSHOTS).mkdir(parents=True, exist_ok=True)
    (run_dir / runs.DISCRIMINATORS).mkdir(exist_ok=True)
    session.flush()
    cfg = train_config(session, run_dir.name)
    record = cfg.to_dict()
    record["lab"] = {**dataclasses.asdict(session.settings), "drawn": [list(p) for p in session.settings.drawn]}
    runs.write_json(run_dir / runs.CONFIG, record)
    kl = {d["step"]: d for d in session.divergences}
    for r in session.log:
        runs.append_jsonl(
            run_dir / runs.LOG, {"epoch": 1, **r, **{k: v for k, v in kl.get(r["step"], {}).items() if k != "step"}}
        )
    G, D = build_generator(session.cfg), build_discriminator(session.cfg)
    entries = list(session.history.entries)
    if not entries or entries[-1].step != session.iteration:
        entries.append(session.entry())  # the lab as it is now is the run's latest snapshot
    for e in entries:
        G.load_state_dict(e.g)
        D.load_state_dict(e.d)
        meta = {"step": e.step, "epoch": 1, "run": run_dir.name, "preset": "lab"}
        path = save_generator(runs.snapshot_path(run_dir, e.step), G, session.cfg, meta)
        save_discriminator(runs.discriminator_path(run_dir, e.step), D, session.cfg, meta)
        metrics = evaluate_snapshot(G.eval(), cfg, torch.device("cpu"))
        runs.append_jsonl(run_dir / runs.METRICS, {"step": e.step, "epoch": 1, "snapshot": path.name, **metrics})
    return run_dir


@dataclass
class Replay:
    """A run folder opened in the Lab: its steps, and what each frame needs."""

    run_dir: Path
    dataset: str  # the Lab's name for the run's data
    drawn: tuple[tuple[float, float], ...]
    loss: str  # the Lab loss whose G objective the arrows follow
    steps: list[int]
    snapshots: list[Path]
    discriminators: list[Path | None]
    z: torch.Tensor  # fixed noise (seeds 0..N-1, as the app samples)
    noise: str
    settings: LabSettings | None  # a saved lab's own settings (None for trainer runs)

    @property
    def has_d(self) -> bool:
        return any(p is not None for p in self.discriminators)


def open_run(run_dir: str | Path, n: int = 1024) -> Replay:
    """A trainer run of a 2-D toy (ring-8, quadratic) or a saved lab, as a replayable history."""
    run_dir = Path(run_dir)
    try:
        cfg = runs.read_config(run_dir)
        raw = json.loads((run_dir / runs.CONFIG).read_text())
    except (runs.RunError, OSError, json.JSONDecodeError) as e:
        raise LabRunError(f"The Lab cannot read this run: {e}") from None
    lab = raw.get("lab") if isinstance(raw.get("lab"), dict) else None
    names = {v: k for k, v in data.TRAIN_DATASET.items()}
    name = names.get(cfg.dataset, cfg.dataset.removeprefix("lab-"))
    if (
        name not in data.DATASETS
        or getattr(cfg.model, "output", None) is None
        or cfg.model.output.shape != (data.data_dim(name),)
    ):
        raise LabRunError(
            f"The Lab replays 2-D toy runs (ring-8, quadratic-1d) and saved labs; this run's data is {cfg.dataset}."
        )
    settings = None
    if lab:
        settings = LabSettings(**{**lab, "drawn": tuple(tuple(p) for p in lab.get("drawn", []))})
    snaps = runs.list_snapshots(run_dir)
    steps = [int(m.get("step", 0)) for _, m in snaps]
    dpaths = [runs.find_discriminator(run_dir, s) for s in steps]
    noise = cfg.model.latent_dist
    return Replay(
        run_dir=run_dir,
        dataset=name,
        drawn=settings.drawn if settings else (),
        loss=settings.loss if settings else LAB_LOSS.get(cfg.loss, "ns"),
        steps=steps,
        snapshots=[p for p, _ in snaps],
        discriminators=dpaths,
        z=sample_latents(range(n), cfg.model.z_dim, noise),
        noise=noise,
        settings=settings,
    )


def replay_frame(replay: Replay, index: int, real: torch.Tensor | None = None):
    """The views of the run's ``index``-th snapshot (and its D when the run kept one)."""
    from models import load_generator

    from .views import frame

    G, _ = load_generator(replay.snapshots[index])
    dpath = replay.discriminators[index]
    D = load_discriminator(dpath)[0] if dpath is not None else None
    if real is None:
        real = data.sample(replay.dataset, len(replay.z), 0, replay.drawn)
    return frame(
        G, D, step=replay.steps[index], dataset=replay.dataset, loss=replay.loss, noise=replay.noise, real=real, z=replay.z
    )


def safe_name(name: str) -> str:
    """A run folder name from what a visitor typed (letters, digits, - and _ only)."""
    cleaned = re.sub(r"[^A-Za-z0-9_-]+", "-", name.strip()).strip("-")
    return cleaned[:60] or "lab-run"
