"""tuidl: a terminal deep-learning trainer and visualizer.

`tuidl.Monitor` records any PyTorch training loop for `tuidl watch` (tuidl.monitor); it is
imported on first use, so that `import tuidl` (and `tuidl --help`) stays free of torch."""
__version__ = "0.1.0"
__all__ = ["Monitor"]


def __getattr__(name: str):
    if name == "Monitor":
        from tuidl.monitor import Monitor
        return Monitor
    raise AttributeError(f"module 'tuidl' has no attribute {name!r}")
