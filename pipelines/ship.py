"""``ganscope-ship``: copy a trained run into ``checkpoints/`` the way it is shipped in git.

Keeps the config, the training log, the metrics and ``--keep`` snapshots spread evenly
over training (the first and last always among them), and the discriminators the run kept beside
them (``--keep-d``: all of them, the last only, or none); never the resume states, which hold the
optimiser moments and are several times larger. The command line also writes
the Directions page's first view of the final snapshot (``pipelines.directions_cache``) and the Samples
page's first grid (``app.grid_cache``), so a first visit to the shipped run computes neither.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from models import CheckpointError

from . import runs
from .directions_cache import ship_directions


def pick_evenly(n: int, keep: int) -> list[int]:
    """Indices of ``keep`` items spread evenly over ``n``, first and last included."""
    if keep >= n:
        return list(range(n))
    if keep == 1:
        return [n - 1]
    return sorted({round(i * (n - 1) / (keep - 1)) for i in range(keep)})


KEEP_D = ("all", "last", "none")


def ship(run_dir: Path, dest: Path, keep: int = 6, force: bool = False, keep_d: str = "all") -> list[Path]:
    """Copy ``run_dir`` to ``dest`` with ``keep`` snapshots; returns the snapshots copied.

    ``keep_d``: the discriminators (``discriminators/``) of every shipped snapshot ("all"), of the last
    one ("last") or none; a snapshot whose run kept no D ships without one.
    An existing ``dest`` is refused (RunError) unless ``force``, which replaces it."""
    if keep_d not in KEEP_D:
        raise runs.RunError(f"--keep-d takes one of {', '.join(KEEP_D)}, not {keep_d!r}")
    run_dir, dest = Path(run_dir), Path(dest)
    runs.read_config(run_dir)  # refuse a folder that is not a valid run
    snaps = runs.list_snapshots(run_dir)
    if not snaps:
        raise runs.RunError(f"{run_dir} has no snapshots to ship")
    if dest.exists() or dest.is_symlink():
        if not force:
            raise runs.RunError(f"{dest} already exists: pass --force to replace it, or pick another destination")
        if dest.resolve() == run_dir.resolve():
            raise runs.RunError(f"{dest} is the run itself: ship it somewhere else")
        if dest.is_dir() and not dest.is_symlink():
            shutil.rmtree(dest)
        else:
            dest.unlink()
    (dest / runs.SNAPSHOTS).mkdir(parents=True)
    for name in (runs.CONFIG, runs.LOG, runs.METRICS, runs.SKIPPED):
        if (run_dir / name).is_file():
            shutil.copy2(run_dir / name, dest / name)
    chosen = [snaps[i][0] for i in pick_evenly(len(snaps), keep)]
    for p in chosen:
        shutil.copy2(p, dest / runs.SNAPSHOTS / p.name)
    with_d = {"all": chosen, "last": chosen[-1:], "none": []}[keep_d]
    for p, meta in snaps:
        d = runs.find_discriminator(run_dir, meta.get("step", -1)) if p in with_d else None
        if d is not None:
            (dest / runs.DISCRIMINATORS).mkdir(exist_ok=True)
            shutil.copy2(d, dest / runs.DISCRIMINATORS / d.name)
    return chosen


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="ganscope-ship", description=__doc__.splitlines()[0])
    p.add_argument("run_dir", type=Path)
    p.add_argument("dest", type=Path, help="e.g. checkpoints/mnist-dcgan")
    p.add_argument("--keep", type=int, default=6, help="snapshots to keep (default 6)")
    p.add_argument("--force", action="store_true", help="replace DEST if it exists (refused otherwise)")
    p.add_argument(
        "--keep-d", choices=KEEP_D, default="all", help="discriminators to ship: beside every snapshot (default), the last, none"
    )
    args = p.parse_args(argv)
    try:
        chosen = ship(args.run_dir, args.dest, args.keep, args.force, args.keep_d)
    except (runs.RunError, CheckpointError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    ship_directions(args.dest)  # the Directions page's first view of the final snapshot, ready to open
    from app.grid_cache import ship_grid  # the dashboard's own screen path draws it

    ship_grid(args.dest)  # the Samples page's first grid, drawn before torch is imported on a cold start
    size = sum(f.stat().st_size for f in args.dest.rglob("*") if f.is_file())
    print(f"shipped {len(chosen)} snapshots to {args.dest} ({size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
