"""Snapshots of every screen, rendered from recorded event fixtures (tests/fixtures/*), at
80x24 and at a large size. Update with `pytest --snapshot-update` after looking at the report."""
from pathlib import Path

import pytest

from tuidl.ui.app import TuidlApp
from tuidl.ui.bridge import FileFollower

FIXTURES = Path(__file__).parent / "fixtures"
SMALL, LARGE = (80, 24), (160, 48)


def watch(name: str) -> TuidlApp:
    return TuidlApp(source=FileFollower(FIXTURES / name))


@pytest.mark.parametrize("size", [SMALL, LARGE])
def test_picker(snap_compare, size):
    """Presets grouped by family; the first one highlighted, its explanation on the right."""
    assert snap_compare(TuidlApp(), terminal_size=size)


@pytest.mark.parametrize("size", [SMALL, LARGE])
def test_form_valid(snap_compare, size):
    """xor-mlp's form: every hyperparameter with its value and hint; Start enabled."""
    assert snap_compare(TuidlApp(preset="xor-mlp"), terminal_size=size)


def test_form_inline_error(snap_compare):
    """lr=abc is flagged on its row with the CLI's message and Start is disabled."""
    async def type_bad_lr(pilot):
        field = pilot.app.screen.query_one("#field-lr")
        field.cursor_blink = False  # a blinking cursor is drawn or not by the clock
        field.value = "abc"
        field.focus()
        start = pilot.app.screen.query_one("#start")
        for _ in range(100):  # the Changed message is handled asynchronously: under load a
            await pilot.pause(0.02)  # single pause could shoot before it
            if start.disabled:
                break
        await pilot.pause()
    assert snap_compare(TuidlApp(preset="xor-mlp"), terminal_size=SMALL, run_before=type_bad_lr)


@pytest.mark.parametrize("size", [SMALL, LARGE])
def test_training_classifier(snap_compare, size):
    """xor-mlp after 12 epochs: falling loss, accuracy, both layers' gradients, confusion
    matrix (small) or confusion matrix and decision boundary side by side (large)."""
    assert snap_compare(watch("xor-mlp"), terminal_size=size)


def test_training_task_view_toggle(snap_compare):
    """At 80x24, v swaps the confusion matrix for the decision boundary."""
    assert snap_compare(watch("xor-mlp"), terminal_size=SMALL, press=["v"])


@pytest.mark.parametrize("size", [SMALL, LARGE])
def test_training_cnn_digits(snap_compare, size):
    """A 10-class confusion matrix with per-class recall; filters in the large layout."""
    assert snap_compare(watch("digits"), terminal_size=size)


@pytest.mark.parametrize("name, size", [("device-cuda", LARGE), ("device-cuda", SMALL),
                                        ("device-cpu", SMALL)])
def test_training_device_panel(snap_compare, name, size):
    """cnn-digits with hardware readings under the charts. CUDA: the H200's name, 59 °C,
    310/700 W, util 88% and its history, the memory the run holds (2.0 of 140.4 GB reserved,
    1.2 GB allocated, peak 1.5 GB), then the process's CPU % and resident memory; CPU: the
    process's CPU % with its history and resident memory. Both: samples/s and ms/step."""
    assert snap_compare(watch(name), terminal_size=size)


@pytest.mark.parametrize("size", [SMALL, LARGE])
def test_training_gan(snap_compare, size):
    """A trained gan-ring run: D and G losses, modes covered and high-quality share (0 to 1),
    both networks' gradients and a square plot of real vs generated samples on the ring with
    8/8 modes in its title; no confusion matrix box (large: gradients under the charts, the
    samples on the right half)."""
    assert snap_compare(watch("gan"), terminal_size=size)


def test_training_gan_task_only(snap_compare):
    """At 80x24 without a confusion matrix, v gives the samples the whole side column."""
    assert snap_compare(watch("gan"), terminal_size=SMALL, press=["v"])


def test_training_word2vec(snap_compare):
    """Nearest neighbours of the probe words (green: same category) over the 2-D PCA map of
    the category words; gradients under the charts, no confusion matrix box."""
    assert snap_compare(watch("word2vec"), terminal_size=LARGE)


def test_training_word2vec_small(snap_compare):
    """At 80x24 the neighbour table alone, under the gradient panel."""
    assert snap_compare(watch("word2vec"), terminal_size=SMALL)


def test_training_rnn(snap_compare):
    """Example sentences (wrapped) with the true label, the LSTM's prediction as words,
    P(positive) and a ✓ / ✗ mark."""
    assert snap_compare(watch("rnn"), terminal_size=LARGE)


def test_training_rnn_sentences_small(snap_compare):
    """At 80x24, v swaps the confusion matrix for the sentences, cut with an ellipsis."""
    assert snap_compare(watch("rnn"), terminal_size=SMALL, press=["v"])


def test_training_diverged(snap_compare):
    """A diverged run says so in the header and in a message line."""
    assert snap_compare(watch("diverged"), terminal_size=SMALL)


@pytest.mark.parametrize("size", [SMALL, LARGE])
def test_help_overlay(snap_compare, size):
    """? lists every key."""
    assert snap_compare(watch("xor-mlp"), terminal_size=size, press=["question_mark"])


def test_small_terminal_notice(snap_compare):
    """Below 80x24 a notice asks for a larger terminal instead of a broken layout."""
    assert snap_compare(TuidlApp(), terminal_size=(60, 20))


@pytest.mark.parametrize("name", ["vanishing", "exploding", "clipped", "memory"])
def test_gradient_diagnosis(snap_compare, name):
    """The gradient panel in each verdict: vanishing (ten sigmoid layers), exploding then
    diverged (the NaN run), exploding but clipped (still finite), and a vanilla RNN whose
    gradient fades through time (the time profile). Healthy is the xor-mlp screen above."""
    assert snap_compare(watch(name), terminal_size=LARGE)


@pytest.mark.parametrize("size", [SMALL, LARGE])
def test_compare_overlay(snap_compare, size):
    """`tuidl watch tests/fixtures/compare`: three optimizers' loss curves on one chart, and a
    table of where each ended."""
    assert snap_compare(TuidlApp(compare=[str(FIXTURES / "compare")]), terminal_size=size)
