"""Reading the JSON of a server-sent event, shared by the SSE codecs."""

from __future__ import annotations

import json
from typing import Any

from locus.core.errors import ModelResponseError, ModelStreamError
from locus.transport.decode import ServerSentEvent, loads

__all__ = ["event_json"]


def event_json(event: ServerSentEvent, provider: str) -> Any:
    """Parse an event's data as JSON.

    Raises:
        ModelStreamError: The stream ended inside this event (its JSON is cut off).
        ModelResponseError: The event is whole but is not valid JSON.
    """
    try:
        return loads(event.data)
    except json.JSONDecodeError as exc:
        if not event.complete:
            raise ModelStreamError(
                f"{provider}: the stream ended in the middle of an event",
                provider=provider,
                body=event.data,
            ) from exc
        raise ModelResponseError(
            f"{provider}: a stream event is not valid JSON: {exc.msg}",
            provider=provider,
            body=event.data,
        ) from exc
