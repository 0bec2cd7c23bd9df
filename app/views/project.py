"""Project page: upload a photo, crop its face as in training, and find the latent that redraws it.

The latent is found by optimisation (pipelines.project): pixel error plus a prior that keeps z
where N(0, I) latents live, several restarts, a step budget. The found latent joins the picked
latents, so it can be interpolated with another photo or used in arithmetic.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import streamlit as st
import torch
import torchvision.transforms.functional as TF
from PIL import Image

from app import hosting, state
from app.components import latents as lat
from app.components import uploads
from app.components.export_buttons import download, provenance, single_png
from app.components.samples_view import grid_image
from app.export import npy_bytes
from pipelines.data import user_path
from pipelines.faces import IMAGE_EXTENSIONS, MIN_DETECT_SIDE, FaceCropper, open_photo
from pipelines.project import project

STATUS_TEXT = {
    "no_face": "No face was found in this photo. Try a photo where a face is clearly visible, or turn face cropping off.",
    "too_small": "The faces in this photo (or the photo itself) are too small to crop: under {min_face} px. "
    "Try a closer or larger photo, or turn face cropping off.",
}


@st.cache_resource(show_spinner="Loading the MTCNN face detector…")
def cropper(size: int, margin: float, min_face: int) -> FaceCropper:
    return FaceCropper(size=size, margin=margin, min_face=min_face, device="cpu")


@st.cache_data(max_entries=8, show_spinner="Looking for faces…")
def find_targets(data: bytes, size: int, crop_faces: bool, margin: float, min_face: int) -> tuple[str, list[np.ndarray]]:
    """(status, crops as uint8 RGB arrays): every face in the photo, largest first, or its centred square.

    Raises ValueError (from ``open_photo``) for a file that is not a readable photo.
    """
    image = open_photo(data)
    if crop_faces:
        status, _, _, crops = cropper(size, margin, min_face).faces(image, keep="all")
        return status, [np.asarray(c) for c in crops]
    side = min(image.size)  # no detector: the centred square
    left, top = (image.width - side) // 2, (image.height - side) // 2
    square = image.crop((left, top, left + side, top + side)).resize((size, size), Image.Resampling.LANCZOS)
    return "ok", [np.asarray(square)]


def chosen_photo(up, typed: str) -> tuple[bytes, str] | None:
    """(bytes, name) of the uploaded photo, else of the typed path; None when neither is given.

    Stops the page with a sentence for a typed path that is not a file."""
    if up is not None:
        too_big = hosting.upload_refusal(up.size, up.name)
        if too_big:
            uploads.outcome("proj_upload", up.file_id).error(too_big)
            st.stop()
        return up.getvalue(), up.name
    if not typed.strip():
        return None
    path = user_path(typed.strip())
    refused = hosting.refusal(path, str(path), "Upload the photo instead.")
    if refused:
        st.error(refused)
        st.stop()
    if not path.is_file():
        st.error(f"{path} is not a file. Type the path of a photo on this machine, or upload one.")
        st.stop()
    return path.read_bytes(), path.name


st.title("Project a photo")
G, cfg = state.current_generator()
spec = G.output
if spec.kind != "image":
    st.info("Projection finds the latent behind an image, so it needs a run that makes images. Pick one in the sidebar.")
    st.stop()
if not getattr(G, "differentiable", True):
    st.info(
        "Projection is unavailable for this run: it follows the generator's gradients, and this imported ONNX graph "
        "runs in onnxruntime, which gives none. Import a graph onnx2torch can convert (or the original PyTorch or "
        "Keras file) to project photos."
    )
    st.stop()
st.caption(
    "Upload a photo: its face is cropped by MTCNN exactly as the training crops were, then the latent whose image is "
    "closest to it is searched for (pixel error + a prior keeping |z| near √d, several random restarts). "
    "The found latent is added to the picked latents: interpolate between two photos or use one in arithmetic."
)
run_name = Path(st.session_state.get("run_dir", "")).name
uploads.guard()
up = st.file_uploader("Photo", type=[e.lstrip(".") for e in IMAGE_EXTENSIONS], key="proj_upload")
typed = st.text_input("…or a photo's path on this machine", key="proj_path") if hosting.path_box_shown() else ""
if st.session_state.get("proj_crop_run") != run_name:  # a new run: crop faces by default on face-sized runs
    st.session_state["proj_crop_run"] = run_name
    st.session_state["proj_crop"] = getattr(cfg, "image_size", 0) >= 64
st.session_state.setdefault("proj_crop", getattr(cfg, "image_size", 0) >= 64)  # dropped while another page shows
crop_faces = st.checkbox("Crop the face (MTCNN)", key="proj_crop", help="off: the centred square of the photo")
c2, c3, c4, c5 = st.columns(4)  # the checkbox above on its own line: in a fifth of this row its label was cut off
steps = int(c2.number_input("Steps", 10, 2000, 130, 10, key="proj_steps", help="the optimisation's step budget"))
restarts = int(c3.number_input("Restarts", 1, 32, 4, key="proj_restarts", help="random starts optimised together"))
prior = c4.number_input("Prior weight", 0.0, 10.0, 0.05, 0.01, key="proj_prior", help="pull of |z| toward √d")
seed = int(c5.number_input("Seed", 0, 2**31 - 1, 0, key="proj_seed", help="seeds the random starts"))
with st.expander("Cropping"):
    margin = st.slider("Margin around the face box", 0.0, 1.0, 0.2, 0.05, key="proj_margin", help="0.2 as in training")
    min_face = int(st.number_input("Smallest face (px)", 12, 400, 40, key="proj_min_face"))

photo = chosen_photo(up, typed)
crop = None
if photo is not None:
    try:
        status, crops = find_targets(photo[0], spec.shape[-1], crop_faces, margin, min_face)
    except ValueError as e:
        status, crops = str(e), []
    if not crops:
        st.session_state.pop("proj_result", None)
        what = STATUS_TEXT.get(status, f"Cannot read it as a photo ({status}).")
        box = uploads.outcome("proj_upload", up.file_id) if up is not None else st  # hidden when another is picked
        box.error(f"{photo[1]}: " + what.format(min_face=max(min_face, MIN_DETECT_SIDE)))
        st.stop()
    pick = 0
    if len(crops) > 1:
        st.info(f"{len(crops)} faces found in {photo[1]} (largest first): pick the one to project.")
        thumbs = st.columns(min(len(crops), 8))
        for i, c in enumerate(crops[:8]):
            thumbs[i].image(c, caption=f"face {i + 1}", width=96)
        pick = st.radio("Face", range(len(crops)), horizontal=True, key="proj_face", format_func=lambda i: f"face {i + 1}")
        pick = min(int(pick), len(crops) - 1)
    crop = Image.fromarray(crops[pick])
label = lat.class_input(G, "proj_class", label="Class to project with")

if st.button("Project", type="primary", key="proj_go"):
    if crop is None:
        st.warning("Upload a photo or type its path first.")
        st.stop()
    name = photo[1] + (f" (face {pick + 1})" if len(crops) > 1 else "")
    crop = crop.convert("L" if spec.shape[0] == 1 else "RGB")
    target = spec.from_unit(TF.to_tensor(crop))
    bar = st.progress(0.0, text="projecting…")
    lo, hi = spec.value_range
    unit = (hi - lo) ** 2  # MSE in the generator's range -> MSE in [0, 1] pixels

    def tick(i, n, mse):
        if i % 10 == 0 or i == n:
            bar.progress(i / n, text=f"step {i}/{n} · best pixel MSE {mse / unit:.4f}")

    with torch.inference_mode(False):
        result = project(G, target, steps=steps, restarts=restarts, prior=prior, seed=seed, label=label, progress=tick)
    entry = lat.entry_from_vector(f"photo {name}", result.z.numpy(), label)
    lat.add(entry)
    st.session_state["proj_result"] = {
        "entry": entry,
        "crop": np.asarray(spec.to_unit(target)),
        "recon": np.asarray(spec.to_unit(result.image)),
        "mse": result.mse / unit,
        "start_mse": result.start_mse / unit,
        "history": [h / unit for h in result.history],
        "restarts": [r / unit for r in result.restart_mse],
        "run": str(st.session_state.get("snapshot")),
    }

res = st.session_state.get("proj_result")
if res and res["run"] == str(st.session_state.get("snapshot")):
    entry = res["entry"]
    big = max(2, 192 // spec.shape[-1])

    def show(img, caption):
        st.image(grid_image(np.clip(img, 0, 1)[None], spec, 1, size=big * spec.shape[-1]), caption=caption, output_format="PNG")

    err = np.abs(res["recon"] - res["crop"]).mean(0, keepdims=True)
    a, b, c = st.columns(3)
    with a:
        show(res["crop"], "the crop (what the generator is asked to draw)")
    with b:
        show(res["recon"], f"reconstruction · {entry.name}")
    with c:
        show(err / max(err.max(), 1e-6), "|error| (white = largest)")
    psnr = 10 * np.log10(1.0 / max(res["mse"], 1e-12))
    m1, m2, m3 = st.columns(3)
    change = f"{res['mse'] - res['start_mse']:+.4f} from its random start"
    m1.metric("pixel MSE", f"{res['mse']:.4f}", change, delta_color="inverse")
    m2.metric("PSNR", f"{psnr:.1f} dB")
    m3.metric("|z| / √d", f"{np.linalg.norm(entry.z) / np.sqrt(len(entry.z)):.3f}")
    st.line_chart({"best pixel MSE": res["history"]}, x_label="step", y_label="MSE", height=200)
    st.caption("restarts' final MSE: " + ", ".join(f"{r:.4f}" for r in res["restarts"]))
    z = np.asarray(entry.z, dtype=np.float32)
    single_png(res["recon"], spec, provenance(entry, z), key="proj_png", scale=big)
    download("Latent (.npy)", npy_bytes(z[None]), "projected-latent.npy", "application/octet-stream", key="proj_npy")
    lat.send_buttons(entry, key="proj_send")
elif run_name:
    st.info(f"Projecting onto {run_name}. Pick a photo and press Project.")
