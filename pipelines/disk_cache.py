"""What the disk caches share, without torch: where they live and the content hash that keys them.

``GANSCOPE_CACHE`` (default ``$XDG_CACHE_HOME/ganscope``, else ``~/.cache/ganscope``) holds one folder
per cache: ``directions/`` (``pipelines.directions_cache``) and ``grids/`` (``pipelines.grid_cache``).
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


@lru_cache(maxsize=256)
def _digest(path: str, size: int, mtime_ns: int, ctime_ns: int, inode: int) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            h.update(block)
    return h.hexdigest()


def file_sha256(path: str | os.PathLike) -> str:
    """sha256 of a file's bytes, remembered per (path, size, mtime, ctime, inode) so a page visit does not
    re-read it; any write or replacement changes the ctime (which no one can set back) or the inode."""
    st = os.stat(path)
    return _digest(str(Path(path).resolve()), st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)
