"""Dashboard rendering speed on the CPU, against a naive baseline measured in the same run.

Measures on the shipped DCGAN runs: a 64-image grid, a 32-frame slerp interpolation, a snapshot
switch (load + first grid), and the app's cold start to its first grid (a fresh Python process
running the real app through Streamlit's AppTest). The baseline renders the same images the
textbook way: one image per forward pass, autograd on, default thread settings.

    python benchmarks/render_speed.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.render import generate, grid_u8, sample_grid, seed_latents  # noqa: E402
from models import load_generator  # noqa: E402
from models.latent import slerp  # noqa: E402
from pipelines import runs  # noqa: E402


def timed(fn, repeats: int) -> float:
    """Median wall time of ``fn`` over ``repeats`` runs, after one warm-up."""
    fn()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def naive_grid(G, seeds) -> None:
    imgs = [G(seed_latents(G, [s])) for s in seeds]  # one forward per image, autograd on
    grid_u8(((torch.cat(imgs).detach() + 1) / 2).clamp(0, 1), nrow=8)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--repeats", type=int, default=5)
    args = p.parse_args()
    run = ROOT / "checkpoints" / "mnist-dcgan"
    snaps = [s for s, _ in runs.list_snapshots(run)]
    G, _ = load_generator(snaps[-1])
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, run {run.name}")
    rows = []

    t_ours = timed(lambda: sample_grid(G, range(64), nrow=8), args.repeats)
    t_base = timed(lambda: naive_grid(G, range(64)), args.repeats)
    rows.append(("64-image grid", t_ours, t_base, 0.3))

    a, b = seed_latents(G, [0, 1])
    frames = slerp(a, b, torch.linspace(0, 1, 32))
    t_ours = timed(lambda: generate(G, frames), args.repeats)
    t_base = timed(lambda: [G(f[None]) for f in frames], args.repeats)
    rows.append(("32-frame interpolation", t_ours, t_base, 0.5))

    def switch(i=[0]):  # noqa: B006 - alternate between two snapshots
        i[0] += 1
        G2, _ = load_generator(snaps[i[0] % 2])
        sample_grid(G2, range(64), nrow=8)

    def switch_base(i=[0]):  # noqa: B006
        i[0] += 1
        G2, _ = load_generator(snaps[i[0] % 2])
        naive_grid(G2, range(64))

    rows.append(("snapshot switch (load + grid)", timed(switch, args.repeats), timed(switch_base, args.repeats), 1.0))

    cold = (
        "import time; t=time.perf_counter();"
        "from streamlit.testing.v1 import AppTest;"
        f"at=AppTest.from_file({str(ROOT / 'app' / 'dashboard.py')!r}, default_timeout=120); at.run();"
        "assert len(at.get('image'))>0 and not at.exception;"
        "print(time.perf_counter()-t)"
    )
    colds = [
        float(
            subprocess.run([sys.executable, "-c", cold], capture_output=True, text=True, check=True, cwd=ROOT)
            .stdout.strip()
            .splitlines()[-1]
        )
        for _ in range(max(1, args.repeats // 2))
    ]
    rows.append(("app cold start to first grid", statistics.median(colds), float("nan"), 5.0))

    print(f"{'what':32} {'ganscope':>10} {'naive':>10} {'speed-up':>9} {'target':>8}")
    for name, ours, base, target in rows:
        ok = "ok" if ours < target else "SLOW"
        base_s = f"{base * 1000:8.1f}ms" if base == base else f"{'-':>10}"
        ratio = f"{base / ours:8.1f}x" if base == base else f"{'-':>9}"
        print(f"{name:32} {ours * 1000:8.1f}ms {base_s} {ratio} {target:6.1f}s {ok}")


if __name__ == "__main__":
    main()
