"""CPU: an epoch of the MNIST MLP GAN, batched (our loop, preset mnist-mlp) against the tutorial's
one-image-at-a-time loop of the same network, both measured here in one process.

Baseline, as 'Make Your Own GAN' writes it: for every training image (read from the array one
row at a time and scaled, as its Dataset does), the discriminator trains on that image (target 1)
and on one generated image (target 0), then the generator trains once through the discriminator
(target 1), every 10th loss recorded with ``.item()``; one sample per forward pass, BCE, Adam 1e-4.
It is timed on ``--baseline-images`` images and scaled to the 60,000-image epoch.

Ours: ``pipelines.train.train`` with the mnist-mlp preset (batch 64, the same 100-200-784 and
784-200-1 networks with LeakyReLU and LayerNorm), timed over ``--steps`` steps and scaled to
the epoch's 937 steps.

    python benchmarks/mlp_cpu.py [--threads 2]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipelines.data import load_dataset  # noqa: E402
from pipelines.presets import get_preset  # noqa: E402
from pipelines.train import train  # noqa: E402

EPOCH = 60_000


def tutorial_networks():
    D = nn.Sequential(nn.Linear(784, 200), nn.LeakyReLU(0.02), nn.LayerNorm(200), nn.Linear(200, 1), nn.Sigmoid())
    G = nn.Sequential(nn.Linear(100, 200), nn.LeakyReLU(0.02), nn.LayerNorm(200), nn.Linear(200, 784), nn.Sigmoid())
    return G, D


def baseline_seconds_per_image(pixels) -> float:
    """The tutorial's loop over ``pixels`` (N, 784) uint8 (a numpy array, as its pandas frame
    holds them); seconds per training image."""
    torch.manual_seed(0)
    G, D = tutorial_networks()
    opt_d, opt_g = torch.optim.Adam(D.parameters(), lr=1e-4), torch.optim.Adam(G.parameters(), lr=1e-4)
    loss = nn.BCELoss()
    progress_d, progress_g = [], []

    def train_d(inputs, targets):
        out = D(inputs)
        err = loss(out, targets)
        if len(progress_d) % 10 == 0:  # the tutorial records every 10th loss with .item()
            progress_d.append(err.item())
        else:
            progress_d.append(None)
        opt_d.zero_grad()
        err.backward()
        opt_d.step()

    def train_g(inputs, targets):
        err = loss(D(G(inputs)), targets)
        progress_g.append(err.item() if len(progress_g) % 10 == 0 else None)
        opt_g.zero_grad()
        err.backward()
        opt_g.step()

    t0 = time.perf_counter()
    for row in pixels:
        image = torch.FloatTensor(row) / 255.0  # the dataset's __getitem__, one image
        train_d(image, torch.FloatTensor([1.0]))
        train_d(G(torch.randn(100)).detach(), torch.FloatTensor([0.0]))
        train_g(torch.randn(100), torch.FloatTensor([1.0]))
    return (time.perf_counter() - t0) / len(pixels)


def ours_seconds_per_step(data, steps: int, warmup: int = 20) -> tuple[float, int]:
    cfg = get_preset("mnist-mlp").replace(max_steps=warmup + steps, eval_samples=0, state_every=10**9)
    marks = {}

    def clock(info):
        if info.step in (warmup, warmup + steps):
            marks[info.step] = time.perf_counter()

    with tempfile.TemporaryDirectory() as tmp:
        train(cfg, Path(tmp) / "run", device="cpu", progress=False, callbacks=[clock], data=data)
    return (marks[warmup + steps] - marks[warmup]) / steps, EPOCH // cfg.batch_size


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data-dir", default=os.environ.get("GANSCOPE_SHARED_DATA", "../shared/data") + "/mnist")
    p.add_argument("--threads", type=int, default=min(2, os.cpu_count() or 1))
    p.add_argument("--baseline-images", type=int, default=3000)
    p.add_argument("--steps", type=int, default=400)
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    data = load_dataset("mnist", args.data_dir, image_size=28, channels=1)
    print(f"CPU, {args.threads} threads, torch {torch.__version__}")
    per_image = baseline_seconds_per_image(data.images[: args.baseline_images].reshape(-1, 784).numpy())
    per_step, spe = ours_seconds_per_step(data, args.steps)
    base_epoch, ours_epoch = per_image * EPOCH, per_step * spe
    print(f"tutorial loop, one image at a time: {per_image * 1e3:.3f} ms/image -> {base_epoch:.1f} s per epoch")
    print(f"ours, mnist-mlp preset (batch 64):  {per_step * 1e3:.3f} ms/step  -> {ours_epoch:.1f} s per epoch")
    print(f"speed-up per epoch: {base_epoch / ours_epoch:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
