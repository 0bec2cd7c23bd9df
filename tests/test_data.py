"""Real data: MNIST and Fashion-MNIST IDX files, image folders with bad files in them."""

import pytest
import torch

from pipelines.data import DataError, load_dataset, read_idx, to_range


def test_mnist_idx_gz_is_read_exactly(mnist_dir):
    train = load_dataset("mnist", mnist_dir, 28, 1)
    test = load_dataset("mnist", mnist_dir, 28, 1, train=False)
    assert train.images.shape == (60000, 1, 28, 28) and train.images.dtype == torch.uint8
    assert test.images.shape == (10000, 1, 28, 28)
    # the label counts that ../shared/data/SOURCES.md lists for the canonical files
    assert torch.bincount(test.labels).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    assert torch.bincount(train.labels).tolist()[:3] == [5923, 6742, 5958]
    assert train.class_names[7] == "7"


def test_fashion_and_resizing(fashion_dir):
    d = load_dataset("fashion-mnist", fashion_dir, 32, 3, limit=100)
    assert d.images.shape == (100, 3, 32, 32)
    assert torch.equal(d.images[:, 0], d.images[:, 1])  # grey replicated into RGB
    assert d.class_names[9] == "Ankle boot"
    x = to_range(d.images, (-1.0, 1.0))
    assert x.min() >= -1 and x.max() <= 1 and x.min() < -0.9


def test_truncated_idx_is_refused(tmp_path, mnist_dir):
    raw = read_idx(mnist_dir / "t10k-labels-idx1-ubyte.gz")
    assert raw.shape == (10000,)
    (tmp_path / "t10k-labels-idx1-ubyte").write_bytes(b"\x00\x00\x08\x01\x00\x00\x27\x10" + bytes(50))
    with pytest.raises(DataError, match="truncated"):
        read_idx(tmp_path / "t10k-labels-idx1-ubyte")


def test_image_folder_skips_and_lists_bad_files(tmp_path, faces_dir):
    import shutil

    src = faces_dir / "att_orl" / "s1"
    nested = tmp_path / "a" / "b"
    nested.mkdir(parents=True)
    for p in sorted(src.glob("*.pgm"))[:3]:
        shutil.copy(p, nested / p.name)
    (tmp_path / "empty.jpg").write_bytes(b"")
    (tmp_path / "notes.png").write_text("not an image")
    d = load_dataset("folder", tmp_path, 64, 3)
    assert d.images.shape == (3, 3, 64, 64)
    assert sorted(p.split("/")[-1] for p, _ in d.skipped) == ["empty.jpg", "notes.png"]
    assert all(reason for _, reason in d.skipped)


def test_missing_data_says_what_to_do(tmp_path):
    with pytest.raises(DataError, match="--download"):
        load_dataset("cifar10", tmp_path, 32, 3)
    with pytest.raises(DataError, match="does not exist"):
        load_dataset("folder", tmp_path / "nope", 32, 3)
    with pytest.raises(DataError, match="unknown dataset"):
        load_dataset("imagenet", tmp_path, 32, 3)
