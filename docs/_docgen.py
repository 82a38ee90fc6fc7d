"""Pages generated at build time: the ``ecoai-detect`` help texts and the example pages.

Both are derived from the code (``ecoai_sklearn.cli.build_parser`` and the scripts in
``examples/``) so that the documentation cannot drift from it. Nothing is executed
beyond building the argument parser; example scripts are read, never run.
"""

import argparse
import ast
import os
from pathlib import Path

_HELP_WIDTH = "88"


def _write_if_changed(path, text):
    """Write ``text`` to ``path`` unless it already holds it (keeps rebuilds incremental)."""
    path = Path(path)
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def write_cli_help(folder):
    """Write ``ecoai-detect --help`` and each subcommand's help to ``folder/<name>.txt``."""
    from ecoai_sklearn.cli import build_parser

    previous = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = _HELP_WIDTH  # argparse wraps to the terminal width
    try:
        parser = build_parser()
        _write_if_changed(Path(folder) / "ecoai-detect.txt", parser.format_help())
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, subparser in action.choices.items():
                    _write_if_changed(Path(folder) / f"{name}.txt", subparser.format_help())
    finally:
        if previous is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = previous


def _title(script):
    """First line of the script's module docstring, or its file name."""
    try:
        docstring = ast.get_docstring(ast.parse(script.read_text(encoding="utf-8")))
    except SyntaxError:
        docstring = None
    if docstring:
        first = docstring.strip().splitlines()[0].strip().rstrip(".")
        if first:
            return first
    return script.stem.replace("_", " ").capitalize()


def _escape(text):
    """Escape the characters that would start inline markup in a section title."""
    for char in "\\*`|_":
        text = text.replace(char, "\\" + char)
    return text


_INDEX_HEADER = """\
.. _examples:

Examples
========

Each example is a standalone script in the ``examples/`` folder of the repository; run
it from the repository root with ``python examples/<name>.py``. The scripts are shown
here as they are (their docstring explains what they do); the documentation build does
not run them.

"""


def write_example_pages(source, folder):
    """One page per ``source/*.py`` (title from its docstring, code included), and an index.

    Stale pages of removed scripts are deleted. The index lists the pages in a toctree,
    or says that there are no examples yet.
    """
    source, folder = Path(source), Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    scripts = sorted(p for p in source.glob("*.py") if not p.name.startswith("_"))
    names = {p.stem for p in scripts}
    for stale in folder.glob("*.rst"):
        if stale.stem != "index" and stale.stem not in names:
            stale.unlink()
    for script in scripts:
        title = _escape(_title(script))
        page = (
            f".. _example_{script.stem}:\n\n"
            f"{title}\n{'=' * len(title)}\n\n"
            f"Script: ``examples/{script.name}``. Run it from the repository root with "
            f"``python examples/{script.name}``.\n\n"
            f".. literalinclude:: /../examples/{script.name}\n"
            "   :language: python\n"
        )
        _write_if_changed(folder / f"{script.stem}.rst", page)
    if scripts:
        body = ".. toctree::\n   :maxdepth: 1\n\n" + "".join(
            f"   {script.stem}\n" for script in scripts
        )
    else:
        body = "No example scripts yet.\n"
    _write_if_changed(folder / "index.rst", _INDEX_HEADER + body)
