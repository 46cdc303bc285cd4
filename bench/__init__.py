"""Benchmarks of tscgraph: synthetic data (:mod:`bench.generate`), measurements and reports."""
