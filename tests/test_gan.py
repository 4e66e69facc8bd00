"""gan: the ring is covered, minimax saturates where non-saturating does not, the parts hold."""
import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from tuidl.cli import app
from tuidl.data import mixtures


@pytest.mark.slow
def test_gan_ring_covers_all_eight_modes_sharply(train):
    summary, _, events = train("gan-ring")
    m = summary["metrics"]
    assert summary["status"] == "completed"
    assert m["modes"] == 8 and m["modes_total"] == 8
    assert m["high_quality"] >= 0.8
    assert summary["seconds"] < 120
    start = events[0]
    assert start["config"]["eval_samples"] >= 2000 and start["config"]["std"] == 0.02
    names = [layer["name"] for layer in start["layers"]]
    assert names == ["G.fc1", "G.fc2", "G.fc3", "G.out", "D.fc1", "D.fc2", "D.fc3", "D.out"]
    grads = [e for e in events if e["type"] == "grad_stats"]
    assert grads and all(g["layers"] == names for g in grads)
    view = [e for e in events if e["type"] == "task_view"][-1]
    assert view["kind"] == "samples"
    assert {"real", "generated", "centres", "x_range", "y_range"} <= set(view["data"])
    assert len(view["data"]["centres"]) == 8


def _final_g_grad(events):
    """Median over the last five logs of G's largest layer gradient norm."""
    logs = [e for e in events if e["type"] == "grad_stats"][-5:]
    return float(np.median([max(n for name, n in zip(g["layers"], g["norm"])
                                if name.startswith("G.")) for g in logs]))


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, pytest.param(1, marks=pytest.mark.seeds),
                                  pytest.param(2, marks=pytest.mark.seeds)])
def test_minimax_saturates_where_non_saturating_learns(train, seed):
    """Against a discriminator taking 5 steps per G step, log(1 - D(G(z))) goes flat.
    Seeds 0-4 after 3 epochs: D(G(z)) 0.0-0.037 under minimax (at most 1 mode), G's gradient
    1e-10 to 2e-2 of the non-saturating loss's from the same start (which finds 1-3 modes):
    on seeds 0 and 2 the discriminator has not quite won yet, so the bars sit at 0.1 and 1/20.
    Seeds 1 and 2 cost about 50 s each: on demand (pytest -m seeds); the gan lesson's test
    holds minimax against the non-saturating loss on seed 0 in the default suite too."""
    short = ("epochs=3", f"seed={seed}")
    mm, _, mm_events = train("gan-minimax", *short)
    ns, _, ns_events = train("gan-minimax", "gan_loss=non_saturating", *short)
    assert mm["metrics"]["d_fake"] < 0.1  # D rejects nearly every fake ...
    assert mm["metrics"]["modes"] <= 1
    # ... and G's gradient has all but vanished beside the non-saturating loss's
    assert _final_g_grad(mm_events) < 0.05 * _final_g_grad(ns_events)
    assert ns["metrics"]["modes"] >= 1


def test_one_short_wgan_epoch_keeps_the_critic_clipped(train):
    summary, run_dir, events = train("wgan-ring", "epochs=1", "steps_per_epoch=20",
                                     "eval_samples=500", "log_every=5")
    assert summary["status"] == "completed"
    state = torch.load(run_dir / "checkpoint.pt", weights_only=False)
    critic = state["models"]["D"]
    assert max(t.abs().max().item() for k, t in critic.items()) <= 0.05 + 1e-7
    evals = [e for e in events if e["type"] == "eval"]
    assert evals and {"d_loss", "g_loss", "d_real", "d_fake", "modes", "high_quality"} \
        <= set(evals[-1]["metrics"])


def test_coverage_counts_modes_and_sharp_samples():
    mus = torch.as_tensor(mixtures.centres("ring"))
    g = torch.Generator().manual_seed(0)
    exact = mixtures.sample(mus, 4000, 0.02, g)
    covered, quality = mixtures.coverage(exact, mus, 0.02)
    assert int(covered) == 8 and float(quality) > 0.98
    # all samples on two modes, half of them blurred far off: 2 modes, ~50 % quality
    two = mus[:2].repeat(1000, 1) + 0.02 * torch.randn(2000, 2, generator=g)
    two[(torch.arange(2000) % 4) < 2] += 0.5  # half of each mode
    covered, quality = mixtures.coverage(two, mus, 0.02)
    assert int(covered) == 2 and abs(float(quality) - 0.5) < 0.02
    # a mode with < 1 % of the samples does not count
    few = torch.cat([mus[:1].repeat(995, 1), mus[1:2].repeat(5, 1)])
    assert int(mixtures.coverage(few, mus, 0.02)[0]) == 1


def test_targets_match_the_papers():
    ring = mixtures.centres("ring")
    assert ring.shape == (8, 2) and np.allclose(np.linalg.norm(ring, axis=1), 2)
    grid = mixtures.centres("grid")
    assert grid.shape == (25, 2) and sorted(set(grid[:, 0])) == [-4, -2, 0, 2, 4]


def test_batch_not_a_multiple_of_pack_is_a_one_line_error(tmp_path):
    result = CliRunner().invoke(app, ["run", "gan-ring", "--set", "pack=3", "--set",
                                      "batch_size=256", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert result.output.strip() == "error: batch_size 256 is not a multiple of pack 3"
    assert not list(tmp_path.iterdir())  # nothing half-made
