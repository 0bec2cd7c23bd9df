"""Directions, first visit: the GANSpace computation the page waits for, ours against a baseline, in one run.

For the page's default layer (the first probed one) of shipped runs: the time to find the 10
principal directions from 2,000 samples, with ``pipelines/directions.py`` of a git ref (default
``FULL_PCA_REF``, the last commit before the randomized PCA: full SVD after a full forward pass) and
with ours (the forward stops at the layer; a seeded randomized SVD), alternating, median of
``--repeats``; and how far ours is from the full PCA: the smallest |cos| between matching directions
in z, and the largest relative difference in explained variance. Then what the page does since
directions are kept on disk (``pipelines.directions_cache``): ``from disk`` is a new process's
lookup when the file exists (the snapshot's sha256, then the file read and its key checked; the
shipped runs carry theirs), ``miss`` the lookup with no file (compute, then write). Writes
benchmarks/results/cpu-directions-speed.txt with the machine's load.

    python benchmarks/directions_speed.py [--repeats 3] [--baseline-ref REF]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.state import fit_threads  # noqa: E402
from benchmarks.baseline import module_at, uptime  # noqa: E402
from models import load_generator  # noqa: E402
from pipelines import directions_cache as dc  # noqa: E402
from pipelines import disk_cache  # noqa: E402
from pipelines.directions import ganspace, probe_layers  # noqa: E402

RUNS = ["mnist-dcgan", "faces-orl"]
FULL_PCA_REF = "8f9a4dc~1"  # pipelines/directions.py before the randomized SVD (the first figures' baseline)


def timed(fn, *args, **kwargs) -> tuple[float, object]:
    t = time.perf_counter()
    out = fn(*args, **kwargs)
    return time.perf_counter() - t, out


def disk_lookups(G, run_dir: Path, layer: str, tmp: Path, repeats: int) -> tuple[float, float]:
    """Median seconds of the page's lookup with the file on disk (the digest forgotten each time, as in a
    new process) and with no file (compute and write), in a copy of the run's final snapshot."""
    snap = tmp / run_dir.name / "snapshots" / "final.safetensors"
    snap.parent.mkdir(parents=True)
    shutil.copyfile(sorted((run_dir / "snapshots").glob("*.safetensors"))[-1], snap)
    os.environ["GANSCOPE_CACHE"] = str(tmp / f"cache-{run_dir.name}")
    t_miss, t_disk = [], []
    for _ in range(repeats):
        shutil.rmtree(dc.cache_dir(), ignore_errors=True)
        disk_cache._digest.cache_clear()
        t_miss.append(timed(dc.cached_directions, G, snap, "layer", layer)[0])
        disk_cache._digest.cache_clear()
        t_disk.append(timed(dc.cached_directions, G, snap, "layer", layer)[0])
    return statistics.median(t_disk), statistics.median(t_miss)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--baseline-ref", default=FULL_PCA_REF)
    p.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "cpu-directions-speed.txt")
    args = p.parse_args()
    threads = fit_threads()
    load_before = uptime()
    lines = []
    with tempfile.TemporaryDirectory() as tmp:
        base = module_at(args.baseline_ref, "pipelines/directions.py", Path(tmp))
        for run in RUNS:
            G, _ = load_generator(ROOT / "checkpoints" / run)
            layer = probe_layers(G)[0]
            t_base, t_ours = [], []
            for _ in range(args.repeats):
                t, d_base = timed(base.ganspace, G, layer, n=2000, k=10)
                t_base.append(t)
                t, d_ours = timed(ganspace, G, layer, n=2000, k=10)
                t_ours.append(t)
            t_disk, t_miss = disk_lookups(G, ROOT / "checkpoints" / run, layer, Path(tmp), args.repeats)
            cos = (d_base.vectors * d_ours.vectors).sum(1).abs().min()
            rel = ((d_base.explained - d_ours.explained).abs() / d_base.explained).max()
            tb, to = statistics.median(t_base), statistics.median(t_ours)
            agree = f"min |cos| {float(cos):.4f}, explained within {float(rel):.2%}"
            disk = f"{t_disk * 1000:6.0f} ms {t_miss:7.2f}s"
            lines.append(f"{run:14} {layer:8} {to:8.2f}s {tb:8.2f}s {tb / to:7.1f}x {disk}   {agree}")
            print(lines[-1], flush=True)
    head = [
        f"GANSpace first visit (10 directions, 2,000 samples), median of {args.repeats}, "
        f"torch {torch.__version__}, {threads} threads, CPU",
        f"baseline: pipelines/directions.py at git {args.baseline_ref}; ganscope: this tree",
        f"load before: {load_before}",
        f"load after:  {uptime()}",
        f"{'run':14} {'layer':8} {'ganscope':>9} {'baseline':>9} {'ratio':>8} {'from disk':>9} {'miss':>8}"
        "   agreement with the full PCA",
    ]
    text = "\n".join(head + lines)
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
