from __future__ import annotations

import pytest

from locus.models.base import ModelProtocol
from locus.models.native.openai import OpenAIModel
from locus.models.registry import get_model, list_providers, register_provider


def test_openai_is_registered_and_receives_kwargs():
    model = get_model("openai:gpt-4o-mini", api_key="sk-test-abcdefgh", temperature=0.1)
    assert isinstance(model, OpenAIModel)
    assert isinstance(model, ModelProtocol)
    assert (model.config.model, model.config.temperature) == ("gpt-4o-mini", 0.1)
    assert "openai" in list_providers()


def test_model_string_splits_on_the_first_colon():
    seen = {}

    def factory(model_id, **kwargs):
        seen["args"] = (model_id, kwargs)
        return OpenAIModel(api_key="sk-test-abcdefgh")

    register_provider("fake", factory)
    try:
        get_model("fake:llama3.3:70b", x=1)
        assert seen["args"] == ("llama3.3:70b", {"x": 1})
    finally:
        from locus.models import registry

        registry._PROVIDERS.pop("fake")


@pytest.mark.parametrize(
    ("string", "match"),
    [("gpt-4o", "must be 'provider:model'"), ("nope:x", "unknown provider 'nope'")],
)
def test_bad_model_strings_list_the_providers(string, match):
    with pytest.raises(ValueError, match=match) as info:
        get_model(string)
    assert "available providers: openai" in str(info.value)
