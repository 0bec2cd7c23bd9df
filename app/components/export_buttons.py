"""Download buttons for what a page shows: PNG, ZIP, GIF/MP4 and latents.

The files are made when a button is clicked (Streamlit calls the ``functools.partial`` it was given),
not on every run of the page: encoding the PNGs of a 64-sample ZIP took 0.3 s of each first visit.
Every download button in the app is drawn by ``download``, which does not rerun the page on a click.
"""

from __future__ import annotations

from functools import partial

import numpy as np
import streamlit as st

from app import export
from app.components.latents import PickedLatent
from app.components.samples_view import grid_image
from models import OutputSpec
from pipelines.images import images_u8


def provenance(entry_or_seed, z: np.ndarray, extra: dict | None = None) -> dict:
    """What a PNG records: run, snapshot, seed (when there is one), label and the latent itself."""
    base = {"run": st.session_state.get("run_dir"), "snapshot": st.session_state.get("snapshot")}
    if isinstance(entry_or_seed, PickedLatent):
        base.update({k: getattr(entry_or_seed, k) for k in ("seed", "label", "name") if getattr(entry_or_seed, k) is not None})
    elif entry_or_seed is not None:
        base["seed"] = int(entry_or_seed)
    base["z"] = [round(float(v), 6) for v in np.asarray(z).ravel()]
    return {**base, **(extra or {})}


def download(label: str, data, file_name: str, mime: str, key: str, where=st) -> None:
    """A download button in ``where`` (``st``, a column, the sidebar) whose click does not rerun the page: a
    rerun drops the other buttons' deferred files, so a quick second click used to get nothing."""
    where.download_button(label, data, file_name, mime, key=key, on_click="ignore")


def export_row(
    samples: np.ndarray,
    spec: OutputSpec,
    latents: np.ndarray,
    provs: list[dict],
    key: str,
    grid: np.ndarray | None = None,
    stem: str = "ganscope",
    nrow: int = 8,
) -> None:
    """Buttons: grid PNG, ZIP of every sample, latents as .npy and .json.

    ``grid``: the grid image already shown, if any; otherwise image samples are laid out ``nrow`` a row.
    """
    cols = st.columns(4)
    if grid is None and spec.kind == "image":
        grid = grid_image(samples, spec, nrow)
    run_prov = {k: provs[0].get(k) for k in ("run", "snapshot")} if provs else {}
    if grid is not None:
        download(
            "Grid PNG",
            partial(export.png_bytes, grid, {**run_prov, "latents": [p["z"] for p in provs]}),
            f"{stem}-grid.png",
            "image/png",
            key=f"{key}_grid",
            where=cols[0],
        )
    if spec.kind == "image":
        download(
            "ZIP of PNGs",
            partial(_zip_of_samples, samples, provs, stem),
            f"{stem}.zip",
            "application/zip",
            key=f"{key}_zip",
            where=cols[1],
        )
    download(
        "Latents .npy",
        partial(export.npy_bytes, latents),
        f"{stem}-latents.npy",
        "application/octet-stream",
        key=f"{key}_npy",
        where=cols[2],
    )
    download(
        "Latents .json",
        partial(export.latents_json, latents, run_prov),
        f"{stem}-latents.json",
        "application/json",
        key=f"{key}_json",
        where=cols[3],
    )


def single_png(sample: np.ndarray, spec: OutputSpec, prov: dict, key: str, scale: int = 1) -> None:
    if spec.kind != "image":
        return
    download(
        "PNG",
        partial(_single_png, sample, prov, scale),
        f"ganscope-{prov.get('name', 'sample')}.png".replace(" ", "_"),
        "image/png",
        key=f"{key}_png",
    )


def _zip_of_samples(samples: np.ndarray, provs: list[dict], stem: str) -> bytes:
    """A ZIP of one PNG per sample, each carrying its provenance."""
    return export.zip_bytes(list(images_u8(samples)), provs, stem)


def _single_png(sample: np.ndarray, prov: dict, scale: int) -> bytes:
    """One sample as a PNG, each pixel repeated ``scale`` times, with its provenance."""
    img = images_u8(sample[None])[0]
    if scale > 1:
        img = img.repeat(scale, 0).repeat(scale, 1)
    return export.png_bytes(img, prov)
