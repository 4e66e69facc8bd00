"""MLP presets reach their figures; CNN too (both are classifiers on the shared task)."""
import pytest


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_xor_mlp_solves_xor_where_the_perceptron_cannot(train, seed):
    summary, _, _ = train("xor-mlp", f"seed={seed}")
    assert summary["metrics"]["val_accuracy"] == 1.0
    assert summary["seconds"] < 10
    perceptron, _, events = train("perceptron-xor", f"seed={seed}")
    assert max(e["metrics"]["accuracy"] for e in events if e["type"] == "eval") <= 0.75
    assert perceptron["metrics"]["converged"] is False


@pytest.mark.slow
def test_mlp_spiral_reaches_95_percent(train):
    summary, _, _ = train("mlp-spiral")
    assert summary["metrics"]["val_accuracy"] >= 0.95


@pytest.mark.slow
def test_mlp_digits_reaches_95_percent_test_accuracy(train):
    summary, _, events = train("mlp-digits")
    assert summary["metrics"]["test_accuracy"] >= 0.95
    confusion = [e for e in events if e["type"] == "confusion"][-1]
    assert len(confusion["labels"]) == 10
    n_val = 1797 - round(1797 * 0.2) - round(1797 * 0.6)  # test and train carved out first
    assert sum(map(sum, confusion["matrix"])) == n_val


@pytest.mark.slow
def test_cnn_digits_reaches_97_percent_in_under_a_minute(train):
    summary, _, events = train("cnn-digits")
    assert summary["metrics"]["test_accuracy"] >= 0.97
    assert summary["seconds"] < 60
    view = [e for e in events if e["type"] == "task_view"][-1]
    assert view["kind"] == "filters" and len(view["data"]["filters"]) == 16
    start = events[0]
    grads = [e for e in events if e["type"] == "grad_stats"][-1]
    assert grads["layers"] == [layer["name"] for layer in start["layers"]] == [
        "conv1", "conv2", "fc1", "out"]


@pytest.mark.parametrize("dataset", ["xor", "circle", "gauss", "spiral", "moons"])
def test_every_2d_dataset_trains_and_draws_a_boundary(train, dataset):
    summary, _, events = train("mlp", f"dataset={dataset}", "epochs=2", "n_samples=200")
    view = [e for e in events if e["type"] == "task_view"][-1]["data"]
    assert len(view["prob"]) == 48 and len(view["prob"][0]) == 48
    assert all(0.0 <= p <= 1.0 for row in view["prob"] for p in row)


def test_the_digits_are_scikit_learns_read_without_importing_it():
    """The 8x8 digits come straight from scikit-learn's data file (importing the package
    costs 1.5 s of every run's start) and are the very arrays its load_digits gives."""
    import subprocess
    import sys

    import numpy as np
    code = ("import sys; from tuidl.data.digits import load_digits_arrays; "
            "x, y = load_digits_arrays(); print(x.shape, y.shape, 'sklearn' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["(1797,", "64)", "(1797,)", "False"]
    from sklearn.datasets import load_digits

    from tuidl.data.digits import load_digits_arrays
    x, y = load_digits_arrays()
    d = load_digits()
    assert x.dtype == np.float32 and y.dtype == np.int64
    assert np.array_equal(x, (d.data / 16.0).astype(np.float32))
    assert np.array_equal(y, d.target)


def test_an_mlp_reads_idx_images_as_vectors_scaled_like_the_cnn(train, tmp_path):
    """The classic first exercise: an MLP on MNIST-style IDX files (here 12x12 bars, gzipped),
    each image one vector of its 144 pixels; the files' test set is the test split."""
    from safetensors.torch import load_file

    from image_files import write_idx
    folder = write_idx(tmp_path / "bars", n_train=300, n_test=100, gz=True)
    summary, run_dir, events = train("mlp", f"dataset={folder}", "hidden=32", "epochs=5")
    m = summary["metrics"]
    assert m["val_accuracy"] >= 0.9 and m["test_accuracy"] >= 0.9, m  # chance: 1/3
    confusion = [e for e in events if e["type"] == "confusion"][-1]
    assert confusion["labels"] == ["0", "1", "2"]
    assert sum(map(sum, confusion["matrix"])) == 60  # 20 % of the 300 training images
    view = [e for e in events if e["type"] == "task_view"][-1]
    assert view["kind"] == "filters" and len(view["data"]["filters"]) == 16
    assert len(view["data"]["filters"][0]) == 12 and len(view["data"]["examples"]) == 16
    grads = [e for e in events if e["type"] == "grad_stats"][-1]
    assert grads["layers"] == ["fc1", "out"]
    state = load_file(run_dir / "model.safetensors")
    assert state["model.fc1.weight"].shape == (32, 144)  # C*H*W inputs
    assert state["model.inputs.mean"].shape == (1, 1, 1, 1)  # the cnn's pixel scaling


def test_an_mlp_finds_named_sets_under_data_root_and_reads_cifar(train, tmp_path):
    from image_files import write_cifar, write_idx
    write_idx(tmp_path / "data" / "mnist", n_train=300, n_test=0, gz=False)
    summary, _, events = train("mlp", "dataset=mnist", f"data_root={tmp_path / 'data'}",
                               "max_samples=100", "train_fraction=0.6", "test_fraction=0.2",
                               "epochs=1")
    confusion = [e for e in events if e["type"] == "confusion"][-1]
    assert sum(map(sum, confusion["matrix"])) == 20  # 100 - 60 train - 20 test
    assert "test_accuracy" in summary["metrics"]
    folder = write_cifar(tmp_path / "cifar", n_batch=150, batches=2, n_test=100)
    summary, _, events = train("mlp", f"dataset={folder}", "hidden=32", "epochs=4")
    assert summary["metrics"]["test_accuracy"] >= 0.9, summary["metrics"]
    assert [e for e in events if e["type"] == "confusion"][-1]["labels"] == [
        "red", "green", "blue"]
    view = [e for e in events if e["type"] == "task_view"][-1]["data"]
    assert len(view["filters"][0]) == 14  # 32x32 RGB weights: grey, pooled down for the view


def test_a_first_layer_too_big_for_the_images_is_refused_before_it_is_built(tmp_path):
    """200x200 images and 4096 hidden units: 164 million weights, one line, exit 2."""
    from typer.testing import CliRunner

    from image_files import write_idx
    from tuidl.cli import app
    folder = write_idx(tmp_path / "big", n_train=6, n_test=0, size=200, gz=False)
    result = CliRunner().invoke(app, ["run", "mlp", "--set", f"dataset={folder}", "--set",
                                      "hidden=4096", "--out", str(tmp_path / "runs")])
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error: big: 1x200x200 images are 40,000 inputs; a first "
                                    "layer of 4096 units would hold 163,840,000 weights")
    assert result.stderr.count("\n") == 1 and not (tmp_path / "runs").exists()


@pytest.mark.parametrize("dataset", ["moons", "gauss", "spiral"])
def test_a_rare_class_is_the_share_asked_for_and_keeps_its_shape(dataset):
    from tuidl.data import toy2d
    x, y = toy2d.make(dataset, 1000, 0.1, seed=0, minority=0.05)
    assert len(y) == 1000 and (y == 1).sum() == 50
    x0, y0 = toy2d.make(dataset, 1000, 0.1, seed=0)
    assert abs((y0 == 1).mean() - 0.5) < 0.05  # 0 = as generated
    # the rare points lie where the class lies in the balanced set
    assert abs(x[y == 1].mean(0) - x0[y0 == 1].mean(0)).max() < 0.3


def test_a_raw_input_scale_is_undone_by_standardize(train):
    from tuidl.data import toy2d
    x, _ = toy2d.make("moons", 200, 0.1, seed=0, input_scale=100)
    x0, _ = toy2d.make("moons", 200, 0.1, seed=0)
    assert x[:, 0] == pytest.approx(x0[:, 0] * 100 + 300, rel=1e-5)
    assert (x[:, 1] == x0[:, 1]).all()
    raw, _, _ = train("mlp", "input_scale=100", "standardize=false", "optimizer=sgd",
                      "epochs=5")
    scaled, _, _ = train("mlp", "input_scale=100", "optimizer=sgd", "epochs=5")
    plain_, _, _ = train("mlp", "optimizer=sgd", "epochs=5")
    assert scaled["metrics"]["val_accuracy"] >= 0.8
    # standardised, the run is as good as on the data as generated
    assert abs(scaled["metrics"]["val_accuracy"] - plain_["metrics"]["val_accuracy"]) < 0.1
    assert raw["metrics"]["val_loss"] > scaled["metrics"]["val_loss"]
