"""Anthropic Messages codec: `POST {base}/v1/messages`.

Pure functions over dicts, split by direction: `_encode` builds request bodies, `_decode`
parses responses and folds stream events. System messages go to `system`; tool results
become `tool_result` blocks in a user turn; same-role neighbours are merged so turns
alternate; thinking blocks kept in `Message.metadata["thinking_blocks"]` go back unchanged.
An OpenAI-style `response_format` json_schema becomes a forced tool, `respond_with_schema`,
whose input is the answer's content.
"""

from locus.models.wire.anthropic_messages._decode import parse_event, parse_response, parse_usage
from locus.models.wire.anthropic_messages._encode import STRUCTURED_TOOL, Quirks, build_request

__all__ = [
    "STRUCTURED_TOOL",
    "Quirks",
    "build_request",
    "parse_event",
    "parse_response",
    "parse_usage",
]
