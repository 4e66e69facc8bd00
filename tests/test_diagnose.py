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


def test_a_layer_a_hundred_times_below_its_best_is_vanishing_whatever_its_size():
    """The relative rule has no absolute floor: 1/300 of the output layer's gradient is
    vanishing at any scale; 1/30 is not."""
    assert feed([[3e-3, 0.2, 1.0]] * 3)[-1].states == ["vanishing", "healthy", "healthy"]
    assert feed([[3e-1, 20.0, 100.0]] * 3)[-1].verdict == "vanishing"
    assert feed([[3e-2, 0.2, 1.0]] * 10)[-1].verdict == "healthy"


def test_an_embedding_is_held_to_a_thousandth_of_its_best_layer():
    """A lookup table moves only the rows the task needs: 1/100 of the head is healthy for
    it (a converged LSTM's embedding), 1/2000 is not."""
    layers = ["embed", "lstm", "head"]
    assert feed([[8e-3, 0.3, 1.0]] * 5, layers, lookups={"embed"})[-1].verdict == "healthy"
    assert feed([[8e-3, 0.3, 1.0]] * 5, layers)[-1].verdict == "vanishing"
    assert feed([[5e-4, 0.3, 1.0]] * 3, layers, lookups={"embed"})[-1].states[0] == \
        "vanishing"


def test_lookup_layers_are_named_as_the_gradient_statistics_name_them():
    from torch import nn

    from tuidl.engine.gradstats import lookup_layers
    model = nn.Sequential(nn.Embedding(5, 3), nn.Linear(3, 2))
    assert lookup_layers({"model": model}) == {"0"}
    assert lookup_layers({"G": nn.Linear(2, 2), "D": model}) == {"D.0"}


def test_a_loss_that_does_not_move_judges_the_ratios_more_strictly():
    """1/30 of the output layer's gradient: healthy while the loss falls, vanishing when it
    has stayed at its first value for ten readings, and the explanation says so."""
    norms = [3e-2, 0.2, 1.0]
    d = Diagnoser()
    falling = [d.update(LAYERS, norms, loss=2.3 * 0.9 ** k) for k in range(20)]
    assert {x.verdict for x in falling} == {"healthy"}
    d = Diagnoser()
    stuck = [d.update(LAYERS, norms, loss=2.30 + 0.001 * (k % 2)) for k in range(20)]
    assert [x.verdict for x in stuck].index("vanishing") == 11  # 10 readings, then 2 more
    assert "the loss has not moved (2.3 at the first reading" in stuck[-1].explanation


def test_a_gradient_that_fades_through_time_is_vanishing_and_clears_when_it_returns():
    d = Diagnoser(remedies={"vanishing": "use an LSTM or GRU"})
    fading = [1e-16 * 10 ** (t / 4) for t in range(60)]  # step 1 gets 2e-15 of step 60's
    out = []
    for _ in range(3):
        d.through_time(fading)
        out.append(d.update(LAYERS, [0.3, 0.5, 1.0]))
    assert [x.verdict for x in out] == ["healthy", "healthy", "vanishing"]
    assert out[-1].states == ["healthy"] * 3  # every layer learns; time is what fails
    assert "through time: dL/dh at step 1 is 1.8e-15 of step 60's (60 steps)" in \
        out[-1].explanation and out[-1].remedy == "use an LSTM or GRU"
    state = d.state_dict()
    for _ in range(3):
        d.through_time([0.05] + [1.0] * 59)
        last = d.update(LAYERS, [0.3, 0.5, 1.0])
    assert last.verdict == "healthy"
    again = Diagnoser()
    again.load_state_dict(state)  # a checkpoint keeps the verdict
    assert again.time_vanishing and again.update(LAYERS, [0.3, 0.5, 1.0]).verdict == \
        "vanishing"


def test_exploding_is_flagged_at_once_and_clears_after_calm_readings():
    out = feed([[0.5, 0.5, 1.0], [2e4, 3e4, 1e4]] + [[0.5, 0.5, 1.0]] * 3)
    assert [x.verdict for x in out] == ["healthy", "exploding", "exploding", "exploding",
                                        "healthy"]
    assert "fc2 has norm 3.0e+04" in out[1].explanation and "clip" in out[1].remedy


def test_growth_by_orders_of_magnitude_is_exploding():
    out = feed([[0.1, 0.1, 0.1]] * 3 + [[20.0, 0.1, 0.1]])
    assert out[-1].states == ["exploding", "healthy", "healthy"]
    # the same size without the jump is not
    assert feed([[20.0, 2.0, 1.0]] * 4)[-1].verdict == "healthy"


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
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_vanishing_sigmoid_is_flagged_and_deep_relu_is_not(train, seed):
    sig, sig_dir, sig_events = train("vanishing-sigmoid", f"seed={seed}")
    relu, _, relu_events = train("deep-relu", f"seed={seed}")
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
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_exploding_is_flagged_before_the_nan_and_clipping_fixes_it(train, seed):
    boom, _, events = train("exploding", f"seed={seed}")
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
    clipped, _, clipped_events = train("exploding-clipped", f"seed={seed}")
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


WIDE5, NARROW10 = "hidden=256,256,256,256,256", "hidden=" + ",".join(["64"] * 10)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("net,verdict", [
    ((WIDE5, "activation=sigmoid", "init=xavier", "lr=0.1"), "vanishing"),
    ((WIDE5, "activation=sigmoid", "init=he", "lr=0.1"), "vanishing"),
    ((NARROW10, "activation=softsign", "lr=0.1"), "vanishing"),
    ((NARROW10, "activation=tanh", "lr=0.05"), "vanishing"),  # PyTorch's default init
    ((WIDE5, "activation=relu", "init=he", "lr=0.1"), "healthy"),
    ((NARROW10, "activation=tanh", "init=xavier", "lr=0.05"), "healthy"),
], ids=["sigmoid-xavier", "sigmoid-he", "softsign10", "tanh10-default", "relu-he",
        "tanh10-xavier"])
def test_deep_nets_stuck_at_chance_are_vanishing_and_learning_ones_are_not(
        train, seed, net, verdict):
    """Glorot & Bengio's cases on the digits with plain SGD: five sigmoid layers of 256 (the
    first layer gets ~1/1000 of the output layer's gradient, above any absolute floor: the
    relative rule flags it), ten softsign layers, ten tanh layers with PyTorch's default init
    (ratios of 1e-2 to 4e-2, flagged because the loss does not move). ReLU with He init, and
    tanh with Glorot's init, learn and are healthy from the first reading to the last."""
    summary, _, events = train("mlp-digits", *net, "optimizer=sgd", "epochs=15",
                               f"seed={seed}", "threads=1")
    d = summary["diagnosis"]
    assert d["verdict"] == verdict, d
    if verdict == "vanishing":
        assert summary["metrics"]["test_accuracy"] < 0.2  # at chance: 10 classes
        assert d["states"][0] == "vanishing" and d["explanation"].startswith(
            "gradients vanishing in fc1")
        assert _ratio_first_last(events) < 5e-2
    else:
        assert summary["metrics"]["test_accuracy"] > 0.94
        assert not any(e["verdict"] != "healthy" for e in _diagnoses(events))


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


@pytest.mark.parametrize("act,kind", [("Softsign", "softsign"), ("Softplus", "softplus"),
                                      ("Sigmoid", "sigmoid"), ("Tanh", "tanh")])
def test_every_bounded_activation_reports_its_saturation(act, kind):
    """Driven far from zero every bounded activation saturates; near zero none does."""
    import torch
    from torch import nn

    from tuidl.engine.activations import ActivationProbe
    for scale, low, high in ((1000.0, 0.4, 1.0), (1e-3, 0.0, 0.0)):
        net = nn.Sequential(nn.Linear(4, 64), getattr(nn, act)())
        with torch.no_grad():
            net[0].weight.fill_(scale)
            net[0].bias.zero_()
        probe = ActivationProbe({"m": net})
        with probe:
            net(torch.randn(256, 4, generator=torch.Generator().manual_seed(0)))
        got = probe.read()
        assert got["kinds"] == [kind] and got["dead"] == [None]
        assert low <= got["saturated"][0] <= high, (scale, got)


def test_a_state_from_before_the_stall_rule_keeps_it_off_and_a_damaged_one_is_refused():
    old = Diagnoser().state_dict()
    for key in ("time_low", "time_vanishing", "time_last", "losses", "loss_first", "readings"):
        del old[key]
    d = Diagnoser()
    d.load_state_dict(old)
    out = [d.update(LAYERS, [3e-2, 0.2, 1.0], loss=2.3) for _ in range(20)]
    assert out[-1].verdict == "healthy"  # its first loss is unknown: no stall is judged
    with pytest.raises(ValueError):
        Diagnoser().load_state_dict({**Diagnoser().state_dict(), "loss_first": "abc"})
