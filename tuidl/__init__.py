"""tuidl: a terminal deep-learning trainer and visualizer."""
__version__ = "0.1.0"
