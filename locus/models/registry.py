"""`get_model("provider:model")`: the provider table and its lazy factories."""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from locus.models.base import ModelProtocol

__all__ = ["get_model", "list_providers", "register_provider"]


def _lazy(module: str, name: str, model_arg: str = "model") -> Callable[..., ModelProtocol]:
    """A factory that imports the provider's module only when a model is made."""

    def factory(model_id: str, **kwargs: Any) -> ModelProtocol:
        cls = getattr(importlib.import_module(module), name)
        model: ModelProtocol = cls(**{model_arg: model_id}, **kwargs)
        return model

    factory.__qualname__ = f"make_{name}"
    return factory


def _make_oci(model_id: str, **kwargs: Any) -> ModelProtocol:
    """Route an OCI model id: the native chat API, or the OpenAI-compatible endpoint."""
    lowered = model_id.lower()
    if lowered.startswith(("ocid1.generativeaiendpoint.", "cohere.command-r")):
        from locus.models.providers.oci.chat import OCIModel

        if "profile" in kwargs:  # the OpenAI-compatible model's name for it
            kwargs["profile_name"] = kwargs.pop("profile")
        native: ModelProtocol = OCIModel(model_id=model_id, **kwargs)
        return native
    if not {"profile", "auth_type", "api_key"} & kwargs.keys():
        kwargs.update(_oci_auth_from_env())
    from locus.models.providers.oci.openai_compat import OCIOpenAIModel

    model: ModelProtocol = OCIOpenAIModel(model=model_id, **kwargs)
    return model


def _oci_auth_from_env() -> dict[str, Any]:
    """`OCI_PROFILE`, else `OCI_AUTH_TYPE`, else the `DEFAULT` profile if the file exists."""
    if os.environ.get("OCI_PROFILE"):
        return {"profile": os.environ["OCI_PROFILE"]}
    if os.environ.get("OCI_AUTH_TYPE"):
        return {"auth_type": os.environ["OCI_AUTH_TYPE"]}
    if Path("~/.oci/config").expanduser().exists():
        return {"profile": "DEFAULT"}
    return {}


_PROVIDERS: dict[str, Callable[..., ModelProtocol]] = {
    "openai": _lazy("locus.models.native.openai", "OpenAIModel"),
    "anthropic": _lazy("locus.models.native.anthropic", "AnthropicModel"),
    "ollama": _lazy("locus.models.native.ollama", "OllamaModel"),
    "oci": _make_oci,
}


def register_provider(prefix: str, factory: Callable[..., ModelProtocol]) -> None:
    """Register (or replace) the factory behind `prefix`.

    Args:
        prefix: The provider name used in model strings (`"openai"`).
        factory: Called as `factory(model_name, **kwargs)`; returns the model.
    """
    _PROVIDERS[prefix] = factory


def list_providers() -> list[str]:
    """Return the registered provider prefixes."""
    return list(_PROVIDERS)


def get_model(model_string: str, **kwargs: Any) -> ModelProtocol:
    """Create a model from `"provider:model_name"`.

    The string is split on its first colon, so `"ollama:llama3.3:70b"` is provider `ollama`,
    model `llama3.3:70b`. `kwargs` go to the provider's constructor.

    Raises:
        ValueError: There is no colon, or the provider is unknown.
    """
    provider, colon, model_id = model_string.partition(":")
    if not colon:
        raise ValueError(
            f"model string must be 'provider:model', got {model_string!r}; "
            f"available providers: {', '.join(list_providers())}"
        )
    factory = _PROVIDERS.get(provider)
    if factory is None:
        raise ValueError(
            f"unknown provider {provider!r} in {model_string!r}; "
            f"available providers: {', '.join(list_providers())}"
        )
    return factory(model_id, **kwargs)
