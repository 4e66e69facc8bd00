"""Widgets take data (a RunState or an event) and render it; they never train or read files."""
