"""Model-family rules as data: a table of (pattern, rules), resolved once per model."""

from __future__ import annotations

from collections.abc import Sequence
from fnmatch import fnmatchcase
from typing import TypeVar

__all__ = ["resolve_quirks"]

Q = TypeVar("Q")


def resolve_quirks(model: str, table: Sequence[tuple[str, Q]], default: Q) -> Q:
    """Return the rules of the first `table` pattern that matches `model`, else `default`.

    Names are matched lower-cased, with shell-style patterns, both as given and without a
    vendor namespace: `openai.gpt-5` matches `gpt-5*` as well as `openai.*`.
    """
    name = model.lower()
    namespace, dot, rest = name.partition(".")
    names = (name, rest) if dot and namespace.isalpha() else (name,)
    for pattern, quirks in table:
        if any(fnmatchcase(candidate, pattern) for candidate in names):
            return quirks
    return default
