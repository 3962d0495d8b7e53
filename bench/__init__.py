"""Benchmark and evaluation code behind `make bench` and `make compare-pipelines` (see docs/performance.md)."""
