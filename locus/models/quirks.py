"""Model-family rules as data: a table of (pattern, rules), resolved once per model.

The rules of each wire API are defined here, beside the resolver, rather than in its codec:
a provider builds its table when imported, and its codec is imported by the first call.
They are named tuples: immutable, and cheaper to define than frozen dataclasses.
"""

from __future__ import annotations

from collections.abc import Sequence
from fnmatch import fnmatchcase
from typing import NamedTuple, TypeVar

__all__ = ["AnthropicMessagesQuirks", "OCIChatQuirks", "OpenAIChatQuirks", "resolve_quirks"]

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


class OpenAIChatQuirks(NamedTuple):
    """What a model family accepts, resolved once per model.

    Args:
        token_param: `max_tokens`, or `max_completion_tokens` for the reasoning families.
        sampling: Send `temperature`, `top_p` and the penalties.
        stop: Send `stop` (the reasoning families reject it).
        inline_refs: Inline `$ref`s in tool and response schemas (Gemini rejects them).
        system_role: The role system messages are sent as (`developer` for the reasoning
            families, where developer messages replace system messages).
    """

    token_param: str = "max_tokens"
    sampling: bool = True
    stop: bool = True
    inline_refs: bool = False
    system_role: str = "system"


class AnthropicMessagesQuirks(NamedTuple):
    """What a model family accepts.

    Args:
        temperature: Send `temperature` (the newest Opus models reject it).
    """

    temperature: bool = True


class OCIChatQuirks(NamedTuple):
    """What a model family accepts on the native API.

    Args:
        api_format: `COHERE` (Cohere R-series) or `GENERIC` (everything else).
        token_field: `maxTokens`, or `maxCompletionTokens` for OpenAI's reasoning families.
        sampling: Send `temperature` and `topP` (OpenAI's reasoning families reject them).
        inline_refs: Inline `$ref`s in schemas (Gemini rejects them).
    """

    api_format: str = "GENERIC"
    token_field: str = "maxTokens"
    sampling: bool = True
    inline_refs: bool = False
