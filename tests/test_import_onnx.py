"""ganscope-import on ONNX graphs exported with torch.onnx.export: onnx2torch where it converts
(every page works), onnxruntime where it cannot (and the generator says it has no gradients)."""

from __future__ import annotations

import warnings

import pytest
import torch
from torch import nn

from models import OnnxConfig, load_generator
from pipelines.directions import probe_layers
from pipelines.importers import ImportFailed, detect, import_generator
from pipelines.project import project
from tests.fixtures.upstream import DCGANGenerator, MyoGenerator, weights_init

TOL = 1e-4


def export(model: nn.Module, example: torch.Tensor, path, dynamic: bool = True, opset: int | None = None) -> None:
    """torch.onnx.export with the TorchScript exporter (the new one needs onnxscript)."""
    kw = {"dynamic_axes": {"z": {0: "n"}, "x": {0: "n"}}} if dynamic else {}
    if opset:
        kw["opset_version"] = opset
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (example,), str(path), dynamo=False, input_names=["z"], output_names=["x"], **kw)


def test_torch_exported_dcgan_converts_with_onnx2torch(tmp_path):
    torch.manual_seed(0)
    up = DCGANGenerator(nz=8, ngf=4, nc=3)
    up.apply(weights_init)
    with torch.no_grad():  # non-trivial running statistics
        for m in up.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.normal_(0, 0.1)
                m.running_var.uniform_(0.5, 1.5)
    up.eval()
    path = tmp_path / "dcgan.onnx"
    export(up, torch.randn(2, 8, 1, 1), path)
    assert detect(path) == "onnx"
    run, imp = import_generator(path, tmp_path / "run")
    assert imp.record.runtime == "onnx2torch" and imp.record.format == "onnx"
    G, cfg = load_generator(run)
    assert isinstance(cfg, OnnxConfig) and cfg.input_shape == (8, 1, 1) and tuple(G.output.shape) == (3, 64, 64)
    z = torch.randn(5, 8, generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        assert (G(z) - up(z[:, :, None, None])).abs().max() < TOL
    assert G.differentiable and probe_layers(G)
    result = project(G, torch.zeros(3, 64, 64), steps=2, restarts=1)  # gradients flow
    assert result.z.shape == (8,)


def test_flat_mlp_export_is_drawn_as_an_image(tmp_path):
    torch.manual_seed(0)
    up = MyoGenerator()
    path = tmp_path / "myo.onnx"
    export(up.model, torch.randn(2, 100), path)  # its train() shadows nn.Module.train, which the exporter calls
    run, imp = import_generator(path, tmp_path / "run")
    G, cfg = load_generator(run)
    assert tuple(cfg.output.shape) == (1, 28, 28) and cfg.output.value_range == (0.0, 1.0) and cfg.output_layout == "flat"
    z = torch.randn(4, 100)
    with torch.no_grad():
        assert (G(z).reshape(4, 784) - up.forward(z)).abs().max() < TOL


def test_graph_onnx2torch_cannot_convert_runs_in_onnxruntime(tmp_path):
    torch.manual_seed(0)
    up = nn.Sequential(nn.Linear(16, 64), nn.GELU(), nn.Linear(64, 3 * 8 * 8), nn.Unflatten(1, (3, 8, 8)), nn.Tanh()).eval()
    path = tmp_path / "gelu.onnx"
    export(up, torch.randn(3, 16), path, dynamic=False, opset=20)  # Gelu (opset 20) has no onnx2torch converter
    run, imp = import_generator(path, tmp_path / "run")
    assert imp.record.runtime == "onnxruntime" and "Gelu" in imp.record.onnx2torch
    G, cfg = load_generator(run)
    assert cfg.batch == 3 and not G.differentiable and not G.has_layers
    z = torch.randn(7, 16)  # not a multiple of the graph's fixed batch of 3
    with torch.no_grad():
        assert (G(z) - up(z)).abs().max() < TOL
    with pytest.raises(RuntimeError, match="no gradients"):
        G(z.requires_grad_(True))


def test_truncated_onnx_is_refused(tmp_path):
    path = tmp_path / "g.onnx"
    export(MyoGenerator().model, torch.randn(2, 100), path)
    data = path.read_bytes()
    (tmp_path / "cut.onnx").write_bytes(data[: len(data) // 2])
    with pytest.raises(ImportFailed, match=r"^cut.onnx: "):
        import_generator(tmp_path / "cut.onnx", tmp_path / "run")
    assert not (tmp_path / "run").exists()


def test_a_linear_output_needs_a_range_and_the_advice_works_as_printed(tmp_path, capsys):
    """A graph with no tanh/sigmoid at the end: the CLI asks for --output-range, and both spellings work."""
    from pipelines.importers.cli import main

    torch.manual_seed(0)
    path = tmp_path / "linear.onnx"
    export(nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 784)), torch.randn(2, 8), path)
    assert main([str(path), "--out", str(tmp_path / "a")]) != 0
    err = capsys.readouterr().err
    assert "output range is unknown" in err and "--output-range=-1,1" in err
    assert not (tmp_path / "a").exists()
    assert main([str(path), "--out", str(tmp_path / "b"), "--output-range", "-1,1"]) == 0  # as people type it
    assert main([str(path), "--out", str(tmp_path / "c"), "--output-range=-1,1"]) == 0
    assert load_generator(tmp_path / "b")[1].output.value_range == (-1.0, 1.0)
