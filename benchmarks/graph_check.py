"""Does the captured CUDA graph replay the eager step exactly? (needs a GPU)

Trains each case 300 steps twice from the same seed, once replaying one CUDA graph per step and once
eagerly, and prints the last log record's losses and the largest weight difference (the EMA generator
when EMA is on). Results: ``benchmarks/results/h100-graph-check.txt``.

    python benchmarks/graph_check.py [MNIST_DIR]
"""

from __future__ import annotations

import sys
import tempfile
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from models import DCGANConfig  # noqa: E402
from pipelines import runs  # noqa: E402
from pipelines.data import load_dataset  # noqa: E402
from pipelines.presets import get_preset  # noqa: E402
from pipelines.train import train  # noqa: E402

SMALL = DCGANConfig(image_size=28, channels=1, ngf=64, ndf=64)
SHORT = dict(max_steps=300, log_every=100, state_every=100, eval_samples=16)
CASES = {
    "mnist-cgan": get_preset("mnist-cgan").replace(**SHORT),
    "dcgan+ema+aug+r1": get_preset("mnist-dcgan").replace(
        **SHORT, model=SMALL, ema_kimg=2.0, augment="translation,cutout,color", r1_gamma=0.2
    ),
    "dcgan+hinge+sn": get_preset("mnist-dcgan").replace(**SHORT, model=SMALL, loss="hinge", spectral_norm=True, r1_gamma=0.0),
}


def main() -> int:
    warnings.simplefilter("ignore")
    mnist = sys.argv[1] if len(sys.argv) > 1 else str(ROOT.parent / "shared" / "data" / "mnist")
    data = load_dataset("mnist", mnist, image_size=28, channels=1, limit=8192)
    for name, cfg in CASES.items():
        out = {}
        for graphs in (True, False):
            run = Path(tempfile.mkdtemp()) / "r"
            train(cfg, run, device="cuda", progress=False, data=data, cuda_graphs=graphs)
            state = torch.load(run / runs.STATE, weights_only=True)
            out[graphs] = (runs.read_log(run)[-1], state.get("G_ema", state["G"]))
        (ra, ga), (rb, gb) = out[True], out[False]
        diff = max(float((ga[k].float() - gb[k].float()).abs().max()) for k in ga if ga[k].is_floating_point())
        print(
            f"{name}: graph d_real {ra['d_loss_real']:.6f} g {ra['g_loss']:.6f} | "
            f"eager d_real {rb['d_loss_real']:.6f} g {rb['g_loss']:.6f} | max |w_graph - w_eager| {diff:.3g}",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
