"""Layer-by-layer tables of a network: output shapes (and, for DCGANs, the size formula that gives
them) and parameter counts, so a user sees why 7 -> 14 -> 28 works."""

from __future__ import annotations

import torch
from torch import nn

from models import DCGANConfig
from models.dcgan import Layer


def layer_table(net: nn.Module, *inputs: torch.Tensor | None) -> list[dict]:
    """One row per leaf module in call order: name, type, output shape (without batch), parameters."""
    rows: list[dict] = []
    hooks = []
    for name, m in net.named_modules():
        if len(list(m.children())) == 0:
            hooks.append(
                m.register_forward_hook(
                    lambda mod, _i, out, name=name: rows.append(
                        {
                            "layer": name,
                            "type": getattr(mod, "display_type", type(mod).__name__),  # e.g. an import's cropped conv
                            "output": "×".join(str(s) for s in out.shape[1:]),
                            "params": sum(p.numel() for p in mod.parameters(recurse=False)),
                        }
                    )
                )
            )
    try:
        with torch.no_grad():
            net.eval()(*inputs)
    finally:
        for h in hooks:
            h.remove()
    return rows


def formula(layer: Layer) -> str:
    """The size formula of a DCGAN plan layer with its numbers filled in."""
    i, k, s, p = layer.in_size, layer.kernel, layer.stride, layer.padding
    if layer.kind == "conv_transpose":
        return f"({i} − 1)·{s} − 2·{p} + {k} = {layer.out_size}"
    return f"⌊({i} + 2·{p} − {k}) / {s}⌋ + 1 = {layer.out_size}"


def plan_rows(cfg: DCGANConfig) -> tuple[list[dict], list[dict]]:
    """(generator rows, discriminator rows) of a DCGAN plan with sizes, formulas and parameter counts."""

    def rows(plan: list[Layer], transposed_bias_last: bool) -> list[dict]:
        out = []
        for j, L in enumerate(plan):
            bias = L.out_channels if (j == len(plan) - 1) else 0
            out.append(
                {
                    "layer": L.name,
                    "op": "ConvTranspose2d" if L.kind == "conv_transpose" else "Conv2d",
                    "channels": f"{L.in_channels} → {L.out_channels}",
                    "k/s/p": f"{L.kernel}/{L.stride}/{L.padding}",
                    "size": f"{L.in_size} → {L.out_size}",
                    "formula": formula(L),
                    "params": L.in_channels * L.out_channels * L.kernel**2 + bias,
                }
            )
        return out

    return rows(cfg.generator_plan(), True), rows(cfg.discriminator_plan(), False)
