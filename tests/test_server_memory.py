"""The dashboard server caps glibc's malloc arenas (app/server_memory.py): Lab trainer threads, one per
Play, share two heaps instead of each growing its own (about 110 MB less for the first lab, measured by
benchmarks/lab_speed.py)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from app import server_memory
from app.state import ROOT

PLAY_FOUR_LABS = """
import sys, time
{setup}
from app import server_memory
from pipelines.lab.engine import LabSession
from pipelines.lab.runner import LabRunner
from pipelines.lab.settings import LabSettings

runners = [LabRunner(LabSession(LabSettings())) for _ in range(4)]
for _ in range(2):  # Play, Pause, Play again: a new trainer thread each time
    for r in runners:
        assert r.play() is None
    time.sleep(1.5)
    for r in runners:
        r.pause()
print(server_memory.heaps())
"""

pytestmark = pytest.mark.skipif(server_memory.heaps() is None, reason="glibc's malloc_info is not here")


def _heaps_after_four_labs(setup: str) -> int:
    out = subprocess.run(
        [sys.executable, "-c", PLAY_FOUR_LABS.format(setup=setup)], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr
    return int(out.stdout.split()[-1])


def test_the_dashboard_server_keeps_lab_trainers_to_two_malloc_arenas():
    assert _heaps_after_four_labs(f"sys.path.insert(0, {str(ROOT)!r}); import app.main") <= server_memory.ARENAS


def test_without_the_cap_lab_trainers_grow_arenas_of_their_own():
    """The measure above can fail: the same four labs without the cap hold more heaps than two."""
    assert _heaps_after_four_labs("") > server_memory.ARENAS
