"""Training throughput of our loop against a textbook DCGAN loop, both in this one process.

Baseline, written the way the PyTorch DCGAN example does it: the standard 64x64 DCGAN
(nz=100, ngf=ndf=64, 3 channels, sigmoid + BCELoss), fp32, eager, a DataLoader reading PNG files
from disk with torchvision transforms, ``.item()`` on the losses every step.

Ours: ``pipelines.train.train`` on the same images held on the device as uint8, bf16 autocast,
channels_last, fused Adam, logged numbers reduced on the device and fetched every 50 steps, and
the whole step replayed as one CUDA graph; then the same without CUDA graphs, and with
``torch.compile`` instead.

Both train on MNIST digits resized to 3x64x64 (the data that is here offline). Figures are images
per second (real images through the discriminator) and the TFLOP/s achieved, from the FLOPs of one
training step counted by ``torch.utils.flop_counter``. Without a GPU it says so and measures the CPU
with smaller batches.

    python benchmarks/train_throughput.py [--data-dir ../shared/data/mnist] [--batch-sizes 64,128,256]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import torch
import torchvision.transforms as T
from torch import nn
from torch.utils.flop_counter import FlopCounterMode
from torchvision.datasets import ImageFolder
from torchvision.utils import save_image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from models import DCGANConfig  # noqa: E402
from pipelines.data import load_dataset  # noqa: E402
from pipelines.presets import get_preset  # noqa: E402
from pipelines.train import train  # noqa: E402

NZ, NGF, NDF, NC = 100, 64, 64, 3


class TextbookG(nn.Module):
    def __init__(self):
        super().__init__()
        self.main = nn.Sequential(
            nn.ConvTranspose2d(NZ, NGF * 8, 4, 1, 0, bias=False),
            nn.BatchNorm2d(NGF * 8),
            nn.ReLU(True),
            nn.ConvTranspose2d(NGF * 8, NGF * 4, 4, 2, 1, bias=False),
            nn.BatchNorm2d(NGF * 4),
            nn.ReLU(True),
            nn.ConvTranspose2d(NGF * 4, NGF * 2, 4, 2, 1, bias=False),
            nn.BatchNorm2d(NGF * 2),
            nn.ReLU(True),
            nn.ConvTranspose2d(NGF * 2, NGF, 4, 2, 1, bias=False),
            nn.BatchNorm2d(NGF),
            nn.ReLU(True),
            nn.ConvTranspose2d(NGF, NC, 4, 2, 1, bias=False),
            nn.Tanh(),
        )

    def forward(self, z):
        return self.main(z)


class TextbookD(nn.Module):
    def __init__(self):
        super().__init__()
        self.main = nn.Sequential(
            nn.Conv2d(NC, NDF, 4, 2, 1, bias=False),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(NDF, NDF * 2, 4, 2, 1, bias=False),
            nn.BatchNorm2d(NDF * 2),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(NDF * 2, NDF * 4, 4, 2, 1, bias=False),
            nn.BatchNorm2d(NDF * 4),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(NDF * 4, NDF * 8, 4, 2, 1, bias=False),
            nn.BatchNorm2d(NDF * 8),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(NDF * 8, 1, 4, 1, 0, bias=False),
            nn.Sigmoid(),
        )

    def forward(self, x):
        return self.main(x).view(-1)


def textbook_init(m):
    name = m.__class__.__name__
    if "Conv" in name:
        nn.init.normal_(m.weight, 0.0, 0.02)
    elif "BatchNorm" in name:
        nn.init.normal_(m.weight, 1.0, 0.02)
        nn.init.zeros_(m.bias)


def textbook_step(netG, netD, optG, optD, real, device, crit, sync=True):
    """One step of the PyTorch DCGAN example (with its .item() calls when ``sync``)."""
    b = real.size(0)
    netD.zero_grad()
    label = torch.full((b,), 1.0, device=device)
    out = netD(real)
    err_real = crit(out, label)
    err_real.backward()
    noise = torch.randn(b, NZ, 1, 1, device=device)
    fake = netG(noise)
    label.fill_(0.0)
    out = netD(fake.detach())
    err_fake = crit(out, label)
    err_fake.backward()
    optD.step()
    netG.zero_grad()
    label.fill_(1.0)
    out = netD(fake)
    err_g = crit(out, label)
    err_g.backward()
    optG.step()
    if sync:
        return (err_real + err_fake).item(), err_g.item(), out.mean().item()
    return None


def step_flops(device: torch.device, batch: int) -> int:
    """FLOPs of one training step (G forward, D forward/backward on real and fake, G backward)."""
    netG, netD = TextbookG().to(device), TextbookD().to(device)
    optG = torch.optim.Adam(netG.parameters(), 2e-4, betas=(0.5, 0.999))
    optD = torch.optim.Adam(netD.parameters(), 2e-4, betas=(0.5, 0.999))
    real = torch.randn(batch, NC, 64, 64, device=device)
    counter = FlopCounterMode(display=False)
    with counter:
        textbook_step(netG, netD, optG, optD, real, device, nn.BCELoss(), sync=False)
    return counter.get_total_flops()


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def write_png_folder(images: torch.Tensor, root: Path) -> Path:
    folder = root / "digits" / "0"
    folder.mkdir(parents=True)
    for i, im in enumerate(images):
        save_image(im.float() / 255, folder / f"{i:06d}.png")
    return root / "digits"


def run_baseline(png_root: Path, device, batch, warmup, steps, workers) -> float:
    tf = T.Compose([T.Resize(64), T.CenterCrop(64), T.ToTensor(), T.Normalize((0.5,) * 3, (0.5,) * 3)])
    ds = ImageFolder(str(png_root), transform=tf)
    loader = torch.utils.data.DataLoader(
        ds, batch_size=batch, shuffle=True, num_workers=workers, drop_last=True, pin_memory=device.type == "cuda",
        persistent_workers=workers > 0,
    )  # fmt: skip
    torch.manual_seed(0)
    netG, netD = TextbookG().to(device), TextbookD().to(device)
    netG.apply(textbook_init)
    netD.apply(textbook_init)
    optG = torch.optim.Adam(netG.parameters(), 2e-4, betas=(0.5, 0.999))
    optD = torch.optim.Adam(netD.parameters(), 2e-4, betas=(0.5, 0.999))
    crit = nn.BCELoss()
    done, t0 = 0, None
    while True:
        for real, _ in loader:
            textbook_step(netG, netD, optG, optD, real.to(device), device, crit)
            done += 1
            if done == warmup:
                sync(device)
                t0 = time.perf_counter()
            if done == warmup + steps:
                sync(device)
                return steps * batch / (time.perf_counter() - t0)


def run_ours(data, device, batch, warmup, steps, compile_, graphs=None) -> float:
    cfg = get_preset("faces-dcgan").replace(
        preset="bench", model=DCGANConfig(image_size=64, channels=3, z_dim=NZ, ngf=NGF, ndf=NDF),
        batch_size=batch, epochs=10_000, max_steps=warmup + steps + 1, log_every=50, state_every=10**9, eval_samples=0,
    )  # fmt: skip
    marks = {}

    def clock(info):
        if info.step in (warmup, warmup + steps):
            sync(device)
            marks[info.step] = time.perf_counter()

    with tempfile.TemporaryDirectory() as tmp:
        train(
            cfg, Path(tmp) / "run", device=str(device), progress=False, callbacks=[clock], data=data, compile=compile_,
            cuda_graphs=graphs,
        )  # fmt: skip
    return steps * batch / (marks[warmup + steps] - marks[warmup])


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data-dir", default=os.environ.get("GANSCOPE_SHARED_DATA", "../shared/data") + "/mnist")
    p.add_argument("--batch-sizes", default="")
    p.add_argument("--steps", type=int, default=0, help="timed steps per measurement")
    p.add_argument("--warmup", type=int, default=0)
    p.add_argument("--images", type=int, default=0, help="training images (default: 60000 on GPU, 2048 on CPU)")
    p.add_argument("--workers", type=int, default=min(8, os.cpu_count() or 1), help="baseline DataLoader workers")
    p.add_argument("--no-compile", action="store_true")
    p.add_argument("--json", help="write the figures here too")
    args = p.parse_args(argv)

    gpu = torch.cuda.is_available()
    device = torch.device("cuda" if gpu else "cpu")
    if gpu:
        batches = [int(b) for b in (args.batch_sizes or "64,128,256,512").split(",")]
        steps, warmup, n_images = args.steps or 100, args.warmup or 30, args.images or 60000
        print(f"device: {torch.cuda.get_device_name(0)}, torch {torch.__version__}")
    else:
        batches = [int(b) for b in (args.batch_sizes or "16,32").split(",")]
        steps, warmup, n_images = args.steps or 5, args.warmup or 2, args.images or 2048
        torch.set_num_threads(os.cpu_count() or 1)
        print(f"no GPU here: measuring the CPU instead ({os.cpu_count()} cores, {platform.processor() or platform.machine()})")

    data = load_dataset("mnist", args.data_dir, image_size=64, channels=3, limit=n_images)
    print(f"data: {len(data)} MNIST digits as 3x64x64 uint8")
    with tempfile.TemporaryDirectory() as tmp:
        png_root = write_png_folder(data.images[: min(len(data), 10_000)], Path(tmp))
        rows = []
        for b in batches:
            flops = step_flops(device, b)
            row = {"batch": b, "gflop_per_step": flops / 1e9}
            if gpu:
                torch.cuda.reset_peak_memory_stats()
            row["baseline"] = run_baseline(png_root, device, b, warmup, steps, args.workers)
            if gpu:
                row["baseline_peak_gib"] = torch.cuda.max_memory_allocated() / 2**30
                torch.cuda.reset_peak_memory_stats()
            row["ours"] = run_ours(data, device, b, warmup, steps, False)
            if gpu:
                row["ours_peak_gib"] = torch.cuda.max_memory_allocated() / 2**30
                row["ours_no_graphs"] = run_ours(data, device, b, warmup, steps, False, graphs=False)
            if not args.no_compile:
                try:
                    row["ours_compiled"] = run_ours(data, device, b, warmup, steps, True)
                except Exception as e:  # noqa: BLE001 - a compiler failure is a figure to report, not a crash
                    row["compile_error"] = f"{type(e).__name__}: {str(e)[:200]}"
                    args.no_compile = True
            rows.append(row)
            print(json.dumps(row), flush=True)

    print("\nimages/s (real images per second); x = ratio to the textbook baseline; TFLOP/s achieved")
    cols = [("baseline", "baseline"), ("ours", "ours"), ("ours_no_graphs", "no graphs"), ("ours_compiled", "compiled")]
    cols = [(k, t) for k, t in cols if any(k in r for r in rows)]
    print(f"{'batch':>6} " + " ".join(f"{t:>17}" for _, t in cols) + "   TFLOP/s " + "/".join(t for _, t in cols))
    for r in rows:
        per_img = r["gflop_per_step"] / r["batch"] / 1e3  # TFLOP per image
        cells = [f"{r[k]:>9.0f} ({r[k] / r['baseline']:>4.1f}x)" if k in r else f"{'-':>17}" for k, _ in cols]
        tf = "/".join(f"{r[k] * per_img:.1f}" if k in r else "-" for k, _ in cols)
        print(f"{r['batch']:>6} " + " ".join(cells) + f"   {tf}")
        if "compile_error" in r:
            print(f"       torch.compile failed: {r['compile_error']}")
    if args.json:
        Path(args.json).write_text(json.dumps({"device": str(device), "rows": rows}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
