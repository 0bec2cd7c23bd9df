"""Does the captured CUDA graph replay the eager step exactly? 300 steps each way, same seed."""
import sys, tempfile, warnings
warnings.simplefilter("ignore")
sys.path.insert(0, ".")
import torch
from models import DCGANConfig
from pipelines import runs
from pipelines.data import load_dataset
from pipelines.presets import get_preset
from pipelines.train import train
data = load_dataset("mnist", str(Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist") if len(sys.argv) < 2 else sys.argv[1], image_size=28, channels=1, limit=8192)
cases = {
    "mnist-cgan": get_preset("mnist-cgan").replace(max_steps=300, log_every=100, state_every=100, eval_samples=16),
    "dcgan+ema+aug+r1": get_preset("mnist-dcgan").replace(max_steps=300, log_every=100, state_every=100, eval_samples=16,
        ema_kimg=2.0, augment="translation,cutout,color", r1_gamma=0.2, model=DCGANConfig(image_size=28, channels=1, ngf=64, ndf=64)),
    "dcgan+hinge+sn": get_preset("mnist-dcgan").replace(max_steps=300, log_every=100, state_every=100, eval_samples=16,
        loss="hinge", spectral_norm=True, model=DCGANConfig(image_size=28, channels=1, ngf=64, ndf=64)),
}
for name, cfg in cases.items():
    out = {}
    for graphs in (True, False):
        d = tempfile.mkdtemp()
        train(cfg, d + "/r", device="cuda", progress=False, data=data, cuda_graphs=graphs)
        rec = runs.read_log(d + "/r")[-1]
        st = torch.load(d + "/r/state.pt", weights_only=True)
        g = st.get("G_ema", st["G"])
        out[graphs] = (rec, g)
    (ra, ga), (rb, gb) = out[True], out[False]
    diff = max(float((ga[k].float() - gb[k].float()).abs().max()) for k in ga if ga[k].is_floating_point())
    print(f"{name}: graph d_real {ra['d_loss_real']:.6f} g {ra['g_loss']:.6f} | eager d_real {rb['d_loss_real']:.6f} g {rb['g_loss']:.6f} | max |w_graph - w_eager| {diff:.3g}", flush=True)
