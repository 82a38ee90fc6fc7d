"""The documentation covers the public API, and its build-time page generators work.

The API checks read the sources with ``ast`` (no torch import), so they are fast; the
full Sphinx build is a slow test.
"""

import ast
import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "ecoai_sklearn"
DOCS = ROOT / "docs"
API = DOCS / "api.rst"


def _module_source(name):
    """Source file of a public module: ``pkg/__init__.py`` or ``module.py``."""
    folder = PACKAGE / name
    return folder / "__init__.py" if folder.is_dir() else PACKAGE / f"{name}.py"


# Packages without a leading underscore that are private all the same (DESIGN.md):
# ``utils`` holds what several packages share and is no public API.
PRIVATE_PACKAGES = {"utils"}


def public_modules():
    """Public submodules of the package: packages and modules not starting with "_"."""
    names = [
        p.name
        for p in PACKAGE.iterdir()
        if p.is_dir()
        and not p.name.startswith("_")
        and p.name not in PRIVATE_PACKAGES
        and (p / "__init__.py").exists()
    ]
    names += [p.stem for p in PACKAGE.glob("*.py") if not p.stem.startswith("_")]
    return sorted(names)


def public_names(path):
    """``__all__`` of a module, or else its top-level public functions and classes."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
        ):
            return set(ast.literal_eval(node.value))
    return {
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.ClassDef) and not node.name.startswith("_")
    }


def documented_names(text):
    """``{module: {names}}`` of the autosummary entries of an API page."""
    documented = {}
    module = None
    in_autosummary = False
    for line in text.splitlines():
        match = re.match(r"\.\. currentmodule:: (\S+)", line)
        if match:
            module = match.group(1)
            continue
        if line.startswith(".. autosummary::"):
            in_autosummary = True
            continue
        if in_autosummary:
            entry = line.strip()
            if not line.startswith("   ") and entry:
                in_autosummary = False
            elif entry and not entry.startswith(":"):
                documented.setdefault(module, set()).add(entry)
    return documented


def test_documented_names_parses_autosummary_blocks():
    text = (
        ".. currentmodule:: pkg.a\n\n.. autosummary::\n   :toctree: generated/\n\n"
        "   One\n   two\n\nText after.\n\n.. currentmodule:: pkg.b\n\n"
        ".. autosummary::\n\n   three\n"
    )
    assert documented_names(text) == {"pkg.a": {"One", "two"}, "pkg.b": {"three"}}


def test_public_names_reads_all_or_top_level_definitions(tmp_path):
    with_all = tmp_path / "a.py"
    with_all.write_text('__all__ = ["f", "C"]\n\ndef f():\n    pass\n\ndef g():\n    pass\n')
    assert public_names(with_all) == {"f", "C"}
    without = tmp_path / "b.py"
    without.write_text("import os\nX = 1\n\ndef main():\n    pass\n\nclass _Hidden:\n    pass\n")
    assert public_names(without) == {"main"}


@pytest.mark.parametrize("module", public_modules())
def test_every_public_name_is_in_the_api_reference(module):
    expected = public_names(_module_source(module))
    documented = documented_names(API.read_text(encoding="utf-8")).get(
        f"ecoai_sklearn.{module}", set()
    )
    missing = sorted(expected - documented)
    assert not missing, f"docs/api.rst lacks ecoai_sklearn.{module}: {missing}"
    stale = sorted(documented - expected)
    assert not stale, f"docs/api.rst lists names that ecoai_sklearn.{module} lacks: {stale}"


def test_every_public_module_has_a_section():
    text = API.read_text(encoding="utf-8")
    sections = set(re.findall(r"^\.\. automodule:: ecoai_sklearn\.(\w+)", text, re.M))
    assert sections == set(public_modules())


def test_names_exported_by_the_package_are_documented_in_their_module():
    tree = ast.parse((PACKAGE / "__init__.py").read_text(encoding="utf-8"))
    lazy = next(
        ast.literal_eval(node.value)
        for node in tree.body
        if isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == "_LAZY_ATTRIBUTES" for t in node.targets)
    )
    documented = documented_names(API.read_text(encoding="utf-8"))
    missing = [
        f"{module}.{name}"
        for name, module in lazy.items()
        if name not in documented.get(f"ecoai_sklearn.{module}", set())
    ]
    assert not missing


def test_user_guide_pages_are_all_in_the_toctree():
    index = (DOCS / "user_guide" / "index.rst").read_text(encoding="utf-8")
    listed = set(re.findall(r"^   (\w+)$", index, re.M))
    pages = {p.stem for p in (DOCS / "user_guide").glob("*.rst")} - {"index"}
    assert listed == pages


# ----------------------------------------------------------------- page generators
def _load_docs_module(name):
    spec = importlib.util.spec_from_file_location(f"_docs_{name}", DOCS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(DOCS))
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(DOCS))
    return module


def test_example_pages_from_scripts(tmp_path):
    docgen = _load_docs_module("_docgen")
    source, out = tmp_path / "examples", tmp_path / "generated"
    source.mkdir()
    (source / "plot_taxi.py").write_text(
        '"""Detect *the* NYC_marathon\nwith a detector.\n\nMore *text*.\n"""\n\nimport numpy\n'
    )
    (source / "no_docstring.py").write_text("x = 1\n")
    (source / "only_docstring.py").write_text('"""Nothing to run."""\n')
    (source / "_helper.py").write_text('"""Private helper."""\n')
    out.mkdir()
    (out / "removed_script.rst").write_text("stale")

    docgen.write_example_pages(source, out)

    assert sorted(p.name for p in out.glob("*.rst")) == [
        "index.rst",
        "no_docstring.rst",
        "only_docstring.rst",
        "plot_taxi.rst",
    ]
    page = (out / "plot_taxi.rst").read_text()
    # title: the docstring's first paragraph on one line, inline markup escaped
    title = "Detect \\*the\\* NYC\\_marathon with a detector"
    assert f"\n{title}\n{'=' * len(title)}\n\nMore *text*.\n" in page
    # the code after the docstring and its blank line: line 7 of the script
    assert ".. literalinclude:: /../examples/plot_taxi.py\n" in page
    assert "   :lines: 7-\n" in page
    no_doc = (out / "no_docstring.rst").read_text()
    assert "\nNo docstring\n============\n" in no_doc
    assert "   :lines: 1-\n" in no_doc
    assert "literalinclude" not in (out / "only_docstring.rst").read_text()
    index = (out / "index.rst").read_text()
    assert ".. toctree::" in index
    assert index.index("   no_docstring\n") < index.index("   plot_taxi\n")


def test_example_index_without_scripts(tmp_path):
    docgen = _load_docs_module("_docgen")
    docgen.write_example_pages(tmp_path / "missing", tmp_path / "out")
    index = (tmp_path / "out" / "index.rst").read_text()
    assert "No example scripts yet." in index
    assert "toctree" not in index  # an empty toctree would be a Sphinx warning


def test_cli_help_pages(tmp_path, monkeypatch):
    docgen = _load_docs_module("_docgen")
    monkeypatch.setenv("COLUMNS", "40")
    docgen.write_cli_help(tmp_path / "narrow")
    assert sorted(p.stem for p in (tmp_path / "narrow").glob("*.txt")) == [
        "demo",
        "ecoai-detect",
        "evaluate",
        "fit",
        "predict",
        "stream",
    ]
    fit = (tmp_path / "narrow" / "fit.txt").read_text()
    assert fit.startswith("usage: ecoai-detect fit")
    assert "--detector NAME" in fit
    # the same text whatever the terminal width, which is left as it was
    monkeypatch.setenv("COLUMNS", "200")
    docgen.write_cli_help(tmp_path / "wide")
    assert (tmp_path / "wide" / "fit.txt").read_text() == fit
    assert os.environ["COLUMNS"] == "200"


def test_attribute_names_in_numpydoc_types_are_quoted():
    conf = _load_docs_module("conf")
    lines = [
        "feature_names_in_ : ndarray of shape (n_features_in_,)",
        "    Names seen during fit; n_features_in_ is their number.",
        "profile_ : ndarray of shape (period_, `n_features_in_`)",
        "X : array-like of shape (n_samples, n_features)",
    ]
    conf._quote_attributes_in_types(None, "class", "x", None, {}, lines)
    assert lines == [
        "feature_names_in_ : ndarray of shape (`n_features_in_`,)",
        "    Names seen during fit; n_features_in_ is their number.",
        "profile_ : ndarray of shape (`period_`, `n_features_in_`)",
        "X : array-like of shape (n_samples, n_features)",
    ]


def test_sklearn_roles_are_unlinked_only_in_sklearn_docstrings():
    conf = _load_docs_module("conf")

    def sklearn_method():
        pass

    sklearn_method.__module__ = "sklearn.utils._metadata_requests"
    lines = ["See :ref:`User Guide <metadata_routing>` and :term:`meta-estimator`."]
    conf._unlink_sklearn_roles(None, "method", "m", sklearn_method, {}, lines)
    assert lines == ["See User Guide and meta-estimator."]

    own = ["See :ref:`concepts`."]
    conf._unlink_sklearn_roles(
        None, "function", "f", test_documented_names_parses_autosummary_blocks, {}, own
    )
    assert own == ["See :ref:`concepts`."]


# ----------------------------------------------------------------- full build
@pytest.mark.slow
def test_sphinx_build_without_warnings(tmp_path):
    pytest.importorskip("sphinx")
    pytest.importorskip("numpydoc")
    out = tmp_path / "html"
    result = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "-E", "-q", "-b", "html", str(DOCS), str(out)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr[-5000:]
    for page in ["index.html", "api.html", "user_guide/concepts.html"]:
        assert (out / page).exists()
    api = (out / "api.html").read_text(encoding="utf-8")
    assert "ecoai_sklearn.neural.CNNGRUAE.html" in api
    shutil.rmtree(out)


def test_readme_quickstart_prints_what_the_readme_says(capsys):
    """The README's quickstart code, run as written, prints its "It prints" block."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    quickstart = readme.split("## Quickstart", 1)[1]
    code = quickstart.split("```python\n", 1)[1].split("```", 1)[0]
    printed = quickstart.split("It prints:", 1)[1].split("```text\n", 1)[1].split("```", 1)[0]
    exec(compile(code, "README.md", "exec"), {})
    assert capsys.readouterr().out == printed
