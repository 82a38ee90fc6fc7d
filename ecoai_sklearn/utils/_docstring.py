"""One docstring-substitution helper for the whole package (private).

Shared numpydoc text (a parameter described the same way in several functions, a common
Notes section) is written once and put into each docstring by :class:`Substitution`, in
the manner of imbalanced-learn's ``utils._docstring.Substitution``. A placeholder is a
line holding only ``%(name)s``; the text replaces it indented as the placeholder is, so the
shared text is written without indentation (parameter names at column 0, descriptions
indented by 4). Nothing else of the docstring is touched: braces and percent signs in
examples need no escaping.
"""

import re
import textwrap

_PLACEHOLDER = re.compile(r"^([ \t]*)%\((\w+)\)s[ \t]*$", flags=re.MULTILINE)


class Substitution:
    """Decorator that fills the ``%(name)s`` placeholder lines of a docstring.

    Parameters
    ----------
    **texts : str
        The text of each placeholder, without indentation.

    Raises
    ------
    KeyError
        When the decorated docstring has a placeholder without text (at import time, so a
        typo cannot ship).

    Examples
    --------
    >>> from ecoai_sklearn.utils import Substitution
    >>> @Substitution(x="x : int\\n    The value.")
    ... def f(x):
    ...     '''Identity.
    ...
    ...     Parameters
    ...     ----------
    ...     %(x)s
    ...     '''
    >>> print(f.__doc__.splitlines()[4])
        x : int
    """

    def __init__(self, **texts):
        self.texts = texts

    def __call__(self, obj):
        if obj.__doc__ is not None:  # None under python -OO
            obj.__doc__ = substitute(obj.__doc__, self.texts)
        return obj


def substitute(docstring, texts):
    """Return ``docstring`` with each placeholder line replaced by its indented text.

    Parameters
    ----------
    docstring : str
        The docstring.
    texts : dict of str
        The text of each placeholder name.

    Returns
    -------
    docstring : str
    """

    def fill(match):
        indent, name = match.group(1), match.group(2)
        if name not in texts:
            raise KeyError(f"no text for the docstring placeholder %({name})s")
        text = textwrap.dedent(texts[name]).strip("\n")
        return textwrap.indent(text, indent)

    return _PLACEHOLDER.sub(fill, docstring)
