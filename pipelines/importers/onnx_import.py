"""ONNX generators (``torch.onnx.export``, Keras ``model.export(format="onnx")``, tf2onnx).

The graph is run once with onnxruntime on a few latents to learn its output layout. Then onnx2torch
converts it, and the converted network must give onnxruntime's outputs (max abs difference < 1e-4);
where onnx2torch fails or disagrees, the run keeps the graph for onnxruntime and records why, and
the pages that need gradients or layer activations say they are unavailable.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import onnx
import torch
from google.protobuf.message import DecodeError
from onnx import numpy_helper

from models import OnnxConfig, OnnxGenerator
from models.onnx_graph import convert_onnx2torch, strip_graph

from .common import Hints, Imported, ImportFailed, base_record, image_shape, output_spec

log = logging.getLogger(__name__)
AGREE = 1e-4  # onnx2torch must reproduce onnxruntime to this max abs difference, or onnxruntime is kept


def _dims(value_info) -> list[int | None]:
    return [d.dim_value if d.HasField("dim_value") else None for d in value_info.type.tensor_type.shape.dim]


def _session(model):
    import onnxruntime

    opts = onnxruntime.SessionOptions()
    opts.intra_op_num_threads = max(1, torch.get_num_threads())
    return onnxruntime.InferenceSession(model.SerializeToString(), opts, providers=["CPUExecutionProvider"])


def _layout(path: Path, rest: tuple[int, ...], producer: str, hints: Hints) -> tuple[tuple[int, ...], str]:
    """(per-sample NCHW shape, output layout) from the graph's per-sample output shape."""
    if len(rest) == 3 and rest[0] in (1, 3):
        return rest, "nchw"
    if len(rest) == 3 and rest[2] in (1, 3):
        return (rest[2], rest[0], rest[1]), "nhwc"
    if len(rest) == 2:
        return (1, *rest), "nchw"
    numel = int(np.prod(rest))
    shape = image_shape(path, numel, hints)
    if shape is None:
        return (numel,), "flat"
    keras_like = any(p in producer.lower() for p in ("tf2onnx", "keras", "tensorflow"))
    return shape, "flat_nhwc" if keras_like and shape[0] == 3 else "flat"


def import_onnx(path: Path, hints: Hints) -> Imported:
    """Import an ONNX generator, through onnx2torch where it converts, else through onnxruntime."""
    try:
        model = onnx.load(str(path))
        onnx.checker.check_model(model)
    except (DecodeError, OSError, ValueError, onnx.checker.ValidationError) as e:
        raise ImportFailed(path, f"is a truncated or corrupt ONNX file ({type(e).__name__}: {str(e)[:160]})") from None
    inits = {i.name for i in model.graph.initializer}
    inputs = [i for i in model.graph.input if i.name not in inits]
    if len(inputs) != 1 or len(model.graph.output) < 1:
        raise ImportFailed(
            path, f"has {len(inputs)} inputs: a generator takes one latent input (conditional graphs are not supported)"
        )
    dims = _dims(inputs[0])
    if not dims:
        raise ImportFailed(path, "its input has no shape")
    batch = dims[0] or 0
    rest = dims[1:]
    if any(d is None for d in rest) or not rest:
        if not hints.z_dim:
            raise ImportFailed(path, f"its input shape {dims} does not fix the latent size", "pass --z-dim")
        rest = [hints.z_dim]
    input_shape, z_dim = tuple(int(d) for d in rest), int(np.prod(rest))
    try:
        sess = _session(model)
        z = torch.randn(batch or 4, *input_shape, generator=torch.Generator().manual_seed(0))
        ref = sess.run(None, {inputs[0].name: z.numpy()})[0]
    except Exception as e:  # noqa: BLE001 - onnxruntime raises its own types; one sentence for all
        raise ImportFailed(path, f"onnxruntime cannot run this graph ({type(e).__name__}: {str(e)[:200]})") from None
    shape, layout = _layout(path, tuple(ref.shape[1:]), model.producer_name or "", hints)
    last = model.graph.node[-1].op_type.lower() if model.graph.node else None
    spec, why = output_spec(path, shape, last if last in ("tanh", "sigmoid") else None, hints)
    graph, _ = strip_graph(model)
    producer = f"{model.producer_name or 'unknown'} {model.producer_version}".strip()
    common = dict(graph=graph, z_dim=z_dim, input_shape=input_shape, output=spec, batch=batch, output_layout=layout)
    common |= dict(latent_dist=hints.latent)
    record = base_record(
        path, "onnx", f"ONNX graph from {producer}", f"input {dims}; output {list(ref.shape)} ({layout})", spec, why, hints
    )
    try:
        net = convert_onnx2torch(onnx.load(str(path)))
        with torch.inference_mode():
            got = net(z).numpy()
        diff = float(np.abs(got - ref).max()) if got.shape == ref.shape else float("inf")
        if not diff < AGREE:
            raise ValueError(f"onnx2torch's network differs from onnxruntime by {diff:.3g}")
        G = OnnxGenerator(OnnxConfig(**common, runtime="onnx2torch", source=record.family + ", via onnx2torch"))
        G.net.load_state_dict(net.state_dict())
        record.runtime = "onnx2torch"
    except Exception as e:  # noqa: BLE001 - any onnx2torch failure means: keep the graph for onnxruntime
        log.info("onnx2torch cannot convert %s: %s", path, e)
        G = OnnxGenerator(OnnxConfig(**common, runtime="onnxruntime", source=record.family + ", run by onnxruntime"))
        values = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
        G.load_state_dict({f"w{j}": torch.from_numpy(np.array(values[n])) for j, n in enumerate(G._names)})
        record.runtime = "onnxruntime"
        record.onnx2torch = f"could not convert it: {type(e).__name__}: {str(e)[:200]}"
    return Imported(G.cfg, G.eval(), record)
