"""Benchmark scripts of ecoai_sklearn (not part of the installed package).

Run one as a module from the repository root, ``python -m benchmarks.bench_detector``, or
as a file, ``python benchmarks/bench_detector.py``. Results: ``benchmarks/RESULTS.md``.
"""
