"""The Textual front end: a consumer of the engine's event stream, never part of it."""
