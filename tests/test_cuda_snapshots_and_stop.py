"""On a CUDA device (skipped elsewhere): D snapshots of a channels_last, spectrally normalised DCGAN trained
as one CUDA graph per step load into a plain D and score as the live one; a stop request ends the run with
a snapshot and state, and a resume finishes it; a fork's new learning rate reaches the captured graph."""

import os

import pytest
import torch

from models import DCGANConfig, build_discriminator, load_discriminator
from pipelines import runs
from pipelines.build import _spectral_norm
from pipelines.data import ImageData
from pipelines.fork import start_fork
from pipelines.stopping import StopRequest
from pipelines.train import train
from pipelines.train_config import TrainConfig

DEVICE = os.environ.get("GANSCOPE_TEST_DEVICE", "cuda")  # =cpu runs the same checks here
pytestmark = pytest.mark.skipif(DEVICE == "cuda" and not torch.cuda.is_available(), reason="needs a CUDA device")


def _data() -> ImageData:
    g = torch.Generator().manual_seed(0)
    return ImageData(torch.randint(0, 256, (256, 1, 28, 28), dtype=torch.uint8, generator=g), torch.zeros(256, dtype=torch.long))


def _cfg(**kw) -> TrainConfig:
    base = dict(preset="tiny", model=DCGANConfig(image_size=28, channels=1, ngf=16, ndf=16), epochs=1, batch_size=32)
    base |= dict(snapshot_every=2, eval_samples=16, spectral_norm=True, dataset="mnist")
    return TrainConfig(**(base | kw))


def test_d_snapshots_of_a_cuda_graph_run_score_as_the_live_d(tmp_path):
    out = train(_cfg(), tmp_path / "run", device=DEVICE, data=_data(), progress=False)
    D = _spectral_norm(build_discriminator(_cfg().model))
    D.load_state_dict({k: v.float().cpu() for k, v in runs.load_state(out)["D"].items()})
    x = torch.rand(16, 1, 28, 28) * 2 - 1
    plain, _ = load_discriminator(runs.find_discriminator(out, 8))
    with torch.no_grad():
        assert torch.allclose(D.eval()(x), plain(x), atol=3e-2, rtol=3e-2)
    assert [m["step"] for _, m in runs.list_snapshots(out)] == [2, 4, 6, 8]
    assert all(runs.find_discriminator(out, s) for s in (2, 4, 6, 8))


def test_stop_resume_and_fork_on_cuda(tmp_path):
    stop = StopRequest()

    def stop_at_3(info):
        if info.step == 3:
            stop.request()

    out = train(_cfg(), tmp_path / "run", device=DEVICE, data=_data(), progress=False, stop=stop, callbacks=[stop_at_3])
    assert runs.load_state(out)["step"] == 4  # asked after step 3's callbacks: stops after step 4
    assert stop.exit_status == 143
    train(_cfg(), out, resume=True, device=DEVICE, data=_data(), progress=False)
    assert runs.load_state(out)["step"] == 8 and [r["step"] for r in runs.read_log(out)][-1] == 8
    fork = tmp_path / "fork"
    record = start_fork(out, 6, fork)
    assert record["step"] == 6
    train(_cfg(lr_g=1e-3), fork, resume=True, device=DEVICE, data=_data(), progress=False)
    log = runs.read_log(fork)
    assert log[0]["step"] == 7 and {r["lr_g"] for r in log} == {1e-3}
