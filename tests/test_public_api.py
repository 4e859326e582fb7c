"""Every import path, signature and default that API.md fixes."""

from __future__ import annotations

import inspect
from enum import StrEnum

import locus.models
from locus.core import errors, events, messages, structured
from locus.models import base, registry
from locus.models.native import openai


def params(func):
    return [
        (
            p.name,
            p.kind.name,
            p.default if p.default is not inspect.Parameter.empty else "<required>",
        )
        for p in inspect.signature(func).parameters.values()
    ]


def test_registry_surface():
    assert params(registry.get_model) == [
        ("model_string", "POSITIONAL_OR_KEYWORD", "<required>"),
        ("kwargs", "VAR_KEYWORD", "<required>"),
    ]
    assert params(registry.register_provider) == [
        ("prefix", "POSITIONAL_OR_KEYWORD", "<required>"),
        ("factory", "POSITIONAL_OR_KEYWORD", "<required>"),
    ]
    assert registry.list_providers()[0] == "openai"


def test_models_package_reexports():
    for name in (
        "get_model",
        "list_providers",
        "register_provider",
        "ModelProtocol",
        "ModelResponse",
        "ModelConfig",
        "OpenAIModel",
        "OpenAIConfig",
    ):
        assert hasattr(locus.models, name), name
    assert locus.models.ModelResponse is base.ModelResponse
    assert locus.models.OpenAIModel is openai.OpenAIModel


def test_base_types():
    config = base.ModelConfig(model="m", extra_key=1)
    assert (config.max_tokens, config.temperature, config.top_p, config.stop_sequences) == (
        4096,
        0.7,
        0.9,
        [],
    )
    response = base.ModelResponse(
        message=messages.Message.assistant("hi"), usage={"prompt_tokens": 2, "completion_tokens": 3}
    )
    assert (
        response.content,
        response.tool_calls,
        response.prompt_tokens,
        response.completion_tokens,
        response.total_tokens,
    ) == ("hi", [], 2, 3, 5)
    assert response.stop_reason is None
    assert response.provider_state is None
    assert params(base.ModelProtocol.complete) == [
        ("self", "POSITIONAL_OR_KEYWORD", "<required>"),
        ("messages", "POSITIONAL_OR_KEYWORD", "<required>"),
        ("tools", "POSITIONAL_OR_KEYWORD", None),
        ("kwargs", "VAR_KEYWORD", "<required>"),
    ]


def test_core_messages_and_events():
    assert issubclass(messages.Role, StrEnum)
    assert [r.value for r in messages.Role] == ["system", "user", "assistant", "tool"]
    assert params(messages.Message.assistant) == [
        ("content", "POSITIONAL_OR_KEYWORD", None),
        ("tool_calls", "POSITIONAL_OR_KEYWORD", None),
    ]
    chunk = events.ModelChunkEvent()
    assert (
        chunk.event_type,
        chunk.content,
        chunk.tool_calls,
        chunk.done,
        chunk.thinking,
        chunk.usage,
        chunk.stop_reason,
    ) == (
        "model_chunk",
        None,
        None,
        False,
        None,
        None,
        None,
    )


def test_structured_and_errors():
    assert params(structured.build_response_format) == [
        ("schema", "POSITIONAL_OR_KEYWORD", "<required>"),
        ("strict", "KEYWORD_ONLY", True),
    ]
    assert params(errors.ModelError.__init__)[:5] == [
        ("self", "POSITIONAL_OR_KEYWORD", "<required>"),
        ("message", "POSITIONAL_OR_KEYWORD", "<required>"),
        ("cause", "KEYWORD_ONLY", None),
        ("reason", "KEYWORD_ONLY", None),
        ("provider", "KEYWORD_ONLY", None),
    ]
    for name in (
        "LocusError",
        "ModelError",
        "ModelAuthError",
        "ModelThrottledError",
        "ModelResponseError",
        "ConfigError",
    ):
        assert isinstance(getattr(errors, name).kind, str)
    assert issubclass(structured.StructuredOutputError, errors.LocusError)


def test_openai_model_surface():
    assert params(openai.OpenAIModel.__init__) == [
        ("self", "POSITIONAL_OR_KEYWORD", "<required>"),
        ("model", "POSITIONAL_OR_KEYWORD", "gpt-4o"),
        ("api_key", "POSITIONAL_OR_KEYWORD", None),
        ("base_url", "POSITIONAL_OR_KEYWORD", None),
        ("max_tokens", "POSITIONAL_OR_KEYWORD", 4096),
        ("temperature", "POSITIONAL_OR_KEYWORD", 0.7),
        ("kwargs", "VAR_KEYWORD", "<required>"),
    ]
    config = openai.OpenAIConfig()
    assert (
        config.model,
        config.top_p,
        config.organization,
        config.max_retries,
        config.request_timeout,
    ) == ("gpt-4o", 0.9, None, 3, 120.0)
    assert (
        config.frequency_penalty,
        config.presence_penalty,
        config.seed,
        config.stop_sequences,
    ) == (0.0, 0.0, None, [])
    model = openai.OpenAIModel(api_key="sk-test-abcdefgh")
    assert model.supports_structured_output is True
    for name in (
        "client",
        "close",
        "__aenter__",
        "__aexit__",
        "complete",
        "stream",
        "ainvoke",
        "bind_tools",
    ):
        assert hasattr(model, name), name
    assert inspect.isasyncgenfunction(openai.OpenAIModel.stream)


def test_anthropic_model_surface():
    from locus.models.native import anthropic

    assert params(anthropic.AnthropicModel.__init__) == [
        ("self", "POSITIONAL_OR_KEYWORD", "<required>"),
        ("model", "POSITIONAL_OR_KEYWORD", "claude-sonnet-4-20250514"),
        ("api_key", "POSITIONAL_OR_KEYWORD", None),
        ("base_url", "POSITIONAL_OR_KEYWORD", None),
        ("max_tokens", "POSITIONAL_OR_KEYWORD", 4096),
        ("temperature", "POSITIONAL_OR_KEYWORD", 0.7),
        ("prompt_cache", "POSITIONAL_OR_KEYWORD", False),
        ("kwargs", "VAR_KEYWORD", "<required>"),
    ]
    config = anthropic.AnthropicConfig()
    assert (config.top_p, config.max_retries, config.request_timeout) == (0.9, 3, 120.0)
    assert (
        anthropic.AnthropicModel(api_key="sk-ant-test-abcdefgh").supports_structured_output is False
    )
    assert locus.models.AnthropicModel is anthropic.AnthropicModel
    assert "anthropic" in registry.list_providers()


def test_ollama_model_surface():
    from locus.models.native import ollama

    assert params(ollama.OllamaModel.__init__) == [
        ("self", "POSITIONAL_OR_KEYWORD", "<required>"),
        ("model", "POSITIONAL_OR_KEYWORD", "llama3.3"),
        ("base_url", "POSITIONAL_OR_KEYWORD", "http://localhost:11434"),
        ("max_tokens", "POSITIONAL_OR_KEYWORD", 4096),
        ("temperature", "POSITIONAL_OR_KEYWORD", 0.7),
        ("kwargs", "VAR_KEYWORD", "<required>"),
    ]
    assert ollama.OllamaModel().supports_structured_output is False
    assert "ollama" in registry.list_providers()


def test_oci_openai_model_surface():
    from locus.models.providers import oci
    from locus.models.providers.oci import openai_compat

    assert params(oci.OCIOpenAIModel.__init__) == [
        ("self", "POSITIONAL_OR_KEYWORD", "<required>"),
        ("model", "POSITIONAL_OR_KEYWORD", "<required>"),
        ("profile", "KEYWORD_ONLY", None),
        ("auth_type", "KEYWORD_ONLY", None),
        ("compartment_id", "KEYWORD_ONLY", None),
        ("region", "KEYWORD_ONLY", "us-chicago-1"),
        ("config_file", "KEYWORD_ONLY", "~/.oci/config"),
        ("base_url", "KEYWORD_ONLY", None),
        ("max_tokens", "KEYWORD_ONLY", 4096),
        ("temperature", "KEYWORD_ONLY", 0.7),
        ("kwargs", "VAR_KEYWORD", "<required>"),
    ]
    assert issubclass(oci.OCIOpenAIModel, openai.OpenAIModel)
    assert openai_compat.DEFAULT_OCI_GENAI_REGION == oci.DEFAULT_OCI_GENAI_REGION == "us-chicago-1"
    assert [t.value for t in oci.OCIAuthType] == [
        "api_key",
        "security_token",
        "session_token",
        "instance_principal",
        "resource_principal",
    ]
    assert oci.OCIAuthType.from_env() is oci.OCIAuthType.API_KEY
    for name in ("OCIOpenAIModel", "OCIOpenAIConfig", "OCIAuthType"):
        assert getattr(locus.models, name) is getattr(oci, name)
    assert "oci" in registry.list_providers()


def test_oci_native_model_surface():
    from locus.models.providers import oci

    assert params(oci.OCIModel.__init__) == [
        ("self", "POSITIONAL_OR_KEYWORD", "<required>"),
        ("model_id", "POSITIONAL_OR_KEYWORD", "cohere.command-r-plus"),
        ("compartment_id", "POSITIONAL_OR_KEYWORD", None),
        ("profile_name", "POSITIONAL_OR_KEYWORD", "DEFAULT"),
        ("auth_type", "POSITIONAL_OR_KEYWORD", None),
        ("config_file", "POSITIONAL_OR_KEYWORD", "~/.oci/config"),
        ("service_endpoint", "POSITIONAL_OR_KEYWORD", None),
        ("max_tokens", "POSITIONAL_OR_KEYWORD", 4096),
        ("temperature", "POSITIONAL_OR_KEYWORD", 0.7),
        ("kwargs", "VAR_KEYWORD", "<required>"),
    ]
    model = oci.OCIModel()
    assert model.config.auth_type is oci.OCIAuthType.API_KEY
    assert model._quirks.api_format == "COHERE"
    assert oci.OCIModel("meta.llama-3.3-70b-instruct")._quirks.api_format == "GENERIC"
    for name in ("OCIModel", "OCIConfig"):
        assert getattr(locus.models, name) is getattr(oci, name)
