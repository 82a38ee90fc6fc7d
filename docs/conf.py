"""Sphinx configuration for the ecoai_sklearn documentation.

Build (CI runs exactly this, offline)::

    python -m sphinx -W -b html docs docs/_build/html

Nothing is executed but imports: docstring examples and the scripts of ``examples/`` are
shown, not run. Generated files (autosummary stubs, the CLI help texts, the example
pages) go to ``docs/generated/``, which git ignores.
"""

import inspect
import os
import re
import sys
from pathlib import Path

import ecoai_sklearn

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
GENERATED = DOCS / "generated"
# The documentation helpers (example pages, CLI help) live beside this file.
sys.path.insert(0, str(DOCS))

# torch/numba may start thread pools at import; two threads are plenty for imports.
os.environ.setdefault("OMP_NUM_THREADS", "1")

project = "ecoai_sklearn"
author = "ecoai_sklearn developers"
copyright = "2026, ecoai_sklearn developers"
release = ecoai_sklearn.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
]

# -- API reference ---------------------------------------------------------------------
autosummary_generate = True
autosummary_imported_members = False
# The class template (_templates/autosummary/class.rst) documents members, inherited
# ones included (fit_transform, get_params, ...) except those of torch's nn.Module and
# other third-party bases, see _skip_foreign_member below. Module pages list no members:
# each public name has its own generated page.
autodoc_default_options = {}
autodoc_member_order = "groupwise"
autodoc_typehints = "none"
# sktime is an optional extra: the adapter module imports it at import time.
autodoc_mock_imports = ["sktime"]
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
# Docstrings refer to many external objects (sklearn, torch, skorch) that no inventory
# resolves offline; numpydoc's cross-reference validation would flag each one.
numpydoc_xref_param_type = False
numpydoc_validation_checks = set()

templates_path = ["_templates"]
exclude_patterns = ["_build"]
source_suffix = {".rst": "restructuredtext"}
root_doc = "index"
default_role = "literal"
# Every reference to an ecoai_sklearn object must resolve (a renamed class or function
# fails the build). References to other libraries cannot resolve offline (no
# intersphinx) and are shown as code.
nitpicky = True
_EXTERNAL = (
    "sklearn|numpy|scipy|pandas|torch|skorch|tslearn|numba|imblearn|matplotlib|joblib|dask|sktime"
)
nitpick_ignore_regex = [
    (r"py:.*", rf"~?({_EXTERNAL})(\..*)?"),
    # Fitted attributes (``profile_``) are listed in numpydoc Attributes sections, which
    # create no target; :attr: roles to them render as code.
    (r"py:attr", r".*_"),
    # Module-internal dropout layer named by the docstring of set_dropout_generator,
    # which the three torch modules inherit; not part of the public API.
    (r"py:class", r"LocalDropout"),
]

# -- HTML ------------------------------------------------------------------------------
html_theme = "alabaster"
html_title = f"ecoai_sklearn {release}"
html_theme_options = {
    "description": "Anomaly detection for industrial electric-power time series",
    "fixed_sidebar": False,
    "page_width": "1100px",
    "sidebar_width": "240px",
}
html_sidebars = {"**": ["about.html", "navigation.html", "relations.html", "searchbox.html"]}
html_static_path = []
html_show_sourcelink = False

_FOREIGN_PREFIXES = ("torch", "skorch", "sktime", "builtins")


def _skip_foreign_member(app, what, name, obj, skip, options):
    """Skip members inherited from torch (nn.Module has ~80 methods) and other libraries.

    sklearn's own inherited methods (``fit_transform``, ``get_params``, ``set_output``)
    stay: they are part of every estimator's API.
    """
    module = getattr(obj, "__module__", None) or ""
    if module.startswith(_FOREIGN_PREFIXES):
        return True
    # An undocumented override (``forward`` of the torch modules) would otherwise show
    # the docstring of the method it overrides, written for torch's users.
    if inspect.isfunction(obj) and obj.__doc__ is None:
        return True
    return None


# A numpydoc header line "name : type" and, in its type, a word ending with "_" (a fitted
# attribute such as ``n_features_in_`` in "shape (n_features_in_,)") that is not already
# quoted. reST reads ``word_`` as a hyperlink reference to a missing target.
_HEADER_LINE = re.compile(r"^(\s*[\w*][\w*, ]* : )(.+)$")
_BARE_ATTRIBUTE = re.compile(r"(?<![`\w])([A-Za-z]\w*_)(?![`\w])")


def _quote_attributes_in_types(app, what, name, obj, options, lines):
    """Quote fitted-attribute names in numpydoc type specs, as scikit-learn does by hand.

    ``ndarray of shape (n_features_in_,)`` becomes ``ndarray of shape (`n_features_in_`,)``
    (a literal, with ``default_role = "literal"``); description lines are not touched.
    """
    for i, line in enumerate(lines):
        match = _HEADER_LINE.match(line)
        if match:
            head, spec = match.groups()
            lines[i] = head + _BARE_ATTRIBUTE.sub(r"`\1`", spec)


# :ref: and :term: roles pointing into scikit-learn's own user guide and glossary.
_SKLEARN_ROLE = re.compile(r":(?:ref|term):`([^`<]*?)\s*(?:<[^`>]*>)?`")


def _unlink_sklearn_roles(app, what, name, obj, options, lines):
    """Turn scikit-learn's cross-document roles into plain text in inherited docstrings.

    ``get_params``, ``set_output`` or ``set_fit_request`` come from scikit-learn, whose
    docstrings link to labels of scikit-learn's user guide (``metadata_routing``, the
    ``meta-estimator`` glossary term) that do not exist here; offline there is no
    intersphinx inventory to resolve them either. The link text is kept.
    """
    if not (getattr(obj, "__module__", None) or "").startswith("sklearn"):
        return
    for i, line in enumerate(lines):
        lines[i] = _SKLEARN_ROLE.sub(lambda m: m.group(1), line)


def _drop_type_docstring(app, what, name, obj, options, lines):
    """Constants without a doc comment would show the docstring of their type (tuple)."""
    if (
        what in ("data", "attribute")
        and "\n".join(lines).strip() == (inspect.getdoc(type(obj)) or "").strip()
    ):
        lines.clear()


def _generate_pages(app):
    from _docgen import write_cli_help, write_example_pages

    write_cli_help(GENERATED / "cli")
    write_example_pages(ROOT / "examples", GENERATED / "examples")


def setup(app):
    app.connect("builder-inited", _generate_pages)
    app.connect("autodoc-skip-member", _skip_foreign_member)
    # before numpydoc (priority 500) reformats the sections
    app.connect("autodoc-process-docstring", _quote_attributes_in_types, priority=400)
    app.connect("autodoc-process-docstring", _unlink_sklearn_roles, priority=400)
    app.connect("autodoc-process-docstring", _drop_type_docstring, priority=400)
