"""The one table of what a link carries: each page's query parameters, the session key of the widget each
sets, and the type and bounds a value must have (``app.links`` applies and writes them)."""

from __future__ import annotations

import math
from dataclasses import dataclass

SEED_MAX = 2**31 - 1


@dataclass(frozen=True)
class Param:
    """One linked input: ``key`` its session key (a prefix for kinds "latent" and "amounts")."""

    key: str
    kind: str  # "int", "float", "choice", "text", "latent" (a seed, or a picked latent that has one), "amounts", "set"
    lo: float = 0
    hi: float = SEED_MAX
    choices: tuple = ()

    def parse(self, raw: str):
        """The value ``raw`` names; ValueError with the reason when it is not a valid one."""
        if self.kind == "text":
            return raw
        if self.kind == "choice":
            for c in self.choices:
                if raw == str(c):
                    return c
            raise ValueError("is not one of " + ", ".join(str(c) for c in self.choices))
        if self.kind in ("amounts", "set"):
            return [self._number(part, float if self.kind == "amounts" else int) for part in raw.split(",") if part]
        return self._number(raw, float if self.kind == "float" else int)

    def _number(self, raw: str, kind):
        try:
            value = kind(raw)
        except ValueError:
            raise ValueError(f"is not {'a number' if kind is float else 'a whole number'}") from None
        if not math.isfinite(value) or not self.lo <= value <= self.hi:
            lo, hi = (f"{b:,}" if float(b).is_integer() else f"{b:g}" for b in (self.lo, self.hi))
            raise ValueError(f"is outside {lo}–{hi}")
        return value


SEED = Param("", "int", 0, SEED_MAX - 256)
PAGES: dict[str, dict[str, Param]] = {
    "samples": {
        "seed": Param("grid_seed", "int", 0, SEED_MAX - 256),
        "rows": Param("grid_rows", "int", 1, 16),
        "cols": Param("grid_cols", "int", 1, 16),
        "psi": Param("grid_psi", "float", 0, 1),
        "class": Param("grid_class", "choice", choices=("rows",) + tuple(range(100))),
        "cell": Param("inspect_cell", "int", 0, 255),
    },
    "interpolate": {
        "a": Param("interp_a", "latent"),
        "b": Param("interp_b", "latent"),
        "class": Param("interp_a_class", "int", 0, 99),
        "mode": Param("interp_mode", "choice", choices=("slerp", "lerp", "both")),
        "t": Param("interp_t", "float", 0, 1),
        "frames": Param("interp_frames", "int", 2, 32),
    },
    "arithmetic": {
        "class": Param("arith_class", "int", 0, 99),
        "from": Param("arith_start", "int", 0, SEED_MAX - 64),
        "n": Param("arith_count", "choice", choices=(8, 16, 24, 32)),
        **{f"set{n}": Param(n, "set", 0, SEED_MAX) for n in "ABCD"},
        **{f"w{n}": Param(f"w_{n}", "float", -3, 3) for n in "ABCD"},
        "noise": Param("arith_noise", "float", 0, 1),
        "var": Param("arith_nvar", "int", 0, 15),
    },
    "directions": {
        "src": Param("dir_source", "choice", choices=("layer", "latents", "labelled")),
        "layer": Param("dir_layer", "text"),  # the page checks it against the generator's layers
        "k": Param("dir_k", "int", 1, 10),
        "z": Param("dir_base", "latent"),
        "class": Param("dir_base_class", "int", 0, 99),
        "amt": Param("dir_amt", "amounts", -3, 3),
    },
    "compare": {
        "seed": Param("cmp_seed", "int", 0, SEED_MAX - 16),
        "seeds": Param("cmp_count", "int", 1, 12),
    },
    "diagnostics": {"seed": Param("dx_seed", "int", 0, SEED_MAX - 10)},
}
