"""Peak memory: training each preset for a few steps, and the dashboard with every shipped run loaded.

Each measurement runs in a fresh subprocess so one cannot inherit another's peak: peak resident
memory (VmHWM) of the process, and on CUDA the peak GPU memory PyTorch allocated. The
baseline row is a bare ``import torch`` process, so the difference is what training adds.

    python benchmarks/memory.py [--steps 20] [--device cpu|cuda] [--data ../shared/data]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# every child measures itself with this (VmHWM: this process's own peak; ru_maxrss would include the
# parent's, from before exec)
PEAK = """
def peak_mib():
    return next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM")) / 1024
"""

CHILD_TRAIN = """
import json, sys, tempfile, torch
sys.path.insert(0, {root!r})
from pipelines.presets import get_preset
from pipelines.train import train
torch.set_num_threads({threads})
cfg = get_preset({preset!r})
changes = dict(max_steps={steps}, eval_samples=0, state_every=10**9)
if cfg.dataset in ("mnist", "fashion-mnist"):
    changes["data_dir"] = {data!r} + "/" + cfg.dataset
elif cfg.dataset == "cifar10":  # not here offline: the same network on MNIST as 3x32x32
    changes.update(dataset="mnist", data_dir={data!r} + "/mnist")
elif cfg.dataset == "folder":
    changes["data_dir"] = {crops!r}
cfg = cfg.replace(**changes)
with tempfile.TemporaryDirectory() as tmp:
    train(cfg, tmp + "/run", device={device!r}, progress=False)
gpu = torch.cuda.max_memory_allocated() / 2**20 if torch.cuda.is_available() and {device!r} != "cpu" else 0.0
print(json.dumps({{"rss_mib": peak_mib(), "gpu_mib": gpu}}))
"""

CHILD_APP = """
import json, sys, torch
sys.path.insert(0, {root!r})
torch.set_num_threads({threads})
from streamlit.testing.v1 import AppTest
from app.state import discover_runs
from models import load_generator
from pipelines import runs
loaded = []
for run in discover_runs():
    for path, _ in runs.list_snapshots(run):
        loaded.append(load_generator(path))  # every snapshot of every shipped run, held at once
at = AppTest.from_file({root!r} + "/app/dashboard.py", default_timeout=120).run()
assert not at.exception, at.exception
print(json.dumps({{"rss_mib": peak_mib(), "generators": len(loaded)}}))
"""

CHILD_BASE = """
import json, torch
print(json.dumps({"rss_mib": peak_mib()}))
"""


def _child(code: str) -> dict:
    out = subprocess.run([sys.executable, "-c", PEAK + code], capture_output=True, text=True, cwd=ROOT, check=False)
    if out.returncode:
        return {"error": (out.stderr.strip().splitlines() or ["?"])[-1][:200]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--device", default="cpu")
    p.add_argument("--data", default=os.environ.get("GANSCOPE_SHARED_DATA", str(ROOT.parent / "shared" / "data")))
    p.add_argument("--presets", default="", help="comma-separated (default: all)")
    p.add_argument("--crops", help="a folder of face crops for the faces presets (default: crop ORL now)")
    p.add_argument("--threads", type=int, default=min(2, os.cpu_count() or 1))
    args = p.parse_args(argv)
    from pipelines.presets import PRESETS

    names = [n for n in (args.presets.split(",") if args.presets else PRESETS)]
    with tempfile.TemporaryDirectory() as tmp:
        crops = Path(args.crops or Path(tmp) / "crops")
        if not args.crops and any(PRESETS[n].make().dataset == "folder" for n in names):
            from pipelines.faces import crop_folder

            crop_folder(Path(args.data) / "faces" / "att_orl", crops, size=64, progress=False)
        base = _child(CHILD_BASE)
        print(f"{'what':<32} {'peak RSS MiB':>12} {'over torch':>10} {'GPU MiB':>8}")
        print(f"{'import torch (baseline)':<32} {base['rss_mib']:>12.0f} {0:>10.0f} {'':>8}")
        for name in names:
            code = CHILD_TRAIN.format(
                root=str(ROOT), preset=name, steps=args.steps, data=args.data, crops=str(crops), device=args.device,
                threads=args.threads,
            )  # fmt: skip
            r = _child(code)
            if "error" in r:
                print(f"train {name:<26} error: {r['error']}")
                continue
            gpu = f"{r['gpu_mib']:>8.0f}" if r["gpu_mib"] else f"{'-':>8}"
            print(f"train {name:<26} {r['rss_mib']:>12.0f} {r['rss_mib'] - base['rss_mib']:>10.0f} {gpu}", flush=True)
    r = _child(CHILD_APP.format(root=str(ROOT), threads=args.threads))
    if "error" in r:
        print(f"dashboard: error {r['error']}")
        return 1
    what = f"dashboard, all {r['generators']} snapshots"
    print(f"{what:<32} {r['rss_mib']:>12.0f} {r['rss_mib'] - base['rss_mib']:>10.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
