"""Download buttons for what a page shows: PNG, ZIP, GIF/MP4 and latents."""

from __future__ import annotations

import numpy as np
import streamlit as st

from app import export
from app.components.samples_view import grid_image
from app.render import images_u8
from models import OutputSpec


def provenance(entry_or_seed, z: np.ndarray, extra: dict | None = None) -> dict:
    """What a PNG records: run, snapshot, seed (when there is one), label and the latent itself."""
    base = {"run": st.session_state.get("run_dir"), "snapshot": st.session_state.get("snapshot")}
    if isinstance(entry_or_seed, dict):
        base.update({k: entry_or_seed.get(k) for k in ("seed", "label", "name") if entry_or_seed.get(k) is not None})
    elif entry_or_seed is not None:
        base["seed"] = int(entry_or_seed)
    base["z"] = [round(float(v), 6) for v in np.asarray(z).ravel()]
    return {**base, **(extra or {})}


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
        cols[0].download_button(
            "Grid PNG",
            export.png_bytes(grid, {**run_prov, "latents": [p["z"] for p in provs]}),
            f"{stem}-grid.png",
            "image/png",
            key=f"{key}_grid",
        )
    if spec.kind == "image":
        cols[1].download_button(
            "ZIP of PNGs",
            export.zip_bytes(list(images_u8(_t(samples))), provs, stem),
            f"{stem}.zip",
            "application/zip",
            key=f"{key}_zip",
        )
    cols[2].download_button(
        "Latents .npy", export.npy_bytes(latents), f"{stem}-latents.npy", "application/octet-stream", key=f"{key}_npy"
    )
    cols[3].download_button(
        "Latents .json", export.latents_json(latents, run_prov), f"{stem}-latents.json", "application/json", key=f"{key}_json"
    )


def single_png(sample: np.ndarray, spec: OutputSpec, prov: dict, key: str, scale: int = 1) -> None:
    if spec.kind != "image":
        return
    img = images_u8(_t(sample[None]))[0]
    if scale > 1:
        img = img.repeat(scale, 0).repeat(scale, 1)
    st.download_button(
        "PNG",
        export.png_bytes(img, prov),
        f"ganscope-{prov.get('name', 'sample')}.png".replace(" ", "_"),
        "image/png",
        key=f"{key}_png",
    )


def _t(a: np.ndarray):
    import torch

    return torch.from_numpy(np.ascontiguousarray(a))
