"""HTTP transport shared by every model: pool, retry, stream decoding, error mapping."""

__all__: list[str] = []
