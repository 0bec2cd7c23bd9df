"""Every setting from the command line: --set, --config (TOML/JSON), their precedence, the one-line errors,
--print-config fed back as --config, and what config.json records."""

import json

import pytest

from models import DCGANConfig
from pipelines import runs
from pipelines.overrides import OverrideError, apply_overrides, to_toml
from pipelines.presets import get_preset
from pipelines.train import main

TINY = ["--max-steps", "2", "--no-progress", "--set", "eval_samples=16"]


def test_set_parses_a_float_a_bool_a_tuple_and_a_model_field():
    cfg = apply_overrides(
        get_preset("ring-8"),
        None,
        ["lr_d=5e-4", "label_flip=0.05", "model.layernorm=true", "model.g_hidden=256,256", "betas=[0.9, 0.99]", "classes=8"],
    )
    assert cfg.lr_d == 5e-4 and isinstance(cfg.lr_d, float) and cfg.label_flip == 0.05
    assert cfg.model.layernorm is True and cfg.model.g_hidden == (256, 256) and cfg.model.d_hidden == (128, 128)
    assert cfg.betas == (0.9, 0.99) and cfg.classes == (8,)
    assert apply_overrides(cfg, None, ["augment=translation,cutout"]).augment == "translation,cutout"  # a string stays one


def test_unknown_keys_name_the_closest_field():
    with pytest.raises(OverrideError, match=r"^unknown field 'lr_D'; did you mean 'lr_d'\?$"):
        apply_overrides(get_preset("ring-8"), None, ["lr_D=1e-3"])
    with pytest.raises(OverrideError, match=r"^unknown field 'model.layernrm'; did you mean 'model.layernorm'\?$"):
        apply_overrides(get_preset("ring-8"), None, ["model.layernrm=false"])
    with pytest.raises(OverrideError, match=r"unknown field 'modle'; did you mean 'model'\?"):
        apply_overrides(get_preset("ring-8"), {"modle": {"z_dim": 3}})


@pytest.mark.parametrize(
    "item, said",
    [
        ("model.layernorm=maybe", "bad value for model.layernorm: 'maybe'; it takes true or false"),
        ("d_steps=1.5", "bad value for d_steps: '1.5'; it takes an integer"),
        ("lr_d=fast", "bad value for lr_d: 'fast'; it takes a number"),
        ("model.g_hidden=a,b", "bad value for model.g_hidden: 'a,b'; it takes a list of integers"),
        ("betas=0.1,0.2,0.3", "bad value for betas: '0.1,0.2,0.3'; it takes a list of 2 numbers"),
        ("label_flip=0.7", "bad value: label_flip must be in [0, 0.5), got 0.7"),  # the config's own check
        ("loss=wgan", "bad value: loss 'wgan' is not one of"),
    ],
)
def test_a_bad_value_is_one_line_naming_the_field(item, said):
    with pytest.raises(OverrideError) as e:
        apply_overrides(get_preset("ring-8"), None, [item])
    assert str(e.value).startswith(said) and "\n" not in str(e.value)


def test_precedence_preset_config_set_flags_and_the_record(tmp_path, capsys):
    conf = tmp_path / "my.toml"
    conf.write_text("lr_d = 0.0005\nlr_g = 0.0005\nmax_steps = 7\n[model]\nlayernorm = true\ng_hidden = [64, 64]\n")
    out = tmp_path / "run"
    argv = ["--preset", "ring-8", "--out", str(out), "--config", str(conf), "--set", "lr_g=3e-4", *TINY]
    assert main(argv) == 0  # the file beats the preset, --set beats the file, --max-steps beats both
    cfg = runs.read_config(out)
    assert (cfg.lr_d, cfg.lr_g, cfg.max_steps) == (5e-4, 3e-4, 2)
    assert cfg.model.layernorm and cfg.model.g_hidden == (64, 64) and cfg.batch_size == get_preset("ring-8").batch_size
    record = json.loads((out / runs.CONFIG).read_text())["overrides"]
    assert record["preset"] == "ring-8" and record["config_file"] == str(conf)
    assert record["set"] == ["lr_g=3e-4", "eval_samples=16"] and record["flags"] == {"max_steps": 2}
    assert record["changed"] == {
        "max_steps": 2,
        "lr_g": 3e-4,
        "lr_d": 5e-4,
        "eval_samples": 16,
        "model.g_hidden": [64, 64],
        "model.layernorm": True,
    }


def test_print_config_fed_back_gives_the_same_config_json(tmp_path, capsys):
    argv = ["--preset", "ring-8", "--set", "lr_d=5e-4", "--set", "model.layernorm=true", "--set", "model.g_hidden=256,256"]
    assert main([*argv, "--max-steps", "2", "--print-config"]) == 0
    printed = capsys.readouterr().out
    assert "lr_d = 0.0005" in printed and "layernorm = true" in printed and not (tmp_path / "a").exists()
    (tmp_path / "resolved.toml").write_text(printed)
    assert main([*argv, "--max-steps", "2", "--out", str(tmp_path / "a"), "--no-progress"]) == 0
    fed_back = ["--preset", "sine", "--config", str(tmp_path / "resolved.toml"), "--out", str(tmp_path / "b"), "--no-progress"]
    assert main(fed_back) == 0
    settings = lambda p: {k: v for k, v in json.loads((p / runs.CONFIG).read_text()).items() if k != "overrides"}  # noqa: E731
    assert settings(tmp_path / "a") == settings(tmp_path / "b")
    # a run's config.json works as --config too, and JSON files in general
    c = apply_overrides(get_preset("sine"), json.loads((tmp_path / "a" / runs.CONFIG).read_text())["train"])
    assert c.max_steps == 2


def test_the_architecture_itself_can_change():
    cfg = apply_overrides(get_preset("ring-8"), None, ["arch=dcgan", "model.image_size=28", "model.channels=1", "model.ngf=8"])
    assert cfg.model == DCGANConfig(image_size=28, channels=1, ngf=8)
    assert to_toml(get_preset("mnist-dcgan")).count("[model]") == 1


def test_cli_errors_are_one_line_with_status_2(tmp_path, capsys):
    assert main(["--preset", "ring-8", "--out", str(tmp_path / "x"), "--set", "lr_D=1"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == "error: unknown field 'lr_D'; did you mean 'lr_d'?"
    assert main(["--preset", "ring-8", "--config", str(tmp_path / "none.toml")]) == 2
    assert capsys.readouterr().err.startswith(f"error: cannot read --config {tmp_path / 'none.toml'}")
    assert not (tmp_path / "x").exists()


def test_the_watch_line_comes_only_once_the_run_folder_exists(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["--preset", "mnist-dcgan", "--data-dir", str(tmp_path / "no-data"), "--out", str(out), "--no-progress"]) == 1
    assert "watch it train" not in capsys.readouterr().out and not (out / runs.CONFIG).exists()


def test_a_config_file_alone_names_its_preset(tmp_path, capsys):
    """--print-config's output (and a run's config.json) names its preset, so `--config FILE` needs no --preset
    (the stranger review: it said "--preset is required" though the file said which)."""
    assert main(["--preset", "toy-scalar", "--set", "lr_d=5e-4", "--max-steps", "3", "--print-config"]) == 0
    (tmp_path / "f.toml").write_text(capsys.readouterr().out)
    assert main(["--config", str(tmp_path / "f.toml"), "--print-config"]) == 0
    again = capsys.readouterr().out
    assert again == (tmp_path / "f.toml").read_text()
    assert main(["--config", str(tmp_path / "f.toml"), "--out", str(tmp_path / "r"), "--no-progress"]) == 0
    assert json.loads((tmp_path / "r" / runs.CONFIG).read_text())["train"]["lr_d"] == 5e-4
