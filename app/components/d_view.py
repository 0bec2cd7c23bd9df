"""Diagnostics' "The discriminator's view": D's scores on real data and on samples (two histograms and
how well they separate), where D looks (its input gradient over samples), and D's score of an upload.
Computation in ``pipelines.d_view``; a run that kept no D at this snapshot gets one short line."""

from __future__ import annotations

import io

import numpy as np
import streamlit as st

from app.plotting import go
from pipelines import runs
from pipelines.d_view import heat_overlay, saliency, score_scale, scores, separation

from .. import d_state, hosting, state
from ..render import seed_latents
from . import uploads
from .samples_view import grid_image

N_SCORED = 256  # real inputs and samples scored for the histograms
N_LOOKS = 6  # samples shown with D's input gradient


@st.cache_data(max_entries=8, show_spinner="Loading real data for the discriminator…")
def _real_u8(dataset: str, data_dir: str, size: int, channels: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(uint8 images (n, C, H, W), labels) of the real test split (face folders: the crops themselves)."""
    from pipelines.data import load_dataset

    data = load_dataset(dataset, data_dir, size, channels, train=dataset == "folder", limit=n)
    return data.images.numpy(), data.labels.numpy()


def _real_inputs(run_dir, cfg, spec):
    """(real inputs in the generator's value range, labels or None), or (None, why not)."""
    import torch

    from pipelines.data import DataError, to_range
    from pipelines.toydata import make_toy

    if spec.kind != "image":
        x, labels = make_toy(cfg.dataset, N_SCORED, seed=1)
        return x.reshape(N_SCORED, *spec.shape), None
    try:
        data_dir = str(runs.resolve_data_dir(run_dir, cfg.data_dir))
        u8, labels = _real_u8(cfg.dataset, data_dir, spec.shape[1], spec.shape[0], N_SCORED)
    except (DataError, OSError) as e:
        return None, f"D's scores on real images need the run's data: {e}."
    return to_range(torch.from_numpy(u8), spec.value_range), torch.from_numpy(labels)


def discriminator_view(run_dir, cfg, G, snapshot: str) -> None:
    """The section, where the run kept a D at ``snapshot``."""
    import torch

    st.subheader("The discriminator's view")
    path = d_state.d_file(snapshot)
    if path is None:
        st.caption("This run kept no discriminator at this snapshot, so there is no view of what D says here.")
        return
    D, _ = d_state.get_discriminator(path)
    spec, loss = G.output, cfg.loss
    scale = score_scale(loss)
    real, labels = _real_inputs(run_dir, cfg, spec)
    seeds = list(range(N_SCORED))
    fake_labels = [i % G.num_classes for i in seeds] if G.num_classes else None
    z = seed_latents(G, seeds).numpy()
    fake = d_state.to_model_range(state.render_latents(snapshot, z, fake_labels), spec.value_range)
    s_fake = scores(D, fake, loss, None if fake_labels is None else torch.as_tensor(fake_labels))
    s_real = None if real is None else scores(D, real, loss, labels if G.num_classes else None)
    both = s_fake if s_real is None else np.concatenate([s_fake, s_real])
    lo, hi = (0.0, 1.0) if scale.sigmoid else (float(both.min()), float(both.max()) + 1e-6)
    bins = {"start": lo, "end": hi, "size": (hi - lo) / 40}  # the same bins for both, so the bars compare
    fig = go.Figure(go.Histogram(x=s_fake, name=f"{N_SCORED} samples", opacity=0.6, xbins=bins, marker_color="#d62728"))
    if s_real is None:
        st.caption(labels)
    else:
        fig.add_trace(go.Histogram(x=s_real, name=f"{len(s_real)} real", opacity=0.6, xbins=bins, marker_color="#2ca02c"))
        auc = separation(s_real, s_fake)
        st.markdown(
            f"D tells real from generated with **AUC {auc:.2f}** (the chance that it scores a real input above a "
            f"sample; 0.5: it cannot tell them apart, as at equilibrium; 1: every pair apart; near 0: it has them "
            f"the wrong way round, scoring samples above real inputs). It calls "
            f"{(s_real > scale.threshold).mean():.0%} of real inputs and {(s_fake > scale.threshold).mean():.0%} "
            "of samples real."
        )
    fig.add_vline(x=scale.threshold, line_dash="dot")
    fig.update_layout(barmode="overlay", title="D's scores: real vs generated", xaxis_title=scale.name,
                      yaxis_title="count", height=320, margin={"t": 40, "b": 10})  # fmt: skip
    st.plotly_chart(fig, key="d_hist")
    if spec.kind != "image":
        return
    st.markdown("**Where D looks**: the size of D's gradient with respect to each pixel, in red over the sample.")
    few = fake[:N_LOOKS]
    heat = saliency(D, few, None if fake_labels is None else torch.as_tensor(fake_labels[:N_LOOKS]))
    u8 = (state.render_latents(snapshot, z[:N_LOOKS], fake_labels and fake_labels[:N_LOOKS]) * 255).round().astype(np.uint8)
    over = heat_overlay(u8, heat)
    caps = ", ".join(f"{v:.2f}" for v in s_fake[:N_LOOKS])
    st.image(grid_image(over / 255.0, _rgb(spec), N_LOOKS), caption=f"seeds 0–{N_LOOKS - 1}; D's scores {caps}",
             output_format="PNG")  # fmt: skip
    _upload_score(D, spec, loss, G.num_classes)


def _rgb(spec):
    from dataclasses import replace

    return replace(spec, shape=(3, *spec.shape[1:]))


def _upload_score(D, spec, loss: str, num_classes: int) -> None:
    """D's score of an image the user uploads, with where D looks on it."""
    import torch
    from PIL import Image, UnidentifiedImageError

    uploads.guard()
    up = st.file_uploader("Score an image of your own", type=["png", "jpg", "jpeg", "webp", "bmp"], key="d_upload")
    if up is None:
        return
    box = uploads.outcome("d_upload", up.file_id)  # the score or the error: hidden as soon as another file is picked
    too_big = hosting.upload_refusal(up.size, up.name)
    if too_big:
        box.error(too_big)
        return
    try:
        img = Image.open(io.BytesIO(up.getvalue()))
        img = img.convert("L" if spec.shape[0] == 1 else "RGB").resize(spec.shape[1:][::-1], Image.Resampling.LANCZOS)
    except (UnidentifiedImageError, OSError, ValueError) as e:
        box.error(f"{up.name} is not an image this page can read ({e}).")
        return
    u8 = np.asarray(img, dtype=np.uint8).reshape(spec.shape[1], spec.shape[2], -1).transpose(2, 0, 1)[None]
    lo, hi = spec.value_range
    x = torch.from_numpy(u8.astype(np.float32) / 255.0 * (hi - lo) + lo)
    label = None
    if num_classes:
        label = torch.tensor([int(box.number_input("Its class (D is conditional)", 0, num_classes - 1, 0, key="d_upload_class"))])
    s = float(scores(D, x, loss, label)[0])
    scale = score_scale(loss)
    heat = saliency(D, x, label)
    box.image(grid_image(heat_overlay(u8, heat) / 255.0, _rgb(spec), 1, size=8 * spec.shape[-1]), output_format="PNG",
             caption=f"{up.name}: {scale.name} {s:.2f} ({'real' if s > scale.threshold else 'generated'}, to D)")  # fmt: skip
