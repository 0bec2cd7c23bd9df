"""ganscope-import on Keras models (legacy .h5 and native .keras), built with Keras 3 on its torch
backend as Brownlee's generators are, compared with Keras' own predictions on the same latents.
All Keras tests live here: importing Keras takes seconds."""

from __future__ import annotations

import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

keras = pytest.importorskip("keras", reason="Keras is in the test extra: pip install -e '.[test]'")
from keras import layers  # noqa: E402

from models import load_generator  # noqa: E402
from pipelines.importers import Hints, ImportFailed, import_generator  # noqa: E402

TOL = 1e-4


def _randomise(model, seed=0):
    """Random weights everywhere (BatchNorm moving variances positive) so every weight matters."""
    rng = np.random.default_rng(seed)
    new = []
    for w in model.get_weights():
        v = rng.normal(0, 0.3, w.shape).astype(np.float32)
        new.append(np.abs(v) + 0.5 if "variance" in str(w) else v)
    model.set_weights(new)
    for layer in model.layers:
        if isinstance(layer, layers.BatchNormalization):
            g, b, m, v = layer.get_weights()
            layer.set_weights([g, b, m, np.abs(v) + 0.5])
    return model


def brownlee_mnist(z=100, f=16):
    """define_generator() of Brownlee's MNIST DCGAN: 7x7x128 start, two (4, 4) stride-2 'same' upsamplings."""
    return keras.Sequential(
        [
            keras.Input((z,)),
            layers.Dense(f * 7 * 7),
            layers.LeakyReLU(negative_slope=0.2),
            layers.Reshape((7, 7, f)),
            layers.Conv2DTranspose(f, (4, 4), strides=(2, 2), padding="same"),
            layers.LeakyReLU(negative_slope=0.2),
            layers.Conv2DTranspose(f, (4, 4), strides=(2, 2), padding="same"),
            layers.LeakyReLU(negative_slope=0.2),
            layers.Conv2D(1, (7, 7), activation="sigmoid", padding="same"),
        ]
    )


def odd_sizes(z=12):
    """Asymmetric 'same' padding (kernels 3 and 5 at stride 2), BatchNorm, UpSampling2D, Dropout,
    a strided 'same' Conv2D, an Activation layer and a 'valid' Conv2D with tanh."""
    return keras.Sequential(
        [
            keras.Input((z,)),
            layers.Dense(4 * 4 * 8, use_bias=False),
            layers.BatchNormalization(),
            layers.Activation("relu"),
            layers.Reshape((4, 4, 8)),
            layers.Conv2DTranspose(8, (3, 3), strides=(2, 2), padding="same"),
            layers.BatchNormalization(epsilon=0.01),
            layers.LeakyReLU(negative_slope=0.1),
            layers.Dropout(0.3),
            layers.Conv2DTranspose(6, (5, 5), strides=(2, 2), padding="same"),
            layers.ReLU(),
            layers.UpSampling2D(),
            layers.Conv2D(6, (3, 3), strides=(2, 2), padding="same"),
            layers.Conv2DTranspose(4, (3, 3), strides=(2, 2), padding="valid", activation="relu"),
            layers.Conv2D(3, (4, 4), padding="valid", activation="tanh"),
        ]
    )


def flat_mlp(z=10):
    return keras.Sequential([keras.Input((z,)), layers.Dense(32, activation="relu"), layers.Dense(784, activation="tanh")])


def _compare(model, path, z_dim, tmp_path, **hints):
    run, imp = import_generator(path, tmp_path / f"run-{path.suffix[1:]}", Hints(**hints))
    G, cfg = load_generator(run)
    z = np.random.default_rng(1).normal(size=(6, z_dim)).astype(np.float32)
    want = np.asarray(model.predict(z, verbose=0))
    if want.ndim == 4:
        want = want.transpose(0, 3, 1, 2)
    with torch.no_grad():
        got = G(torch.from_numpy(z)).numpy()
    assert got.shape[1:] == tuple(cfg.output.shape)
    assert np.abs(got.reshape(want.shape) - want).max() < TOL
    return imp, cfg


@pytest.mark.parametrize("suffix", [".h5", ".keras"])
def test_brownlee_mnist_generator(tmp_path, suffix):
    model = _randomise(brownlee_mnist())
    path = tmp_path / f"generator_model_010{suffix}"
    model.save(path)
    imp, cfg = _compare(model, path, 100, tmp_path)
    assert tuple(cfg.output.shape) == (1, 28, 28) and cfg.output.value_range == (0.0, 1.0)
    assert imp.record.format == ("keras-h5" if suffix == ".h5" else "keras-v3")
    assert "NHWC output (N, 28, 28, 1)" in imp.record.layout


@pytest.mark.parametrize("suffix", [".h5", ".keras"])
def test_asymmetric_same_padding_batchnorm_upsampling_valid(tmp_path, suffix):
    model = _randomise(odd_sizes(), seed=2)
    path = tmp_path / f"odd{suffix}"
    model.save(path)
    imp, cfg = _compare(model, path, 12, tmp_path)
    assert cfg.has_batchnorm and imp.record.batchnorm == "running"
    crops = [L.padding for L in cfg.layers if L.kind == "conv_transpose2d"]
    assert crops[0] == (0, 1, 0, 1) and crops[1] == (1, 2, 1, 2)  # TensorFlow's 'same': the extra row at the bottom
    assert [L.eps for L in cfg.layers if L.kind == "batchnorm"] == [1e-3, 0.01]


def test_flat_dense_output_becomes_an_image(tmp_path):
    model = _randomise(flat_mlp(), seed=3)
    path = tmp_path / "mlp.h5"
    model.save(path)
    _, cfg = _compare(model, path, 10, tmp_path)
    assert tuple(cfg.output.shape) == (1, 28, 28) and cfg.output.value_range == (-1.0, 1.0)


def test_unsupported_layer_and_truncated_file(tmp_path):
    model = keras.Sequential(
        [keras.Input((4,)), layers.Dense(64), layers.Reshape((8, 8, 1)), layers.Conv2D(1, 3, dilation_rate=2)]
    )
    model.save(tmp_path / "dilated.h5")
    with pytest.raises(ImportFailed, match=r"^dilated.h5: Keras layer 'conv2d\w*': dilated convolutions are not supported"):
        import_generator(tmp_path / "dilated.h5", tmp_path / "run")
    recurrent = keras.Sequential([keras.Input((4,)), layers.Reshape((4, 1)), layers.LSTM(8), layers.Dense(16)])
    recurrent.save(tmp_path / "lstm.h5")  # named at once, not mistaken for a missing latent size
    with pytest.raises(ImportFailed, match=r"^lstm.h5: layer 'lstm\w*': LSTM layers are not supported"):
        import_generator(tmp_path / "lstm.h5", tmp_path / "run")
    with pytest.raises(ImportFailed, match=r"is a folder, not a generator file"):
        import_generator(tmp_path, tmp_path / "run")
    data = (tmp_path / "dilated.h5").read_bytes()
    (tmp_path / "cut.h5").write_bytes(data[: len(data) // 3])
    with pytest.raises(ImportFailed, match=r"^cut.h5: .*truncated or corrupt"):
        import_generator(tmp_path / "cut.h5", tmp_path / "run")
    brownlee_mnist(f=2).save(tmp_path / "generator.keras")
    data = (tmp_path / "generator.keras").read_bytes()
    (tmp_path / "cut.keras").write_bytes(data[: len(data) // 2])
    with pytest.raises(ImportFailed, match=r"^cut.keras: .*truncated or corrupt"):
        import_generator(tmp_path / "cut.keras", tmp_path / "run")
    assert not (tmp_path / "run").exists()


def test_keras_onnx_export_runs_in_onnxruntime(tmp_path):
    """Keras' own ONNX export has Cast nodes onnx2torch cannot convert: the graph runs in onnxruntime."""
    model = _randomise(brownlee_mnist(z=10, f=4), seed=4)
    model(np.zeros((1, 10), np.float32))  # Keras exports only a model that has been called
    path = tmp_path / "g_model.onnx"
    model.export(str(path), format="onnx", verbose=False)
    imp, cfg = _compare(model, path, 10, tmp_path)
    assert imp.record.runtime == "onnxruntime" and "Cast" in imp.record.onnx2torch
    assert cfg.output_layout == "nhwc" and tuple(cfg.output.shape) == (1, 28, 28)


def write_tf2_h5(model, path) -> None:
    """``model`` as tf.keras 2 (TensorFlow) wrote ``g_model.save('....h5')``, which Brownlee's files are:
    no InputLayer, ``batch_input_shape`` on the first layer, LeakyReLU's ``alpha``, BatchNormalization's
    axis as a built list, weights named ``dense/kernel:0`` in nested groups, byte-string attributes."""
    import json

    import h5py

    layers_cfg = []
    for i, layer in enumerate(model.layers):
        c = dict(layer.get_config())
        c.pop("dtype", None)
        if i == 0:
            c["batch_input_shape"] = [None, model.input_shape[1]]
        if type(layer).__name__ == "LeakyReLU":
            c["alpha"] = c.pop("negative_slope")
        if type(layer).__name__ == "BatchNormalization":
            c["axis"] = [len(layer.input.shape) - 1]
        layers_cfg.append({"class_name": type(layer).__name__, "config": c})
    config = {"class_name": "Sequential", "config": {"name": "sequential", "layers": layers_cfg}}
    with h5py.File(path, "w") as f:
        f.attrs["keras_version"] = b"2.4.0"
        f.attrs["backend"] = b"tensorflow"
        f.attrs["model_config"] = json.dumps(config).encode("utf8")
        mw = f.create_group("model_weights")
        mw.attrs["layer_names"] = [layer.name.encode("utf8") for layer in model.layers]
        for layer in model.layers:
            g = mw.create_group(layer.name)
            names = [f"{layer.name}/{w.name}:0".encode() for w in layer.weights]
            g.attrs["weight_names"] = names
            for name, w in zip(names, layer.get_weights(), strict=True):
                g.create_dataset(name.decode(), data=w)


def test_tf2_keras_h5_as_brownlees_scripts_wrote_it(tmp_path):
    for i, model in enumerate([_randomise(brownlee_mnist(), seed=5), _randomise(odd_sizes(), seed=6)]):
        path = tmp_path / f"generator_model_{i:03d}.h5"
        write_tf2_h5(model, path)
        imp, _ = _compare(model, path, model.input_shape[1], tmp_path / str(i))
        assert imp.record.format == "keras-h5" and "Keras 2.4.0" in imp.record.family
