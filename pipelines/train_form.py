"""Every training switch as a form field, and the ``ganscope-train`` command a set of changes makes.

The fields come from the config dataclasses themselves (``TrainConfig`` and the preset's model config),
so a field added there appears on the Train page with no edit here. Each field's help is its entry in the
class docstring's ``Args:`` section (the house style for config classes), followed by the comment on its
line in the source when it has one ("each default says why"). The docstring is read with ``inspect``,
which works on any installed copy; the source comments are a bonus when the source is there.

A command names only what changed from the preset: the options ``ganscope-train`` has always had
(``--max-steps``, ``--seed``, ...) by their flag, every other field as ``--set KEY=VALUE`` (dotted for the
model's fields, ``model.layernorm=false``). Nothing changed: no ``--set`` at all.
"""

from __future__ import annotations

import dataclasses
import inspect
import re
import shlex
import typing
from dataclasses import dataclass
from functools import cache
from typing import Any

from models.config import ACTIVATIONS, LATENT_DISTS, OUT_ACTIVATIONS

from .train_config import LOSSES, OPTIMIZERS, TOY_DATASETS, TrainConfig

HIDDEN = ("preset", "description", "model")  # not switches: the preset's name and text, and the model (its fields are)
FLAGS = {  # fields ganscope-train has its own option for (they also win over --set)
    "epochs": "--epochs",
    "max_steps": "--max-steps",
    "seed": "--seed",
    "data_dir": "--data-dir",
    "dataset": "--dataset",
    "limit": "--limit",
    "batch_size": "--batch-size",
    "snapshot_every": "--snapshot-every",
    "model.image_size": "--image-size",
}
CHOICES: dict[str, tuple[str, ...]] = {
    "loss": LOSSES,
    "optimizer": OPTIMIZERS,
    "dataset": ("mnist", "fashion-mnist", "cifar10", "folder", *TOY_DATASETS),
    "model.activation": ACTIVATIONS,
    "model.out_activation": tuple(OUT_ACTIVATIONS),
    "model.latent_dist": LATENT_DISTS,
}
PROG = "ganscope-train"


@dataclass(frozen=True)
class FormField:
    """One switch: ``key`` as ``--set`` names it, its kind (int, float, bool, str, ints, floats), the
    preset's value, the help sentence and, for strings with fixed values, the choices."""

    key: str
    kind: str
    default: Any
    help: str
    choices: tuple[str, ...] = ()

    @property
    def group(self) -> str:
        return "model" if self.key.startswith("model.") else "training"


def _kind(annotation) -> str | None:
    if annotation in (bool, int, float, str):
        return annotation.__name__
    if typing.get_origin(annotation) is tuple:
        args = [a for a in typing.get_args(annotation) if a is not Ellipsis]
        if args and all(a is int for a in args):
            return "ints"
        if args and all(a is float for a in args):
            return "floats"
    return None  # nested configs (the output spec) and Any are not switches


@cache
def field_help(cls: type) -> dict[str, str]:
    """{field name: help} from the class docstring's ``Args:`` entries (``a, b: text`` gives both), with the
    comment on the field's source line appended."""
    helps: dict[str, str] = {}
    names: list[str] = []
    doc = inspect.getdoc(cls) or ""
    fields = {f.name for f in dataclasses.fields(cls)}
    for line in doc.split("Args:", 1)[-1].splitlines():
        m = re.match(r"\s*([\w, ]+):\s*(.*)", line)
        listed = [n.strip() for n in m.group(1).split(",")] if m else []
        if listed and all(n in fields for n in listed):
            names = listed
            for n in names:
                helps[n] = m.group(2).strip()
        elif names and line.strip():
            for n in names:
                helps[n] += " " + line.strip()
    try:
        source = inspect.getsource(cls)
    except (OSError, TypeError):
        return helps
    for m in re.finditer(r"^\s+(\w+):[^#\n]*=[^#\n]*#\s*(.+)$", source, re.M):
        if m.group(1) in fields:
            helps[m.group(1)] = (helps.get(m.group(1), "") + f" (default: {m.group(2).strip()})").strip()
    return helps


def form_fields(cfg: TrainConfig) -> list[FormField]:
    """The switches of ``cfg``: the training fields, then the model's (``model.NAME``)."""
    out = []
    for cls, obj, prefix in ((TrainConfig, cfg, ""), (type(cfg.model), cfg.model, "model.")):
        hints = typing.get_type_hints(cls)
        helps = field_help(cls)
        for f in dataclasses.fields(cls):
            kind = _kind(hints.get(f.name))
            if (not prefix and f.name in HIDDEN) or kind is None:
                continue
            key = prefix + f.name
            out.append(FormField(key, kind, getattr(obj, f.name), helps.get(f.name, ""), CHOICES.get(key, ())))
    return out


def to_text(value: Any) -> str:
    """A value as ``--set`` takes it: ``false``, ``0.0005``, ``256,256``."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, tuple):
        return ",".join(to_text(v) for v in value)
    return str(value)


def parse(field: FormField, text: str) -> Any:
    """A typed value from a form's text (tuples as ``256,256``); ValueError with a sentence naming the field."""
    text = str(text).strip()
    try:
        if field.kind == "ints":
            return tuple(int(v) for v in text.split(",") if v.strip())
        if field.kind == "floats":
            return tuple(float(v) for v in text.split(",") if v.strip())
        if field.kind == "bool":
            return {"true": True, "false": False, "1": True, "0": False}[text.lower()]
        return {"int": int, "float": float, "str": str}[field.kind](text)
    except (ValueError, KeyError):
        what = {"ints": "whole numbers separated by commas", "floats": "numbers separated by commas"}.get(field.kind, field.kind)
        raise ValueError(f"{field.key} takes {what}, not {text!r}") from None


def changed(cfg: TrainConfig, values: dict[str, Any]) -> dict[str, Any]:
    """The entries of ``values`` ({key: typed value}) that differ from ``cfg``, in form order."""
    base = {f.key: f.default for f in form_fields(cfg)}
    return {k: v for k, v in values.items() if k in base and v != base[k]}


def apply(cfg: TrainConfig, changes: dict[str, Any]) -> TrainConfig:
    """``cfg`` with ``changes``, checked by the configs' own validation (ValueError saying what is wrong)."""
    model = {k.removeprefix("model."): v for k, v in changes.items() if k.startswith("model.")}
    train = {k: v for k, v in changes.items() if not k.startswith("model.")}
    new_model = dataclasses.replace(cfg.model, **model) if model else cfg.model
    return cfg.replace(model=new_model, **train)


def command_args(preset: str, out: str, changes: dict[str, Any], device: str = "auto") -> list[str]:
    """The arguments of ``ganscope-train`` for ``preset`` into ``out`` with ``changes``: own options by
    their flag, the rest as ``--set``; ``--device`` only when it is not the default."""
    args = ["--preset", preset, "--out", str(out)]
    sets = []
    for key, value in changes.items():
        if key == "download":
            args += ["--download"] if value else ["--set", "download=false"]
        elif key in FLAGS:
            args += [FLAGS[key], to_text(value)]
        else:
            sets += ["--set", f"{key}={to_text(value)}"]
    if device != "auto":
        args += ["--device", device]
    return args + sets


def fork_args(parent: str, step: int, out: str, changes: dict[str, Any], device: str = "auto") -> list[str]:
    """``ganscope-train --fork PARENT --at STEP --out NEW`` with ``changes`` (as ``command_args`` names them)."""
    rest = command_args("-", out, changes, device)[4:]
    return ["--fork", str(parent), "--at", str(step), "--out", str(out), *rest]


def shell(args: list[str], prog: str = PROG) -> str:
    """The command as one would type it."""
    return shlex.join([prog, *args])


def torchrun(args: list[str], gpus: int) -> str:
    """The same run on ``gpus`` GPUs of one machine under torchrun."""
    return shlex.join(["torchrun", f"--nproc_per_node={gpus}", "-m", "pipelines.train", *args])
