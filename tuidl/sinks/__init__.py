"""Consumers of the event stream that write files or print (no UI toolkit here)."""
