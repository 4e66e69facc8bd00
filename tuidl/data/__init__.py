"""Data sets: generated or read from packaged files, returned as tensors (never downloaded)."""
