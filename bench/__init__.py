"""Benchmarks: each compares side by side in one run; see docs/performance.md."""
