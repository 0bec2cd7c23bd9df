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

from . import runs
from .data import DataError
from .diagnose import diagnose_run
from .metrics import latest
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


SUMMARY_METRICS = ("diversity", "near_duplicates")  # the trainer's own, recorded at every snapshot


def summary_rows(run_dirs: list[Path]) -> list[dict]:
    """One row per ablation run: its switches, the last log window's losses, the final snapshot's
    metrics (merged records, ``pipelines.metrics.latest``) and ``ganscope-diagnose``'s verdict."""
    rows = []
    for run in run_dirs:
        opt, act, ln = ABLATION_NAME.fullmatch(run.name).groups()
        log = runs.read_log(run)
        last = log[-1] if log else {}
        d = [last.get(k) for k in ("d_loss_real", "d_loss_fake") if last.get(k) is not None]
        final = latest(runs.read_metrics(run))
        try:
            verdict = diagnose_run(run).verdict
        except (ValueError, runs.RunError):
            verdict = "no log"
        rows.append(
            {
                "run": run.name,
                "optimiser": opt,
                "activation": act,
                "LayerNorm": "yes" if ln == "ln" else "no",
                "D loss": sum(d) / len(d) if d else None,
                "G loss": last.get("g_loss"),
                **{k: final.get(k) for k in SUMMARY_METRICS},
                "verdict": verdict,
            }
        )
    return rows


def format_table(rows: list[dict]) -> str:
    """Rows as an aligned plain-text table (numbers to 3 significant figures, missing as "-")."""
    if not rows:
        return "(no runs)"
    cols = list(rows[0])
    cells = [[("-" if v is None else f"{v:.3g}" if isinstance(v, float) else str(v)) for v in r.values()] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(cols)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(cols, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)) for row in cells]
    return "\n".join(line.rstrip() for line in lines)


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
    trained = []
    try:
        for name, cfg in ablation_configs(args.data_dir, args.epochs, args.limit, args.batch_size, args.seed).items():
            train(cfg, args.out / name, progress=False)
            trained.append(args.out / name)
            print(f"trained {name}")
    except (DataError, RunError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print("\nsummary (last log window; final snapshot's metrics; ganscope-diagnose verdict):")
    print(format_table(summary_rows(trained)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
