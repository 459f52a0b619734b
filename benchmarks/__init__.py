"""The project's benchmarks: `make bench` (benchmarks/run.py) measures the quality bars of
docs and spec at national scale and writes the results to BENCHMARKS.md."""
