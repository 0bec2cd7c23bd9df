"""Shared fixtures: the real data in ../shared/data and tiny real training sets."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("GANSCOPE_SHARED_DATA", ROOT.parent / "shared" / "data"))
CHECKPOINTS = ROOT / "checkpoints"

torch.set_num_threads(min(2, torch.get_num_threads()))


def _need(path: Path) -> Path:
    if not path.exists():
        pytest.fail(
            f"real test data missing: {path} (the tests expect ../shared/data beside the checkout, "
            "or GANSCOPE_SHARED_DATA pointing at it)"
        )
    return path


@pytest.fixture(scope="session")
def mnist_dir() -> Path:
    return _need(SHARED / "mnist")


@pytest.fixture(scope="session")
def fashion_dir() -> Path:
    return _need(SHARED / "fashion-mnist")


@pytest.fixture(scope="session")
def faces_dir() -> Path:
    return _need(SHARED / "faces")


@pytest.fixture(scope="session")
def orl_crops(faces_dir, tmp_path_factory) -> Path:
    """MTCNN crops (64x64) of the first four ORL subjects' 40 photos, made by the cropping job."""
    from pipelines.faces import crop_folder

    src = tmp_path_factory.mktemp("orl-src")
    for subject in ("s1", "s2", "s3", "s4"):
        (src / subject).symlink_to(faces_dir / "att_orl" / subject, target_is_directory=True)
    out = tmp_path_factory.mktemp("orl-crops")
    crop_folder(src, out, size=64, progress=False)
    return out


@pytest.fixture(scope="session")
def mnist_small(mnist_dir):
    """The first 512 real MNIST training digits, as the trainer sees them."""
    from pipelines.data import load_dataset

    return load_dataset("mnist", mnist_dir, image_size=28, channels=1, limit=512)


def run_card(at) -> str:
    """The sidebar's card about the open run (AppTest), found by its first line "NAME · preset ..." (an
    imported run's: "NAME · imported ...")."""
    return next(c.value for c in at.sidebar.caption if " · preset " in c.value or " · imported · " in c.value)
