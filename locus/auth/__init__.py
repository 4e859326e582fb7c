"""OCI authentication without the OCI SDK: config file, credentials, request signer."""

__all__: list[str] = []
