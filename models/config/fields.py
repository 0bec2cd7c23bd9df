"""Turning frozen architecture configs into JSON-able dicts and back, checking every field (``models.config``)."""

from __future__ import annotations

import dataclasses
import typing
from typing import Any, TypeVar

from ..spec import OutputSpec

C = TypeVar("C")


class ConfigError(ValueError):
    """A config dict that does not describe a valid architecture."""


def _plain(v: Any) -> Any:
    if isinstance(v, OutputSpec):
        return v.to_dict()
    if dataclasses.is_dataclass(v):  # a nested config (e.g. one layer of a layer list): defaults left out
        return {f.name: _plain(getattr(v, f.name)) for f in dataclasses.fields(v) if getattr(v, f.name) != f.default}
    if isinstance(v, tuple):
        return [_plain(x) for x in v]
    return v


def config_to_dict(cfg: Any) -> dict:
    """Return a JSON-able dict of a config dataclass (tuples become lists, nested configs dicts)."""
    return {f.name: _plain(getattr(cfg, f.name)) for f in dataclasses.fields(cfg)}


def _convert(name: str, hint: Any, value: Any) -> Any:
    origin = typing.get_origin(hint)
    if hint is OutputSpec:
        if not isinstance(value, dict):
            raise ConfigError(f"field {name!r} must be an object, got {type(value).__name__}")
        try:
            return OutputSpec.from_dict(value)
        except (KeyError, TypeError, ValueError) as e:
            raise ConfigError(f"field {name!r}: {e}") from None
    if dataclasses.is_dataclass(hint):
        return config_from_dict(hint, value)
    if origin is tuple:
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"field {name!r} must be a list, got {type(value).__name__}")
        return tuple(_convert(name, typing.get_args(hint)[0], v) for v in value)
    if hint is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"field {name!r} must be true/false, got {value!r}")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"field {name!r} must be an integer, got {value!r}")
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"field {name!r} must be a number, got {value!r}")
        return float(value)
    if hint is str:
        if not isinstance(value, str):
            raise ConfigError(f"field {name!r} must be a string, got {value!r}")
        return value
    return value


def config_from_dict(cls: type[C], data: dict) -> C:
    """Build ``cls`` from ``data``, refusing unknown fields and ill-typed values.

    Missing fields take the dataclass default. Raises ConfigError with the field named.
    """
    if not isinstance(data, dict):
        raise ConfigError(f"{cls.__name__} must be built from an object, got {type(data).__name__}")
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - names)
    if unknown:
        raise ConfigError(f"{cls.__name__} has no field(s) {unknown}")
    kwargs = {k: _convert(k, hints[k], v) for k, v in data.items()}
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as e:
        raise ConfigError(f"{cls.__name__}: {e}") from None
