"""The training loop and the ``ganscope-train`` command.

The loop owns the optimisers (the networks own none). Each step: the discriminator sees a
batch of real images and, separately, a batch of fakes; then the generator is updated
through the discriminator on the same fakes. Every ``log_every`` steps the means of
D loss on real and fake, G loss, D accuracy on real and fake, both gradient norms, the
learning rates and the wall time go to ``log.jsonl``. Snapshots at every epoch end (and every
``snapshot_every`` steps); resume state every ``state_every`` steps and at every snapshot.

A run is repeatable: weights, noise and data order all come from ``seed``, and the resume
state holds the RNG states, so an interrupted run resumed from its state continues exactly
as if it had never stopped (bit for bit on the CPU).
"""

from __future__ import annotations

import argparse
import logging
import math
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from tqdm import tqdm

from models import build_discriminator, build_generator, save_generator
from models.latent import sample_latents

from . import runs
from .data import DataError, ImageData, load_dataset, to_range
from .metrics import compute_all
from .presets import PRESETS, TrainConfig, get_preset
from .toydata import TOY_DATASETS, make_toy

log = logging.getLogger(__name__)

FIELDS = ("d_loss_real", "d_loss_fake", "g_loss", "d_acc_real", "d_acc_fake", "d_grad_norm", "g_grad_norm")


@dataclass
class StepInfo:
    """What a callback sees after each step: the step, its log record (None between log steps),
    and the live networks and optimisers (callbacks may read them, or change learning rates)."""

    step: int
    record: dict | None
    G: torch.nn.Module
    D: torch.nn.Module
    opt_g: torch.optim.Optimizer
    opt_d: torch.optim.Optimizer


class TrainingDiverged(RuntimeError):
    """A loss or gradient norm became NaN or Inf; the run stopped and its last good snapshot stays."""


def pick_device(name: str = "auto") -> torch.device:
    """``auto`` picks CUDA when present, else the CPU."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def _optimizer(cfg: TrainConfig, params, lr: float, device: torch.device) -> torch.optim.Optimizer:
    if cfg.optimizer == "sgd":
        return torch.optim.SGD(params, lr=lr)
    return torch.optim.Adam(params, lr=lr, betas=cfg.betas, fused=device.type == "cuda")


def _criterion(cfg: TrainConfig) -> Callable[[torch.Tensor, torch.Tensor | float], torch.Tensor]:
    """loss(logits, targets): BCE on logits, or MSE between sigmoid(logits) and the targets."""

    def loss(logits: torch.Tensor, target: torch.Tensor | float) -> torch.Tensor:
        logits = logits.float()
        t = target if isinstance(target, torch.Tensor) else torch.full_like(logits, target)
        if cfg.loss == "mse":
            return F.mse_loss(torch.sigmoid(logits), t)
        if cfg.loss == "mse_linear":  # the discriminator's raw output is its score
            return F.mse_loss(logits, t)
        return F.binary_cross_entropy_with_logits(logits, t)

    return loss


def _d_targets(cfg: TrainConfig, n: int, real: bool, gen: torch.Generator, device: torch.device) -> torch.Tensor:
    """Discriminator targets: real_label (smoothed) for real, 0 for fake; label_flip of them swapped."""
    t = torch.full((n,), cfg.real_label if real else 0.0, device=device)
    if cfg.label_flip > 0:
        flip = torch.rand(n, generator=gen, device=device) < cfg.label_flip
        t = torch.where(flip, (0.0 if real else cfg.real_label) * torch.ones_like(t), t)
    return t


def _grad_norm(module: torch.nn.Module) -> torch.Tensor:
    grads = [p.grad for p in module.parameters() if p.grad is not None]
    return torch.nn.utils.get_total_norm(grads) if grads else torch.zeros(())


def _noise(cfg: TrainConfig, n: int, gen: torch.Generator, device: torch.device) -> torch.Tensor:
    shape = (n, cfg.model.z_dim)
    if cfg.model.latent_dist == "uniform":
        return torch.rand(shape, generator=gen, device=device)
    return torch.randn(shape, generator=gen, device=device)


def _epoch_order(cfg: TrainConfig, epoch: int, n: int) -> torch.Tensor:
    return torch.randperm(n, generator=torch.Generator().manual_seed(cfg.seed * 1_000_003 + epoch))


def load_training_data(cfg: TrainConfig) -> ImageData:
    """The dataset a config trains on, sized for its model."""
    spec = cfg.model.output
    if cfg.dataset in TOY_DATASETS:
        x, labels = make_toy(cfg.dataset, cfg.limit or 10_000, seed=cfg.seed)
        if tuple(x.shape[1:]) != spec.shape:
            raise DataError(f"{cfg.dataset} samples have shape {tuple(x.shape[1:])}, the model makes {spec.shape}")
        return ImageData(x, labels, ())
    if spec.kind != "image":
        raise DataError(f"preset {cfg.preset}: output kind {spec.kind!r} needs a toy dataset {TOY_DATASETS}")
    data = load_dataset(
        cfg.dataset,
        cfg.data_dir,
        image_size=spec.shape[1],
        channels=spec.shape[0],
        download=cfg.download,
        limit=0 if cfg.classes else cfg.limit,
    )
    if cfg.classes:
        keep = torch.isin(data.labels, torch.tensor(cfg.classes))
        data.images, data.labels = data.images[keep], data.labels[keep]
        if cfg.limit:
            data.images, data.labels = data.images[: cfg.limit], data.labels[: cfg.limit]
    return data


def _evaluate(G: torch.nn.Module, cfg: TrainConfig, device: torch.device) -> dict[str, float]:
    """Registered metrics on samples from the fixed seeds 0..eval_samples-1 (as the app shows them)."""
    if cfg.eval_samples < 2:
        return {}
    z = sample_latents(range(cfg.eval_samples), cfg.model.z_dim, cfg.model.latent_dist).to(device)
    labels = None
    if cfg.model.num_classes:
        labels = torch.arange(cfg.eval_samples, device=device) % cfg.model.num_classes
    G.eval()
    with torch.no_grad():
        x = G(z, labels).float().cpu()
    G.train()
    lo, hi = cfg.model.output.value_range
    return compute_all(((x - lo) / (hi - lo)).clamp(0, 1), raw=x, dataset=cfg.dataset)


def train(
    cfg: TrainConfig,
    run_dir: str | Path,
    resume: bool = False,
    device: str = "auto",
    progress: bool = True,
    callbacks: Sequence[Callable[[StepInfo], None]] = (),
    data: ImageData | None = None,
) -> Path:
    """Train a GAN into ``run_dir``.

    Args:
        cfg: the resolved training config.
        run_dir: the run folder (created; must not hold a run unless ``resume``).
        resume: continue from ``run_dir/state.pt``; the log is cut back to the state's step.
        device: "auto", "cpu", "cuda"...
        progress: show a tqdm bar.
        callbacks: called as ``fn(StepInfo)`` after every step.
        data: preloaded data (tests); loaded from ``cfg`` when None.
    Returns:
        the run folder.
    Raises:
        TrainingDiverged: a loss or gradient norm became NaN/Inf.
        runs.RunError / DataError: unusable run folder or data, with what to do.
    """
    run_dir = Path(run_dir)
    dev = pick_device(device)
    state = None
    if resume:
        state = runs.load_state(run_dir)
    elif (run_dir / runs.CONFIG).exists() or (run_dir / runs.STATE).exists():
        raise runs.RunError(f"{run_dir} already holds a run: pass --resume to continue it, or --out for a new one")
    data = data if data is not None else load_training_data(cfg)
    n, B = len(data), cfg.batch_size
    if n < B:
        raise DataError(f"{n} training images are fewer than one batch of {B}; lower --batch-size")
    (run_dir / runs.SNAPSHOTS).mkdir(parents=True, exist_ok=True)
    runs.write_json(run_dir / runs.CONFIG, cfg.to_dict())

    torch.manual_seed(cfg.seed)
    G = build_generator(cfg.model).to(dev)
    D = build_discriminator(cfg.model).to(dev)
    opt_g = _optimizer(cfg, G.parameters(), cfg.lr_g, dev)
    opt_d = _optimizer(cfg, D.parameters(), cfg.lr_d, dev)
    noise_gen = torch.Generator(device=dev).manual_seed(cfg.seed)
    step, elapsed = 0, 0.0
    if state is not None:
        G.load_state_dict(state["G"])
        D.load_state_dict(state["D"])
        opt_g.load_state_dict(state["opt_g"])
        opt_d.load_state_dict(state["opt_d"])
        noise_gen.set_state(state["noise_rng"])
        torch.set_rng_state(state["torch_rng"])
        step, elapsed = int(state["step"]), float(state["elapsed"])
        dropped = runs.truncate_jsonl(run_dir / runs.LOG, step) + runs.truncate_jsonl(run_dir / runs.METRICS, step)
        log.info("resuming %s at step %d (%d log/metric records after it dropped)", run_dir, step, dropped)

    images = data.images.to(dev)
    labels_all = data.labels.to(dev)
    spe = n // B
    total = cfg.epochs * spe if not cfg.max_steps else min(cfg.epochs * spe, cfg.max_steps)
    crit = _criterion(cfg)
    amp = torch.autocast("cuda", dtype=torch.bfloat16) if dev.type == "cuda" else torch.autocast("cpu", enabled=False)
    cond = cfg.model.num_classes > 0
    threshold = 0.5 if cfg.loss == "mse_linear" else 0.0  # D says "real" above this (logit 0 = probability 0.5)
    vr = cfg.model.output.value_range
    window = torch.zeros(len(FIELDS), device=dev)
    window_n = 0
    order, order_epoch = None, -1
    t0 = time.perf_counter() - elapsed
    last_snapshot = None
    log.info("training %s on %s: %d images, %d steps/epoch, %d steps, seed %d", cfg.preset, dev, n, spe, total, cfg.seed)
    bar = tqdm(total=total, initial=step, disable=not progress, unit="step", dynamic_ncols=True)
    try:
        while step < total:
            epoch = step // spe
            if epoch != order_epoch:
                order, order_epoch = _epoch_order(cfg, epoch, n).to(dev), epoch
            idx = order[(step - epoch * spe) * B : (step - epoch * spe + 1) * B]
            real = to_range(images[idx], vr) if images.dtype == torch.uint8 else images[idx]
            real_labels = labels_all[idx] if cond else None

            def fakes():
                lab = torch.randint(cfg.model.num_classes, (B,), generator=noise_gen, device=dev) if cond else None
                return G(_noise(cfg, B, noise_gen, dev), lab), lab

            for _ in range(cfg.d_steps):
                # discriminator: a real batch and a separate fake batch (or one mixed batch if combined_batch)
                with amp:
                    fake, fake_labels = fakes()
                    if cfg.combined_batch:
                        both = D(torch.cat([real, fake.detach()]), None if not cond else torch.cat([real_labels, fake_labels]))
                        out_real, out_fake = both[:B], both[B:]
                    else:
                        out_real = D(real, real_labels)
                        out_fake = D(fake.detach(), fake_labels)
                    loss_real = crit(out_real, _d_targets(cfg, B, True, noise_gen, dev))
                    loss_fake = crit(out_fake, _d_targets(cfg, B, False, noise_gen, dev))
                opt_d.zero_grad(set_to_none=True)
                (loss_real + loss_fake).backward()
                d_norm = _grad_norm(D)
                opt_d.step()

            for g_step in range(cfg.g_steps):
                # generator: make the updated discriminator call the fakes real
                if g_step:
                    with amp:
                        fake, fake_labels = fakes()
                with amp:
                    g_loss = crit(D(fake, fake_labels), 1.0)
                opt_g.zero_grad(set_to_none=True)
                g_loss.backward()
                g_norm = _grad_norm(G)
                opt_g.step()

            step += 1
            with torch.no_grad():
                window += torch.stack(
                    [
                        loss_real.detach(),
                        loss_fake.detach(),
                        g_loss.detach(),
                        (out_real.detach() > threshold).float().mean(),
                        (out_fake.detach() < threshold).float().mean(),
                        d_norm.float(),
                        g_norm.float(),
                    ]
                )
            window_n += 1
            bar.update(1)

            snap = step % spe == 0 or step == total or (cfg.snapshot_every and step % cfg.snapshot_every == 0)
            save = snap or step % cfg.state_every == 0
            record = None
            if save or step % cfg.log_every == 0:
                values = (window / window_n).tolist()
                window.zero_()
                window_n = 0
                record = {
                    "step": step,
                    "epoch": epoch + 1,
                    **dict(zip(FIELDS, values, strict=True)),
                    "lr_d": opt_d.param_groups[0]["lr"],
                    "lr_g": opt_g.param_groups[0]["lr"],
                    "time": round(time.perf_counter() - t0, 3),
                }
                for net in (G, D):  # tiny networks report their parameters (the scalar GAN's p and q)
                    if hasattr(net, "log_values"):
                        record.update(net.log_values())
                bad = [k for k in FIELDS if not math.isfinite(record[k])]
                if bad:
                    record["nonfinite"] = bad
                    runs.append_jsonl(run_dir / runs.LOG, record)
                    raise TrainingDiverged(
                        f"{', '.join(bad)} became NaN/Inf by step {step} (epoch {epoch + 1}); training stopped. "
                        f"Last good snapshot: {last_snapshot or 'none yet'}. Try a lower learning rate."
                    )
                runs.append_jsonl(run_dir / runs.LOG, record)
                bar.set_description(f"epoch {epoch + 1}/{cfg.epochs}")
                bar.set_postfix(
                    d_real=f"{record['d_loss_real']:.3f}",
                    d_fake=f"{record['d_loss_fake']:.3f}",
                    g=f"{record['g_loss']:.3f}",
                    refresh=False,
                )
            if snap:
                meta = {"step": step, "epoch": round(step / spe, 4), "run": run_dir.name, "preset": cfg.preset}
                last_snapshot = save_generator(runs.snapshot_path(run_dir, step), G, cfg.model, meta)
                metrics = _evaluate(G, cfg, dev)
                runs.append_jsonl(
                    run_dir / runs.METRICS, {"step": step, "epoch": meta["epoch"], "snapshot": last_snapshot.name, **metrics}
                )
                log.info(
                    "step %d epoch %.2f d_real %.3f d_fake %.3f g %.3f acc_real %.2f acc_fake %.2f %s",
                    step,
                    meta["epoch"],
                    record["d_loss_real"],
                    record["d_loss_fake"],
                    record["g_loss"],
                    record["d_acc_real"],
                    record["d_acc_fake"],
                    " ".join(f"{k} {v:.4f}" for k, v in metrics.items()),
                )
            if save:
                runs.save_state(
                    run_dir,
                    {
                        "step": step,
                        "elapsed": time.perf_counter() - t0,
                        "G": G.state_dict(),
                        "D": D.state_dict(),
                        "opt_g": opt_g.state_dict(),
                        "opt_d": opt_d.state_dict(),
                        "noise_rng": noise_gen.get_state(),
                        "torch_rng": torch.get_rng_state(),
                    },
                )
            if callbacks:
                info = StepInfo(step, record, G, D, opt_g, opt_d)
                for cb in callbacks:
                    cb(info)
    finally:
        bar.close()
    return run_dir


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="ganscope-train", description="Train a GAN preset into a run folder.")
    p.add_argument("--preset", help="preset name (see --list-presets)")
    p.add_argument("--list-presets", action="store_true", help="list the presets, one line each, and exit")
    p.add_argument("--out", help="run folder (default: runs/PRESET)")
    p.add_argument("--resume", action="store_true", help="continue the run in --out from its last state")
    p.add_argument("--epochs", type=int, help="total epochs")
    p.add_argument("--max-steps", type=int, help="stop after this many steps in total")
    p.add_argument("--seed", type=int, help="random seed (weights, noise, data order)")
    p.add_argument("--data-dir", help="dataset folder (IDX files, torchvision root or image folder)")
    p.add_argument(
        "--dataset", choices=("mnist", "fashion-mnist", "cifar10", "folder", *TOY_DATASETS), help="override the dataset"
    )
    p.add_argument("--download", action="store_true", help="let torchvision download missing data")
    p.add_argument("--limit", type=int, help="train on the first N images only")
    p.add_argument("--batch-size", type=int)
    p.add_argument("--snapshot-every", type=int, help="extra snapshots every N steps")
    p.add_argument("--device", default="auto", help="auto, cpu or cuda")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.list_presets:
        width = max(len(n) for n in PRESETS)
        for name, preset in PRESETS.items():
            print(f"{name:<{width}}  {preset.description}")
        return 0
    try:
        if args.resume:
            if not args.out and not args.preset:
                print("error: --resume needs --out RUN_DIR (or --preset for runs/PRESET)", file=sys.stderr)
                return 2
            out = Path(args.out or f"runs/{args.preset}")
            cfg = runs.read_config(out)
        else:
            if not args.preset:
                print("error: --preset is required (see --list-presets)", file=sys.stderr)
                return 2
            cfg = get_preset(args.preset)
            out = Path(args.out or f"runs/{args.preset}")
        changes = {
            k: v
            for k, v in {
                "epochs": args.epochs,
                "max_steps": args.max_steps,
                "seed": None if args.resume else args.seed,
                "data_dir": args.data_dir,
                "dataset": args.dataset,
                "limit": args.limit,
                "batch_size": None if args.resume else args.batch_size,
                "snapshot_every": args.snapshot_every,
            }.items()
            if v is not None
        }
        if args.download:
            changes["download"] = True
        cfg = cfg.replace(**changes)
        train(cfg, out, resume=args.resume, device=args.device, progress=not args.no_progress)
    except KeyError as e:
        print(f"error: {e.args[0]}", file=sys.stderr)
        return 2
    except (runs.RunError, DataError, TrainingDiverged, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"\ninterrupted; continue with: ganscope-train --out {out} --resume", file=sys.stderr)
        return 130
    print(f"run written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
