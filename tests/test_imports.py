"""The import rules of the package, checked on the source of every module (ast).

1. No package imports another package's private module: ``scoring`` may import
   ``ecoai_sklearn.utils`` or ``ecoai_sklearn.dtw`` (their ``__init__``), never
   ``ecoai_sklearn.metrics._labels``. Within one package, private modules are fine.
2. ``ecoai_sklearn.utils`` imports the standard library, numpy, scikit-learn and pandas
   (the CSV parser), never torch nor another package of ecoai_sklearn.
3. scikit-learn's private helpers (a private module or a private name) are imported in
   ``ecoai_sklearn/utils/_compat.py`` only.
"""

import ast
import sys
from pathlib import Path

import pytest

import ecoai_sklearn

ROOT = Path(ecoai_sklearn.__file__).parent
MODULES = sorted(ROOT.rglob("*.py"))

# Modules another engineer owns: converted when they are next edited.
PENDING = {}
UTILS_MAY_IMPORT = {"numpy", "sklearn", "pandas"}


def _module_name(path):
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path):
    """``(line, absolute module, imported names)`` of every import in ``path``."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    return _imports_in(path.read_text(), package)


def _imports_in(source, package):
    """The imports of ``source``, a module of ``package``, relative ones made absolute."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, []
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                module = ".".join(base + ([module] if module else []))
            yield node.lineno, module, [alias.name for alias in node.names]


def _is_private(part):
    return part.startswith("_") and not (part.startswith("__") and part.endswith("__"))


def _owner(module):
    """The package of ours a module belongs to: ``ecoai_sklearn.<first part>``."""
    return ".".join(module.split(".")[:2])


def _targets(module, names):
    """The modules an import reaches: the module, and its submodules imported by name."""
    targets = [module]
    folder = ROOT.parent.joinpath(*module.split("."))
    for name in names:
        if (folder / f"{name}.py").exists() or (folder / name / "__init__.py").exists():
            targets.append(f"{module}.{name}")
    return targets


def _private_violations(importer, imports):
    violations = []
    for line, module, names in imports:
        if not module.startswith("ecoai_sklearn."):
            continue
        for target in _targets(module, names):
            private = any(_is_private(part) for part in target.split(".")[2:])
            if private and _owner(target) != _owner(importer):
                violations.append(f"line {line}: {target}")
    return violations


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT.parent)))
def test_no_package_imports_another_packages_private_module(path):
    importer = _module_name(path)
    violations = _private_violations(importer, _imports(path))
    assert not violations, f"{importer} imports private modules of other packages: {violations}"


@pytest.mark.parametrize("path", sorted((ROOT / "utils").glob("*.py")), ids=lambda p: p.name)
def test_utils_imports_nothing_of_ours_nor_torch(path):
    allowed = set(sys.stdlib_module_names) | UTILS_MAY_IMPORT
    violations = []
    for line, module, _ in _imports(path):
        top = module.split(".")[0]
        if module.startswith("ecoai_sklearn.utils") or top in allowed:
            continue
        violations.append(f"line {line}: {module}")
    assert not violations, f"utils/{path.name} imports {violations}"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT.parent)))
def test_sklearn_private_helpers_come_through_the_compat_module(path):
    relative = str(path.relative_to(ROOT.parent))
    if relative == "ecoai_sklearn/utils/_compat.py":
        return
    violations = []
    for line, module, names in _imports(path):
        if module.split(".")[0] != "sklearn":
            continue
        private = [n for n in names if _is_private(n)]
        if any(_is_private(part) for part in module.split(".")) or private:
            violations.append(f"line {line}: {module} {private or ''}".strip())
    if relative in PENDING:
        assert violations, f"{relative} is clean now: remove it from PENDING"
        pytest.xfail(PENDING[relative])
    assert not violations, f"{relative}: import these from ecoai_sklearn.utils: {violations}"


def test_the_checker_finds_violations():
    source = """
from ..metrics._labels import check_y_true
from ..dtw import _paired, paired_dtw
from ._aggregate import covering_mean
from ..utils import check_anomaly_labels

def late():
    import ecoai_sklearn.plotting._utils
"""
    imports = list(_imports_in(source, "ecoai_sklearn.scoring"))
    assert _private_violations("ecoai_sklearn.scoring._scorer", imports) == [
        "line 2: ecoai_sklearn.metrics._labels",
        "line 3: ecoai_sklearn.dtw._paired",
        "line 8: ecoai_sklearn.plotting._utils",
    ]
