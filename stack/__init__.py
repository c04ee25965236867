"""The embedded default stack: what `make run` and the end-to-end tests start."""
