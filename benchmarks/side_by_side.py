"""Two generator snapshots on the same seeds, side by side in one picture (for docs/recipes.md).

    python benchmarks/side_by_side.py OLD.safetensors NEW.safetensors docs/mnist-dcgan-old-vs-new.png \
        --titles "old: fd 68" "new: fd 18" --seeds 64
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from PIL import Image, ImageDraw  # noqa: E402

from app.render import generate, grid_u8, seed_latents  # noqa: E402
from models import load_generator  # noqa: E402


def grid(snapshot: Path, seeds: int, scale: int) -> Image.Image:
    """``seeds`` samples (seeds 0..n-1) as a square grid, each pixel ``scale`` times (the app's grid)."""
    G, _ = load_generator(snapshot)
    x = generate(G, seed_latents(G, range(seeds)))  # (N, C, H, W) in [0, 1]
    return Image.fromarray(grid_u8(x, nrow=math.ceil(math.sqrt(seeds)), scale=scale))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("old", type=Path)
    p.add_argument("new", type=Path)
    p.add_argument("out", type=Path)
    p.add_argument("--titles", nargs=2, default=("old", "new"))
    p.add_argument("--seeds", type=int, default=64)
    p.add_argument("--scale", type=int, default=2)
    args = p.parse_args(argv)
    a, b = grid(args.old, args.seeds, args.scale), grid(args.new, args.seeds, args.scale)
    pad, top = 16, 28
    out = Image.new("RGB", (a.width + b.width + 3 * pad, max(a.height, b.height) + top + pad), (255, 255, 255))
    draw = ImageDraw.Draw(out)
    for x, img, title in ((pad, a, args.titles[0]), (2 * pad + a.width, b, args.titles[1])):
        out.paste(img, (x, top))
        draw.text((x, 8), title, fill=(0, 0, 0))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    out.save(args.out)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
