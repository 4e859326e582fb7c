"""Wire codecs: pure functions that build request bodies and parse responses and streams."""

__all__: list[str] = []
