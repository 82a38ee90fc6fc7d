"""Shared fixtures: the team's labelled datasets (torch threads are set in ../conftest.py)."""

import os
from pathlib import Path

import pytest

_DEFAULT_SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
SHARED_DATA = Path(os.environ.get("ECOAI_SHARED_DATA", _DEFAULT_SHARED_DATA)).resolve()


@pytest.fixture(scope="session")
def shared_data_dir():
    """Folder of the team's labelled CSV files; tests using it skip when it is absent."""
    if not (SHARED_DATA / "README.md").exists():
        pytest.skip(f"shared datasets not found at {SHARED_DATA}")
    return SHARED_DATA
