"""Snapshots of every screen, rendered from recorded event fixtures (tests/fixtures/*), at
80x24 and at a large size. Update with `pytest --snapshot-update` after looking at the report."""
from pathlib import Path

import pytest

from tuidl.ui.app import TuidlApp
from tuidl.ui.bridge import FileFollower

FIXTURES = Path(__file__).parent / "fixtures"
SMALL, MID, LARGE = (80, 24), (120, 40), (160, 48)


def watch(name: str) -> TuidlApp:
    return TuidlApp(source=FileFollower(FIXTURES / name))


@pytest.mark.parametrize("size", [SMALL, LARGE])
def test_picker(snap_compare, size):
    """Presets grouped by family; the first one highlighted, its explanation on the right."""
    assert snap_compare(TuidlApp(), terminal_size=size)


@pytest.mark.parametrize("size", [SMALL, LARGE])
def test_form_valid(snap_compare, size):
    """xor-mlp's form: every hyperparameter with its value and hint; Start enabled."""
    async def steady_cursor(pilot):
        for field in pilot.app.screen.query("Input"):
            field.cursor_blink = False  # a blinking cursor is drawn or not by the clock
        await pilot.pause()

    assert snap_compare(TuidlApp(preset="xor-mlp"), terminal_size=size,
                        run_before=steady_cursor)


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


@pytest.mark.parametrize("size", [SMALL, MID, LARGE])
def test_training_classifier(snap_compare, size):
    """mlp (xor-mlp after 12 epochs). Lesson element: the decision boundary, both classes'
    shapes on their predicted regions, with its axes and P(1) key, fully in view; the
    gradient panel's verdict and both layers above it; falling loss, accuracy near 1 with
    one key line each. Large: confusion matrix and boundary side by side."""
    assert snap_compare(watch("xor-mlp"), terminal_size=size)


def test_training_v_shows_the_lesson_alone(snap_compare):
    """At 80x24, v shows the side column's first panel (the boundary) alone, full height."""
    assert snap_compare(watch("xor-mlp"), terminal_size=SMALL, press=["v"])


@pytest.mark.parametrize("size", [SMALL, LARGE])
def test_training_perceptron(snap_compare, size):
    """perceptron (perceptron-xor). Lesson element: the separating line w·x + b = 0 drawn on
    the four XOR points (two on each side, whatever the line), its equation in the title,
    and the message that it never converges."""
    assert snap_compare(watch("perceptron"), terminal_size=size)


@pytest.mark.parametrize("size", [SMALL, LARGE])
def test_training_cnn_digits(snap_compare, size):
    """cnn (cnn-digits). Lesson element: the first-layer filters and the predicted digits
    (green right, red wrong); the four layers' gradients above. Large: the 10-class
    confusion matrix with per-class recall beside them."""
    assert snap_compare(watch("digits"), terminal_size=size)


@pytest.mark.parametrize("name, size", [("device-cuda", LARGE), ("device-cuda", SMALL),
                                        ("device-cpu", SMALL)])
def test_training_device_panel(snap_compare, name, size):
    """cnn-digits with hardware readings under the charts. CUDA: the H200's name, 59 °C,
    310/700 W, util 88% and its history, the memory the run holds (2.0/140.4 GB reserved,
    1.2 GB allocated, peak 1.5 GB), then the process's CPU % and resident memory; CPU: the
    process's CPU % with its history and resident memory. Both: samples/s and ms/step."""
    assert snap_compare(watch(name), terminal_size=size)


@pytest.mark.parametrize("size", [SMALL, MID, LARGE])
def test_training_gan(snap_compare, size):
    """gan (gan-ring). Lesson element: the samples against the ring's 8 modes, 8/8 modes and
    the high-quality share in the title; D and G losses and the mode shares (0 to 1) keyed
    under their charts; the gradient verdict in two lines at 80x24, every layer from 120
    columns (under the charts, the samples on the right half)."""
    assert snap_compare(watch("gan"), terminal_size=size)


@pytest.mark.parametrize("size", [SMALL, MID, LARGE])
def test_training_word2vec(snap_compare, size):
    """word2vec. Lesson element: the probe words' nearest neighbours, green when they share
    the probe's category, precision@5 in the title; from 120 columns the 2-D PCA map under
    it, each category its colour and shape. No confusion matrix box."""
    assert snap_compare(watch("word2vec"), terminal_size=size)


def test_training_word2vec_pydoc(snap_compare):
    """word2vec-pydoc at 80x24: neighbours of Python words in real English; a corpus without
    categories, so no empty precision chart: the loss takes the column."""
    assert snap_compare(watch("pydoc"), terminal_size=SMALL)


@pytest.mark.parametrize("size", [SMALL, LARGE])
def test_training_rnn(snap_compare, size):
    """rnn (lstm-sentiment). Lesson element: example sentences shown whole (wrapped, fewer
    rather than cut) with the LSTM's prediction, P(positive) and a ✓ / ✗ mark."""
    assert snap_compare(watch("rnn"), terminal_size=size)


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


def test_lesson_vanishing_small(snap_compare):
    """vanishing-sigmoid at 80x24. Lesson element: all 11 layer bars with their values, the
    first seven flagged ▼ and shrinking toward the input, under the VANISHING verdict."""
    assert snap_compare(watch("vanishing"), terminal_size=SMALL)


def test_lesson_deep_relu_small(snap_compare):
    """deep-relu at 80x24. Lesson element: all 11 layer bars of the same depth with ReLU
    and He init, every one healthy and of a like size, under the HEALTHY verdict."""
    assert snap_compare(watch("deep-relu"), terminal_size=SMALL)


def test_lesson_exploding_small(snap_compare):
    """exploding at 80x24. Lesson element: DIVERGED with how far the gradients exploded
    before the NaN, the remedy, and all 9 layers' bars (their last finite readings) ✗."""
    assert snap_compare(watch("exploding"), terminal_size=SMALL)


def test_lesson_long_memory_rnn_small(snap_compare):
    """long-memory-rnn at 80x24. Lesson element: the through-time headline, ▼ FADES
    THROUGH TIME with step 1's share of step 60's gradient, and the gradient drawn from step
    60 back to step 1 as a falling line, above the layers' verdict and bars."""
    assert snap_compare(watch("memory"), terminal_size=SMALL)


@pytest.mark.parametrize("name", ["vanishing", "exploding", "clipped", "memory"])
def test_gradient_diagnosis(snap_compare, name):
    """The gradient panel in each verdict at 160x48, in full: vanishing (ten sigmoid
    layers), exploding then diverged (the NaN run), exploding but clipped (still finite),
    and a vanilla RNN whose gradient fades through time; each layer's grey history strip and
    the keys of both scales. Healthy is the xor-mlp screen above."""
    assert snap_compare(watch(name), terminal_size=LARGE)


@pytest.mark.parametrize("size", [SMALL, LARGE])
def test_compare_overlay(snap_compare, size):
    """`tuidl watch tests/fixtures/compare`: three optimizers' loss curves on one chart, and a
    table of where each ended."""
    assert snap_compare(TuidlApp(compare=[str(FIXTURES / "compare")]), terminal_size=size)


@pytest.mark.parametrize("size", [SMALL, LARGE])
def test_training_monitored(snap_compare, size):
    """A user's own loop recorded by tuidl.Monitor (examples/monitor_digits.py, a residual
    CNN on the digits): loss and val loss, val accuracy at the evaluations' steps, the
    gradient panel HEALTHY with each layer's path cut from the front (…cks.0.conv1), epochs
    and steps out of the totals given. Large: history strips, dead-unit shares, confusion."""
    assert snap_compare(watch("monitor"), terminal_size=size)
