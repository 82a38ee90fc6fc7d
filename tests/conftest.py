"""Shared fixtures: one torch/numba thread per test process, and the shared datasets."""

import os
from pathlib import Path

import pytest

# Torch on 2 threads slows down 10-20x when another CPU-bound process runs (DESIGN.md).
os.environ.setdefault("OMP_NUM_THREADS", "1")

_DEFAULT_SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
SHARED_DATA = Path(os.environ.get("ECOAI_SHARED_DATA", _DEFAULT_SHARED_DATA)).resolve()


def pytest_configure(config):
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a hard dependency
        return
    torch.set_num_threads(1)


@pytest.fixture(scope="session")
def shared_data_dir():
    """Folder of the team's labelled CSV files; tests using it skip when it is absent."""
    if not (SHARED_DATA / "README.md").exists():
        pytest.skip(f"shared datasets not found at {SHARED_DATA}")
    return SHARED_DATA
