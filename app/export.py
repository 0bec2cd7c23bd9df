"""Export formats: PNG with provenance metadata, ZIP of a batch, GIF and MP4 of frames, latents.

Pure functions from arrays to bytes. Every PNG carries where it came from (the run's name, the
snapshot's step, seed and/or latent; never this machine's paths: ``portable``) as PNG text
chunks, and ``read_png_provenance`` gets it back, so a PNG dropped into the dashboard restores its
latent (finding the run among the open ones by its name).
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Sequence
from pathlib import PurePath

import numpy as np
from PIL import Image, PngImagePlugin

PROVENANCE_KEY = "ganscope"
_STEP = re.compile(r"step-(\d+)")


def portable(provenance: dict) -> dict:
    """Provenance without this machine's paths: ``run`` becomes the run's name and ``snapshot`` its step
    (``step``); a restore finds the run among the open ones by that name (a file written elsewhere names
    folders that do not exist here, and says where the exporter keeps its files)."""
    out = dict(provenance)
    run, snap = out.get("run"), out.pop("snapshot", None)
    if isinstance(run, str) and run.endswith(".safetensors"):  # a page that records the snapshot as the run
        run, snap = str(PurePath(run).parent.parent), snap or run
    if isinstance(run, str) and run:
        out["run"] = PurePath(run).name
    if isinstance(snap, str) and "step" not in out:
        m = _STEP.search(PurePath(snap).name)
        if m:
            out["step"] = int(m.group(1))
    return out


def png_bytes(image: np.ndarray, provenance: dict | None = None) -> bytes:
    """Encode a uint8 (H, W) / (H, W, 1|3) image as PNG with ``provenance`` in a text chunk."""
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    info = PngImagePlugin.PngInfo()
    if provenance:
        info.add_text(PROVENANCE_KEY, json.dumps(portable(provenance)))
    buf = io.BytesIO()
    Image.fromarray(image).save(buf, format="PNG", pnginfo=info)
    return buf.getvalue()


def read_png_provenance(data: bytes) -> dict | None:
    """The provenance dict stored by ``png_bytes``, or None for a PNG without one.

    Raises ValueError for data that is not a readable image.
    """
    try:
        with Image.open(io.BytesIO(data)) as im:
            im.load()
            text = getattr(im, "text", {}) or {}
            fmt = im.format
    except Exception:  # noqa: BLE001 - any decoder failure means "not an image"
        raise ValueError("it is not an image that can be read (perhaps another kind of file renamed .png)") from None
    if fmt != "PNG":
        raise ValueError(f"it is a {fmt} image, not a PNG; ganscope keeps latents only in the PNGs it exports")
    raw = text.get(PROVENANCE_KEY)
    if raw is None:
        return None
    try:
        prov = json.loads(raw)
    except json.JSONDecodeError:
        return None
    return prov if isinstance(prov, dict) else None


def latents_from_png(data: bytes, z_dim: int | None = None) -> tuple[dict, list[list[float]]]:
    """(provenance, latent vectors) of a PNG exported by ganscope, checked before anything is restored.

    Raises ValueError with a sentence a user can act on: not a PNG, no ganscope latent, a latent that is
    not a list of numbers, or one whose length does not fit ``z_dim`` (this run's z size).
    """
    prov = read_png_provenance(data)
    if not prov or ("z" not in prov and "latents" not in prov):
        raise ValueError("it carries no ganscope latent: only PNGs exported by ganscope can be restored")
    vectors = [prov["z"]] if "z" in prov else prov["latents"]
    if not isinstance(vectors, list) or not vectors:
        raise ValueError("its ganscope chunk holds no latent vectors")
    out = []
    for v in vectors:
        ok = isinstance(v, list) and v and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in v)
        if not ok or not np.isfinite(np.asarray(v, dtype=np.float64)).all():
            raise ValueError(f"its ganscope chunk holds a latent that is not a list of finite numbers ({str(v)[:40]!r})")
        if z_dim is not None and len(v) != z_dim:
            raise ValueError(
                f"its latent has {len(v)} numbers but this run's z size is {z_dim}, so it does not fit this run; "
                f"pick a run with z size {len(v)} and drop it again"
            )
        out.append([float(x) for x in v])
    return prov, out


def zip_bytes(images: Sequence[np.ndarray], provenances: Sequence[dict], stem: str = "sample") -> bytes:
    """A ZIP of PNGs (each with its provenance) plus ``latents.json`` listing them."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for i, (img, prov) in enumerate(zip(images, provenances, strict=True)):
            zf.writestr(f"{stem}-{i:03d}.png", png_bytes(img, prov))
        zf.writestr("latents.json", json.dumps([portable(p) for p in provenances], indent=1))
    return buf.getvalue()


def gif_bytes(frames: Sequence[np.ndarray], fps: float = 12.0, loop: bool = True) -> bytes:
    """An animated GIF of uint8 frames."""
    ims = [Image.fromarray(f[:, :, 0] if f.ndim == 3 and f.shape[2] == 1 else f) for f in frames]
    buf = io.BytesIO()
    ims[0].save(
        buf, format="GIF", save_all=True, append_images=ims[1:], duration=int(1000 / fps), loop=0 if loop else 1, optimize=False
    )
    return buf.getvalue()


def mp4_bytes(frames: Sequence[np.ndarray], fps: float = 12.0) -> bytes | None:
    """An H.264 MP4 of the frames through PyAV when it is installed; None otherwise."""
    try:
        import av  # optional: pip install av
    except ImportError:
        return None
    buf = io.BytesIO()
    with av.open(buf, mode="w", format="mp4") as container:
        h, w = frames[0].shape[:2]
        stream = container.add_stream("libx264", rate=int(fps))
        stream.width, stream.height = w + w % 2, h + h % 2
        stream.pix_fmt = "yuv420p"
        for f in frames:
            rgb = np.repeat(f, 3, axis=2) if f.ndim == 3 and f.shape[2] == 1 else f
            rgb = np.pad(rgb, ((0, h % 2), (0, w % 2), (0, 0)))
            for packet in stream.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return buf.getvalue()


def npy_bytes(latents: np.ndarray) -> bytes:
    """Latents as a ``.npy`` file (load with ``np.load``)."""
    buf = io.BytesIO()
    np.save(buf, np.asarray(latents, dtype=np.float32), allow_pickle=False)
    return buf.getvalue()


def latents_json(latents: np.ndarray, provenance: dict) -> bytes:
    """Latents with where they came from, as JSON."""
    return json.dumps({**portable(provenance), "latents": np.asarray(latents, dtype=np.float32).tolist()}).encode()
