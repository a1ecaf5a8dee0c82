"""Benchmarks; each prints a table and writes its results under bench/results/."""
