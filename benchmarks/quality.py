"""Sample quality per epoch: a plain textbook DCGAN loop against a ganscope preset, in one run.

The textbook loop is the 28×28 MNIST DCGAN as tutorials write it: ConvTranspose 100→256 (7×7)→128
(14×14)→1 (28×28) with BatchNorm and ReLU, a mirrored LeakyReLU discriminator (ganscope's DCGAN
modules with ngf = ndf = 128 are exactly these layers), N(0, 0.02) weights, Adam 2e-4 / β1 0.5,
batch 128, BCE, separate real and fake batches, fp32, no tricks. The preset trains with
``ganscope-train``'s loop. Both train the same number of epochs on the same machine; every epoch's
snapshot is scored by ``ganscope-evaluate``'s metrics (fd, kid, precision, recall, classes, KL to
uniform) at ``--samples`` samples against as many real test images. The figure is the ratio of fd.

    python benchmarks/quality.py --epochs 10                  # the full comparison
    python benchmarks/quality.py --epochs 1 --limit 2048 --samples 500   # a quick look

Results go to ``benchmarks/results/quality-<preset>-<device>.{json,txt}``.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from models import DCGANConfig, build_discriminator, build_generator, save_generator  # noqa: E402
from pipelines import runs  # noqa: E402
from pipelines.data import load_dataset, to_range  # noqa: E402
from pipelines.evaluate import evaluate_run  # noqa: E402
from pipelines.presets import TrainConfig, get_preset  # noqa: E402
from pipelines.train import train  # noqa: E402

COLUMNS = ("fd", "kid", "precision", "recall", "modes", "kl_uniform")


def textbook_config(data_dir: str, epochs: int, limit: int) -> TrainConfig:
    """The textbook network as a run config (so its snapshots load and evaluate like any run)."""
    return TrainConfig(
        preset="textbook-dcgan",
        description="textbook 28x28 DCGAN loop (benchmarks/quality.py)",
        model=DCGANConfig(image_size=28, channels=1, z_dim=100, ngf=128, ndf=128),
        dataset="mnist",
        data_dir=data_dir,
        epochs=epochs,
        limit=limit,
    )


def train_textbook(cfg: TrainConfig, run_dir: Path, device: torch.device, data) -> None:
    """The tutorial loop: for each batch, (1) D on real then fake, (2) G through D; a snapshot per epoch."""
    (run_dir / runs.SNAPSHOTS).mkdir(parents=True)
    runs.write_json(run_dir / runs.CONFIG, cfg.to_dict())
    torch.manual_seed(cfg.seed)
    G, D = build_generator(cfg.model).to(device), build_discriminator(cfg.model).to(device)
    opt_g = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    images = data.images.to(device)
    B, n = cfg.batch_size, len(images)
    ones, zeros = torch.ones(B, device=device), torch.zeros(B, device=device)
    step = 0
    for epoch in range(cfg.epochs):
        for idx in torch.randperm(n, device=device).split(B):
            if len(idx) < B:
                continue
            real = to_range(images[idx], (-1.0, 1.0))
            # (1) Update D: maximize log(D(x)) + log(1 - D(G(z)))
            opt_d.zero_grad()
            fake = G(torch.randn(B, cfg.model.z_dim, device=device))
            F.binary_cross_entropy_with_logits(D(real), ones).backward()
            F.binary_cross_entropy_with_logits(D(fake.detach()), zeros).backward()
            opt_d.step()
            # (2) Update G: maximize log(D(G(z)))
            opt_g.zero_grad()
            F.binary_cross_entropy_with_logits(D(fake), ones).backward()
            opt_g.step()
            step += 1
        G.eval()
        save_generator(runs.snapshot_path(run_dir, step), G, cfg.model, {"step": step, "epoch": epoch + 1})
        G.train()


def table(name: str, records: list[dict]) -> list[str]:
    lines = [f"{name}", "  epoch  " + "  ".join(f"{c:>10}" for c in COLUMNS)]
    for r in records:
        lines.append(f"  {r['epoch']:>5.0f}  " + "  ".join(f"{r.get(c, float('nan')):>10.4g}" for c in COLUMNS))
    return lines


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--preset", default="mnist-dcgan")
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--limit", type=int, default=0, help="train on the first N images (0: all 60,000)")
    p.add_argument("--samples", type=int, default=5000)
    p.add_argument("--data-dir", default=str(ROOT.parent / "shared" / "data" / "mnist"))
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = p.parse_args(argv)
    device = torch.device(args.device)
    work = Path(tempfile.mkdtemp(prefix="quality-"))
    data = load_dataset("mnist", args.data_dir, image_size=28, channels=1, limit=args.limit)
    timings = {}
    t = time.perf_counter()
    base_cfg = textbook_config(args.data_dir, args.epochs, args.limit)
    train_textbook(base_cfg, work / "textbook", device, data)
    timings["textbook"] = time.perf_counter() - t
    t = time.perf_counter()
    ours_cfg = get_preset(args.preset).replace(epochs=args.epochs, data_dir=args.data_dir, limit=args.limit, max_steps=0)
    train(ours_cfg, work / args.preset, device=args.device, progress=False, data=data)
    timings[args.preset] = time.perf_counter() - t
    base = evaluate_run(work / "textbook", args.data_dir, args.samples, write=False)
    ours = evaluate_run(work / args.preset, args.data_dir, args.samples, write=False)
    ours = [r for r in ours if float(r["epoch"]).is_integer()]  # per-epoch snapshots, as the textbook's
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else platform.processor() or "cpu"
    lines = [f"device: {name}, torch {torch.__version__}; {args.epochs} epochs, {len(data)} images, {args.samples} samples"]
    lines += table(f"textbook loop ({timings['textbook']:.0f} s)", base)
    lines += table(f"{args.preset} ({timings[args.preset]:.0f} s)", ours)
    lines.append("  epoch   fd ratio textbook/ours (above 1: ours is better)")
    for b, o in zip(base, ours, strict=False):
        lines.append(f"  {b['epoch']:>5.0f}   {b['fd'] / o['fd']:.2f}x")
    print("\n".join(lines))
    args.out.mkdir(parents=True, exist_ok=True)
    stem = args.out / f"quality-{args.preset}-{device.type}"
    stem.with_suffix(".txt").write_text("\n".join(lines) + "\n")
    result = {"device": name, "torch": torch.__version__, "epochs": args.epochs, "samples": args.samples}
    result |= {"textbook": base, args.preset: ours, "seconds": timings}
    stem.with_suffix(".json").write_text(json.dumps(result, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
