"""Kept resume states and forks: --keep-states bounds what is kept; --fork RUN --at STEP --out NEW starts from
the parent's state at STEP (an unchanged fork repeats the parent bit for bit), records its parent, logs only
after the fork point, and leaves every byte of the parent as it was."""

import hashlib
import json
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from pipelines import runs
from pipelines.train import main

TOY = ["--preset", "toy-scalar", "--snapshot-every", "20", "--device", "cpu", "--no-progress"]
TOY += ["--set", "state_every=20", "--set", "eval_samples=16"]


def _digest(run: Path) -> dict[str, str]:
    return {str(p.relative_to(run)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(run.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def parent(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("parent") / "ring"
    assert main([*TOY, "--max-steps", "100", "--out", str(out)]) == 0
    return out


def _weights(path: Path) -> dict:
    return load_file(str(path))


def test_keep_states_keeps_the_last_n_snapshots_states(parent, tmp_path):
    assert runs.forkable_steps(parent) == [60, 80, 100]  # default keep_states=3
    assert sorted(p.name for p in (parent / runs.STATES).iterdir()) == [f"step-{s:07d}.pt" for s in (60, 80, 100)]
    kept = torch.load(runs.kept_state_path(parent, 80), weights_only=True)
    assert kept["step"] == 80
    two = tmp_path / "two"
    assert main([*TOY, "--max-steps", "60", "--keep-states", "1", "--out", str(two)]) == 0
    assert runs.forkable_steps(two) == [60]
    assert runs.forkable_steps(tmp_path / "nothing-here") == []


def test_an_unchanged_fork_repeats_its_parent_and_the_parent_is_untouched(parent, tmp_path):
    before = _digest(parent)
    fork = tmp_path / "fork"
    assert main(["--fork", str(parent), "--at", "60", "--out", str(fork), "--no-progress"]) == 0
    assert _digest(parent) == before  # not one byte of the parent changed
    record = json.loads((fork / runs.CONFIG).read_text())["fork"]
    assert record["step"] == 60 and record["parent_name"] == "ring"
    assert (fork / record["parent"]).resolve() == parent.resolve() and record["parent_abs"] == str(parent.resolve())
    # its first weights are the parent's at the fork step, and from there on it is the same run
    first = runs.list_snapshots(fork)[0]
    assert first[1]["step"] == 60
    assert first[0].read_bytes() == runs.snapshot_path(parent, 60).read_bytes()
    state = runs.load_state(fork)
    for step in (80, 100):
        a, b = _weights(runs.snapshot_path(parent, step)), _weights(runs.snapshot_path(fork, step))
        assert all(torch.equal(a[k], b[k]) for k in a)
    assert all(torch.equal(v, runs.load_state(parent)["G"][k]) for k, v in state["G"].items())
    log = runs.read_log(fork)
    assert log[0]["step"] == 61 and log[-1]["step"] == 100  # the fork's curves start after the fork point
    assert [m["step"] for m in runs.read_metrics(fork)] == [60, 80, 100]
    assert runs.find_discriminator(fork, 60) is not None


def test_a_fork_with_a_switch_changed(parent, tmp_path):
    fork = tmp_path / "faster"
    argv = ["--fork", str(parent), "--at", "80", "--out", str(fork), "--set", "lr_g=0.01", "--max-steps", "120"]
    assert main([*argv, "--no-progress"]) == 0
    config = json.loads((fork / runs.CONFIG).read_text())
    assert config["fork"]["step"] == 80 and config["overrides"]["changed"] == {"lr_g": 0.01, "max_steps": 120}
    log = runs.read_log(fork)
    assert log[0]["step"] == 81 and {r["lr_g"] for r in log} == {0.01}  # the state's lr gave way to the switch
    assert {r["lr_d"] for r in log} == {0.05}
    # the same command again with --resume: the fork is finished, not forked twice
    assert main([*argv, "--no-progress", "--resume"]) == 0


def test_a_step_with_no_kept_state_is_refused_naming_those_that_have_one(parent, tmp_path, capsys):
    assert main(["--fork", str(parent), "--at", "40", "--out", str(tmp_path / "f")]) == 1
    err = capsys.readouterr().err.strip()
    assert err == f"error: {parent} has no kept state at step 40; it can be forked at step 60, 80, 100"
    assert not (tmp_path / "f" / runs.CONFIG).exists()
    assert main(["--fork", str(parent), "--out", str(tmp_path / "f")]) == 2
    assert "--fork RUN needs --at STEP and --out NEW" in capsys.readouterr().err
