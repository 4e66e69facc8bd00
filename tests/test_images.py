"""cnn and gan on image files the tests write in the real formats (MNIST-style IDX, gzipped or
not; CIFAR-10 python batches), download=true against a local mirror, and every malformed input
as one line naming the file, with exit code 2."""
import gzip
import json
import pickle

import numpy as np
import pytest
import torch
from safetensors.torch import load_file
from typer.testing import CliRunner

from image_files import bars, idx_bytes, write_cifar, write_idx
from tuidl.cli import app
from tuidl.data import download
from tuidl.data.download import md5
from tuidl.data.images import load_images, read_idx

runner = CliRunner()
SMALL_CNN = ("channels=8", "fc=32", "epochs=4")


def test_cnn_trains_on_gzipped_idx_files_and_scores_their_test_set(train, tmp_path):
    folder = write_idx(tmp_path / "bars", n_train=300, n_test=100, gz=True)
    # 6 epochs: after 4 the stratified split of seed 0 scores 90 of 100, right at the bar
    summary, run_dir, events = train("cnn-digits", f"dataset={folder}", *SMALL_CNN, "epochs=6")
    m = summary["metrics"]
    assert m["test_accuracy"] >= 0.9 and m["val_accuracy"] >= 0.9, m
    confusion = [e for e in events if e["type"] == "confusion"][-1]
    assert confusion["labels"] == ["0", "1", "2"]
    assert sum(map(sum, confusion["matrix"])) == 120  # 40 % of the 300 training images
    view = [e for e in events if e["type"] == "task_view"][-1]
    assert len(view["data"]["examples"][0]["image"]) == 12  # 12x12 images shown as they are
    state = load_file(run_dir / "model.safetensors")
    assert state["model.inputs.mean"].shape == (1, 1, 1, 1)  # pixel statistics travel along


def test_cnn_trains_on_cifar10_batches_with_their_class_names(train, tmp_path):
    folder = write_cifar(tmp_path / "cifar", n_batch=150, batches=2, n_test=100)
    summary, _, events = train("cnn-digits", f"dataset={folder}", *SMALL_CNN)
    assert summary["metrics"]["test_accuracy"] >= 0.9, summary["metrics"]
    confusion = [e for e in events if e["type"] == "confusion"][-1]
    assert confusion["labels"] == ["red", "green", "blue"]
    view = [e for e in events if e["type"] == "task_view"][-1]
    assert len(view["data"]["examples"][0]["image"]) == 14  # 32x32 pooled down for the view


def test_named_sets_are_found_under_data_root_in_either_layout(tmp_path):
    write_idx(tmp_path / "mnist", gz=False)  # plain files in the folder itself
    write_idx(tmp_path / "fashion_mnist" / "FashionMNIST" / "raw", gz=True)  # torchvision's
    s = load_images("mnist", tmp_path)
    assert s.x_train.shape == (300, 1, 12, 12) and s.x_train.dtype == np.uint8
    assert s.x_test.shape == (100, 1, 12, 12) and s.classes == ["0", "1", "2"]
    f = load_images("fashion_mnist", tmp_path)
    assert f.classes == ["t-shirt", "trouser", "pullover"]
    assert np.array_equal(s.x_train, f.x_train)  # gzip or not, the same pixels


def test_max_samples_takes_a_seeded_subset(train, tmp_path):
    folder = write_idx(tmp_path / "bars", n_train=300, n_test=0)
    summary, _, events = train("cnn-digits", f"dataset={folder}", "max_samples=100",
                               "train_fraction=0.5", "test_fraction=0.2", "channels=4",
                               "fc=8", "epochs=1")
    confusion = [e for e in events if e["type"] == "confusion"][-1]
    assert sum(map(sum, confusion["matrix"])) == 30  # 100 - 50 train - 20 test (no test files)
    assert "test_accuracy" in summary["metrics"]


def test_gan_learns_images_from_idx_files(train, tmp_path):
    """Nine kinds of image (3 bars x 3 places): an untrained G draws grey fog, all alike; after
    800 steps its images lie close to real ones and spread like them (PacGAN, pack=2)."""
    from tuidl.runner import prepare
    from tuidl.tasks.gan import GANTask
    folder = write_idx(tmp_path / "bars", n_train=300, n_test=0, places=3, noise=20)
    flags = (f"target={folder}", "z_dim=16", "hidden_g=64,64", "hidden_d=64,64", "pack=2",
             "eval_samples=300", "steps_per_epoch=100", "epochs=8", "lr_end=1")
    torch.manual_seed(0)
    untrained = GANTask(prepare("gan-ring", flags).config, torch.device("cpu")).evaluate()
    summary, run_dir, events = train("gan-ring", *flags)
    before, after = untrained.metrics, summary["metrics"]
    assert after["nearest"] < 0.5 * before["nearest"], (before, after)
    assert after["diversity"] > 0.5 > 4 * before["diversity"], (before, after)
    view = [e for e in events if e["type"] == "task_view"][-1]
    assert view["kind"] == "gan_images" and len(view["data"]["generated"][0]) == 12
    rows = (run_dir / "samples.csv").read_text().splitlines()
    assert rows[0].split(",")[:2] == ["p0", "p1"] and len(rows[0].split(",")) == 144
    assert len(rows) == 301 and all(0 <= int(v) <= 255 for v in rows[1].split(","))


# -- download=true, against a local mirror --------------------------------------------------
def _mirror(tmp_path, monkeypatch, corrupt=False):
    src = write_idx(tmp_path / "mirror", gz=True)
    files = [(p.name, md5(p)) for p in sorted(src.iterdir())]
    if corrupt:
        files[0] = (files[0][0], "0" * 32)
    monkeypatch.setitem(download.SOURCES, "mnist", (src.as_uri() + "/", files, False))


def test_download_fetches_checks_and_keeps_the_files(tmp_path, monkeypatch):
    _mirror(tmp_path, monkeypatch)
    root = tmp_path / "data"
    result = runner.invoke(app, ["run", "cnn-digits", "--set", "dataset=mnist", "--set",
                                 f"data_root={root}", "--set", "download=true", "--set",
                                 "epochs=1", "--out", str(tmp_path / "runs"), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["metrics"]["test_accuracy"] > 0
    assert sorted(p.name for p in (root / "mnist").iterdir()) == sorted(
        p.name for p in (tmp_path / "mirror").iterdir())  # no .part files left behind


def test_download_off_by_default_and_a_bad_checksum_are_one_line_errors(tmp_path, monkeypatch):
    _mirror(tmp_path, monkeypatch, corrupt=True)
    base = ["run", "cnn-digits", "--set", "dataset=mnist", "--set", f"data_root={tmp_path}",
            "--out", str(tmp_path / "runs")]
    result = runner.invoke(app, base)
    assert result.exit_code == 2 and "set download=true" in result.output
    assert len(result.output.strip().splitlines()) == 1
    result = runner.invoke(app, base + ["--set", "download=true"])
    assert result.exit_code == 2 and "MD5 is not the published" in result.output
    assert not list((tmp_path / "mnist").glob("*.part"))


# -- malformed inputs -------------------------------------------------------------------------
def _idx_case(tmp_path, name):
    folder = write_idx(tmp_path / name, gz=False)
    images = folder / "train-images-idx3-ubyte"
    labels = folder / "train-labels-idx1-ubyte"
    if name == "not_idx":
        images.write_bytes(b"PK\x03\x04 a zip file")
    elif name == "truncated":
        images.write_bytes(images.read_bytes()[:-10])
    elif name == "wrong_shape":
        images.write_bytes(idx_bytes(np.zeros((300, 144), np.uint8)))
    elif name == "count":
        labels.write_bytes(idx_bytes(np.zeros(290, np.uint8)))
    elif name == "test_size":
        x, _ = bars(100, 10, 1)
        (folder / "t10k-images-idx3-ubyte").write_bytes(idx_bytes(x))
    elif name == "one_class":
        labels.write_bytes(idx_bytes(np.ones(300, np.uint8)))
    elif name in ("bomb", "overflow"):  # a header asking for far more than any image set
        images.unlink()
        dims = (100_000, 1000, 1000) if name == "bomb" else (2**32 - 1,) * 3
        head = bytes([0, 0, 8, 3]) + b"".join(d.to_bytes(4, "big") for d in dims)
        (folder / "train-images-idx3-ubyte.gz").write_bytes(gzip.compress(head + bytes(10**6)))
    elif name == "bad_gzip":
        images.unlink()
        (folder / "train-images-idx3-ubyte.gz").write_bytes(b"\x1f\x8b" + b"\x00" * 40)
    return folder


IDX_CASES = {
    "not_idx": "train-images-idx3-ubyte: not an IDX file (it starts 50 4b 03 04)",
    "truncated": "train-images-idx3-ubyte: the header says 300x12x12 values (43200 bytes) but "
                 "43190 bytes follow",
    "wrong_shape": "train-images-idx3-ubyte: expected images [n, rows, cols], found shape "
                   "[300, 144]",
    "count": "train-images-idx3-ubyte: 300 images but train-labels-idx1-ubyte has 290 labels",
    "test_size": "t10k-images-idx3-ubyte: test images are 1x10x10 but the training images are "
                 "1x12x12",
    "one_class": "train-labels-idx1-ubyte: every label is 1; a classifier needs two classes",
    "bad_gzip": "train-images-idx3-ubyte.gz: a damaged gzip file",
    "bomb": "train-images-idx3-ubyte.gz: the header says 100000x1000x1000 values "
            "(100,000,000,000 bytes), more than 4,294,967,296",
    "overflow": "train-images-idx3-ubyte.gz: the header says 4294967295x4294967295x4294967295",
}


def _cifar_case(tmp_path, name):
    folder = write_cifar(tmp_path / name, n_batch=20, batches=1, n_test=10)
    batch = folder / "cifar-10-batches-py" / "data_batch_1"
    if name == "cifar_shape":
        with open(batch, "wb") as f:
            pickle.dump({b"data": np.zeros((20, 1024), np.uint8), b"labels": [0] * 20}, f)
    elif name == "cifar_code":  # a pickle that would call os.system when loaded
        batch.write_bytes(b"cos\nsystem\n(S'echo pwned'\ntR.")
    elif name == "cifar_keys":
        batch.write_bytes(pickle.dumps({b"images": []}))
    elif name in ("cifar_str_labels", "cifar_huge_labels"):
        labels = ["cat"] * 20 if name == "cifar_str_labels" else [10**30] * 20
        batch.write_bytes(pickle.dumps({b"data": np.zeros((20, 3072), np.uint8),
                                        b"labels": labels}))
    elif name == "cifar_meta":
        (folder / "cifar-10-batches-py" / "batches.meta").write_bytes(
            pickle.dumps({b"label_names": 7}))
    return folder


CIFAR_CASES = {
    "cifar_shape": "data_batch_1: expected data of uint8 [n, 3072] (32x32 RGB), found uint8 "
                   "[20, 1024]",
    "cifar_code": "data_batch_1: not a CIFAR-10 python batch (refused to build os.system)",
    "cifar_keys": "data_batch_1: not a CIFAR-10 python batch (no data and labels)",
    "cifar_str_labels": "data_batch_1: labels must be class numbers 0..999, found ['cat', "
                        "'cat', 'cat']",
    "cifar_huge_labels": "data_batch_1: labels must be class numbers 0..999",
    "cifar_meta": "batches.meta: label_names must be a list of names, found 7",
}


@pytest.mark.parametrize("case", [*IDX_CASES, *CIFAR_CASES, "missing", "empty_folder"])
def test_malformed_image_input_is_one_line_and_exit_2(tmp_path, case):
    if case in IDX_CASES:
        folder, message = _idx_case(tmp_path, case), IDX_CASES[case]
    elif case in CIFAR_CASES:
        folder, message = _cifar_case(tmp_path, case), CIFAR_CASES[case]
    elif case == "missing":
        folder, message = tmp_path / "nowhere", "nowhere: no such file or folder"
    else:
        folder = tmp_path / "empty"
        folder.mkdir()
        message = "empty: found neither MNIST-style IDX files"
    for preset, key in (("cnn-digits", "dataset"), ("gan-ring", "target")):
        result = runner.invoke(app, ["run", preset, "--set", f"{key}={folder}", "--out",
                                     str(tmp_path / "runs")])
        assert result.exit_code == 2, result.output
        assert message in result.output and "Traceback" not in result.output
        assert len(result.output.strip().splitlines()) == 1, result.output
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


def test_idx_reader_keeps_type_and_shape(tmp_path):
    a = (np.arange(24, dtype=np.uint8) * 10).reshape(2, 3, 4)
    (tmp_path / "a.idx").write_bytes(gzip.compress(idx_bytes(a)))
    assert np.array_equal(read_idx(tmp_path / "a.idx"), a)
