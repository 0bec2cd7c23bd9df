"""Recipe sweep: train named variants of a preset side by side and score every snapshot.

Each recipe is a preset plus config changes (width, epochs, EMA, augmentation, stabilisers). The
runs train in parallel worker processes (on one GPU they share it), then ``ganscope-evaluate``'s
scoring runs on every snapshot at ``--samples`` samples. One JSON line per snapshot goes to
``--out``/recipes.jsonl and a table of each recipe's final and best snapshot is printed: that table,
against the preset as it was (``*-base``), is how the presets were chosen (docs/recipes.md).

    python benchmarks/recipes.py --data .devdata --only mnist-base,mnist-w128-ema --epochs 20
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from models import DCGANConfig  # noqa: E402

DATA = {"mnist": "mnist", "fashion-mnist": "fashion-mnist", "folder": "orl-crops"}


def _wide(width: int) -> dict:
    return {"model": DCGANConfig(image_size=28, channels=1, z_dim=100, ngf=width, ndf=width)}


def _face(width: int) -> dict:
    return {"model": DCGANConfig(image_size=64, channels=1, z_dim=100, ngf=width, ndf=width)}


AUG = "translation,cutout,color"
RECIPES: dict[str, tuple[str, dict]] = {
    "mnist-base": ("mnist-dcgan", {}),
    "mnist-w128": ("mnist-dcgan", _wide(128)),
    "mnist-w128-ema": ("mnist-dcgan", _wide(128) | {"ema_kimg": 10.0}),
    "mnist-w128-ema40": ("mnist-dcgan", _wide(128) | {"ema_kimg": 40.0}),
    "mnist-w96-ema": ("mnist-dcgan", _wide(96) | {"ema_kimg": 10.0}),
    "mnist-w64-ema": ("mnist-dcgan", {"ema_kimg": 10.0}),
    "mnist-w128-hinge-sn": ("mnist-dcgan", _wide(128) | {"loss": "hinge", "spectral_norm": True}),
    "mnist-w128-r1": ("mnist-dcgan", _wide(128) | {"r1_gamma": 0.2}),
    "mnist-w128-ls": ("mnist-dcgan", _wide(128) | {"real_label": 0.9}),
    "mnist-w128-ttur": ("mnist-dcgan", _wide(128) | {"lr_d": 4e-4, "lr_g": 1e-4}),
    "fashion-base": ("fashion-dcgan", {}),
    "fashion-w128-ema": ("fashion-dcgan", _wide(128) | {"ema_kimg": 10.0}),
    "fashion-w96-ema": ("fashion-dcgan", _wide(96) | {"ema_kimg": 10.0}),
    "fashion-w64-ema": ("fashion-dcgan", {"ema_kimg": 10.0}),
    "faces-base": ("faces-orl", {}),
    "faces-aug": ("faces-orl", {"augment": AUG}),
    "faces-aug-ema": ("faces-orl", {"augment": AUG, "ema_kimg": 2.0}),
    "faces-aug-ema-w32": ("faces-orl", {"augment": AUG, "ema_kimg": 2.0} | _face(32)),
    "faces-aug-ema-nols": ("faces-orl", {"augment": AUG, "ema_kimg": 2.0, "real_label": 1.0}),
    # the second round: the winners of the first, trained longer
    "mnist-w128-r1-25": ("mnist-dcgan", _wide(128) | {"r1_gamma": 0.2, "epochs": 25}),
    "mnist-w128-r1-ema-25": ("mnist-dcgan", _wide(128) | {"r1_gamma": 0.2, "ema_kimg": 10.0, "epochs": 25}),
    "fashion-w128-r1-20": ("fashion-dcgan", _wide(128) | {"r1_gamma": 0.2, "epochs": 20}),
    "fashion-w128-ema-20": ("fashion-dcgan", _wide(128) | {"ema_kimg": 10.0, "epochs": 20}),
    "fashion-w128-r1-ema-20": ("fashion-dcgan", _wide(128) | {"r1_gamma": 0.2, "ema_kimg": 10.0, "epochs": 20}),
    "faces-aug-ema-600": ("faces-orl", {"augment": AUG, "ema_kimg": 2.0, "epochs": 600}),
    # the MLP GANs of 'Make Your Own GAN'
    "mlp-base": ("mnist-mlp", {}),
    "mlp-r1": ("mnist-mlp", {"r1_gamma": 0.2}),
    "mlp-r1-1": ("mnist-mlp", {"r1_gamma": 1.0}),
    "mlp-ema": ("mnist-mlp", {"ema_kimg": 10.0}),
    "cgan-base": ("mnist-cgan", {}),
    "cgan-r1": ("mnist-cgan", {"r1_gamma": 0.2}),
    "cgan-ema": ("mnist-cgan", {"ema_kimg": 10.0}),
}


def train_recipe(name: str, data_root: str, out: str, epochs: int | None, device: str, max_steps: int = 0) -> str:
    """Train one recipe into ``out/name`` (a worker process)."""
    os.environ.setdefault("OMP_NUM_THREADS", "2")
    import torch

    from pipelines.presets import get_preset
    from pipelines.train import train

    torch.set_num_threads(2)
    preset, changes = RECIPES[name]
    cfg = get_preset(preset)
    changes = dict(changes)
    if epochs and not preset.startswith("faces"):
        changes["epochs"] = epochs
    if max_steps:  # a quick smoke run
        changes |= {"max_steps": max_steps, "snapshot_every": max_steps}
    cfg = dataclasses.replace(cfg, data_dir=str(Path(data_root) / DATA[cfg.dataset]), **changes)
    t = time.perf_counter()
    train(cfg, Path(out) / name, device=device, progress=False)
    return f"{name}: trained in {time.perf_counter() - t:.0f} s"


def score_recipe(name: str, out: str, samples: int, every: int = 1) -> list[dict]:
    """Score every snapshot of a trained recipe (a worker process)."""
    import torch

    from pipelines.evaluate import evaluate_run

    torch.set_num_threads(2)
    try:
        records = evaluate_run(Path(out) / name, samples=samples, write=False, every=every)
    except Exception as e:  # noqa: BLE001 - a run kind with no feature metrics still reports
        return [{"recipe": name, "error": str(e)}]
    return [{"recipe": name, **r} for r in records]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--only", default="", help="comma-separated recipe names (default: all)")
    p.add_argument("--data", default=str(ROOT.parent / "shared" / "data"), help="folder with mnist/, fashion-mnist/, orl-crops/")
    p.add_argument("--out", default="runs/recipes")
    p.add_argument("--epochs", type=int, help="epochs for the MNIST and Fashion recipes (default: the preset's)")
    p.add_argument("--samples", type=int, default=5000)
    p.add_argument("--workers", type=int, default=6)
    p.add_argument("--device", default="auto")
    p.add_argument("--max-steps", type=int, default=0, help="stop each run after N steps (a smoke test)")
    p.add_argument("--skip-train", action="store_true")
    p.add_argument("--every", type=int, default=1, help="score every N-th snapshot (and the last)")
    p.add_argument("--jsonl", help="where the per-snapshot lines go (default: OUT/recipes.jsonl)")
    args = p.parse_args(argv)
    names = [n for n in args.only.split(",") if n] or list(RECIPES)
    Path(args.out).mkdir(parents=True, exist_ok=True)
    results = []
    with ProcessPoolExecutor(args.workers) as pool, open(args.jsonl or Path(args.out) / "recipes.jsonl", "a") as f:
        if not args.skip_train:
            jobs = [pool.submit(train_recipe, n, args.data, args.out, args.epochs, args.device, args.max_steps) for n in names]
            for job in as_completed(jobs):
                print(job.result(), flush=True)
        jobs = [pool.submit(score_recipe, n, args.out, args.samples, args.every) for n in names]
        for job in as_completed(jobs):  # each recipe's lines are written as soon as they are scored
            recs = job.result()
            results.append(recs)
            f.writelines(json.dumps(r) + "\n" for r in recs)
            f.flush()
    results.sort(key=lambda recs: names.index(recs[0]["recipe"]))
    print(
        f"{'recipe':<22} {'final ep':>8} {'fd':>7} {'kid':>7} {'prec':>5} {'rec':>5} {'cls':>4} {'kl':>6} | "
        f"{'best ep':>7} {'fd':>7}"
    )
    for recs in results:
        if "error" in recs[0]:
            print(f"{recs[0]['recipe']:<22} {recs[0]['error']}")
            continue
        last, best = recs[-1], min(recs, key=lambda r: r["fd"])
        print(
            f"{last['recipe']:<22} {last['epoch']:>8.1f} {last['fd']:>7.2f} {last['kid']:>7.4f} {last['precision']:>5.2f} "
            f"{last['recall']:>5.2f} {last.get('modes', 0):>4.0f} {last.get('kl_uniform', 0):>6.3f} | "
            f"{best['epoch']:>7.1f} {best['fd']:>7.2f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
