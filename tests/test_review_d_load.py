"""A shipped discriminator loads (load_discriminator reads the SnapshotHeader by attribute)."""

from pathlib import Path

from models import load_discriminator

ROOT = Path(__file__).resolve().parents[1]


def test_shipped_toy_discriminator_loads():
    path = sorted((ROOT / "checkpoints" / "toy-scalar" / "discriminators").glob("*.safetensors"))[-1]
    D, cfg = load_discriminator(path)
    assert not D.training
    assert type(cfg).__name__
