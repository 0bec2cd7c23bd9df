"""The Train page's form fields and commands (pipelines/train_form.py), without the app: every config
field is a switch with its documented help, and a command names only what changed."""

from __future__ import annotations

import pytest

from pipelines import train_form as tf
from pipelines.presets import PRESETS, get_preset
from pipelines.train_config import TrainConfig


@pytest.mark.parametrize("preset", list(PRESETS))
def test_every_switch_of_every_preset_has_its_help(preset):
    cfg = get_preset(preset)
    fields = tf.form_fields(cfg)
    keys = {f.key for f in fields}
    assert {"lr_d", "label_flip", "d_steps", "real_label", "loss"} <= keys
    fixed = (
        {"model.z_dim", "model.num_classes", "model.latent_dist"} if preset == "toy-scalar" else set()
    )  # ScalarConfig pins them
    assert all(f.help for f in fields if f.key not in fixed), [f.key for f in fields if not f.help]
    assert any(k.startswith("model.") for k in keys)  # the model's fields too


def test_help_joins_the_docstring_and_the_line_comment():
    h = tf.field_help(TrainConfig)
    assert h["lr_g"] == h["lr_d"] == "learning rates."  # "lr_g, lr_d:" documents both
    assert h["ema_kimg"].startswith("generator EMA half-life") and "(default: off unless a preset measured" in h["ema_kimg"]


def test_values_round_trip_through_text():
    cfg = get_preset("ring-8")
    for f in tf.form_fields(cfg):
        assert tf.parse(f, tf.to_text(f.default)) == f.default, f.key


def test_the_command_uses_todays_flags_and_set_for_the_rest():
    cfg = get_preset("mnist-dcgan")
    changes = tf.changed(
        cfg, {"max_steps": 100, "seed": 3, "model.image_size": 32, "d_steps": 2, "betas": (0.0, 0.99), "lr_g": cfg.lr_g}
    )
    assert tf.command_args("mnist-dcgan", "runs/x", changes, "cuda") == [
        "--preset", "mnist-dcgan", "--out", "runs/x", "--max-steps", "100", "--seed", "3", "--image-size", "32",
        "--device", "cuda", "--set", "d_steps=2", "--set", "betas=0.0,0.99",
    ]  # fmt: skip
    assert tf.command_args("mnist-dcgan", "runs/x", {}) == ["--preset", "mnist-dcgan", "--out", "runs/x"]
    assert tf.apply(cfg, changes).model.image_size == 32


def test_fork_and_torchrun_forms():
    args = tf.fork_args("runs/p", 400, "runs/f", {"lr_d": 0.001})
    assert tf.shell(args) == "ganscope-train --fork runs/p --at 400 --out runs/f --set lr_d=0.001"
    assert tf.torchrun(["--preset", "ring-8"], 4) == "torchrun --nproc_per_node=4 -m pipelines.train --preset ring-8"


def test_the_configs_own_checks_refuse_bad_values():
    cfg = get_preset("ring-8")
    with pytest.raises(ValueError, match="label_flip must be in"):
        tf.apply(cfg, {"label_flip": 0.7})
    with pytest.raises(ValueError, match="model.g_hidden takes whole numbers"):
        tf.parse(next(f for f in tf.form_fields(cfg) if f.key == "model.g_hidden"), "1,x")
