"""Providers hosted on a cloud platform: OCI Generative AI."""

__all__: list[str] = []
