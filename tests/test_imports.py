"""Importing the registry must stay cheap: checked through `sys.modules`, not timing."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest


def loaded_after(code: str) -> set[str]:
    script = f"import sys, json\n{code}\nprint(json.dumps(sorted(sys.modules)))"
    return set(json.loads(subprocess.check_output([sys.executable, "-c", script], text=True)))


def test_registry_import_loads_no_provider_no_cryptography_no_pydantic_models():
    loaded = loaded_after("from locus.models.registry import get_model")
    assert not {m for m in loaded if m.startswith("cryptography")}
    assert not {
        m
        for m in loaded
        if m.startswith(
            ("locus.models.native", "locus.models.providers", "locus.models.wire", "locus.auth")
        )
    }
    assert not {m for m in loaded if m.startswith(("httpx", "pydantic"))}
    assert {m for m in loaded if m.startswith("locus")} == {
        "locus",
        "locus.models",
        "locus.models.registry",
    }


def test_an_openai_model_loads_only_its_own_provider_and_no_cryptography():
    loaded = loaded_after(
        "from locus.models.registry import get_model\nget_model('openai:gpt-4o', api_key='sk-x-12345678').client"
    )
    assert not {m for m in loaded if m.startswith("cryptography")}
    assert "locus.models.native.anthropic" not in loaded
    assert not {
        m
        for m in loaded
        if m.startswith(
            ("locus.auth", "locus.models.providers", "locus.core.structured", "locus.testing")
        )
    }


# What a call needs, and creating a model does not: the event loop, the codec, the message
# and event types, the stream folding, and pydantic's validator machinery (plugin discovery
# reads `importlib.metadata`).
CALL_MODULES = (
    "asyncio",
    "importlib.metadata",
    "locus.core.events",
    "locus.core.messages",
    "locus.core.response",
    "locus.models._stream",
    "locus.models.accumulate",
    "locus.models.wire",
)


@pytest.mark.parametrize(
    "model",
    [
        "get_model('openai:gpt-4o', api_key='sk-x-12345678', temperature=0)",
        "get_model('anthropic:claude-sonnet-4-5', api_key='sk-ant-x-12345678')",
        "get_model('ollama:llama3.3', max_retries=5, default_headers={'x-a': 'b'})",
    ],
)
def test_creating_a_model_loads_nothing_only_a_call_needs(model):
    loaded = loaded_after(f"from locus.models.registry import get_model\n{model}.client")
    assert not {m for m in loaded if m.startswith(CALL_MODULES)}


def test_a_models_codec_is_imported_when_first_used():
    loaded = loaded_after(
        "from locus.models.registry import get_model\n"
        "from locus.core.messages import Message\n"
        "model = get_model('openai:gpt-4o', api_key='sk-x-12345678')\n"
        "model.codec.build_request([Message.user('hi')], None, model._defaults(), stream=False)"
    )
    assert "locus.models.wire.openai_chat" in loaded


def test_an_oci_model_loads_cryptography_only_when_it_signs():
    loaded = loaded_after(
        "from locus.models.registry import get_model\nget_model('oci:openai.gpt-4.1', profile='DEFAULT')"
    )
    assert not {m for m in loaded if m.startswith("cryptography")}
    assert "locus.auth.oci_federation" not in loaded
    assert not {m for m in loaded if m.startswith(CALL_MODULES)}


def test_importing_any_locus_module_builds_no_pydantic_validator():
    # A validator is built when first needed; building one at import would also run
    # pydantic's plugin discovery, which reads `importlib.metadata`.
    loaded = loaded_after(
        "import importlib, pkgutil, locus\n"
        "for module in pkgutil.walk_packages(locus.__path__, 'locus.'):\n"
        "    if not module.name.endswith('__main__'):\n"
        "        importlib.import_module(module.name)"
    )
    assert "locus.cli" in loaded
    assert "importlib.metadata" not in loaded
