"""What the benchmarks share to measure against a baseline in the same run: a module of this repository as
it was at a git ref, and the machine's load.

    from benchmarks.baseline import module_at, uptime
    old = module_at("8f9a4dc~1", "pipelines/directions.py", tmp)   # the file at that commit, imported
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]


def module_at(ref: str, path: str, tmp: Path) -> ModuleType:
    """``path`` (a file of this repository) as it was at git ``ref``, written to ``tmp`` and imported as
    ``baseline_<its stem>``; its own imports resolve against the current tree."""
    src = subprocess.run(["git", "-C", str(ROOT), "show", f"{ref}:{path}"], capture_output=True, text=True)
    src.check_returncode()
    name = f"baseline_{Path(path).stem}"
    file = tmp / f"{name}.py"
    file.write_text(src.stdout)
    spec = importlib.util.spec_from_file_location(name, file)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses look their module up there
    spec.loader.exec_module(mod)
    return mod


def uptime() -> str:
    """The machine's load, as ``uptime`` prints it (recorded before and after each run)."""
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
