"""ganscope-import: generators trained elsewhere become ordinary run folders.

``detect(path)`` recognises the format from the file's bytes (never its name); ``import_generator``
reads it with the matching importer (one module per format) and writes RUN_DIR all at once.

Why a layer list: PyTorch and Keras generators are chains of standard layers, so each importer
translates its file into a ``models.SequentialConfig`` (a frozen list of layers, saved in every
snapshot's header like any other config) plus weights. The result is a plain ``nn.Module`` with a
config: ``models.load_generator`` loads it, and the app, the evaluator and the tests need no
special case. ONNX graphs are not always chains, so they keep their graph (``models.OnnxConfig``).
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from models.snapshot_file import FORMAT, CheckpointError, read_raw_header

from ..disk_cache import file_sha256
from .common import Hints, Imported, ImportFailed, write_run

FORMATS = {
    "torch": "PyTorch state dict (torch.save)",
    "safetensors": "safetensors (a ganscope snapshot or a state dict)",
    "keras-h5": "Keras legacy HDF5 (.h5)",
    "keras-v3": "Keras native zip (.keras)",
    "onnx": "ONNX graph",
}
HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"


def _safetensors_header(path: Path) -> dict | None:
    """The JSON header of a safetensors file (``models.snapshot_file.read_raw_header``), None for other files."""
    try:
        return read_raw_header(path)[0]
    except CheckpointError:
        return None


def _looks_like_onnx(path: Path) -> bool:
    try:
        import onnx
        from google.protobuf.message import DecodeError

        model = onnx.load(str(path), load_external_data=False)
    except (DecodeError, OSError, ValueError, RuntimeError):
        return False
    except Exception:  # noqa: BLE001 - protobuf may raise anything on random bytes
        return False
    return model.ir_version > 0 and len(model.graph.node) > 0


def detect(path: str | Path) -> str:
    """The format of ``path`` (a key of FORMATS), read from its bytes. Raises ImportFailed naming the file."""
    path = Path(path)
    if path.is_dir():
        raise ImportFailed(path, "is a folder, not a generator file: pass the file inside it")
    if not path.is_file():
        raise ImportFailed(path, "no such file")
    size = path.stat().st_size
    if size == 0:
        raise ImportFailed(path, "is empty (0 bytes)")
    with open(path, "rb") as f:
        head = f.read(64)
    if head.startswith(HDF5_MAGIC):
        return "keras-h5"
    if head.startswith(b"PK"):
        try:
            with zipfile.ZipFile(path) as z:
                names = z.namelist()
        except zipfile.BadZipFile:
            raise ImportFailed(path, "is a truncated or corrupt zip file (a torch.save or .keras file cut short?)") from None
        if "config.json" in names and "model.weights.h5" in names:
            return "keras-v3"
        if any(n.endswith("data.pkl") for n in names):
            return "torch"
        raise ImportFailed(path, "is a zip file but neither a torch.save file nor a .keras model")
    if head[:1] == b"\x80":  # a pickle: torch.save's legacy format (or any pickle; read with weights_only)
        return "torch"
    if _safetensors_header(path) is not None:
        return "safetensors"
    if _looks_like_onnx(path):
        return "onnx"
    raise ImportFailed(
        path,
        "is not a generator file ganscope can read: expected a PyTorch state dict (.pth/.pt), a Keras model "
        "(.h5/.keras), an ONNX graph (.onnx) or a ganscope snapshot (.safetensors)",
    )


def read_generator(path: str | Path, hints: Hints | None = None) -> Imported:
    """Recognise and read a generator file into an Imported (config, module, source record)."""
    path, hints = Path(path), hints or Hints()
    fmt = detect(path)
    if fmt in ("keras-h5", "keras-v3"):
        from .keras import import_keras

        imp = import_keras(path, hints)
    elif fmt == "onnx":
        from .onnx_import import import_onnx

        imp = import_onnx(path, hints)
    elif fmt == "safetensors":
        from .torch_state import ganscope_snapshot, import_torch

        if _ganscope_header(path):
            imp = ganscope_snapshot(path)
        else:
            imp = import_torch(path, hints, safetensors=True)
    else:
        from .torch_state import import_torch

        imp = import_torch(path, hints)
    imp.record.file = path.name
    imp.record.sha256 = file_sha256(path)
    bn = getattr(imp.cfg, "batchnorm", None)
    has_bn = getattr(imp.cfg, "has_batchnorm", False)
    imp.record.batchnorm = bn if has_bn else "none"
    return imp


def _ganscope_header(path: Path) -> bool:
    header = _safetensors_header(path) or {}
    return (header.get("__metadata__") or {}).get("format") == FORMAT


def import_generator(src: str | Path, out: str | Path, hints: Hints | None = None) -> tuple[Path, Imported]:
    """Read ``src`` and write the run folder ``out``; returns (run folder, what was imported)."""
    from .common import check_forward

    hints = hints or Hints()
    src = Path(src)
    imp = read_generator(src, hints)
    check_forward(src, imp.module, imp.cfg.z_dim, tuple(imp.cfg.output.shape))
    return write_run(imp, src, Path(out), hints), imp


__all__ = ["FORMATS", "Hints", "ImportFailed", "Imported", "detect", "import_generator", "read_generator"]
