"""``ganscope-ablation``: the MLP tutorial's ablation, every combination of Adam / LeakyReLU / LayerNorm.

"Make Your Own GAN" fixed its collapsing MNIST GAN with LeakyReLU, LayerNorm and Adam, and
claims LeakyReLU and LayerNorm break the collapse while Adam alone does not. This trains the
same 100-200-784 network with each of the 8 combinations (BCE loss throughout, 4 epochs on the
first 10,000 MNIST images, as the book did; both configurable), one run folder each, so the
Ablation page can lay their samples, curves and coverage side by side.
"""

from __future__ import annotations

import argparse
import itertools
import logging
import re
import sys
from pathlib import Path

from .data import DataError
from .presets import TrainConfig, tutorial_mlp
from .runs import RunError
from .train import train

ABLATION_PREFIX = "ablation-"
ABLATION_NAME = re.compile(rf"{ABLATION_PREFIX}(adam|sgd)-(leaky|sigmoid)-(ln|noln)")  # the folder names it writes


def ablation_configs(
    data_dir: str, epochs: int = 4, limit: int = 10_000, batch_size: int = 8, seed: int = 0
) -> dict[str, TrainConfig]:
    """The 8 configs, named ablation-{adam|sgd}-{leaky|sigmoid}-{ln|noln}."""
    out = {}
    for adam, leaky, ln in itertools.product((False, True), repeat=3):
        name = f"{ABLATION_PREFIX}{'adam' if adam else 'sgd'}-{'leaky' if leaky else 'sigmoid'}-{'ln' if ln else 'noln'}"
        out[name] = TrainConfig(
            preset=name,
            description=f"MLP ablation: {'Adam 1e-4' if adam else 'SGD 0.01'}, "
            f"{'LeakyReLU(0.02)' if leaky else 'sigmoid'}, {'with' if ln else 'no'} LayerNorm, BCE",
            model=tutorial_mlp("leaky_relu" if leaky else "sigmoid", layernorm=ln),
            dataset="mnist",
            data_dir=data_dir,
            limit=limit,
            epochs=epochs,
            batch_size=batch_size,
            optimizer="adam" if adam else "sgd",
            lr_g=1e-4 if adam else 0.01,
            lr_d=1e-4 if adam else 0.01,
            betas=(0.9, 0.999),
            seed=seed,
            log_every=25,
            state_every=1000,
            eval_samples=256,
        )
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="ganscope-ablation", description=__doc__.splitlines()[0])
    p.add_argument("--data-dir", required=True, help="MNIST IDX folder (or torchvision root)")
    p.add_argument("--out", type=Path, default=Path("runs"), help="parent folder for the 8 run folders")
    p.add_argument("--epochs", type=int, default=4)
    p.add_argument("--limit", type=int, default=10_000, help="train on the first N images")
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        for name, cfg in ablation_configs(args.data_dir, args.epochs, args.limit, args.batch_size, args.seed).items():
            train(cfg, args.out / name, progress=False)
            print(f"trained {name}")
    except (DataError, RunError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
