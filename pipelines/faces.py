"""``ganscope-crop-faces``: square face crops from a folder of ordinary photos, with MTCNN.

Every input file gets one row in ``OUT_DIR/manifest.jsonl`` (nothing is dropped silently):

- ``ok``: at least one face kept; ``outputs`` lists the crops written.
- ``no_face``: the detector found no face.
- ``too_small``: faces were found, but all are smaller than ``--min-face`` pixels (or the image is).
- ``unreadable``: zero bytes, truncated, or not an image at all (the reason says which).
- ``too_large``: more pixels than ``--max-pixels`` (Pillow's decompression-bomb guard).
- ``not_image``: the file name has no image extension; listed, not opened.

Photos are turned upright by their EXIF orientation; grayscale, CMYK, palette and alpha images
become RGB (transparency over white). MTCNN's weights ship in the facenet-pytorch wheel.
Re-running on the same folders skips files already in the manifest (an ``ok`` row whose crops
are missing is redone), so an interrupted job finishes where it stopped.
"""

from __future__ import annotations

import argparse
import io
import logging
import os
import struct
import sys
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError
from tqdm import tqdm

from .images import IMAGE_EXTENSIONS  # noqa: F401 - re-exported for the Project page's uploader
from .runs import append_jsonl, read_jsonl

log = logging.getLogger(__name__)

MANIFEST = "manifest.jsonl"
DEFAULT_MAX_PIXELS = 64_000_000
MIN_DETECT_SIDE = 20  # MTCNN's smallest pyramid level needs more than 12 px; smaller photos are too_small, not a crash


@dataclass
class CropRow:
    """One manifest row: what happened to one input file."""

    file: str  # path relative to the source folder
    status: str
    faces: int = 0
    boxes: list[list[float]] = field(default_factory=list)  # x0, y0, x1, y1 in the upright photo
    probs: list[float] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)  # paths relative to the output folder
    reason: str = ""


class FaceCropper:
    """MTCNN detection plus square cropping, usable on one photo (the projection page) or a folder."""

    def __init__(self, size: int = 64, margin: float = 0.2, min_face: int = 40, device: str | None = None):
        from facenet_pytorch import MTCNN  # weights ship inside the wheel; nothing is downloaded

        if size < 8:
            raise ValueError(f"crop size {size} is too small (at least 8)")
        if margin < 0:
            raise ValueError(f"margin {margin} must be >= 0")
        self.size, self.margin, self.min_face = size, margin, min_face
        self.device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
        # MTCNN looks for faces down to 20 px; smaller ones than min_face are reported as too_small
        self.mtcnn = MTCNN(keep_all=True, min_face_size=min(20, max(min_face, 12)), device=self.device)

    def detect(self, images: Sequence[Image.Image]) -> list[tuple[np.ndarray, np.ndarray]]:
        """(boxes N×4, probs N) per image, largest face first; N may be 0."""
        if not images:
            return []
        same_size = len({im.size for im in images}) == 1
        batches = [list(images)] if same_size and len(images) > 1 else [[im] for im in images]
        out = []
        for batch in batches:
            boxes, probs = self.mtcnn.detect(batch if len(batch) > 1 else batch[0])
            if len(batch) == 1:
                boxes, probs = [boxes], [probs]
            for b, p in zip(boxes, probs, strict=True):
                if b is None:
                    out.append((np.zeros((0, 4)), np.zeros(0)))
                else:
                    b = np.asarray(b, dtype=np.float64)
                    order = np.argsort(-(b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1]), kind="stable")
                    out.append((b[order], np.asarray(p, dtype=np.float64)[order]))
        return out

    def crop(self, image: Image.Image, box: Sequence[float]) -> Image.Image:
        """A square around the box, grown by ``margin`` of its larger side, moved inside the photo
        (the margin shrinks to fit, padded black only where the face itself reaches the edge),
        resized to ``size``×``size``."""
        x0, y0, x1, y1 = (float(v) for v in box)
        face = max(x1 - x0, y1 - y0)
        # the margin shrinks (never below the face box) rather than run past the photo's edge
        side = max(face, min(face * (1 + self.margin), image.width, image.height))
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        s = max(1, round(side))
        left, top = round(cx - side / 2), round(cy - side / 2)
        if s <= image.width:  # slide the square back inside the photo rather than pad, when it fits
            left = min(max(left, 0), image.width - s)
        if s <= image.height:
            top = min(max(top, 0), image.height - s)
        square = Image.new("RGB", (s, s))
        square.paste(image.crop((max(left, 0), max(top, 0), min(left + s, image.width), min(top + s, image.height))),
                     (max(-left, 0), max(-top, 0)))  # fmt: skip
        return square.resize((self.size, self.size), Image.Resampling.LANCZOS)

    def faces(self, image: Image.Image, keep: str = "largest") -> tuple[str, list, list, list[Image.Image]]:
        """(status, boxes, probs, crops) for one upright RGB photo; a photo under ``min_face`` (or under
        ``MIN_DETECT_SIDE``) pixels on a side is ``too_small`` without running the detector."""
        if min(image.size) < max(self.min_face, MIN_DETECT_SIDE):
            return "too_small", [], [], []
        return self._faces(image, self.detect([image])[0], keep)

    def _faces(self, image, found, keep):
        boxes, probs = found
        if len(boxes) == 0:
            return "no_face", [], [], []
        sizes = np.minimum(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1])
        big = sizes >= self.min_face
        if not big.any():
            return "too_small", boxes.round(1).tolist(), probs.round(4).tolist(), []
        boxes, probs = boxes[big], probs[big]
        if keep == "largest":
            boxes, probs = boxes[:1], probs[:1]
        return "ok", boxes.round(1).tolist(), probs.round(4).tolist(), [self.crop(image, b) for b in boxes]


class PhotoError(ValueError):
    """A photo that cannot be used: ``status`` is its crop status (``too_large`` or ``unreadable``), ``reason``
    the sentence that says why; ``str(e)`` is ``"status: reason"``."""

    def __init__(self, status: str, reason: str):
        super().__init__(f"{status}: {reason}")
        self.status, self.reason = status, reason


def open_photo(path: str | Path | bytes, max_pixels: int = DEFAULT_MAX_PIXELS) -> Image.Image:
    """An upright RGB image from a file (or its bytes, as uploaded), or an error saying why not.

    Raises:
        PhotoError: status ``too_large`` for more than ``max_pixels``; ``unreadable`` otherwise.
    """
    if isinstance(path, bytes):
        size, path = len(path), io.BytesIO(path)
    else:
        path = Path(path)
        size = path.stat().st_size
    if size == 0:
        raise PhotoError("unreadable", "the file is empty (0 bytes)")
    old_max, old_trunc = Image.MAX_IMAGE_PIXELS, ImageFile.LOAD_TRUNCATED_IMAGES
    Image.MAX_IMAGE_PIXELS, ImageFile.LOAD_TRUNCATED_IMAGES = max_pixels, False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as im:
                if im.width * im.height > max_pixels:
                    raise Image.DecompressionBombError(f"{im.width}x{im.height}")
                im.load()
                im = ImageOps.exif_transpose(im)
                return _to_rgb(im)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
        raise PhotoError("too_large", f"over {max_pixels:,} pixels ({e})") from None
    except UnidentifiedImageError:
        raise PhotoError("unreadable", "not an image Pillow can read") from None
    except (OSError, SyntaxError, struct.error) as e:
        raise PhotoError("unreadable", str(e)) from None
    finally:
        Image.MAX_IMAGE_PIXELS, ImageFile.LOAD_TRUNCATED_IMAGES = old_max, old_trunc


def _to_rgb(im: Image.Image) -> Image.Image:
    if im.mode in ("I", "I;16", "I;16B", "I;16L", "F"):  # 16-bit or float grayscale: scale to 8 bits
        a = np.asarray(im, dtype=np.float64)
        hi = a.max() if a.size else 1.0
        im = Image.fromarray((a / (hi or 1.0) * 255).clip(0, 255).astype(np.uint8))
    if im.mode == "P" and "transparency" in im.info:
        im = im.convert("RGBA")
    if im.mode in ("RGBA", "LA", "PA"):
        rgba = im.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    return im.convert("RGB")


def _walk(src: Path) -> Iterator[Path]:
    seen: set[str] = set()
    for root, dirs, files in os.walk(src, followlinks=True):
        real = os.path.realpath(root)
        if real in seen:  # a link back up the tree
            dirs.clear()
            continue
        seen.add(real)
        dirs.sort()
        for f in sorted(files):
            if not f.startswith("."):
                yield Path(root) / f


def read_manifest(out_dir: str | Path) -> dict[str, CropRow]:
    """The manifest's rows by input file (the last row of a file wins)."""
    return {d["file"]: CropRow(**d) for d in read_jsonl(Path(out_dir) / MANIFEST)}


def crop_folder(
    src: str | Path,
    out_dir: str | Path,
    size: int = 64,
    margin: float = 0.2,
    min_face: int = 40,
    keep: str = "largest",
    max_pixels: int = DEFAULT_MAX_PIXELS,
    batch_size: int = 16,
    device: str | None = None,
    progress: bool = True,
) -> dict[str, CropRow]:
    """Crop every photo under ``src`` into ``out_dir`` (see the module doc); returns all rows."""
    src, out_dir = Path(src), Path(out_dir)
    if not src.is_dir():
        raise FileNotFoundError(f"{src} is not a folder")
    if keep not in ("largest", "all"):
        raise ValueError(f"keep must be 'largest' or 'all', not {keep!r}")
    out_dir.mkdir(parents=True, exist_ok=True)
    done = read_manifest(out_dir)
    manifest = out_dir / MANIFEST
    files = list(_walk(src))
    todo = []
    for p in files:
        rel = p.relative_to(src).as_posix()
        row = done.get(rel)
        if row is not None and all((out_dir / o).exists() for o in row.outputs):
            continue
        todo.append((p, rel))
    cropper = None
    found = sum(r.faces for r in done.values())
    bar = tqdm(total=len(files), initial=len(files) - len(todo), disable=not progress, unit="file", dynamic_ncols=True)

    def record(row: CropRow) -> None:
        nonlocal found
        found += row.faces
        done[row.file] = row
        append_jsonl(manifest, asdict(row))
        bar.update(1)
        bar.set_postfix(faces=found, refresh=False)

    pending: list[tuple[str, Image.Image]] = []

    def flush() -> None:
        nonlocal cropper
        if not pending:
            return
        cropper = cropper or FaceCropper(size, margin, min_face, device)
        for (rel, image), result in zip(pending, cropper.detect([im for _, im in pending]), strict=True):
            status, boxes, probs, crops = cropper._faces(image, result, keep)
            outputs = []
            for i, crop in enumerate(crops):
                name = Path(rel).with_suffix("").as_posix().replace("/", "__") + f"_{i}.png"
                crop.save(out_dir / name)
                outputs.append(name)
            record(CropRow(rel, status, len(boxes), boxes, probs, outputs))
        pending.clear()

    try:
        for path, rel in todo:
            if path.suffix.lower() not in IMAGE_EXTENSIONS:
                record(CropRow(rel, "not_image", reason=f"extension {path.suffix or '(none)'!r} is not an image type"))
                continue
            try:
                image = open_photo(path, max_pixels)
            except PhotoError as e:
                record(CropRow(rel, e.status, reason=e.reason))
                continue
            if min(image.size) < max(min_face, MIN_DETECT_SIDE):
                reason = f"the photo is {image.width}x{image.height}, under --min-face {max(min_face, MIN_DETECT_SIDE)}"
                record(CropRow(rel, "too_small", reason=reason))
                continue
            if pending and (image.size != pending[0][1].size or len(pending) >= batch_size):
                flush()
            pending.append((rel, image))
        flush()
    finally:
        bar.close()
    return done


def summary(rows: dict[str, CropRow]) -> dict[str, int]:
    """Files per status, plus the number of crops written."""
    counts: dict[str, int] = {}
    for r in rows.values():
        counts[r.status] = counts.get(r.status, 0) + 1
    counts["crops"] = sum(len(r.outputs) for r in rows.values())
    return counts


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="ganscope-crop-faces", description="Square MTCNN face crops from a photo folder.")
    p.add_argument("src", help="folder of photos (searched recursively)")
    p.add_argument("out", help="output folder for the crops and manifest.jsonl")
    p.add_argument("--size", type=int, default=64, help="crop side in pixels (64; 80 for Brownlee's CelebA setup)")
    p.add_argument("--margin", type=float, default=0.2, help="extra border as a fraction of the face box (0.2)")
    p.add_argument("--min-face", type=int, default=40, help="smallest face side in pixels to keep (40)")
    p.add_argument("--keep", choices=("largest", "all"), default="largest", help="one crop per photo, or every face")
    p.add_argument("--max-pixels", type=int, default=DEFAULT_MAX_PIXELS, help="larger photos are listed as too_large")
    p.add_argument("--batch-size", type=int, default=16, help="photos of one size detected together (GPU)")
    p.add_argument("--device", help="cpu or cuda (default: cuda when present)")
    p.add_argument("--no-progress", action="store_true")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        rows = crop_folder(
            args.src, args.out, args.size, args.margin, args.min_face, args.keep, args.max_pixels,
            args.batch_size, args.device, progress=not args.no_progress,
        )  # fmt: skip
    except (FileNotFoundError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    counts = summary(rows)
    print(" ".join(f"{k} {v}" for k, v in sorted(counts.items())), f"-> {Path(args.out) / MANIFEST}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
