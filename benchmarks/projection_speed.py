"""Project a photo: time and PSNR of ours against a baseline projection, in one run.

The photos are real ORL photos (``../shared/data/faces/att_orl``), cropped by MTCNN as the page
crops them; the generator is the shipped ``faces-orl`` run (or ``--run``). The baseline is
``pipelines/project.py`` of a git ref (default ``main``: 200 constant-step Adam steps on 4 random
restarts), loaded from ``git show`` beside ours; both run with their own defaults, photo by photo
in turn, with the dashboard's thread count. Prints and writes to benchmarks/results/ the median
wall time per photo, the PSNR (mean and worst) and the ratio, with the machine's load.

    python benchmarks/projection_speed.py [--photos 6] [--baseline-ref main] [--run checkpoints/faces-orl]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch
import torchvision.transforms.functional as TF

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.state import fit_threads  # noqa: E402
from benchmarks.baseline import module_at, uptime  # noqa: E402
from models import load_generator  # noqa: E402
from pipelines.faces import FaceCropper, open_photo  # noqa: E402
from pipelines.project import project  # noqa: E402

SHARED = Path(os.environ.get("GANSCOPE_SHARED_DATA", ROOT.parent / "shared" / "data"))
# one photo from every few subjects, spread over the 40
PHOTOS = ["s12/5.pgm", "s7/4.pgm", "s9/2.pgm", "s1/1.pgm", "s20/3.pgm", "s33/7.pgm", "s40/10.pgm", "s25/6.pgm"]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--photos", type=int, default=6)
    p.add_argument("--baseline-ref", default="main")
    p.add_argument("--run", type=Path, default=ROOT / "checkpoints" / "faces-orl")
    p.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "cpu-projection-speed")
    args = p.parse_args()
    threads = fit_threads()
    G, _ = load_generator(args.run)
    lo, hi = G.output.value_range
    cropper = FaceCropper(G.output.shape[-1])
    load_before = uptime()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        fns = {"baseline": module_at(args.baseline_ref, "pipelines/project.py", Path(tmp)).project, "ganscope": project}
        for name in PHOTOS[: args.photos]:
            status, _, _, crops = cropper.faces(open_photo(SHARED / "faces" / "att_orl" / name))
            if status != "ok":
                raise SystemExit(f"{name}: {status}")
            target = G.output.from_unit(TF.to_tensor(crops[0].convert("L" if G.output.shape[0] == 1 else "RGB")))
            row = {"photo": name}
            for which, fn in fns.items():
                t = time.perf_counter()
                r = fn(G, target, seed=0)
                row[f"{which}_s"] = time.perf_counter() - t
                row[f"{which}_psnr"] = 10 * math.log10((hi - lo) ** 2 / r.mse)
            rows.append(row)
            print("  ".join(f"{k} {v:.2f}" if isinstance(v, float) else f"{k} {v}" for k, v in row.items()), flush=True)
    load_after = uptime()
    med = {w: statistics.median(r[f"{w}_s"] for r in rows) for w in fns}
    mean_psnr = {w: statistics.mean(r[f"{w}_psnr"] for r in rows) for w in fns}
    worst = {w: min(r[f"{w}_psnr"] for r in rows) for w in fns}
    lines = [
        f"projection of {len(rows)} ORL photos onto {args.run.name}, torch {torch.__version__}, {threads} threads, CPU",
        f"baseline: pipelines/project.py at git {args.baseline_ref}, its defaults; ganscope: this tree, its defaults",
        f"load before: {load_before}",
        f"load after:  {load_after}",
        f"{'what':24} {'ganscope':>9} {'baseline':>9} {'ratio':>7}",
        f"{'median time per photo':24} {med['ganscope']:8.2f}s {med['baseline']:8.2f}s {med['baseline'] / med['ganscope']:6.1f}x",
        f"{'mean PSNR':24} {mean_psnr['ganscope']:7.2f}dB {mean_psnr['baseline']:7.2f}dB",
        f"{'worst PSNR':24} {worst['ganscope']:7.2f}dB {worst['baseline']:7.2f}dB",
    ]
    print("\n".join(lines))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".txt").write_text("\n".join(lines) + "\n")
    args.out.with_suffix(".json").write_text(
        json.dumps({"rows": rows, "load_before": load_before, "load_after": load_after}, indent=1) + "\n"
    )


if __name__ == "__main__":
    main()
