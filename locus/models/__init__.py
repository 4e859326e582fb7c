"""Models: the registry, the model interface, and (imported on first use) the providers."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from locus.core.response import ModelResponse
from locus.models.base import ModelConfig, ModelProtocol
from locus.models.registry import get_model, list_providers, register_provider

if TYPE_CHECKING:
    from locus.models.native.openai import OpenAIConfig, OpenAIModel

__all__ = [
    "ModelConfig",
    "ModelProtocol",
    "ModelResponse",
    "OpenAIConfig",
    "OpenAIModel",
    "get_model",
    "list_providers",
    "register_provider",
]

_LAZY = {
    "OpenAIModel": "locus.models.native.openai",
    "OpenAIConfig": "locus.models.native.openai",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'locus.models' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
