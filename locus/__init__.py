"""locus: a thin LLM client that speaks each provider's wire format directly."""

__version__ = "0.1.0"

__all__ = ["__version__"]
