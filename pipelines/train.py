"""The training loop and the ``ganscope-train`` command.

The loop owns the optimisers (the networks own none). Each step (``pipelines.step``): the
discriminator sees a batch of real images and, separately, a batch of fakes; then the generator is
updated through the discriminator on the same fakes; then, when on, the EMA generator follows.
The objectives live in ``pipelines.loss``, augmentation in ``pipelines.augment``, the EMA in
``pipelines.ema``, and what the run writes in ``pipelines.records``. Every ``log_every`` steps the
means of D loss on real and fake, G loss, D accuracy on real and fake, both gradient norms, the
learning rates and the wall time go to ``log.jsonl``. Snapshots at every epoch end (and every
``snapshot_every`` steps); resume state every ``state_every`` steps and at every snapshot.

A run is repeatable: weights, noise and data order all come from ``seed``, and the resume
state holds the RNG states, so an interrupted run resumed from its state continues exactly
as if it had never stopped (bit for bit on the CPU).
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.distributed as dist
from tqdm import tqdm

from . import runs
from .accel import Launch, StepRunner, launch_from_env, pick_device, shard_start
from .augment import parse_policy
from .build import RunOptions, build_parts
from .data import DataError, ImageData, load_dataset
from .ema import ema_beta
from .live import dashboard_link
from .loss import GANLoss
from .presets import PRESETS, TrainConfig, get_preset
from .records import TrainingDiverged, append_log, log_record, restore_state, save_state, write_snapshot
from .step import FIELDS, StepOptions, train_step
from .toydata import TOY_DATASETS, make_toy

log = logging.getLogger(__name__)

__all__ = ["FIELDS", "RunOptions", "StepInfo", "TrainingDiverged", "load_training_data", "main", "train"]


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


def _write_config(run_dir: Path, cfg: TrainConfig, launch: Launch) -> None:
    (run_dir / runs.SNAPSHOTS).mkdir(parents=True, exist_ok=True)
    config = cfg.to_dict()
    if launch.distributed:
        B, world = cfg.batch_size, launch.world_size
        config["launch"] = {"world_size": world, "backend": launch.backend, "batch_per_rank": B, "global_batch": B * world}
        config["launch"] |= {"lr_g": cfg.lr_g, "lr_d": cfg.lr_d}
    runs.write_json(run_dir / runs.CONFIG, config)


def train(
    cfg: TrainConfig,
    run_dir: str | Path,
    resume: bool = False,
    device: str = "auto",
    progress: bool = True,
    callbacks: Sequence[Callable[[StepInfo], None]] = (),
    data: ImageData | None = None,
    compile: bool | str = False,
    cuda_graphs: bool | None = None,
    channels_last: bool = True,
    device_data_share: float = 1 / 3,
) -> Path:
    """Train a GAN into ``run_dir``.

    Under ``torchrun`` (WORLD_SIZE > 1) every process trains one shard of each global batch with
    DistributedDataParallel: all ranks share the epoch's data order, rank r takes the r-th
    ``batch_size`` slice of each global batch of ``batch_size * world_size``, gradients are
    averaged across ranks, and only rank 0 writes the run folder. Learning rates are not scaled.

    Args:
        cfg: the resolved training config.
        run_dir: the run folder (created; must not hold a run unless ``resume``).
        resume: continue from ``run_dir/state.pt``; the log is cut back to the state's step.
        device: "auto", "cpu", "cuda"... (each torchrun rank takes cuda:LOCAL_RANK).
        progress: show a tqdm bar (rank 0).
        callbacks: called as ``fn(StepInfo)`` after every step, on every rank.
        data: preloaded data (tests); loaded from ``cfg`` when None.
        compile: run the networks through ``torch.compile`` (True, or a compile mode name).
        cuda_graphs: capture the whole step (both updates, optimisers and EMA included) as one CUDA
            graph and replay it: the step then costs one launch instead of ~350. None: on for a
            single CUDA device without ``compile``. Learning rates are fixed at capture.
        channels_last: NHWC image batches and convolution weights on CUDA.
        device_data_share: the dataset goes to the GPU when it takes at most this share of the
            free memory; otherwise it stays in pinned host memory.
    Returns:
        the run folder.
    Raises:
        TrainingDiverged: a loss or gradient norm became NaN/Inf.
        runs.RunError / DataError: unusable run folder or data, with what to do.
    """
    run_dir = Path(run_dir)
    dev = pick_device(device)
    launch = launch_from_env(dev)
    if launch.distributed and dev.type == "cuda":
        dev = torch.device("cuda", launch.local_rank)
        torch.cuda.set_device(dev)
    ro = RunOptions(compile, cuda_graphs, channels_last, device_data_share)
    try:
        return _train(cfg, run_dir, resume, dev, launch, progress, callbacks, data, ro)
    finally:
        if launch.owns_group:
            dist.destroy_process_group()


def _train(cfg, run_dir, resume, dev, launch, progress, callbacks, data, ro: RunOptions) -> Path:
    # Check the folder.
    state = runs.load_state(run_dir) if resume else None
    if not resume and ((run_dir / runs.CONFIG).exists() or (run_dir / runs.STATE).exists()):
        raise runs.RunError(f"{run_dir} already holds a run: pass --resume to continue it, or --out for a new one")
    if launch.distributed:
        dist.barrier()  # every rank has checked the folder before rank 0 writes to it

    # Data.
    data = data if data is not None else load_training_data(cfg)
    world = launch.world_size
    n, B = len(data), cfg.batch_size
    if n < B * world:
        raise DataError(f"{n} training images are fewer than one global batch of {B} x {world}; lower --batch-size")
    spe = n // (B * world)  # steps per epoch
    total = cfg.epochs * spe if not cfg.max_steps else min(cfg.epochs * spe, cfg.max_steps)

    # Build.
    if dev.type == "cuda":
        torch.backends.cudnn.benchmark = True  # fixed shapes: let cuDNN time its algorithms once
    fast = ro.channels_last and dev.type == "cuda" and cfg.model.output.kind == "image"
    parts = build_parts(cfg, dev, launch, ro, fast)
    noise_gen = torch.Generator(device=dev).manual_seed(cfg.seed + 1_000_003 * launch.rank)

    # Resume.
    step, elapsed = 0, 0.0
    if state is not None:
        step, elapsed, noise_state = restore_state(parts, state, run_dir, launch)
        noise_gen.set_state(noise_state)
        if step >= total:
            raise runs.RunError(
                f"{run_dir} already reached its limit: step {step:,} of {total:,}; nothing to continue. "
                f"Extend it, e.g. ganscope-train --out {run_dir} --resume {_extension(cfg, step, spe)}"
            )
        if launch.writer:
            dropped = runs.truncate_jsonl(run_dir / runs.LOG, step) + runs.truncate_jsonl(run_dir / runs.METRICS, step)
            log.info("resuming %s at step %d (%d log/metric records after it dropped)", run_dir, step, dropped)
    if launch.writer:  # only now: a refused resume leaves the folder as it was
        _write_config(run_dir, cfg, launch)
        runs.write_skipped(run_dir, data.skipped)  # unreadable files of a folder dataset, with the reasons

    # The data lives on the device when it fits in a third of the free memory (MNIST, CIFAR-10 and face
    # crops do), else in pinned host memory with each batch copied over.
    on_device = dev.type != "cuda" or data.images.nbytes < torch.cuda.mem_get_info(dev)[0] * ro.device_data_share
    home = dev if on_device else torch.device("cpu")
    images, labels_all = data.images.to(home), data.labels.to(home)
    if not on_device:
        images, labels_all = images.pin_memory(), labels_all.pin_memory()
        log.info("dataset (%.1f GB) kept in host memory; batches are copied to %s", data.images.nbytes / 1e9, dev)
    graphs_possible = dev.type == "cuda" and not ro.compile and not launch.distributed and on_device
    graphs = graphs_possible if ro.cuda_graphs is None else ro.cuda_graphs
    if graphs and not graphs_possible:
        raise ValueError("CUDA graphs need one CUDA device, the dataset on it, no torch.compile and no torchrun")
    # a discriminator with no batch statistics scores each sample on its own: real and fake can then go
    # through it as one batch (the same numbers as two passes, at half the passes)
    per_sample_d = not any(isinstance(m, torch.nn.modules.batchnorm._BatchNorm) for m in parts.D.modules())
    opts = StepOptions(
        device=dev,
        batch=B,
        z_dim=cfg.model.z_dim,
        latent_dist=cfg.model.latent_dist,
        num_classes=cfg.model.num_classes,
        value_range=cfg.model.output.value_range,
        d_steps=cfg.d_steps,
        g_steps=cfg.g_steps,
        together=cfg.combined_batch or per_sample_d,
        channels_last=fast,
        autocast=dev.type == "cuda",
        autocast_cache=not graphs,
        augment=parse_policy(cfg.augment),
    )
    loss = GANLoss(cfg)
    window = torch.zeros(len(FIELDS), device=dev)
    ema_weight = torch.zeros((), device=dev)  # 1 - beta, refreshed before each step (a graph reads it)
    runner = StepRunner(
        lambda idx, gen: train_step(parts, loss, opts, (images, labels_all), idx, gen, window, ema_weight),
        noise_gen,
        graphs,
        (parts.opt_g, parts.opt_d),
        B,
        home,
    )
    if launch.writer:
        log.info(
            "training %s on %s x%d: %d images, %d steps/epoch, %d steps, seed %d%s",
            *(cfg.preset, dev, world, n, spe, total, cfg.seed, ", one CUDA graph per step" if graphs else ""),
        )

    # Train.
    window_n, order, order_epoch = 0, None, -1
    t0 = time.perf_counter() - elapsed
    last_snapshot = None
    bar = tqdm(total=total, initial=step, disable=not (progress and launch.writer), unit="step", dynamic_ncols=True)
    try:
        while step < total:
            epoch = step // spe
            if epoch != order_epoch:
                order, order_epoch = _epoch_order(cfg, epoch, n).to(home), epoch
            if parts.G_ema is not None:
                ema_weight.fill_(1.0 - ema_beta(step * B * world, B * world, cfg.ema_kimg, cfg.ema_rampup))
            start = shard_start(step - epoch * spe, world, launch.rank, B)
            runner(order[start : start + B], step)
            step += 1
            window_n += 1
            bar.update(1)

            # Log.
            snap = step % (spe * cfg.snapshot_epochs) == 0 or step == total
            snap = snap or bool(cfg.snapshot_every and step % cfg.snapshot_every == 0)
            save = snap or step % cfg.state_every == 0
            record = None
            if save or step % cfg.log_every == 0:
                record = log_record(step, epoch, window, window_n, launch, parts, t0)
                window.zero_()
                window_n = 0
                append_log(run_dir, record, launch, last_snapshot)
                _show_progress(bar, cfg, record, epoch, step, total)

            # Snapshot.
            if snap and launch.writer:
                last_snapshot = write_snapshot(run_dir, cfg, parts.explored, dev, step, spe, record, parts.D)
            if save:
                save_state(run_dir, launch, step, time.perf_counter() - t0, parts, runner.noise_state())
            for cb in callbacks:
                cb(StepInfo(step, record, parts.G, parts.D, parts.opt_g, parts.opt_d))
    finally:
        bar.close()
    if launch.distributed:
        dist.barrier()  # rank 0's last writes are done when any rank returns
    return run_dir


def _extension(cfg: TrainConfig, step: int, spe: int) -> str:
    """The flag that would let a finished run go on (twice as long)."""
    if cfg.max_steps and cfg.max_steps < cfg.epochs * spe:
        return f"--max-steps {2 * step}"
    return f"--epochs {2 * cfg.epochs}"


def _show_progress(bar: tqdm, cfg: TrainConfig, record: dict, epoch: int, step: int, total: int) -> None:
    """The bar's description: the epoch for data presets, the step for toy presets (one endless epoch)."""
    if cfg.dataset in TOY_DATASETS:
        bar.set_description(f"step {step:,}/{total:,}")
    else:
        bar.set_description(f"epoch {epoch + 1}/{cfg.epochs}")
    bar.set_postfix(
        d_real=f"{record['d_loss_real']:.3f}", d_fake=f"{record['d_loss_fake']:.3f}", g=f"{record['g_loss']:.3f}", refresh=False
    )


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
    p.add_argument("--image-size", type=int, help="DCGAN image size (e.g. 64 or 80 for the faces presets)")
    p.add_argument("--device", default="auto", help="auto, cpu or cuda")
    p.add_argument("--compile", action="store_true", help="torch.compile the networks instead of CUDA graphs")
    p.add_argument("--no-cuda-graphs", action="store_true", help="on CUDA, run each step eagerly (no graph replay)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--no-keep-d", action="store_true", help="do not keep the discriminator beside each snapshot")
    return p


def _print_dashboard_link(out: Path) -> None:
    """Where to watch the run while it trains: the dashboard's command and this run's URL."""
    command, url = dashboard_link(out)
    print(f"watch it train: {command}  (if the dashboard is not running yet), then open {url}", flush=True)


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
        if args.no_keep_d:
            changes["keep_d"] = False
        if args.image_size and not args.resume:
            if not hasattr(cfg.model, "image_size"):
                raise ValueError(f"--image-size applies to DCGAN presets, not {cfg.preset}")
            changes["model"] = dataclasses.replace(cfg.model, image_size=args.image_size)
        cfg = cfg.replace(**changes)
        graphs = False if args.no_cuda_graphs else None
        _print_dashboard_link(out)
        train(cfg, out, args.resume, args.device, not args.no_progress, compile=args.compile, cuda_graphs=graphs)
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
