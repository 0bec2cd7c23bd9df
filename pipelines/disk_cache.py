"""What the disk caches share, without torch: where they live, the content hash that keys them, and
``KeyedFiles``, the one helper both are built on.

``GANSCOPE_CACHE`` (default ``$XDG_CACHE_HOME/ganscope``, else ``~/.cache/ganscope``) holds one folder
per cache: ``directions/`` (``pipelines.directions_cache``) and ``grids/`` (``pipelines.grid_cache``).
Every entry is keyed by a frozen dataclass that starts with the sha256 of the snapshot's bytes, so a
snapshot rewritten in place never shows what its old weights made. A file is looked for beside the run
first (``RUN/<folder>/``: what a shipped run carries) and then in the cache folder, where new ones go.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

from models import atomic_write_bytes

from . import runs

log = logging.getLogger(__name__)
T = TypeVar("T")


def cache_root() -> Path:
    """``GANSCOPE_CACHE``, or ``$XDG_CACHE_HOME/ganscope``, or ``~/.cache/ganscope`` (read on every call)."""
    root = os.environ.get("GANSCOPE_CACHE")
    if root:
        return Path(root)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "ganscope"


def places(snapshot: str | os.PathLike, folder: str, file_name: str) -> list[Path]:
    """Where a cached file of ``snapshot`` may be: beside its run (``RUN/folder``, what a shipped run carries),
    then in the cache folder (``cache_root()/folder``, where new files are written)."""
    run_dir = Path(snapshot).resolve().parent.parent
    return [run_dir / folder / file_name, cache_root() / folder / file_name]


def file_stamp(path: str | os.PathLike) -> tuple[int, int, int, int]:
    """What identifies a file's contents without reading them: (size, mtime_ns, ctime_ns, inode). Any write
    changes the ctime, which no one can set back, and an atomic replacement the inode, so a snapshot
    rewritten in place with its old size and mtime still gets a new stamp. Keys the in-process caches of a
    snapshot's generator and samples (``app.state``) and the remembered sha256 below."""
    st = os.stat(path)
    return st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino


@lru_cache(maxsize=256)
def _digest(path: str, size: int, mtime_ns: int, ctime_ns: int, inode: int) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            h.update(block)
    return h.hexdigest()


def file_sha256(path: str | os.PathLike) -> str:
    """sha256 of a file's bytes, remembered per path and ``file_stamp`` so a page visit does not re-read it."""
    return _digest(str(Path(path).resolve()), *file_stamp(path))


def key_text(key: Any) -> str:
    """A key (a frozen dataclass) as canonical JSON: what a file records and what its name hashes."""
    return json.dumps(asdict(key), sort_keys=True)


@dataclass(frozen=True)
class KeyedFiles:
    """Files keyed by a frozen dataclass, one folder name in a run and in the cache (``folder``).

    Args:
        folder: the folder's name, beside the run (shipped files) and under ``cache_root()``.
        suffix: the files' ending, e.g. ".png".
        max_files: the newest files the cache folder keeps (0: all).
    """

    folder: str
    suffix: str
    max_files: int = 0

    def cache_dir(self) -> Path:
        """Where new files are written: ``cache_root()/folder``."""
        return cache_root() / self.folder

    def file_name(self, key: Any, prefix: str = "") -> str:
        """A file name that differs whenever any field of ``key`` does."""
        return f"{prefix}{hashlib.sha256(key_text(key).encode()).hexdigest()[:24]}{self.suffix}"

    def places(self, snapshot: str | os.PathLike, name: str) -> list[Path]:
        """Where the file ``name`` of ``snapshot`` may be: beside its run, then in the cache folder."""
        return places(snapshot, self.folder, name)

    def find(self, snapshot: str | os.PathLike, name: str, read: Callable[[Path], T | None]) -> T | None:
        """The first of ``places`` that ``read`` accepts (it returns None for a missing, damaged or foreign file)."""
        for path in self.places(snapshot, name):
            found = read(path)
            if found is not None:
                return found
        return None

    def keep(self, name: str, data: bytes) -> Path | None:
        """Write ``data`` atomically into the cache folder as ``name`` (the oldest files beyond ``max_files`` go);
        None, with a warning, where the folder cannot be written (the next process computes it again)."""
        folder = self.cache_dir()
        try:
            folder.mkdir(parents=True, exist_ok=True)
            atomic_write_bytes(folder / name, data)
            if self.max_files:
                files = sorted(folder.glob(f"*{self.suffix}"), key=lambda p: p.stat().st_mtime, reverse=True)
                for old in files[self.max_files :]:
                    old.unlink(missing_ok=True)
        except OSError as e:
            log.warning("cannot save %s to %s: %s", name, folder, e)
            return None
        return folder / name

    def clear_shipped(self, run_dir: str | os.PathLike) -> Path:
        """Empty ``RUN/folder`` of its files (before a run's first view is shipped again); returns the folder."""
        folder = Path(run_dir) / self.folder
        for old in folder.glob(f"*{self.suffix}") if folder.is_dir() else []:
            old.unlink()
        return folder

    def ship(self, run_dir: str | os.PathLike, name: str, data: bytes) -> Path:
        """Write ``data`` as ``name`` into ``RUN/folder`` (atomically)."""
        folder = Path(run_dir) / self.folder
        folder.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(folder / name, data)
        return folder / name


def ship_main(argv: list[str] | None, prog: str, description: str, ship: Callable[[Path], list[Path]], none: str) -> int:
    """The command line of a cache's ``python -m``: ship each run folder's first view (``ship(run_dir)`` returns
    the files written; ``none`` says why there are none), or refuse with one sentence what is not a run."""
    p = argparse.ArgumentParser(prog=prog, description=description)
    p.add_argument("run_dirs", type=Path, nargs="+")
    args = p.parse_args(argv)
    missing = [str(d) for d in args.run_dirs if not runs.is_run(d)]
    if missing:
        print(f"error: not a run folder (it needs config.json and snapshots/): {', '.join(missing)}", file=sys.stderr)
        return 1
    for run_dir in args.run_dirs:
        written = ship(run_dir)
        for path in written:
            print(f"{run_dir.name}: {path.relative_to(run_dir)} ({path.stat().st_size:,} bytes)")
        if not written:
            print(f"{run_dir.name}: {none}")
    return 0
