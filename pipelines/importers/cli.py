"""``ganscope-import SRC --out RUN_DIR``: turn a generator file trained elsewhere into a ganscope run."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import FORMATS, Hints, ImportFailed, import_generator


def _range(text: str) -> tuple[float, float]:
    try:
        lo, hi = (float(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not LOW,HIGH (e.g. -1,1)") from None
    if not lo < hi:
        raise argparse.ArgumentTypeError(f"{text!r}: LOW must be below HIGH")
    return lo, hi


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="ganscope-import",
        description="Open a generator trained elsewhere: " + "; ".join(FORMATS.values()) + ". The format is read from the file.",
    )
    p.add_argument("src", type=Path, help="the generator file")
    p.add_argument("--out", type=Path, help="the run folder to create (default: runs/NAME)")
    p.add_argument("--name", help="the run's name in the sidebar (default: the file's stem)")
    p.add_argument("--z-dim", type=int, help="latent size, only where the file does not fix it")
    p.add_argument("--image-size", type=int, help="side of square images, for flat outputs that are not a square")
    p.add_argument("--output-range", type=_range, help="LOW,HIGH of a linear (no tanh/sigmoid) output")
    p.add_argument("--latent", choices=("normal", "uniform"), default="normal", help="how the original code drew z")
    p.add_argument(
        "--batchnorm",
        choices=("running", "batch"),
        default="running",
        help="BatchNorm statistics by default: running (eval mode) or the batch's own (train mode, as pytorch/examples "
        "draws its samples); the dashboard can switch",
    )
    p.add_argument(
        "--dataset", default="none", help="what it was trained on (mnist, fashion-mnist, folder), for Diagnostics and evaluate"
    )
    p.add_argument("--data-dir", default="", help="where that data is (as ganscope-train's --data-dir)")
    return p


def _join_negative_ranges(argv: list[str]) -> list[str]:
    """``--output-range -1,1`` as ``--output-range=-1,1``: argparse would take ``-1,1`` for an option."""
    out = []
    for arg in argv:
        if out and out[-1] == "--output-range" and arg.startswith("-"):
            out[-1] = f"--output-range={arg}"
        else:
            out.append(arg)
    return out


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(_join_negative_ranges(list(sys.argv[1:] if argv is None else argv)))
    name = args.name or args.src.stem
    out = args.out or Path("runs") / name
    hints = Hints(
        z_dim=args.z_dim,
        image_size=args.image_size,
        name=name,
        output_range=args.output_range,
        latent=args.latent,
        batchnorm=args.batchnorm,
        dataset=args.dataset,
        data_dir=args.data_dir,
    )
    try:
        run, imp = import_generator(args.src, out, hints)
    except ImportFailed as e:
        print(f"ganscope-import: {e}", file=sys.stderr)
        return 2
    r = imp.record
    spec = imp.cfg.output
    print(f"imported {r.file} ({r.family}) into {run}")
    print(f"  z {imp.cfg.z_dim} ({args.latent}) -> {spec.kind} {'x'.join(map(str, spec.shape))} in {list(spec.value_range)}")
    print(f"  layout: {r.layout}; BatchNorm: {r.batchnorm}" + (f"; runs in {r.runtime}" if r.runtime else ""))
    print(f"  sha256 {r.sha256}")
    print(f"open it: streamlit run app/main.py (sidebar: {run.name})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
