"""The dashboard server's memory: at most two glibc malloc arenas.

glibc gives each new thread that meets a busy arena one of its own (up to 8 per core), each a heap that
grows to what its thread once held and keeps it. A Lab's trainer is a new thread on every Play, so on a
2-core server one lab playing 15 s grew the process by about 110 MB more with the default than with two
arenas (`benchmarks/lab_speed.py`, ``MALLOC_ARENA_MAX=2`` against none: +109 MB against +222 MB for the
first lab). ``mallopt(M_ARENA_MAX, 2)`` at server start is ``MALLOC_ARENA_MAX=2`` without asking each user
to set it; a ``MALLOC_ARENA_MAX`` set in the environment wins (the benchmark sets glibc's default that way
for its baseline). Elsewhere than glibc (macOS, musl) it does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import tempfile

M_ARENA_MAX = -8  # from glibc's malloc.h
ARENAS = 2


def _libc():
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
    except OSError:
        return None
    return libc if libc is not None and hasattr(libc, "mallopt") and hasattr(libc, "malloc_info") else None


def limit_arenas(n: int = ARENAS) -> bool:
    """Cap glibc's malloc arenas at ``n`` for threads that start from now on; False where it cannot or
    where ``MALLOC_ARENA_MAX`` is set (glibc has read it)."""
    if os.environ.get("MALLOC_ARENA_MAX"):
        return False
    libc = _libc()
    return bool(libc is not None and libc.mallopt(M_ARENA_MAX, n) == 1)


def heaps() -> int | None:
    """How many malloc arenas (heaps) this process holds now, from glibc's ``malloc_info``; None off glibc."""
    libc = _libc()
    if libc is None:
        return None
    libc.fopen.restype = ctypes.c_void_p
    fd, path = tempfile.mkstemp(suffix=".xml")
    os.close(fd)
    try:
        fp = libc.fopen(path.encode(), b"w")
        libc.malloc_info(0, ctypes.c_void_p(fp))
        libc.fclose(ctypes.c_void_p(fp))
        with open(path) as f:
            return f.read().count("<heap nr=")
    finally:
        os.unlink(path)
