"""OCI Generative AI native chat codec: `POST {endpoint}/20231130/actions/chat`.

Pure functions over dicts, split by direction. Requests are `ChatDetails` with a COHERE
(Cohere R-series: latest user turn as `message`, history in `chatHistory`, tools as
`parameterDefinitions`, trailing tool results as `toolResults`) or GENERIC (`messages` of
content parts, `toolCalls`, `tools`, `toolChoice`) `chatRequest`. Responses and data-only SSE
streams are read in COHERE, COHEREV2 and GENERIC shapes.
"""

from locus.models.wire.oci_chat._decode import parse_event, parse_response, parse_usage
from locus.models.wire.oci_chat._encode import (
    DEDICATED_PREFIX,
    Quirks,
    build_request,
    serving_mode,
)

__all__ = [
    "DEDICATED_PREFIX",
    "Quirks",
    "build_request",
    "parse_event",
    "parse_response",
    "parse_usage",
    "serving_mode",
]
