"""Training tasks: one per family, each supplying data, model(s) and a step to the engine."""
