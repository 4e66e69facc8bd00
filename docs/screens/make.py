"""Regenerate the screenshots in this folder (SVG, rendered by the app itself from the recorded
event fixtures in tests/fixtures, so they match the snapshot tests):

    .venv/bin/python docs/screens/make.py

Each screen is the app at a terminal size, as `tuidl watch tests/fixtures/NAME` shows it."""
from __future__ import annotations

import asyncio
from pathlib import Path

from tuidl.ui.app import TuidlApp
from tuidl.ui.bridge import FileFollower

HERE = Path(__file__).parent
FIXTURES = HERE.parent.parent / "tests" / "fixtures"
# file name: (what the app opens, terminal size, keys pressed first)
SCREENS = {
    "picker-80x24": (None, (80, 24), ()),
    "vanishing-sigmoid-80x24": ("vanishing", (80, 24), ()),
    "long-memory-rnn-80x24": ("memory", (80, 24), ()),
    "exploding-80x24": ("exploding", (80, 24), ()),
    "xor-mlp-120x40": ("xor-mlp", (120, 40), ()),
    "cnn-digits-160x48": ("digits", (160, 48), ()),
    "gan-ring-160x48": ("gan", (160, 48), ()),
    "word2vec-160x48": ("word2vec", (160, 48), ()),
    "lstm-sentiment-80x24": ("rnn", (80, 24), ()),
    "compare-120x40": ("compare", (120, 40), ()),
}


async def shoot(name: str, fixture: str | None, size: tuple[int, int], keys) -> Path:
    if fixture is None:
        app = TuidlApp()
    elif fixture == "compare":
        app = TuidlApp(compare=[str(FIXTURES / fixture)])
    else:
        app = TuidlApp(source=FileFollower(FIXTURES / fixture))
    async with app.run_test(size=size) as pilot:
        await pilot.pause(1.0)  # the events read, a chart frame drawn, the panels fitted
        for key in keys:
            await pilot.press(key)
            await pilot.pause(0.3)
        return Path(app.save_screenshot(f"{name}.svg", str(HERE)))


def main() -> None:
    for name, (fixture, size, keys) in SCREENS.items():
        print(asyncio.run(shoot(name, fixture, size, keys)))


if __name__ == "__main__":
    main()
