"""Root pytest configuration: doctests of the package run with the test suite."""

import importlib.util
import os

# Torch on 2 threads slows down 10-20x when another CPU-bound process runs (DESIGN.md).
os.environ.setdefault("OMP_NUM_THREADS", "1")

collect_ignore = ["docs", "benchmarks", "examples"]
if importlib.util.find_spec("sktime") is None:
    # The adapter module needs the optional extra even to be imported.
    collect_ignore.append("ecoai_sklearn/sktime.py")


def pytest_configure(config):
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a hard dependency
        return
    torch.set_num_threads(1)
