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


def _parse_script(script):
    """Title, description and first code line of an example script.

    The title is the first paragraph of the module docstring (or the file name), the
    description the rest of the docstring (reStructuredText, rendered on the page), and
    the code starts after the docstring.
    """
    text = script.read_text(encoding="utf-8")
    try:
        tree = ast.parse(text)
    except SyntaxError:
        tree = None
    docstring = ast.get_docstring(tree) if tree is not None else None
    if not docstring or not docstring.strip():
        return script.stem.replace("_", " ").capitalize(), "", 1
    paragraphs = docstring.strip().split("\n\n", 1)
    title = " ".join(paragraphs[0].split()).rstrip(".")
    description = paragraphs[1].strip() if len(paragraphs) > 1 else ""
    first_code_line = tree.body[0].end_lineno + 1
    lines = text.splitlines()
    while first_code_line <= len(lines) and not lines[first_code_line - 1].strip():
        first_code_line += 1
    return title, description, first_code_line


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
it from the repository root with ``python examples/<name>.py``. Each page shows the
script's docstring, then its code; the documentation build does not run them.

"""


def write_example_pages(source, folder):
    """One page per ``source/*.py`` (its docstring, then its code), and an index.

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
        title, description, first_code_line = _parse_script(script)
        title = _escape(title)
        page = f".. _example_{script.stem}:\n\n{title}\n{'=' * len(title)}\n\n"
        if description:
            page += description + "\n\n"
        page += (
            f"Script: ``examples/{script.name}``. Run it from the repository root with "
            f"``python examples/{script.name}``.\n\n"
        )
        n_lines = len(script.read_text(encoding="utf-8").splitlines())
        if first_code_line <= n_lines:
            page += (
                f".. literalinclude:: /../examples/{script.name}\n"
                "   :language: python\n"
                f"   :lines: {first_code_line}-\n"
            )
        _write_if_changed(folder / f"{script.stem}.rst", page)
    if scripts:
        body = ".. toctree::\n   :maxdepth: 1\n\n" + "".join(
            f"   {script.stem}\n" for script in scripts
        )
    else:
        body = "No example scripts yet.\n"
    _write_if_changed(folder / "index.rst", _INDEX_HEADER + body)
