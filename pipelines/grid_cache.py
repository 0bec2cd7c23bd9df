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
by ``python -m pipelines.grid_cache RUN`` and by ``ganscope-ship``) and in ``GANSCOPE_CACHE/grids``, where
the page writes every grid it renders (the newest ``MAX_FILES`` are kept); ``pipelines.disk_cache.KeyedFiles``
does the looking and writing for this cache and the directions cache alike. No Streamlit and no torch here
(``ship_grid`` imports torch when it runs).
"""

from __future__ import annotations

import io
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from . import runs
from .disk_cache import KeyedFiles, file_sha256, key_text, ship_main
from .images import DEFAULT_SIZE, grid_pixels, screen_png

VERSION = "grid-1"
SHIPPED_DIR = "grids"
TEXT_KEY = "ganscope-grid"
MAX_FILES = 256
PNG_END = b"IEND\xaeB`\x82"
FILES = KeyedFiles(SHIPPED_DIR, ".png", MAX_FILES)


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
        return key_text(self)

    def file_name(self) -> str:
        """A file name that differs whenever any field does."""
        return FILES.file_name(self)


def make_key(
    snapshot: str | os.PathLike,
    seed: int,
    rows: int,
    cols: int,
    psi: float,
    labels=None,
    batchnorm: str | None = None,
    size: int | None = DEFAULT_SIZE,  # the sidebar's default (pipelines.images)
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
    return FILES.cache_dir()


def places(snapshot: str | os.PathLike, key: GridKey) -> list[Path]:
    """Where the grid of ``key`` may be: beside the run (shipped), then in the cache folder."""
    return FILES.places(snapshot, key.file_name())


def read(path: Path, key: GridKey) -> bytes | None:
    """The PNG in ``path`` if it is whole (every chunk's checksum holds) and was written for exactly
    ``key``; else None."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    if not data.endswith(PNG_END):  # truncated: never sent to the browser
        return None
    from PIL import Image, UnidentifiedImageError  # about 0.1 s: only once a file is there to check

    try:
        with Image.open(io.BytesIO(data)) as im:
            written_for = im.info.get(TEXT_KEY)  # the key's chunk comes before the pixels
            im.verify()  # every chunk's CRC: a flipped bit anywhere is refused
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        return None
    return data if written_for == key.text() else None


def lookup(snapshot: str | os.PathLike, key: GridKey) -> bytes | None:
    """The PNG of ``key`` from the run's shipped grids or the cache folder, or None."""
    return FILES.find(snapshot, key.file_name(), lambda path: read(path, key))


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
    return FILES.keep(key.file_name(), png) is not None


def png_text(key: GridKey) -> dict[str, str]:
    """The tEXt chunk that ties a PNG to its key."""
    return {TEXT_KEY: key.text()}


def ship_grid(run_dir: str | os.PathLike) -> Path | None:
    """Write the Samples page's first view of the run's final snapshot (seeds 0.., the default grid, the
    default display size, smooth) into ``RUN/grids/``, replacing what was there; None for runs whose
    samples are not images (drawn as charts, not cached)."""
    import torch  # the first page imports this module before torch: only shipping needs it

    from models import load_generator
    from models.latent import generate, seed_latents

    run_dir = Path(run_dir)
    FILES.clear_shipped(run_dir)
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
    lab = None if labels is None else torch.as_tensor(labels, dtype=torch.int64)
    samples = G.output.to_unit(generate(G, seed_latents(G, range(rows * cols)), lab, batch=256)).numpy()
    png = screen_png(grid_pixels(samples, cols, key.size, key.smooth), text=png_text(key))
    return FILES.ship(run_dir, key.file_name(), png)


def main(argv: list[str] | None = None) -> int:
    return ship_main(
        argv,
        "python -m pipelines.grid_cache",
        "Write the Samples page's first grid of each run's final snapshot into RUN/grids/.",
        lambda run_dir: [p for p in [ship_grid(run_dir)] if p],
        "not an image run, nothing written",
    )


if __name__ == "__main__":
    sys.exit(main())
