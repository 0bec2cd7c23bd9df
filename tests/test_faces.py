"""The face pipeline on real photos: MTCNN cropping with its manifest, and projection into a
shipped face generator."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest
import torch
import torchvision.transforms.functional as TF
from PIL import Image

from models import load_generator
from models.latent import sample_latents
from pipelines.faces import MANIFEST, FaceCropper, crop_folder, main, open_photo, read_manifest
from pipelines.project import image_mse, project
from tests.conftest import CHECKPOINTS

# real photos: (path under ../shared/data/faces, expected status)
PHOTOS = {
    "wild/dlib/dogs.jpg": "no_face",
    "wild/skimage/chelsea.png": "no_face",
    "wild/skimage/coffee.png": "no_face",
    "wild/skimage/astronaut.png": "ok",
    "wild/dlib/Tom_Cruise_avp_2014_4.jpg": "ok",
    "wild/deepface/img11_reflection.jpg": "ok",
    "wild/deepface/couple.jpg": "ok",
    "celebrity_photos_deepface/img1.jpg": "ok",
    "att_orl/s1/1.pgm": "ok",
}


@pytest.fixture(scope="module")
def photo_dir(faces_dir, tmp_path_factory) -> Path:
    src = tmp_path_factory.mktemp("photos")
    for rel in PHOTOS:
        dst = src / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(faces_dir / rel, dst)
    return src


@pytest.fixture(scope="module")
def cropped(photo_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("crops")
    rows = crop_folder(photo_dir, out, size=64, keep="all", progress=False)
    return out, rows


def test_real_photos_get_the_expected_status_and_square_crops(cropped):
    out, rows = cropped
    assert {r: rows[r].status for r in PHOTOS} == PHOTOS
    for rel, want in PHOTOS.items():
        row = rows[rel]
        if want == "ok":
            assert row.faces >= 1 and len(row.outputs) >= 1 and row.probs[0] > 0.9
            for o in row.outputs:
                with Image.open(out / o) as im:
                    assert im.size == (64, 64) and im.mode == "RGB"
        else:
            assert row.faces == 0 and row.outputs == []
    assert len(rows["wild/deepface/couple.jpg"].outputs) >= 2  # --keep all: one crop per face
    lines = (out / MANIFEST).read_text().splitlines()
    assert len(lines) == len(PHOTOS)  # one row per input file, nothing dropped


def test_a_second_run_is_a_no_op_and_an_interrupted_one_finishes(photo_dir, cropped):
    out, rows = cropped
    manifest = (out / MANIFEST).read_text()
    mtimes = {p.name: p.stat().st_mtime_ns for p in out.glob("*.png")}
    again = crop_folder(photo_dir, out, size=64, keep="all", progress=False)
    assert (out / MANIFEST).read_text() == manifest
    assert {p.name: p.stat().st_mtime_ns for p in out.glob("*.png")} == mtimes
    assert again.keys() == rows.keys()
    # cut the manifest as a crash would (the last two rows lost, one half-written) and delete a crop
    lines = manifest.splitlines(keepends=True)
    (out / MANIFEST).write_text("".join(lines[:-2]) + lines[-2][:15])
    lost = {json.loads(x)["file"] for x in lines[-2:]}
    done = crop_folder(photo_dir, out, size=64, keep="all", progress=False)
    assert {r: done[r].status for r in PHOTOS} == PHOTOS
    assert set(read_manifest(out)) == set(PHOTOS) and lost <= set(read_manifest(out))


def _bad_files(root: Path, faces_dir: Path) -> dict[str, str]:
    """Every awkward kind of file a real photo folder holds, and the status each must get."""
    face = Image.open(faces_dir / "wild/skimage/astronaut.png").convert("RGB")
    jpeg = io.BytesIO()
    face.save(jpeg, "JPEG")
    (root / "nested" / "deeper").mkdir(parents=True)
    (root / "empty.jpg").write_bytes(b"")
    (root / "truncated.jpg").write_bytes(jpeg.getvalue()[: len(jpeg.getvalue()) // 3])
    (root / "notes.png").write_text("not an image at all, only a name that says so")
    (root / "readme.txt").write_text("hello")
    face.convert("CMYK").save(root / "cmyk.jpg")
    face.convert("L").save(root / "gray.png")
    face.convert("P").save(root / "palette.png")
    rgba = face.convert("RGBA")
    rgba.putalpha(200)
    rgba.save(root / "alpha.png")
    face.convert("L").save(root / "nested" / "deeper" / "face.pgm")
    big = Image.new("RGB", (600, 600), (90, 120, 150))
    big.save(root / "huge.png")  # over the --max-pixels set below: a decompression-bomb guard
    rotated = face.rotate(90, expand=True)  # stored on its side, EXIF says turn it upright
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to view"
    rotated.save(root / "sideways.jpg", exif=exif)
    return {
        "empty.jpg": "unreadable",
        "truncated.jpg": "unreadable",
        "notes.png": "unreadable",
        "readme.txt": "not_image",
        "cmyk.jpg": "ok",
        "gray.png": "ok",
        "palette.png": "ok",
        "alpha.png": "ok",
        "nested/deeper/face.pgm": "ok",
        "huge.png": "too_large",
        "sideways.jpg": "ok",
    }


def test_every_bad_file_gets_its_row_and_nothing_crashes(tmp_path, faces_dir):
    src = tmp_path / "messy"
    src.mkdir()
    want = _bad_files(src, faces_dir)
    out = tmp_path / "out"
    assert main([str(src), str(out), "--size", "64", "--max-pixels", "280000", "--no-progress"]) == 0
    rows = read_manifest(out)
    assert {r: rows[r].status for r in want} == want
    assert all(rows[r].reason for r, s in want.items() if s in ("unreadable", "too_large", "not_image"))
    assert "empty" in rows["empty.jpg"].reason
    # the sideways photo was turned upright first: its face box is as tall as the upright one's
    x0, y0, x1, y1 = rows["sideways.jpg"].boxes[0]
    ux0, uy0, ux1, uy1 = rows["gray.png"].boxes[0]
    assert abs((y1 - y0) - (uy1 - uy0)) < 0.15 * (uy1 - uy0) and abs(x0 - ux0) < 20


def test_open_photo_turns_a_decompression_bomb_into_too_large(tmp_path):
    Image.new("L", (400, 400)).save(tmp_path / "big.png")
    with pytest.raises(ValueError, match="too_large"):
        open_photo(tmp_path / "big.png", max_pixels=10_000)
    assert open_photo((tmp_path / "big.png").read_bytes()).size == (400, 400)


def test_projection_of_a_real_crop_beats_random_latents_by_far(faces_dir):
    G, _ = load_generator(CHECKPOINTS / "faces-orl")
    status, _, _, crops = FaceCropper(64).faces(open_photo(faces_dir / "att_orl" / "s7" / "4.pgm"))
    assert status == "ok"
    target = G.output.from_unit(TF.to_tensor(crops[0].convert("L")))
    result = project(G, target, steps=150, restarts=4, seed=0)
    with torch.no_grad():
        random_err = image_mse(G.eval()(sample_latents(range(1000, 1064), G.z_dim)), target[None].expand(64, -1, -1, -1))
    assert result.mse < 0.3 * float(random_err.median())
    assert result.mse < result.start_mse and result.history[-1] <= result.history[0]
    assert 0.8 < float(result.z.norm()) / G.z_dim**0.5 < 1.2  # the prior kept z a typical latent
    with torch.no_grad():  # the returned latent really draws the returned image
        assert torch.allclose(G(result.z[None])[0], result.image, atol=1e-5)
    # the generator (in the app, a cached one shared by every session) is left as it was loaded
    assert not G.training and not any(p.requires_grad for p in G.parameters())


def test_projection_refuses_a_target_of_the_wrong_shape():
    G, _ = load_generator(CHECKPOINTS / "faces-orl")
    with pytest.raises(ValueError, match="shape"):
        project(G, torch.zeros(3, 64, 64), steps=1)
