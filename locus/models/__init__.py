"""Models: the registry, the model interface, and the providers.

Everything here is imported on first use, so `from locus.models.registry import get_model`
costs only the registry.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from locus.core.response import ModelResponse
    from locus.models.base import ModelConfig, ModelProtocol
    from locus.models.native.anthropic import AnthropicConfig, AnthropicModel
    from locus.models.native.openai import OpenAIConfig, OpenAIModel
    from locus.models.providers.oci import (
        OCIAuthType,
        OCIConfig,
        OCIModel,
        OCIOpenAIConfig,
        OCIOpenAIModel,
    )
    from locus.models.registry import get_model, list_providers, register_provider

__all__ = [
    "AnthropicConfig",
    "AnthropicModel",
    "ModelConfig",
    "ModelProtocol",
    "ModelResponse",
    "OCIAuthType",
    "OCIConfig",
    "OCIModel",
    "OCIOpenAIConfig",
    "OCIOpenAIModel",
    "OpenAIConfig",
    "OpenAIModel",
    "get_model",
    "list_providers",
    "register_provider",
]

_LAZY = {
    "get_model": "locus.models.registry",
    "list_providers": "locus.models.registry",
    "register_provider": "locus.models.registry",
    "ModelProtocol": "locus.models.base",
    "ModelConfig": "locus.models.base",
    "ModelResponse": "locus.core.response",
    "OpenAIModel": "locus.models.native.openai",
    "OpenAIConfig": "locus.models.native.openai",
    "AnthropicModel": "locus.models.native.anthropic",
    "AnthropicConfig": "locus.models.native.anthropic",
    "OCIAuthType": "locus.models.providers.oci",
    "OCIModel": "locus.models.providers.oci",
    "OCIConfig": "locus.models.providers.oci",
    "OCIOpenAIModel": "locus.models.providers.oci",
    "OCIOpenAIConfig": "locus.models.providers.oci",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'locus.models' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
