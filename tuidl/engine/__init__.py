"""Training engine: one loop for every family, device-agnostic, no UI imports."""
