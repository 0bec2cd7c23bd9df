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
import contextlib
import dataclasses
import logging
import math
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel
from tqdm import tqdm

from models import build_discriminator, build_generator, save_generator
from models.latent import sample_latents

from . import runs
from .accel import GRAPH_WARMUP_STEPS, Launch, capture_step, launch_from_env, pick_device, shard_start
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


def _optimizer(cfg: TrainConfig, params, lr: float, device: torch.device) -> torch.optim.Optimizer:
    if cfg.optimizer == "sgd":
        return torch.optim.SGD(params, lr=lr)
    cuda = device.type == "cuda"
    # fused: one kernel (CUDA) or one vectorised loop (CPU) for all parameters, not ~10 ops each
    return torch.optim.Adam(params, lr=lr, betas=cfg.betas, fused=True, capturable=cuda)


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
    return torch.nn.utils.get_total_norm(grads, foreach=True) if grads else torch.zeros(())


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


def _log_record(step, epoch, window, window_n, launch: Launch, nets, opts, t0: float) -> dict:
    """One log record: the window's means (over all ranks under torchrun), learning rates, wall time."""
    if launch.distributed:  # the log holds the mean over all ranks
        dist.all_reduce(window)
        window /= launch.world_size
    values = (window / window_n).tolist()
    opt_d, opt_g = opts
    record = {
        "step": step,
        "epoch": epoch + 1,
        **dict(zip(FIELDS, values, strict=True)),
        "lr_d": opt_d.param_groups[0]["lr"],
        "lr_g": opt_g.param_groups[0]["lr"],
        "time": round(time.perf_counter() - t0, 3),
    }
    for net in nets:  # tiny networks report their parameters (the scalar GAN's p and q)
        if hasattr(net, "log_values"):
            record.update(net.log_values())
    return record


def _append_log(run_dir: Path, record: dict, launch: Launch, last_snapshot: Path | None) -> None:
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


def _write_snapshot(run_dir: Path, cfg: TrainConfig, G, dev, step: int, spe: int, record: dict) -> Path:
    """The generator snapshot and its metrics record; returns the snapshot's path."""
    meta = {"step": step, "epoch": round(step / spe, 4), "run": run_dir.name, "preset": cfg.preset}
    path = save_generator(runs.snapshot_path(run_dir, step), G, cfg.model, meta)
    metrics = _evaluate(G, cfg, dev)
    runs.append_jsonl(run_dir / runs.METRICS, {"step": step, "epoch": meta["epoch"], "snapshot": path.name, **metrics})
    log.info(
        "step %d epoch %.2f d_real %.3f d_fake %.3f g %.3f acc_real %.2f acc_fake %.2f %s",
        *(step, meta["epoch"], record["d_loss_real"], record["d_loss_fake"], record["g_loss"]),
        *(record["d_acc_real"], record["d_acc_fake"], " ".join(f"{k} {v:.4f}" for k, v in metrics.items())),
    )
    return path


def _save_state(run_dir: Path, launch: Launch, step: int, elapsed: float, parts, noise_state) -> None:
    """The resume state (rank 0 writes it, with every rank's noise generator state)."""
    noise_states = [noise_state]
    if launch.distributed:
        noise_states = [None] * launch.world_size
        dist.all_gather_object(noise_states, noise_state)
    if launch.writer:
        G, D, opt_g, opt_d = parts
        state = {"step": step, "elapsed": elapsed, "G": G.state_dict(), "D": D.state_dict()}
        state |= {"opt_g": opt_g.state_dict(), "opt_d": opt_d.state_dict(), "noise_rng": noise_states[0]}
        state |= {"noise_rng_ranks": noise_states, "torch_rng": torch.get_rng_state()}
        runs.save_state(run_dir, state)


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
        cuda_graphs: capture the whole step (both updates, optimisers included) as one CUDA graph
            and replay it: the step then costs one launch instead of ~350. None: on for a single
            CUDA device without ``compile``. Learning rates are fixed at capture.
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
    try:
        accel = dict(compile=compile, cuda_graphs=cuda_graphs, channels_last=channels_last, device_data_share=device_data_share)
        return _train(cfg, run_dir, resume, dev, launch, progress, callbacks, data, **accel)
    finally:
        if launch.owns_group:
            dist.destroy_process_group()


def _train(
    cfg, run_dir, resume, dev, launch, progress, callbacks, data, compile, cuda_graphs, channels_last, device_data_share
) -> Path:
    state = None
    if resume:
        state = runs.load_state(run_dir)
    elif (run_dir / runs.CONFIG).exists() or (run_dir / runs.STATE).exists():
        raise runs.RunError(f"{run_dir} already holds a run: pass --resume to continue it, or --out for a new one")
    if launch.distributed:
        dist.barrier()  # every rank has checked the folder before rank 0 writes to it
    data = data if data is not None else load_training_data(cfg)
    world = launch.world_size
    n, B = len(data), cfg.batch_size
    if n < B * world:
        raise DataError(f"{n} training images are fewer than one global batch of {B} x {world}; lower --batch-size")
    if launch.writer:
        (run_dir / runs.SNAPSHOTS).mkdir(parents=True, exist_ok=True)
        config = cfg.to_dict()
        if launch.distributed:
            config["launch"] = {
                "world_size": world,
                "backend": launch.backend,
                "batch_per_rank": B,
                "global_batch": B * world,
                "lr_g": cfg.lr_g,
                "lr_d": cfg.lr_d,
            }
        runs.write_json(run_dir / runs.CONFIG, config)

    torch.manual_seed(cfg.seed)
    G = build_generator(cfg.model).to(dev)
    D = build_discriminator(cfg.model).to(dev)
    if dev.type == "cuda":
        torch.backends.cudnn.benchmark = True  # fixed shapes: let cuDNN time its algorithms once
    fast = channels_last and dev.type == "cuda" and cfg.model.output.kind == "image"
    if fast:  # NHWC convolutions on tensor cores
        D = D.to(memory_format=torch.channels_last)
        if not compile:  # inductor (torch 2.11) mis-strides channels_last ConvTranspose2d weight gradients
            G = G.to(memory_format=torch.channels_last)
    opt_g = _optimizer(cfg, G.parameters(), cfg.lr_g, dev)
    opt_d = _optimizer(cfg, D.parameters(), cfg.lr_d, dev)
    noise_gen = torch.Generator(device=dev).manual_seed(cfg.seed + 1_000_003 * launch.rank)
    step, elapsed = 0, 0.0
    if state is not None:
        G.load_state_dict(state["G"])
        D.load_state_dict(state["D"])
        opt_g.load_state_dict(state["opt_g"])
        opt_d.load_state_dict(state["opt_d"])
        ranks = state.get("noise_rng_ranks")
        if ranks is not None and len(ranks) != world:
            raise runs.RunError(f"{run_dir} was saved by {len(ranks)} processes; resume it with --nproc_per_node {len(ranks)}")
        noise_gen.set_state(ranks[launch.rank] if ranks is not None else state["noise_rng"])
        torch.set_rng_state(state["torch_rng"])
        step, elapsed = int(state["step"]), float(state["elapsed"])
        if launch.writer:
            dropped = runs.truncate_jsonl(run_dir / runs.LOG, step) + runs.truncate_jsonl(run_dir / runs.METRICS, step)
            log.info("resuming %s at step %d (%d log/metric records after it dropped)", run_dir, step, dropped)

    # what the step calls: the networks, wrapped for gradient averaging and compiled when asked
    g_net: torch.nn.Module = G
    d_net: torch.nn.Module = D
    d_ddp = None
    if launch.distributed:
        ids = [dev.index] if dev.type == "cuda" else None
        g_net, d_net = DistributedDataParallel(G, device_ids=ids), DistributedDataParallel(D, device_ids=ids)
        d_ddp = d_net
    if compile:
        mode = compile if isinstance(compile, str) else None
        g_net, d_net = torch.compile(g_net, mode=mode), torch.compile(d_net, mode=mode)

    def d_no_sync():
        """The generator's step runs backward through D; D's gradients are discarded, so not averaged."""
        return d_ddp.no_sync() if d_ddp is not None else contextlib.nullcontext()

    # the dataset lives on the device when it fits in a third of the free memory (MNIST, CIFAR-10 and face
    # crops do), else in pinned host memory with each batch copied over
    on_device = dev.type != "cuda" or data.images.nbytes < torch.cuda.mem_get_info(dev)[0] * device_data_share
    home = dev if on_device else torch.device("cpu")
    images = data.images.to(home)
    labels_all = data.labels.to(home)
    if not on_device:
        images, labels_all = images.pin_memory(), labels_all.pin_memory()
        log.info("dataset (%.1f GB) kept in host memory; batches are copied to %s", data.images.nbytes / 1e9, dev)
    spe = n // (B * world)
    total = cfg.epochs * spe if not cfg.max_steps else min(cfg.epochs * spe, cfg.max_steps)
    crit = _criterion(cfg)
    graphs_possible = dev.type == "cuda" and not compile and not launch.distributed and on_device
    if cuda_graphs is None:
        cuda_graphs = graphs_possible
    elif cuda_graphs and not graphs_possible:
        raise ValueError("CUDA graphs need one CUDA device, the dataset on it, no torch.compile and no torchrun")
    # a captured graph cannot hold the autocast weight cache
    amp = (
        torch.autocast("cuda", dtype=torch.bfloat16, cache_enabled=not cuda_graphs)
        if dev.type == "cuda"
        else contextlib.nullcontext()
    )
    cond = cfg.model.num_classes > 0
    # a discriminator with no batch statistics scores each sample on its own: real and fake can then go
    # through it as one batch (the same numbers as two passes, at half the passes)
    per_sample_d = not any(isinstance(m, torch.nn.modules.batchnorm._BatchNorm) for m in D.modules())
    threshold = 0.5 if cfg.loss == "mse_linear" else 0.0  # D says "real" above this (logit 0 = probability 0.5)
    vr = cfg.model.output.value_range
    window = torch.zeros(len(FIELDS), device=dev)
    window_n = 0
    order, order_epoch = None, -1
    t0 = time.perf_counter() - elapsed
    last_snapshot = None
    if launch.writer:
        log.info(
            "training %s on %s x%d: %d images, %d steps/epoch, %d steps, seed %d%s",
            *(cfg.preset, dev, world, n, spe, total, cfg.seed, ", one CUDA graph per step" if cuda_graphs else ""),
        )

    def one_step(idx: torch.Tensor, gen: torch.Generator | None) -> None:
        """One training step on the real images ``idx``; its numbers are added to ``window``."""
        batch = images[idx].to(dev, non_blocking=True)
        real = to_range(batch, vr) if batch.dtype == torch.uint8 else batch
        if fast:
            real = real.contiguous(memory_format=torch.channels_last)
        real_labels = labels_all[idx].to(dev, non_blocking=True) if cond else None

        def fakes():
            lab = torch.randint(cfg.model.num_classes, (B,), generator=gen, device=dev) if cond else None
            return g_net(_noise(cfg, B, gen, dev), lab), lab

        for _ in range(cfg.d_steps):
            # discriminator: a real batch and a separate fake batch (or one mixed batch if combined_batch)
            opt_d.zero_grad(set_to_none=True)
            with amp:
                fake, fake_labels = fakes()
                t_real = _d_targets(cfg, B, True, gen, dev)
                t_fake = _d_targets(cfg, B, False, gen, dev)
            if cfg.combined_batch or per_sample_d:
                with amp:
                    both = d_net(torch.cat([real, fake.detach()]), None if not cond else torch.cat([real_labels, fake_labels]))
                    out_real, out_fake = both[:B], both[B:]
                    loss_real, loss_fake = crit(out_real, t_real), crit(out_fake, t_fake)
                (loss_real + loss_fake).backward()
            else:  # BatchNorm: never mix real and fake statistics; gradients of the two passes add up
                with amp:
                    out_real = d_net(real, real_labels)
                    loss_real = crit(out_real, t_real)
                loss_real.backward()
                with amp:
                    out_fake = d_net(fake.detach(), fake_labels)
                    loss_fake = crit(out_fake, t_fake)
                loss_fake.backward()
            d_norm = _grad_norm(D)
            opt_d.step()

        for g_step in range(cfg.g_steps):
            # generator: make the updated discriminator call the fakes real
            if g_step:
                with amp:
                    fake, fake_labels = fakes()
            opt_g.zero_grad(set_to_none=True)
            with d_no_sync():
                with amp:
                    g_loss = crit(d_net(fake, fake_labels), 1.0)
                g_loss.backward()
            g_norm = _grad_norm(G)
            opt_g.step()

        with torch.no_grad():
            window.add_(
                torch.stack(
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
            )

    graph = None  # the captured step, replayed on static_idx (the default CUDA generator draws the noise)
    static_idx = torch.zeros(B, dtype=torch.long, device=home)
    if cuda_graphs:
        torch.cuda.set_rng_state(noise_gen.get_state().cpu(), dev)

    def run_step(idx: torch.Tensor) -> None:
        nonlocal graph, cuda_graphs
        if not cuda_graphs:
            one_step(idx, noise_gen)
            return
        static_idx.copy_(idx)
        if graph is None and step >= GRAPH_WARMUP_STEPS:
            graph = capture_step(lambda: one_step(static_idx, None), opt_g, opt_d)
            if graph is None:  # capture failed: go on eagerly
                noise_gen.set_state(torch.cuda.get_rng_state(dev))
                cuda_graphs = False
                one_step(idx, noise_gen)
                return
        if graph is None:  # warm-up steps run eagerly, on a side stream as capture wants
            side = torch.cuda.Stream(dev)
            side.wait_stream(torch.cuda.current_stream(dev))
            with torch.cuda.stream(side):
                one_step(static_idx, None)
            torch.cuda.current_stream(dev).wait_stream(side)
        else:
            graph.replay()

    bar = tqdm(total=total, initial=step, disable=not (progress and launch.writer), unit="step", dynamic_ncols=True)
    try:
        while step < total:
            epoch = step // spe
            if epoch != order_epoch:
                order, order_epoch = _epoch_order(cfg, epoch, n).to(home), epoch
            start = shard_start(step - epoch * spe, world, launch.rank, B)
            run_step(order[start : start + B])
            step += 1
            window_n += 1
            bar.update(1)

            snap = (
                step % (spe * cfg.snapshot_epochs) == 0
                or step == total
                or (cfg.snapshot_every and step % cfg.snapshot_every == 0)
            )
            save = snap or step % cfg.state_every == 0
            record = None
            if save or step % cfg.log_every == 0:
                record = _log_record(step, epoch, window, window_n, launch, (G, D), (opt_d, opt_g), t0)
                window.zero_()
                window_n = 0
                _append_log(run_dir, record, launch, last_snapshot)
                bar.set_description(f"epoch {epoch + 1}/{cfg.epochs}")
                bar.set_postfix(
                    d_real=f"{record['d_loss_real']:.3f}",
                    d_fake=f"{record['d_loss_fake']:.3f}",
                    g=f"{record['g_loss']:.3f}",
                    refresh=False,
                )
            if snap and launch.writer:
                last_snapshot = _write_snapshot(run_dir, cfg, G, dev, step, spe, record)
            if save:
                noise_state = torch.cuda.get_rng_state(dev) if cuda_graphs else noise_gen.get_state()
                _save_state(run_dir, launch, step, time.perf_counter() - t0, (G, D, opt_g, opt_d), noise_state)
            if callbacks:
                info = StepInfo(step, record, G, D, opt_g, opt_d)
                for cb in callbacks:
                    cb(info)
    finally:
        bar.close()
    if launch.distributed:
        dist.barrier()  # rank 0's last writes are done when any rank returns
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
    p.add_argument("--image-size", type=int, help="DCGAN image size (e.g. 64 or 80 for the faces presets)")
    p.add_argument("--device", default="auto", help="auto, cpu or cuda")
    p.add_argument("--compile", action="store_true", help="torch.compile the networks instead of CUDA graphs")
    p.add_argument("--no-cuda-graphs", action="store_true", help="on CUDA, run each step eagerly (no graph replay)")
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
        if args.image_size and not args.resume:
            if not hasattr(cfg.model, "image_size"):
                raise ValueError(f"--image-size applies to DCGAN presets, not {cfg.preset}")
            changes["model"] = dataclasses.replace(cfg.model, image_size=args.image_size)
        cfg = cfg.replace(**changes)
        graphs = False if args.no_cuda_graphs else None
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
