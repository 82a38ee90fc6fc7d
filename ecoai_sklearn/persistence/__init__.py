"""Model files that can be loaded without trusting whoever wrote them.

:func:`save` writes an estimator, fitted or not, to a versioned zip container of JSON
and ``.npy`` members; :func:`load` rebuilds it from classes of an allowlist only, and
never unpickles anything, so a crafted file cannot run code when it is loaded. The
``ecoai-detect`` command and Python share this format. See :ref:`persistence` for the
layout, the allowlist and what ``load`` refuses.

- :func:`save`, :func:`load`: write and read a model file;
- :func:`read_metadata`: the JSON metadata stored beside the estimator;
- :func:`get_untrusted_types`: the names a file needs beyond the allowlist.
"""

from . import _container
from ._api import get_untrusted_types, load, read_metadata, save

#: The model file format version that this version of ecoai_sklearn writes and reads
#: (the ``format_version`` of a file's ``manifest.json``; see :ref:`persistence`).
FORMAT_VERSION = _container.FORMAT_VERSION

__all__ = ["FORMAT_VERSION", "get_untrusted_types", "load", "read_metadata", "save"]
