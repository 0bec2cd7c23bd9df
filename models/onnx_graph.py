"""Generators imported from ONNX graphs: the graph in the config, its weights in the snapshot.

``OnnxConfig.graph`` holds the ONNX model (base64) with every large initializer's data removed
(its name, dims and type stay); the snapshot's tensors are the weights. ``OnnxGenerator`` runs the
graph one of two ways, chosen at import:

* ``runtime="onnx2torch"``: the graph becomes torch modules (onnx2torch), so gradients and layer
  activations exist and every page works;
* ``runtime="onnxruntime"``: for graphs onnx2torch cannot convert; onnxruntime runs it on the CPU.
  No gradients and no layer activations: ``G.differentiable`` and ``G.has_layers`` are False, and
  the pages that need them (Project a photo, Directions by layer) say so.

Input and output layouts are recorded (``input_shape`` per sample, e.g. (100,) or (100, 1, 1);
``output_layout`` nchw, nhwc, flat or flat_nhwc) and mapped to the ganscope interface: z (N, z_dim)
in, (N, *output.shape) NCHW out. ``onnx``, ``onnx2torch`` and ``onnxruntime`` are imported only
when such a generator is built.
"""

from __future__ import annotations

import base64

import numpy as np
import torch
from torch import nn

from .config import OUTPUT_LAYOUTS, RUNTIMES, OnnxConfig  # noqa: F401 - re-exported
from .generator import Generator

KEEP_INLINE = 64  # initializers with at most this many values stay inside the graph (shapes, scales)


def strip_graph(model) -> tuple[str, list[str]]:
    """(base64 of ``model`` with large initializers' data removed, their names in order)."""
    import onnx

    m = onnx.ModelProto()
    m.CopyFrom(model)
    names = []
    for init in m.graph.initializer:
        if int(np.prod(init.dims)) > KEEP_INLINE:
            names.append(init.name)
            dims, dtype, name = list(init.dims), init.data_type, init.name
            init.Clear()
            init.name, init.data_type = name, dtype
            init.dims.extend(dims)
    return base64.b64encode(m.SerializeToString()).decode("ascii"), names


def _stripped(cfg: OnnxConfig):
    import onnx

    return onnx.load_model_from_string(base64.b64decode(cfg.graph))


def _empty(init) -> bool:
    return not (init.raw_data or init.float_data or init.int64_data or init.int32_data or init.double_data)


def fill_graph(model, values: dict[str, np.ndarray]):
    """The stripped model with each stripped initializer set from ``values`` (zeros where missing)."""
    from onnx import helper, numpy_helper

    for i, init in enumerate(model.graph.initializer):
        if _empty(init) and int(np.prod(init.dims)) > KEEP_INLINE:
            dtype = helper.tensor_dtype_to_np_dtype(init.data_type)
            arr = values.get(init.name)
            arr = np.zeros(tuple(init.dims), dtype) if arr is None else np.asarray(arr, dtype).reshape(tuple(init.dims))
            model.graph.initializer[i].CopyFrom(numpy_helper.from_array(arr, init.name))
    return model


def _inline_identities(model) -> None:
    """Drop Identity nodes (exporters emit them for shared weights; onnx2torch rejects their newer versions)."""
    graph_outputs = {o.name for o in model.graph.output}
    alias = {}
    keep = []
    for node in model.graph.node:
        if node.op_type == "Identity" and node.output[0] not in graph_outputs:
            alias[node.output[0]] = alias.get(node.input[0], node.input[0])
        else:
            keep.append(node)
    for node in keep:
        for j, name in enumerate(node.input):
            if name in alias:
                node.input[j] = alias[name]
    del model.graph.node[:]
    model.graph.node.extend(keep)


def convert_onnx2torch(model) -> nn.Module:
    """onnx2torch's GraphModule for ``model`` (Identity nodes inlined first), in eval mode."""
    import onnx2torch

    _inline_identities(model)
    return onnx2torch.convert(model).eval()


class OnnxGenerator(Generator):
    """z (N, z_dim) -> samples (N, *cfg.output.shape) through an ONNX graph. See models.spec."""

    def __init__(self, cfg: OnnxConfig):
        super().__init__(cfg)
        self.differentiable = self.has_layers = cfg.runtime == "onnx2torch"
        model = _stripped(cfg)
        if cfg.runtime == "onnx2torch":
            self.net = convert_onnx2torch(fill_graph(model, {}))
        else:
            self._names = [i.name for i in model.graph.initializer if _empty(i) and int(np.prod(i.dims)) > KEEP_INLINE]
            for j, init in enumerate(i for i in model.graph.initializer if i.name in set(self._names)):
                dtype = torch.from_numpy(np.zeros(1, _np_dtype(init.data_type))).dtype
                self.register_buffer(f"w{j}", torch.zeros(tuple(init.dims), dtype=dtype))
            self._session = None

    def train(self, mode: bool = True) -> OnnxGenerator:
        super().train(mode)
        if hasattr(self, "net"):
            self.net.eval()  # the graph was exported for inference: its BatchNorm always uses running statistics
        return self

    def _load_from_state_dict(self, *args, **kwargs) -> None:
        super()._load_from_state_dict(*args, **kwargs)
        self._session = None  # new weights: the onnxruntime session is rebuilt on the next call

    def _run(self, x: torch.Tensor) -> torch.Tensor:
        if self.cfg.runtime == "onnx2torch":
            return self.net(x)
        if x.requires_grad:
            raise RuntimeError("this generator runs in onnxruntime, which gives no gradients")
        if self._session is None:
            import onnxruntime

            values = {n: getattr(self, f"w{j}").cpu().numpy() for j, n in enumerate(self._names)}
            data = fill_graph(_stripped(self.cfg), values).SerializeToString()
            opts = onnxruntime.SessionOptions()
            opts.intra_op_num_threads = max(1, torch.get_num_threads())
            self._session = onnxruntime.InferenceSession(data, opts, providers=["CPUExecutionProvider"])
        name = self._session.get_inputs()[0].name
        out = self._session.run(None, {name: x.detach().cpu().numpy().astype(np.float32)})[0]
        return torch.from_numpy(np.ascontiguousarray(out)).to(x.device)

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        if labels is not None:
            raise ValueError("this generator is unconditional: pass labels=None")
        n = z.shape[0]
        x = z.reshape(n, *self.cfg.input_shape)
        b = self.cfg.batch
        if b:  # a fixed-batch graph: run in chunks of its batch, padding the last one
            parts = []
            for i in range(0, n, b):
                chunk = x[i : i + b]
                pad = b - chunk.shape[0]
                if pad:
                    chunk = torch.cat([chunk, chunk.new_zeros(pad, *chunk.shape[1:])])
                parts.append(self._run(chunk)[: b - pad])
            y = torch.cat(parts)
        else:
            y = self._run(x)
        return to_nchw(y.float(), self.cfg.output_layout, self.output.shape)


def to_nchw(y: torch.Tensor, layout: str, shape: tuple[int, ...]) -> torch.Tensor:
    """A graph's output in ``layout`` as (N, *shape) NCHW."""
    n = y.shape[0]
    if layout in ("nhwc", "flat_nhwc"):  # (H, W, C) values, laid out as a map or flat
        y = y.reshape(n, shape[1], shape[2], shape[0]).permute(0, 3, 1, 2)
    return y.reshape(n, *shape)


def _np_dtype(data_type: int):
    from onnx import helper

    return helper.tensor_dtype_to_np_dtype(data_type)
