"""Preset files shipped with tuidl (installed as the package `tuidl.presets`)."""
