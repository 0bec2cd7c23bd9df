"""What a training run writes as it goes: log records, snapshots with their metrics, resume state.

All of it is rank 0's job under torchrun (``Launch.writer``); the window means are averaged over
ranks first. A NaN/Inf in a record is written, then stops the run (``TrainingDiverged``).
"""

from __future__ import annotations

import logging
import math
import time
from pathlib import Path

import torch
import torch.distributed as dist

from models import save_discriminator, save_generator
from models.latent import sample_latents

from . import runs
from .accel import Launch
from .metrics import compute_all
from .presets import TrainConfig
from .step import FIELDS, Parts

log = logging.getLogger(__name__)


class TrainingDiverged(RuntimeError):
    """A loss or gradient norm became NaN or Inf; the run stopped and its last good snapshot stays."""


def evaluate_snapshot(G: torch.nn.Module, cfg: TrainConfig, device: torch.device) -> dict[str, float]:
    """Registered metrics on samples from the fixed seeds 0..eval_samples-1 (as the app shows them)."""
    if cfg.eval_samples < 2:
        return {}
    z = sample_latents(range(cfg.eval_samples), cfg.model.z_dim, cfg.model.latent_dist).to(device)
    labels = None
    if cfg.model.num_classes:
        labels = torch.arange(cfg.eval_samples, device=device) % cfg.model.num_classes
    was_training = G.training
    G.eval()
    with torch.no_grad():
        x = G(z, labels).float().cpu()
    G.train(was_training)
    lo, hi = cfg.model.output.value_range
    return compute_all(((x - lo) / (hi - lo)).clamp(0, 1), raw=x, dataset=cfg.dataset)


def log_record(step: int, epoch: int, window: torch.Tensor, window_n: int, launch: Launch, parts: Parts, t0: float) -> dict:
    """One log record: the window's means (over all ranks under torchrun), learning rates, wall time."""
    if launch.distributed:  # the log holds the mean over all ranks
        dist.all_reduce(window)
        window /= launch.world_size
    values = (window / window_n).tolist()
    record = {
        "step": step,
        "epoch": epoch + 1,
        **dict(zip(FIELDS, values, strict=True)),
        "lr_d": parts.opt_d.param_groups[0]["lr"],
        "lr_g": parts.opt_g.param_groups[0]["lr"],
        "time": round(time.perf_counter() - t0, 3),
    }
    for net in (parts.G, parts.D):  # tiny networks report their parameters (the scalar GAN's p and q)
        if hasattr(net, "log_values"):
            record.update(net.log_values())
    return record


def append_log(run_dir: Path, record: dict, launch: Launch, last_snapshot: Path | None) -> None:
    """Append the record (rank 0); a NaN/Inf value is logged, then stops the run."""
    bad = [k for k in FIELDS if not math.isfinite(record[k])]
    if bad:
        record["nonfinite"] = bad
    if launch.writer:
        runs.append_jsonl(run_dir / runs.LOG, record)
    if bad:
        raise TrainingDiverged(
            f"{', '.join(bad)} became NaN/Inf by step {record['step']} (epoch {record['epoch']}); training stopped. "
            f"Last good snapshot: {last_snapshot or 'none yet'}. Try a lower learning rate."
        )


def write_snapshot(run_dir: Path, cfg: TrainConfig, G, dev, step: int, spe: int, record: dict, D=None) -> Path:
    """The generator snapshot (the EMA generator when EMA is on), the discriminator beside it (when
    ``cfg.keep_d`` and ``D`` is given) and its metrics record."""
    meta = {"step": step, "epoch": round(step / spe, 4), "run": run_dir.name, "preset": cfg.preset}
    if cfg.ema_kimg > 0:
        meta["ema_kimg"] = cfg.ema_kimg
    if D is not None and cfg.keep_d:  # first, so a G snapshot on disk always has its D when keep_d is on
        d_path = runs.discriminator_path(run_dir, step)
        d_path.parent.mkdir(exist_ok=True)
        save_discriminator(d_path, D, cfg.model, {k: v for k, v in meta.items() if k != "ema_kimg"})
    path = save_generator(runs.snapshot_path(run_dir, step), G, cfg.model, meta)
    metrics = evaluate_snapshot(G, cfg, dev)
    runs.append_jsonl(run_dir / runs.METRICS, {"step": step, "epoch": meta["epoch"], "snapshot": path.name, **metrics})
    log.info(
        "step %d epoch %.2f d_real %.3f d_fake %.3f g %.3f acc_real %.2f acc_fake %.2f %s",
        *(step, meta["epoch"], record["d_loss_real"], record["d_loss_fake"], record["g_loss"]),
        *(record["d_acc_real"], record["d_acc_fake"], " ".join(f"{k} {v:.4f}" for k, v in metrics.items())),
    )
    return path


def save_state(run_dir: Path, launch: Launch, step: int, elapsed: float, parts: Parts, noise_state) -> None:
    """The resume state (rank 0 writes it, with every rank's noise generator state)."""
    noise_states = [noise_state]
    if launch.distributed:
        noise_states = [None] * launch.world_size
        dist.all_gather_object(noise_states, noise_state)
    if launch.writer:
        state = {"step": step, "elapsed": elapsed, "G": parts.G.state_dict(), "D": parts.D.state_dict()}
        state |= {"opt_g": parts.opt_g.state_dict(), "opt_d": parts.opt_d.state_dict(), "noise_rng": noise_states[0]}
        state |= {"noise_rng_ranks": noise_states, "torch_rng": torch.get_rng_state()}
        if parts.G_ema is not None:
            state["G_ema"] = parts.G_ema.state_dict()
        runs.save_state(run_dir, state)


def restore_state(parts: Parts, state: dict, run_dir: Path, launch: Launch) -> tuple[int, float, torch.Tensor]:
    """Load a resume state into ``parts``; returns (step, elapsed seconds, this rank's noise RNG state)."""
    try:
        parts.G.load_state_dict(state["G"])
        parts.D.load_state_dict(state["D"])
        parts.opt_g.load_state_dict(state["opt_g"])
        parts.opt_d.load_state_dict(state["opt_d"])
    except (RuntimeError, ValueError, KeyError) as e:  # e.g. spectral_norm switched on in config.json after training
        first = str(e).strip().splitlines()[0][:200]
        raise runs.RunError(
            f"{run_dir}: its resume state does not fit its config.json ({first}); the networks, the optimiser and "
            "spectral_norm cannot change when resuming: put the config back, or train a new run with --out"
        ) from None
    if parts.G_ema is not None:
        if "G_ema" not in state:
            raise runs.RunError(f"{run_dir} was trained without EMA; its config cannot turn EMA on when resuming")
        parts.G_ema.load_state_dict(state["G_ema"])
    ranks = state.get("noise_rng_ranks")
    if ranks is not None and len(ranks) != launch.world_size:
        raise runs.RunError(f"{run_dir} was saved by {len(ranks)} processes; resume it with --nproc_per_node {len(ranks)}")
    torch.set_rng_state(state["torch_rng"])
    noise = ranks[launch.rank] if ranks is not None else state["noise_rng"]
    return int(state["step"]), float(state["elapsed"]), noise
