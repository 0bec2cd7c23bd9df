"""What the disk caches share, without torch: where they live and the content hash that keys them.

``GANSCOPE_CACHE`` (default ``$XDG_CACHE_HOME/ganscope``, else ``~/.cache/ganscope``) holds one folder
per cache: ``directions/`` (``pipelines.directions_cache``) and ``grids/`` (``app.grid_cache``).
Every entry is keyed by the sha256 of the snapshot's bytes, so a snapshot rewritten in place never
shows what its old weights made.
"""

from __future__ import annotations

import hashlib
import os
from functools import lru_cache
from pathlib import Path


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
