"""``python -m ecoai_sklearn.cli``: the ``ecoai-detect`` command."""

import sys

from . import main

if __name__ == "__main__":  # not when a tool (pytest's doctest collector) imports it
    sys.exit(main())
