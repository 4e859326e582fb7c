"""Model-family rules as data: a table of (pattern, rules), resolved once per model."""

from __future__ import annotations

from collections.abc import Sequence
from fnmatch import fnmatchcase
from typing import TypeVar

__all__ = ["resolve_quirks"]

Q = TypeVar("Q")


def resolve_quirks(model: str, table: Sequence[tuple[str, Q]], default: Q) -> Q:
    """Return the rules of the first `table` pattern that matches `model`, else `default`.

    Names are matched lower-cased and without a vendor namespace (`openai.gpt-5` is matched
    as `gpt-5`), with shell-style patterns (`gpt-5*`, `*-search-preview*`).
    """
    name = model.lower()
    namespace, dot, rest = name.partition(".")
    if dot and namespace.isalpha():
        name = rest
    for pattern, quirks in table:
        if fnmatchcase(name, pattern):
            return quirks
    return default
