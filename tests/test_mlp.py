"""MLP presets reach their figures; CNN too (both are classifiers on the shared task)."""
import pytest


def test_xor_mlp_solves_xor(train):
    summary, _, _ = train("xor-mlp")
    assert summary["metrics"]["val_accuracy"] == 1.0
    assert summary["seconds"] < 10


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
