"""Snapshots: save -> load round trips, and every kind of bad file refused with its path named."""

import io
import json
import os
import pickle
import struct

import pytest
import torch

from models import (
    CheckpointError,
    DCGANConfig,
    DCGANGenerator,
    MLPConfig,
    MLPGenerator,
    load_generator,
    read_header,
    save_generator,
)
from pipelines import runs


def _dcgan(seed=0):
    torch.manual_seed(seed)
    cfg = DCGANConfig(image_size=28, channels=1, ngf=16, ndf=16)
    G = DCGANGenerator(cfg)
    # move BatchNorm running stats off their defaults so they must round-trip too
    G.train()
    with torch.no_grad():
        G(torch.randn(32, 100))
    return G.eval(), cfg


def test_save_load_identical_outputs_fp32(tmp_path):
    G, cfg = _dcgan()
    z = torch.randn(8, 100)
    path = save_generator(tmp_path / "g.safetensors", G, cfg, {"step": 7}, dtype=torch.float32)
    G2, cfg2 = load_generator(path)
    assert cfg2 == cfg
    assert not G2.training and not any(p.requires_grad for p in G2.parameters())
    assert torch.equal(G(z), G2(z))
    assert read_header(path).meta == {"step": 7}


def test_fp16_snapshot_is_close_and_stable(tmp_path):
    G, cfg = _dcgan()
    z = torch.randn(8, 100)
    p1 = save_generator(tmp_path / "a.safetensors", G, cfg)
    G2, _ = load_generator(p1)
    assert (G(z) - G2(z)).abs().max() < 0.02
    p2 = save_generator(tmp_path / "b.safetensors", G2, cfg)
    G3, _ = load_generator(p2)
    assert torch.equal(G2(z), G3(z))  # fp16 -> fp32 -> fp16 loses nothing more
    assert p1.stat().st_size < 0.6 * sum(p.numel() * 4 for p in G.state_dict().values())


def test_mlp_round_trip_and_run_dir_loads_latest(tmp_path):
    torch.manual_seed(1)
    cfg = MLPConfig(g_hidden=(32,), d_hidden=(16,))
    G = MLPGenerator(cfg).eval()
    (tmp_path / "snapshots").mkdir()
    save_generator(tmp_path / "snapshots" / "step-0000001.safetensors", MLPGenerator(cfg), cfg, dtype=torch.float32)
    save_generator(tmp_path / "snapshots" / "step-0000002.safetensors", G, cfg, dtype=torch.float32)
    G2, _ = load_generator(tmp_path)
    z = torch.randn(3, 100)
    assert torch.equal(G(z), G2(z))


def test_truncated_file_is_refused_naming_it(tmp_path):
    G, cfg = _dcgan()
    path = save_generator(tmp_path / "g.safetensors", G, cfg)
    data = path.read_bytes()
    for cut in (3, 100, len(data) // 2, len(data) - 1):
        bad = tmp_path / f"cut{cut}.safetensors"
        bad.write_bytes(data[:cut])
        with pytest.raises(CheckpointError, match="truncated") as e:
            load_generator(bad)
        assert str(bad) in str(e.value)


def test_corrupt_header_and_missing_file(tmp_path):
    bad = tmp_path / "junk.safetensors"
    bad.write_bytes(struct.pack("<Q", 10) + b"\xff\xfe{notjson")
    with pytest.raises(CheckpointError, match="corrupt safetensors header"):
        load_generator(bad)
    with pytest.raises(CheckpointError, match="no such file"):
        load_generator(tmp_path / "nope.safetensors")


def test_foreign_and_mismatched_files(tmp_path):
    from safetensors.torch import save_file

    plain = tmp_path / "plain.safetensors"
    save_file({"w": torch.zeros(2)}, str(plain))
    with pytest.raises(CheckpointError, match="not a ganscope-generator file"):
        load_generator(plain)

    G, cfg = _dcgan()
    path = save_generator(tmp_path / "g.safetensors", G, cfg)
    header = read_header(path)
    # weights of a 16-wide net under a config that says 32 wide
    from safetensors.torch import load_file

    state = load_file(str(path))
    meta = {
        "format": "ganscope-generator",
        "format_version": "1",
        "arch": "dcgan",
        "config": json.dumps({**json.loads(json.dumps(header.config.__dict__)), "ngf": 32}),
        "meta": "{}",
    }
    mismatched = tmp_path / "mismatched.safetensors"
    save_file(state, str(mismatched), metadata=meta)
    with pytest.raises(CheckpointError, match="has shape .* its config needs") as e:
        load_generator(mismatched)
    assert "mismatched.safetensors" in str(e.value)

    meta["format_version"] = "99"
    future = tmp_path / "future.safetensors"
    save_file(state, str(future), metadata=meta)
    with pytest.raises(CheckpointError, match="format_version"):
        load_generator(future)

    state["net.0.weight"] = torch.full_like(state["net.0.weight"], float("nan"))
    meta.update(format_version="1", config=json.dumps(header.config.__dict__))
    nan = tmp_path / "nan.safetensors"
    save_file(state, str(nan), metadata=meta)
    with pytest.raises(CheckpointError, match="NaN"):
        load_generator(nan)


class _Evil:
    """Unpickling this runs a shell command: the attack weights_only=True exists to stop."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_crafted_pickle_never_runs(tmp_path):
    marker = tmp_path / "pwned"
    payload = pickle.dumps({"G": _Evil(marker)})
    buf = io.BytesIO()
    torch.save({"G": _Evil(marker)}, buf)
    assert not marker.exists()
    # as a generator snapshot, under either name: refused, never unpickled
    for name, data in [("evil.safetensors", payload), ("evil.pt", buf.getvalue()), ("evil2.safetensors", buf.getvalue())]:
        (tmp_path / name).write_bytes(data)
        with pytest.raises(CheckpointError) as e:
            load_generator(tmp_path / name)
        assert name in str(e.value)
    # as a resume state (the one file we do torch.load): weights_only=True refuses it
    for data in (payload, buf.getvalue()):
        (tmp_path / runs.STATE).write_bytes(data)
        with pytest.raises(runs.RunError, match="refused to load the resume state") as e:
            runs.load_state(tmp_path)
        assert str(tmp_path / runs.STATE) in str(e.value) and "weights_only" not in str(e.value)
    assert not marker.exists()
    # the control: plain unpickling really would have run it
    pickle.loads(payload)
    assert marker.exists()
