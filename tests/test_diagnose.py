"""Gradient-health diagnosis: the rules on hand-made readings, and on the teaching presets."""
import json
import math

import pytest

from tuidl.diagnose import Diagnoser

LAYERS = ["fc1", "fc2", "out"]


def feed(readings, layers=LAYERS, **kw):
    d = Diagnoser(**kw)
    return [d.update(layers, r) for r in readings]


def test_steady_gradients_are_healthy():
    out = feed([[0.3, 0.5, 1.0]] * 10)
    assert {x.verdict for x in out} == {"healthy"} and out[-1].remedy == ""


def test_vanishing_needs_three_readings_in_a_row_and_names_the_layer():
    out = feed([[1e-8, 0.5, 1.0]] * 3)
    assert [x.verdict for x in out] == ["healthy", "healthy", "vanishing"]
    assert out[-1].states == ["vanishing", "healthy", "healthy"]
    assert "fc1" in out[-1].explanation and "ReLU" in out[-1].remedy


def test_a_flagged_layer_clears_only_after_three_good_readings():
    out = feed([[1e-8, 0.5, 1.0]] * 3 + [[0.2, 0.5, 1.0]] * 3)
    assert [x.verdict for x in out[3:]] == ["vanishing", "vanishing", "healthy"]


def test_convergence_is_not_vanishing():
    """Every layer small together (a trained network) keeps the ratio: healthy."""
    out = feed([[3e-7 * 0.5 ** k, 5e-7 * 0.5 ** k, 1e-6 * 0.5 ** k] for k in range(10)])
    assert out[-1].verdict == "healthy"


def test_a_dead_model_beside_a_learning_one_is_vanishing():
    layers = ["G.fc1", "G.out", "D.fc1", "D.out"]
    out = feed([[1e-16, 2e-16, 1e-5, 3e-5]] * 3, layers)
    assert out[-1].states == ["vanishing", "vanishing", "healthy", "healthy"]


def test_exploding_is_flagged_at_once_and_clears_after_calm_readings():
    out = feed([[0.5, 0.5, 1.0], [2e4, 3e4, 1e4]] + [[0.5, 0.5, 1.0]] * 3)
    assert [x.verdict for x in out] == ["healthy", "exploding", "exploding", "exploding",
                                        "healthy"]
    assert "fc2 has norm 3.0e+04" in out[1].explanation and "clip" in out[1].remedy


def test_growth_by_orders_of_magnitude_is_exploding():
    out = feed([[0.1, 0.1, 0.1]] * 3 + [[20.0, 0.1, 0.1]])
    assert out[-1].states == ["exploding", "healthy", "healthy"]
    # the same size without the jump is not
    assert feed([[20.0, 0.1, 0.1]] * 4)[-1].verdict == "healthy"


def test_non_finite_is_diverged_and_clipping_is_mentioned():
    out = feed([[0.5, 0.5, 1.0], [math.nan, math.inf, 1.0]])
    assert out[-1].verdict == "diverged" and out[-1].states[:2] == ["diverged"] * 2
    clipped = feed([[5e3, 5e3, 5e3]], grad_clip=1.0)[-1]
    assert clipped.verdict == "exploding" and "grad_clip=1 caps each update" in \
        clipped.explanation


def _diagnoses(events):
    return [e for e in events if e["type"] == "diagnosis"]


def _ratio_first_last(events):
    g = [e for e in events if e["type"] == "grad_stats"][-1]
    return g["norm"][0] / g["norm"][-1]


@pytest.mark.slow
def test_vanishing_sigmoid_is_flagged_and_deep_relu_is_not(train):
    sig, sig_dir, sig_events = train("vanishing-sigmoid")
    relu, _, relu_events = train("deep-relu")
    assert sig["diagnosis"]["verdict"] == "vanishing"
    assert sig["diagnosis"]["states"][0] == "vanishing"  # the first hidden layer
    assert _ratio_first_last(sig_events) <= 1e-3
    assert sig["metrics"]["val_accuracy"] < 0.7  # it trains poorly
    assert json.loads((sig_dir / "summary.json").read_text())["diagnosis"] == sig["diagnosis"]
    assert all(d["verdict"] == "healthy" for d in _diagnoses(relu_events))
    assert relu["diagnosis"]["verdict"] == "healthy"
    assert _ratio_first_last(relu_events) >= 0.1
    assert relu["metrics"]["val_accuracy"] >= 0.95


@pytest.mark.slow
def test_exploding_is_flagged_before_the_nan_and_clipping_fixes_it(train):
    boom, _, events = train("exploding")
    assert boom["status"] == "diverged"
    first_nan = next(e["step"] for e in events if e["type"] == "grad_stats"
                     and not all(math.isfinite(x) for x in e["norm"]))
    flagged = next(e["step"] for e in _diagnoses(events) if e["verdict"] == "exploding")
    assert flagged < first_nan
    # the growth shows over several readings before the NaN, and the verdict says where to
    growth = [max(e["norm"]) for e in events if e["type"] == "grad_stats"
              and e["step"] < first_nan]
    assert len(growth) >= 3 and all(b > 10 * a for a, b in zip(growth, growth[1:]))
    assert "after exploding to" in boom["diagnosis"]["explanation"]
    clipped, _, clipped_events = train("exploding-clipped")
    assert clipped["status"] == "completed"
    assert all(math.isfinite(x) for e in clipped_events if e["type"] == "grad_stats"
               for x in e["norm"])
    assert clipped["metrics"]["val_accuracy"] >= 0.9


def test_grad_stats_carry_weight_norm_and_update_ratio(train):
    """For plain SGD, ||dw|| = lr * ||g||: the update ratio times the weight norm says so."""
    _, _, events = train("xor-mlp", "optimizer=sgd", "lr=0.1", "momentum=0", "epochs=2",
                         "log_every=5", "weight_decay=0")
    g = [e for e in events if e["type"] == "grad_stats"][-1]
    assert len(g["weight_norm"]) == len(g["update_ratio"]) == len(g["layers"]) == 2
    for norm, w, ratio in zip(g["norm"], g["weight_norm"], g["update_ratio"]):
        assert w > 0 and ratio * w == pytest.approx(0.1 * norm, rel=1e-3)


def _time_profile(events, which):
    tg = [e for e in events if e["type"] == "time_grads"]
    return tg[which]["norm"]


@pytest.mark.slow
def test_rnn_gradient_fades_through_time_where_the_lstm_keeps_it(train):
    """dL/d(state_t) at the first logged step: first step over last step."""
    rnn, _, rnn_events = train("long-memory-rnn")
    lstm, _, lstm_events = train("long-memory-lstm")
    r, m = _time_profile(rnn_events, 0), _time_profile(lstm_events, 0)
    assert len(r) == len(m) == 60
    assert r[0] / r[-1] < 1e-8  # vanishes through time
    assert m[0] / m[-1] > 1e4 * (r[0] / r[-1])
    assert rnn["metrics"]["val_accuracy"] < 0.6  # the first word is never learned
    assert lstm["metrics"]["val_accuracy"] >= 0.95


def test_step_by_step_forward_is_the_same_function():
    import torch

    from tuidl.models.rnn import build_sequence_model
    ids = torch.randint(2, 20, (4, 7))
    for cell in ("rnn", "lstm", "gru"):
        model = build_sequence_model(20, 5, 6, 2, cell)
        logits, states = model.forward_steps(ids)
        assert torch.allclose(logits, model(ids), atol=1e-6)
        logits.sum().backward()
        norms = model.time_grad_norms(states, 7)
        assert norms.shape == (7,) and (norms[:-1] > 0).all()


def test_activation_probe_finds_dead_relus_and_saturated_units():
    import torch
    from torch import nn

    from tuidl.engine.activations import ActivationProbe
    torch.manual_seed(0)
    relu_net = nn.Sequential(nn.Linear(4, 8), nn.ReLU())
    with torch.no_grad():
        relu_net[0].bias[:2] = -100.0  # two units that can never fire
    tanh_net = nn.Sequential(nn.Linear(4, 8), nn.Tanh())
    with torch.no_grad():
        tanh_net[0].weight.mul_(1000.0)
    probe = ActivationProbe({"R": relu_net, "T": tanh_net})
    with probe:
        for _ in range(3):  # only the first forward call of an evaluation is measured
            x = torch.randn(64, 4)
            relu_net(x), tanh_net(x)
    got = probe.read()
    assert got["layers"] == ["R.1", "T.1"] and got["kinds"] == ["relu", "tanh"]
    assert got["dead"][0] == pytest.approx(2 / 8) and got["saturated"][0] is None
    assert got["saturated"][1] > 0.9 and got["dead"][1] is None
    relu_net(torch.randn(2, 4))  # hooks are gone after the with block
    assert probe.read() == got


def test_runs_report_activation_health_at_each_eval(train):
    _, _, events = train("deep-relu", "epochs=2")
    acts = [e for e in events if e["type"] == "activations"]
    assert len(acts) == 2 and acts[-1]["layers"] == [f"act{i}" for i in range(1, 11)]  # 1st, last
    assert all(0 <= d <= 1 for d in acts[-1]["dead"])
