"""Sample grids on disk: a grid shown once is shown again, in any new process, before torch is imported.

On a small machine most of a cold start is ``import torch`` (about 3 s of 8 on 2 cores). The Samples
page looks its grid up here first: when the disk holds the PNG of exactly this view it is drawn at
once, and torch, the generator and the rest of the page follow beneath it. The key is everything
the pixels depend on: the sha256 of the snapshot file's bytes, the seeds (first seed, rows, columns),
ψ, the class of each cell, the BatchNorm mode, the on-screen size and scaling, and ``VERSION`` (bump
it whenever the render path changes what it draws for the same key). The key is also written into
the PNG (a tEXt chunk) and checked on reading, so a file is shown only for the view it was made for;
a rewritten snapshot has another hash, so a grid of its old weights is never shown.

Files are looked for beside the run (``RUN/grids/``: shipped runs carry their default view, written
by ``python -m app.grid_cache RUN`` and by ``ganscope-ship``) and in ``GANSCOPE_CACHE/grids``, where
the page writes every grid it renders (the newest ``MAX_FILES`` are kept).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

from app.images import DEFAULT_SIZE
from models import atomic_write_bytes
from pipelines import disk_cache
from pipelines.disk_cache import file_sha256

log = logging.getLogger(__name__)

VERSION = "grid-1"
SHIPPED_DIR = "grids"
TEXT_KEY = "ganscope-grid"
MAX_FILES = 256
PNG_END = b"IEND\xaeB`\x82"


@dataclass(frozen=True)
class GridKey:
    """Everything the pixels of a Samples grid depend on."""

    snapshot_sha256: str
    seed: int
    rows: int
    cols: int
    psi: float
    labels: tuple[int, ...] | None
    batchnorm: str  # "" for the config's own mode, else "running" or "batch"
    size: int  # on-screen pixels of one image's longer side (0: not enlarged)
    smooth: bool
    version: str = VERSION

    def text(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    def file_name(self) -> str:
        """A file name that differs whenever any field does."""
        return f"{hashlib.sha256(self.text().encode()).hexdigest()[:24]}.png"


def make_key(
    snapshot: str | os.PathLike,
    seed: int,
    rows: int,
    cols: int,
    psi: float,
    labels=None,
    batchnorm: str | None = None,
    size: int | None = DEFAULT_SIZE,  # the sidebar's default (app.images)
    smooth: bool = True,
) -> GridKey:
    """The key of the grid of ``rows`` x ``cols`` seeds from ``seed`` on ``snapshot``."""
    labels = None if labels is None else tuple(int(x) for x in labels)
    return GridKey(
        file_sha256(snapshot), int(seed), int(rows), int(cols), float(psi), labels, batchnorm or "", int(size or 0), bool(smooth)
    )


def default_rows(num_classes: int) -> int:
    """Rows of the Samples page's first grid: one per class for a run of 9 to 16 classes, else 8."""
    return num_classes if 8 < num_classes <= 16 else 8


def cell_labels(num_classes: int, rows: int, cols: int, choice="rows") -> list[int] | None:
    """The class of each cell: one class per row (``choice`` "rows") or ``choice`` in every cell; None for
    an unconditional run."""
    if not num_classes:
        return None
    return [r % num_classes if choice == "rows" else int(choice) for r in range(rows) for _ in range(cols)]


def default_batchnorm(model) -> str:
    """The BatchNorm mode a first view uses: the config's own (imported generators say "running" or
    "batch"), "" for architectures without the choice."""
    return getattr(model, "batchnorm", "")


def cache_dir() -> Path:
    """Where rendered grids are written: ``GANSCOPE_CACHE``/grids, or ~/.cache/ganscope/grids."""
    return disk_cache.cache_root() / SHIPPED_DIR


def places(snapshot: str | os.PathLike, key: GridKey) -> list[Path]:
    """Where the grid of ``key`` may be: beside the run (shipped), then in the cache folder."""
    return disk_cache.places(snapshot, SHIPPED_DIR, key.file_name())


def read(path: Path, key: GridKey) -> bytes | None:
    """The PNG in ``path`` if it is whole (every chunk's checksum holds) and was written for exactly
    ``key``; else None."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    if not data.endswith(PNG_END):  # truncated: never sent to the browser
        return None
    import io

    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as im:
            written_for = im.info.get(TEXT_KEY)  # the key's chunk comes before the pixels
            im.verify()  # every chunk's CRC: a flipped bit anywhere is refused
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        return None
    return data if written_for == key.text() else None


def lookup(snapshot: str | os.PathLike, key: GridKey) -> bytes | None:
    """The PNG of ``key`` from the run's shipped grids or the cache folder, or None."""
    for path in places(snapshot, key):
        data = read(path, key)
        if data is not None:
            return data
    return None


def store(key: GridKey, png: bytes, snapshot: str | os.PathLike) -> bool:
    """Keep ``png`` (made with ``text=png_text(key)``) in the cache folder for the next process; the oldest
    files beyond ``MAX_FILES`` go. Nothing is kept when ``snapshot`` no longer has the bytes the key was made
    for (rewritten while its grid was rendered: the pixels may be of either version). A read-only cache
    folder only costs the next cold start its head start. Returns whether the file was written."""
    try:
        if file_sha256(snapshot) != key.snapshot_sha256:
            return False
    except OSError:
        return False
    folder = cache_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(folder / key.file_name(), png)
        files = sorted(folder.glob("*.png"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in files[MAX_FILES:]:
            old.unlink(missing_ok=True)
    except OSError as e:
        log.warning("cannot save a grid to %s: %s", folder, e)
        return False
    return True


def png_text(key: GridKey) -> dict[str, str]:
    """The tEXt chunk that ties a PNG to its key."""
    return {TEXT_KEY: key.text()}


def ship_grid(run_dir: str | os.PathLike) -> Path | None:
    """Write the Samples page's first view of the run's final snapshot (seeds 0.., the default grid, the
    default display size, smooth) into ``RUN/grids/``, replacing what was there; None for runs whose
    samples are not images (drawn as charts, not cached)."""
    from app.images import grid_pixels, screen_png
    from app.render import generate, seed_latents
    from models import load_generator
    from pipelines import runs

    run_dir = Path(run_dir)
    folder = run_dir / SHIPPED_DIR
    for old in folder.glob("*.png") if folder.is_dir() else []:
        old.unlink()
    snaps = runs.list_snapshots(run_dir)
    if not snaps:
        return None
    snapshot = snaps[-1][0]
    G, cfg = load_generator(snapshot)
    if cfg.output.kind != "image":
        return None
    rows, cols = default_rows(cfg.num_classes), 8
    labels = cell_labels(cfg.num_classes, rows, cols)
    key = make_key(snapshot, 0, rows, cols, 1.0, labels, default_batchnorm(cfg))
    import torch

    lab = None if labels is None else torch.as_tensor(labels, dtype=torch.int64)
    samples = generate(G, seed_latents(G, range(rows * cols)), lab).numpy()
    png = screen_png(grid_pixels(samples, cols, key.size, key.smooth), text=png_text(key))
    folder.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(folder / key.file_name(), png)
    return folder / key.file_name()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m app.grid_cache",
        description="Write the Samples page's first grid of each run's final snapshot into RUN/grids/.",
    )
    p.add_argument("run_dirs", type=Path, nargs="+")
    args = p.parse_args(argv)
    from pipelines import runs

    missing = [str(d) for d in args.run_dirs if not runs.is_run(d)]
    if missing:
        print(f"error: not a run folder (it needs config.json and snapshots/): {', '.join(missing)}", file=sys.stderr)
        return 1
    for run_dir in args.run_dirs:
        path = ship_grid(run_dir)
        print(f"{run_dir.name}: {path.relative_to(run_dir) if path else 'not an image run, nothing written'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
