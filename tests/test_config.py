"""Hyperparameter parsing and validation: every bad value gets its one-line message."""
import pytest

from tuidl.catalog import builtin_names, load_preset
from tuidl.config import ConfigError, Param, resolve

LR = Param("lr", float, 0.01, "learning rate", min=0, max=100, min_inclusive=False)
BS = Param("batch_size", int, 32, "samples per step", min=1)
OPT = Param("optimizer", str, "adam", "update rule", choices=("sgd", "adam"))
HIDDEN = Param("hidden", "ints", "16,16", "widths")


def test_parse_types_and_ranges():
    assert LR.parse("0.5") == 0.5
    assert BS.parse("8") == 8
    assert HIDDEN.parse("64, 32") == "64,32"
    assert HIDDEN.validate([8, 8]) == "8,8"
    with pytest.raises(ConfigError, match=r"lr: expected float, got 'abc'"):
        LR.parse("abc")
    with pytest.raises(ConfigError, match=r"lr: 0.0 is out of range \(0, 100\]"):
        LR.parse("0")
    with pytest.raises(ConfigError, match=r"batch_size: 0 is out of range"):
        BS.parse("0")
    with pytest.raises(ConfigError, match=r"batch_size: expected int, got '1.5'"):
        BS.parse("1.5")
    with pytest.raises(ConfigError, match=r"'adma' is not one of sgd, adam \(did you mean 'adam'\?\)"):
        OPT.parse("adma")
    with pytest.raises(ConfigError, match="hidden: each value must be in 1..4096"):
        HIDDEN.parse("16,0")


def test_resolve_unknown_key_suggests():
    with pytest.raises(ConfigError, match=r"unknown hyperparameter 'optimzer' \(did you mean 'optimizer'\?\)"):
        resolve([LR, OPT], {}, ["optimzer=adam"])
    with pytest.raises(ConfigError, match="--set expects key=value"):
        resolve([LR], {}, ["lr"])
    assert resolve([LR, OPT], {"lr": 1}, ["optimizer=sgd"]) == {"lr": 1.0, "optimizer": "sgd"}


def test_every_builtin_preset_resolves():
    names = builtin_names()
    assert len(names) >= 12
    for name in names:
        preset = load_preset(name)
        assert preset.about, name
        preset.resolve()


def test_user_preset_file(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text('family = "mlp"\nabout = "mine"\n[params]\ndataset = "circle"\n')
    preset = load_preset(str(path))
    assert preset.name == "mine" and preset.resolve()["dataset"] == "circle"
    path.write_text('family = "mlp"\n[params]\ndatset = "circle"\n')
    with pytest.raises(ConfigError, match=r"mine.toml: unknown hyperparameter 'datset' \(did you mean 'dataset'\?\)"):
        load_preset(str(path))
    path.write_text('family = "mlp"\n[params\n')
    with pytest.raises(ConfigError, match="invalid TOML"):
        load_preset(str(path))
