"""Training one run with several processes (torchrun / DistributedDataParallel), on the CPU with gloo."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import pytest
import torch
import torch.multiprocessing as mp

from models import load_generator
from pipelines import runs
from pipelines.presets import get_preset
from pipelines.train import shard_start, train
from tests.conftest import ROOT


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _cfg(data_dir, steps):
    return get_preset("mnist-dcgan").replace(
        data_dir=str(data_dir), batch_size=16, max_steps=steps, log_every=1, state_every=2, eval_samples=16
    )


def _rank(rank, world, port, run_dir, data, steps, resume, out):
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), WORLD_SIZE=str(world), RANK=str(rank), LOCAL_RANK=str(rank))
    torch.set_num_threads(1)
    seen = []

    def record(info):
        seen.append(info.step)
        if info.step == steps:
            weights = {f"G.{k}": v.detach().clone() for k, v in info.G.named_parameters()}
            weights |= {f"D.{k}": v.detach().clone() for k, v in info.D.named_parameters()}
            torch.save({"weights": weights, "steps": seen}, out / f"rank{rank}.pt")

    train(_cfg(run_dir, steps), run_dir, resume=resume, device="cpu", progress=False, callbacks=[record], data=data)


def _spawn(tmp_path, mnist_small, steps, resume=False):
    out = tmp_path / ("resumed" if resume else "first")
    out.mkdir()
    mp.spawn(_rank, args=(2, _port(), tmp_path / "run", mnist_small, steps, resume, out), nprocs=2, join=True)
    return [torch.load(out / f"rank{r}.pt", weights_only=True) for r in (0, 1)]


def _assert_ranks_agree(ranks):
    a, b = ranks[0]["weights"], ranks[1]["weights"]
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_two_gloo_ranks_train_one_run_and_resume_it(tmp_path, mnist_small):
    ranks = _spawn(tmp_path, mnist_small, 3)
    _assert_ranks_agree(ranks)  # gradients were averaged: both processes hold the same networks
    run = tmp_path / "run"
    config = json.loads((run / runs.CONFIG).read_text())
    assert config["launch"] == {
        "world_size": 2,
        "backend": "gloo",
        "batch_per_rank": 16,
        "global_batch": 32,
        "lr_g": 2e-4,
        "lr_d": 2e-4,
    }
    assert [r["step"] for r in runs.read_log(run)] == [1, 2, 3]  # rank 0 alone wrote the log
    G, _ = load_generator(run)
    for k, v in G.named_parameters():
        assert torch.allclose(v.float(), ranks[0]["weights"][f"G.{k}"], atol=2e-3)  # fp16 snapshot of rank 0's G
    assert len(mnist_small) // 32 == 16  # 16 steps make an epoch of the global batch

    # resume both ranks from the state at step 3 and go on to step 5
    resumed = _spawn(tmp_path, mnist_small, 5, resume=True)
    _assert_ranks_agree(resumed)
    assert resumed[0]["steps"] == [4, 5]
    assert [r["step"] for r in runs.read_log(run)] == [1, 2, 3, 4, 5]
    assert not torch.equal(resumed[0]["weights"]["G.net.0.weight"], ranks[0]["weights"]["G.net.0.weight"])


def test_ranks_take_disjoint_slices_of_each_global_batch():
    world, batch, steps = 3, 4, 5
    seen = [
        i
        for step in range(steps)
        for rank in range(world)
        for i in range(shard_start(step, world, rank, batch), shard_start(step, world, rank, batch) + batch)
    ]
    assert sorted(seen) == list(range(steps * world * batch))  # every item of the epoch once


@pytest.mark.skipif(sys.platform != "linux", reason="torchrun's standalone rendezvous")
def test_torchrun_command_from_the_readme(tmp_path, mnist_dir):
    out = tmp_path / "ddp"
    cmd = [
        sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
        "-m", "pipelines.train", "--preset", "mnist-dcgan", "--data-dir", str(mnist_dir), "--limit", "256",
        "--batch-size", "16", "--max-steps", "2", "--device", "cpu", "--out", str(out), "--no-progress",
    ]  # fmt: skip
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert json.loads((out / runs.CONFIG).read_text())["launch"]["world_size"] == 2
    G, _ = load_generator(out)
    assert G(torch.randn(2, G.z_dim)).shape == (2, 1, 28, 28)
    assert [r["step"] for r in runs.read_log(out)] == [2]  # the preset logs every 5 steps, and the last
