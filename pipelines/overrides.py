"""Every training setting from the command line: ``--config FILE`` and ``--set KEY=VALUE`` on a preset.

Precedence: the preset < ``--config`` < ``--set`` < the dedicated flags (``--max-steps``...). Keys are the
``TrainConfig`` field names, dotted for the model's (``model.layernorm``, ``model.output.value_range``).
Values are typed by OmegaConf from the dataclasses themselves (a structured config: the preset's
``TrainConfig`` with its model config inside, whichever architecture it is), then the configs' own
``__post_init__`` checks run. A list field takes ``256,256`` as well as ``[256,256]``. The architecture
itself changes with the key ``arch`` (``--set arch=dcgan``); the model then starts from that
architecture's defaults.

A config file is TOML or JSON holding any fields, flat as ``--print-config`` writes them (training fields
at the top, ``arch``, a ``[model]`` table), or a run's ``config.json`` as it is.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import tomllib
import typing
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from models import CONFIGS, ConfigError, arch_name, config_from_dict

from .train_config import TrainConfig

RECORDS = ("format", "format_version", "overrides", "fork", "launch", "source")  # config.json keys that are not settings


class OverrideError(ValueError):
    """An override that cannot be applied; the message is one line naming the key and what it takes."""


@dataclass(frozen=True)
class Overrides:
    """What the command line asked to change, in precedence order (file, then each ``--set``)."""

    config_file: str | None = None
    sets: tuple[str, ...] = ()
    flags: dict[str, Any] = field(default_factory=dict)  # the dedicated flags' changes (--max-steps...)

    def __bool__(self) -> bool:
        return bool(self.config_file or self.sets or self.flags)


def read_config_file(path: str | Path) -> dict:
    """The settings of a TOML or JSON file as a flat dict (training fields, ``arch``, ``model``)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise OverrideError(f"cannot read --config {path}: {e.strerror or e}") from None
    try:
        data = json.loads(text) if path.suffix == ".json" else tomllib.loads(text)
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as e:
        kind = "JSON" if path.suffix == ".json" else "TOML"
        raise OverrideError(f"--config {path} is not valid {kind}: {e}") from None
    if not isinstance(data, dict):
        raise OverrideError(f"--config {path} must hold a table of settings")
    if "train" in data and isinstance(data["train"], dict):  # a run's config.json
        data = {**data["train"], **{k: v for k, v in data.items() if k in ("arch", "model")}}
    return {k: v for k, v in data.items() if k not in RECORDS}


def _field_types(obj: Any) -> dict[str, Any]:
    hints = typing.get_type_hints(type(obj))
    return {f.name: hints[f.name] for f in dataclasses.fields(obj)}


def _unknown(key: str, name: str, known: Sequence[str], prefix: str) -> OverrideError:
    lower = {k.lower(): k for k in known}  # a wrong case (lr_D) is the closest of all
    close = difflib.get_close_matches(name.lower(), list(lower), n=1, cutoff=0.5)
    hint = f"; did you mean '{prefix}{lower[close[0]]}'?" if close else f"; known: {', '.join(sorted(known))}"
    return OverrideError(f"unknown field '{key}'{hint}")


def field_type(cfg: TrainConfig, key: str) -> Any:
    """The type of a dotted key of ``cfg`` (``model.g_hidden`` -> tuple[int, ...]); unknown keys raise
    OverrideError naming the closest field."""
    obj, prefix, hint = cfg, "", None
    for i, name in enumerate(key.split(".")):
        if obj is None or not dataclasses.is_dataclass(obj):
            raise OverrideError(f"unknown field '{key}': '{prefix.rstrip('.')}' has no fields")
        types = _field_types(obj)
        if not i and name == "arch":
            return str
        if name not in types:
            raise _unknown(key, name, [*types, "arch"] if not i else list(types), prefix)
        hint, obj, prefix = types[name], getattr(obj, name), f"{prefix}{name}."
    return hint


def takes(hint: Any) -> str:
    """What a field of this type takes, in words."""
    if typing.get_origin(hint) is tuple:
        args = typing.get_args(hint)
        inner = takes(args[0]).removeprefix("a ").removeprefix("an ")
        n = "" if len(args) == 2 and args[1] is Ellipsis else f"{len(args)} "
        return f"a list of {n}{inner}s, e.g. 256,256" if not n else f"a list of {n}{inner}s, e.g. 0.5,0.999"
    words = {bool: "true or false", int: "an integer", float: "a number", str: "a string"}
    return words.get(hint, getattr(hint, "__name__", str(hint)))


def _set_to_nested(cfg: TrainConfig, item: str) -> tuple[str, str, str]:
    """``KEY=VALUE`` -> (key, the value as OmegaConf parses it by the field's type, the value as given)."""
    key, sep, value = item.partition("=")
    key = key.strip()
    if not sep or not key:
        raise OverrideError(f"--set takes KEY=VALUE, got {item!r}")
    hint = field_type(cfg, key)
    raw = value = value.strip()
    if typing.get_origin(hint) is tuple and not value.startswith("["):
        value = f"[{value}]"  # 256,256 -> [256,256]; "" -> []
    return key, value, raw


def _switch_arch(cfg: TrainConfig, arch: str, model: dict | None) -> TrainConfig:
    if arch not in CONFIGS:
        raise OverrideError(f"bad value for arch: {arch!r}; it takes one of {', '.join(CONFIGS)}")
    if arch == arch_name(cfg.model):
        return cfg
    try:
        return cfg.replace(model=config_from_dict(CONFIGS[arch], model or {}))
    except (ConfigError, TypeError, ValueError) as e:
        raise OverrideError(f"bad model for arch {arch}: {str(e).splitlines()[0]}") from None


def _leaves(cfg: TrainConfig, data: dict, prefix: str = "") -> list[tuple[str, Any]]:
    """(dotted key, value) of each setting in a nested table; unknown keys raise OverrideError."""
    out = []
    for k, v in data.items():
        key = f"{prefix}{k}"
        hint = field_type(cfg, key)
        if isinstance(v, dict) and dataclasses.is_dataclass(hint) or (isinstance(v, dict) and hint is Any):
            out += _leaves(cfg, v, f"{key}.")
        else:
            out.append((key, v))
    return out


def _nested(key: str, value: Any) -> dict:
    for name in reversed(key.split(".")):
        value = {name: value}
    return value


def apply_overrides(cfg: TrainConfig, file_data: dict | None = None, sets: Sequence[str] = ()) -> TrainConfig:
    """``cfg`` with a config file's settings, then each ``--set KEY=VALUE``, applied and checked.

    Raises:
        OverrideError: an unknown key (naming the closest field) or a bad value (naming the field and what it takes).
    """
    from omegaconf import OmegaConf  # here: the dashboard imports this module's callers before it needs OmegaConf
    from omegaconf.errors import OmegaConfBaseException

    file_data = dict(file_data or {})
    set_arch = [s.partition("=")[2].strip() for s in sets if s.partition("=")[0].strip() == "arch"]
    arch = set_arch[-1] if set_arch else file_data.pop("arch", None)
    file_data.pop("arch", None)
    if arch is not None:  # a new architecture starts from its defaults plus the file's [model] table
        cfg = _switch_arch(cfg, str(arch), file_data.pop("model", None) if arch != arch_name(cfg.model) else None)
    dotlist = [_set_to_nested(cfg, s) for s in sets if s.partition("=")[0].strip() != "arch"]
    merged = OmegaConf.structured(cfg)
    for k, v in _leaves(cfg, file_data):  # one at a time, so an error names its key
        merged = _merge(cfg, merged, OmegaConf.create(_nested(k, v)), k, v)
    for k, v, raw in dotlist:
        merged = _merge(cfg, merged, OmegaConf.from_dotlist([f"{k}={v}"]), k, raw)
    try:
        return OmegaConf.to_object(merged)
    except OmegaConfBaseException as e:
        raise OverrideError(f"bad value: {_first_line(e)}") from None
    except (ConfigError, TypeError, ValueError) as e:  # the configs' own checks
        raise OverrideError(f"bad value: {_first_line(e)}") from None


def _first_line(e: Exception) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__


def _merge(cfg: TrainConfig, base: Any, more: Any, key: str, raw: Any) -> Any:
    """OmegaConf's typed merge; a value of the wrong type becomes one line naming the field and what it takes."""
    from omegaconf import OmegaConf
    from omegaconf.errors import OmegaConfBaseException

    try:
        return OmegaConf.merge(base, more)
    except OmegaConfBaseException:
        raise OverrideError(f"bad value for {key}: {raw!r}; it takes {takes(field_type(cfg, key))}") from None


def flat_settings(cfg: TrainConfig) -> dict:
    """The config as one table: training fields, ``arch``, and the model's fields under ``model``."""
    data = cfg.to_dict()
    return {**data["train"], "arch": data["arch"], "model": data["model"]}


def to_toml(cfg: TrainConfig) -> str:
    """The resolved config as TOML (``--print-config``); read back by ``--config`` it gives the same config."""
    import tomli_w

    return tomli_w.dumps(flat_settings(cfg))


def _changed(base: TrainConfig, new: TrainConfig) -> dict[str, Any]:
    """The settings of ``new`` that differ from ``base``, dotted for the model's fields."""
    a, b = flat_settings(base), flat_settings(new)
    out = {}
    for k, v in b.items():
        if k == "model" and a["arch"] == b["arch"]:
            out |= {f"model.{m}": x for m, x in v.items() if a["model"].get(m) != x}
        elif a.get(k) != v:
            out[k] = v
    return out


def override_record(preset: TrainConfig, resolved: TrainConfig, ov: Overrides) -> dict:
    """What ``config.json`` records under ``overrides``: what was asked, and every setting that differs from the preset."""
    return {
        "preset": preset.preset,
        "config_file": ov.config_file,
        "set": list(ov.sets),
        "flags": dict(ov.flags),
        "changed": _changed(preset, resolved),
    }
