"""Shared fixtures: the team's labelled datasets (torch threads are set in ../conftest.py).

Where they are is defined once, in ``benchmarks/_common.py``, for the benchmarks and the
tests alike.
"""

import pytest

from benchmarks._common import shared_data_dir as _shared_data_dir


@pytest.fixture(scope="session")
def shared_data_dir():
    """Folder of the team's labelled CSV files; tests using it skip when it is absent."""
    folder = _shared_data_dir()
    if not (folder / "README.md").exists():
        pytest.skip(f"shared datasets not found at {folder}")
    return folder
