"""Training on real MNIST subsets: one step of every preset, resume continuity, NaN stops."""

import dataclasses
import json

import pytest
import torch
from safetensors.torch import load_file

from models import DCGANConfig, load_generator
from pipelines import runs
from pipelines.presets import PRESETS, TrainConfig, get_preset
from pipelines.train import FIELDS, TrainingDiverged, main, train


def _check_run(out, steps):
    cfg = runs.read_config(out)
    assert cfg.max_steps == steps
    records = runs.read_log(out)
    logged = [r["step"] for r in records]
    assert logged == sorted(set(logged)) and logged[-1] == steps  # every log_every steps and at the end
    for r in records:
        for k in (*FIELDS, "epoch", "lr_d", "lr_g", "time"):
            assert isinstance(r[k], (int, float)), (k, r)
    snaps = runs.list_snapshots(out)
    assert snaps and snaps[-1][1]["step"] == steps
    G, mcfg = load_generator(snaps[-1][0])
    assert mcfg == cfg.model
    metrics = runs.read_metrics(out)
    assert metrics[-1]["step"] == steps
    if cfg.model.output.kind == "image":
        assert 0 < metrics[-1]["diversity"]
    else:  # pixel metrics do not apply to points, vectors or curves: the dataset's own metrics do
        from pipelines.metrics import METRICS

        own = {n for n, m in METRICS.items() if m.needs in ("samples", "raw") and m.applies(cfg.model.output.kind, cfg.dataset)}
        assert set(metrics[-1]) - {"step", "epoch", "snapshot"} == own
    return G, cfg


@pytest.mark.parametrize("preset", list(PRESETS))
def test_one_step_of_each_preset_on_real_data(preset, tmp_path, mnist_dir, fashion_dir, request):
    out = tmp_path / preset
    data_dir = fashion_dir if preset.startswith("fashion") else mnist_dir
    if preset.startswith("faces"):  # real MTCNN crops of real ORL photos
        data_dir = request.getfixturevalue("orl_crops")
    args = [
        "--preset",
        preset,
        "--data-dir",
        str(data_dir),
        "--max-steps",
        "2",
        "--limit",
        "256",
        "--batch-size",
        "32",
        "--out",
        str(out),
        "--no-progress",
    ]
    if preset == "cifar10-dcgan":  # CIFAR-10 is not available offline: its architecture on real MNIST as 3x32x32
        args += ["--dataset", "mnist"]
    assert main(args) == 0
    G, cfg = _check_run(out, 2)
    labels = torch.arange(3) if G.num_classes else None
    x = G(torch.randn(3, G.z_dim), labels)
    assert x.shape == (3, *cfg.model.output.shape)
    assert cfg.preset == preset
    assert (out / runs.STATE).is_file()


def _tiny_cfg(**kw) -> TrainConfig:
    base = dict(
        preset="tiny",
        model=DCGANConfig(image_size=28, channels=1, ngf=8, ndf=8),
        epochs=2,
        batch_size=32,
        log_every=1,
        state_every=3,
        eval_samples=16,
    )
    base.update(kw)
    return TrainConfig(**base)


class _Crash(Exception):
    pass


def test_resume_continues_exactly(tmp_path, mnist_small):
    data = dataclasses.replace(mnist_small, images=mnist_small.images[:256], labels=mnist_small.labels[:256])  # 8 steps/epoch
    cfg = _tiny_cfg()
    train(cfg, tmp_path / "straight", data=data, progress=False)

    def crash_at_7(info):
        if info.step == 7:
            raise _Crash

    crashed = tmp_path / "crashed"
    with pytest.raises(_Crash):
        train(cfg, crashed, data=data, progress=False, callbacks=[crash_at_7])
    assert [r["step"] for r in runs.read_log(crashed)] == list(range(1, 8))  # steps 7 was logged, state is at 6
    assert torch.load(crashed / runs.STATE, weights_only=True)["step"] == 6
    with pytest.raises(runs.RunError, match="--resume"):
        train(cfg, crashed, data=data, progress=False)
    train(cfg, crashed, resume=True, data=data, progress=False)

    a, b = runs.read_log(tmp_path / "straight"), runs.read_log(crashed)
    assert [r["step"] for r in b] == list(range(1, 17))  # no step missing, none twice
    strip = lambda rs: [{k: v for k, v in r.items() if k != "time"} for r in rs]  # noqa: E731
    assert strip(a) == strip(b)  # the resumed run is the same run
    assert b[-1]["time"] >= b[6]["time"]
    wa = load_file(str(runs.list_snapshots(tmp_path / "straight")[-1][0]))
    wb = load_file(str(runs.list_snapshots(crashed)[-1][0]))
    assert all(torch.equal(wa[k], wb[k]) for k in wa)
    assert [m["step"] for m in runs.read_metrics(crashed)] == [8, 16]


def test_nan_stops_the_run_and_keeps_the_last_good_snapshot(tmp_path, mnist_small):
    cfg = _tiny_cfg(snapshot_every=2, optimizer="sgd")

    def explode(info):
        if info.step == 2:
            for opt in (info.opt_g, info.opt_d):
                opt.param_groups[0]["lr"] = 1e30

    out = tmp_path / "run"
    with pytest.raises(TrainingDiverged, match=r"NaN/Inf by step 3.*step-0000002") as e:
        train(cfg, out, data=mnist_small, progress=False, callbacks=[explode])
    assert "learning rate" in str(e.value)
    snaps = runs.list_snapshots(out)
    assert [m["step"] for _, m in snaps] == [2]
    G, _ = load_generator(snaps[0][0])  # the last good one still loads
    assert torch.isfinite(G(torch.randn(2, 100))).all()
    last = runs.read_log(out)[-1]
    assert last["step"] == 3 and last["nonfinite"]
    json.dumps(runs.read_log(out))  # the log stays valid JSON (no bare NaN)


def test_cli_list_presets_and_errors(capsys, tmp_path):
    assert main(["--list-presets"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in out] == list(PRESETS)
    assert all(len(line.split(None, 1)[1]) > 20 for line in out)
    assert main(["--preset", "nope"]) == 2
    assert "unknown preset" in capsys.readouterr().err
    assert main(["--preset", "cifar10-dcgan", "--data-dir", str(tmp_path), "--out", str(tmp_path / "r")]) == 1
    assert "--download" in capsys.readouterr().err


def test_preset_configs_round_trip():
    for name in PRESETS:
        cfg = get_preset(name)
        assert TrainConfig.from_dict(json.loads(json.dumps(cfg.to_dict()))) == cfg


def test_faces_dcgan_trains_at_80_pixels_too(tmp_path, orl_crops):
    """Brownlee's 80x80 face GAN: the same preset with --image-size 80 (5 -> 10 -> 20 -> 40 -> 80)."""
    out = tmp_path / "faces80"
    args = ["--preset", "faces-dcgan", "--data-dir", str(orl_crops), "--image-size", "80", "--max-steps", "1"]
    assert main([*args, "--batch-size", "8", "--out", str(out), "--no-progress"]) == 0
    G, cfg = _check_run(out, 1)
    assert cfg.model.image_size == 80 and G(torch.randn(2, 100)).shape == (2, 3, 80, 80)


def test_folder_dataset_lists_unreadable_files_in_the_run_folder(tmp_path, orl_crops):
    import shutil

    data = tmp_path / "faces"
    data.mkdir()
    for p in sorted(orl_crops.rglob("*.png"))[:40]:
        shutil.copy(p, data / p.name)
    (data / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    (data / "notes.jpg").write_text("hello")
    out = tmp_path / "run"
    args = ["--preset", "faces-orl", "--data-dir", str(data), "--max-steps", "1", "--batch-size", "8", "--out", str(out)]
    assert main([*args, "--no-progress"]) == 0
    skipped = [json.loads(line) for line in (out / runs.SKIPPED).read_text().splitlines()]
    assert sorted(s["file"].rsplit("/", 1)[-1] for s in skipped) == ["broken.png", "notes.jpg"]
    assert all(s["reason"] for s in skipped)
