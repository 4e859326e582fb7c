"""OCI Generative AI: `OCIOpenAIModel` (OpenAI-compatible endpoint) and the native chat API.

Names are imported on first use, so importing this package loads nothing OCI-specific.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from locus.models.providers.oci._auth import DEFAULT_OCI_GENAI_REGION, OCIAuthType
    from locus.models.providers.oci.chat import OCIConfig, OCIModel
    from locus.models.providers.oci.openai_compat import (
        OCIOpenAIConfig,
        OCIOpenAIModel,
        build_oci_openai_base_url,
    )

__all__ = [
    "DEFAULT_OCI_GENAI_REGION",
    "OCIAuthType",
    "OCIConfig",
    "OCIModel",
    "OCIOpenAIConfig",
    "OCIOpenAIModel",
    "build_oci_openai_base_url",
]

_LAZY = {
    "DEFAULT_OCI_GENAI_REGION": "locus.models.providers.oci._auth",
    "OCIAuthType": "locus.models.providers.oci._auth",
    "OCIConfig": "locus.models.providers.oci.chat",
    "OCIModel": "locus.models.providers.oci.chat",
    "OCIOpenAIConfig": "locus.models.providers.oci.openai_compat",
    "OCIOpenAIModel": "locus.models.providers.oci.openai_compat",
    "build_oci_openai_base_url": "locus.models.providers.oci.openai_compat",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'locus.models.providers.oci' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
