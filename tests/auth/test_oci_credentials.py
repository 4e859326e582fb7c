from __future__ import annotations

import asyncio
import logging
import os

import pytest

from locus.auth.oci_config import read_profile
from locus.auth.oci_credentials import (
    APIKeyCredentials,
    ResourcePrincipalCredentials,
    SessionTokenCredentials,
    credentials_for_profile,
    token_claims,
)
from locus.core.errors import ConfigError
from tests.oci_helpers import (
    COMPARTMENT,
    FINGERPRINT,
    PASSPHRASE,
    TENANCY,
    USER,
    api_key_config,
    pem,
    token,
    write_config,
)


def test_api_key_credentials_from_a_profile(tmp_path, rsa_key):
    credentials = credentials_for_profile(
        read_profile(str(api_key_config(tmp_path, rsa_key, passphrase=PASSPHRASE)), "work")
    )
    assert isinstance(credentials, APIKeyCredentials)
    assert credentials.key_id == f"{TENANCY}/{USER}/{FINGERPRINT}"
    assert credentials.private_key.private_numbers() == rsa_key.private_numbers()
    assert not credentials.refreshable
    assert credentials.expires_at() is None


def session_profile(tmp_path, rsa_key, jwt):
    (tmp_path / "key.pem").write_bytes(pem(rsa_key))
    (tmp_path / "token").write_text(jwt + "\n")
    text = f"[DEFAULT]\nregion=us-chicago-1\n[s]\nfingerprint={FINGERPRINT}\nkey_file={tmp_path / 'key.pem'}\nsecurity_token_file={tmp_path / 'token'}\n"
    return read_profile(str(write_config(tmp_path, text)), "s")


async def test_session_token_key_id_and_refresh_re_reads_the_file(tmp_path, rsa_key):
    first, second = token(), token(expires_in=7200)
    credentials = credentials_for_profile(session_profile(tmp_path, rsa_key, first))
    assert isinstance(credentials, SessionTokenCredentials)
    assert credentials.key_id == f"ST${first}"
    assert credentials.refreshable
    (tmp_path / "token").write_text(second)  # what `oci session refresh` does
    await credentials.refresh()
    assert credentials.key_id == f"ST${second}"
    assert credentials.last_refresh_error is None


async def test_expired_session_token_says_how_to_refresh_and_is_recorded(tmp_path, rsa_key, caplog):
    stale = token(expires_in=-10)
    credentials = credentials_for_profile(session_profile(tmp_path, rsa_key, stale))
    with (
        caplog.at_level(logging.WARNING, logger="locus.auth"),
        pytest.raises(
            ConfigError,
            match=r"session token of profile \[s\] has expired; run `oci session refresh --profile s`",
        ),
    ):
        await credentials.ensure_fresh()
    assert isinstance(credentials.last_refresh_error, ConfigError)
    assert "refreshing SessionTokenCredentials failed" in caplog.text
    assert stale not in caplog.text


async def test_refresh_before_expiry_and_a_failed_refresh_while_still_valid(tmp_path, rsa_key):
    soon = token(expires_in=30)  # inside the 60 s margin
    credentials = credentials_for_profile(session_profile(tmp_path, rsa_key, soon))
    fresh = token(expires_in=3600)
    (tmp_path / "token").write_text(fresh)
    await credentials.ensure_fresh()
    assert credentials.key_id == f"ST${fresh}"
    await credentials.ensure_fresh()  # nothing to do now
    assert credentials.key_id == f"ST${fresh}"
    # Within the margin, a refresh that fails keeps the still-valid token and records why.
    credentials2 = credentials_for_profile(session_profile(tmp_path, rsa_key, soon))
    (tmp_path / "token").unlink()
    await credentials2.ensure_fresh()
    assert credentials2.key_id == f"ST${soon}"
    assert isinstance(credentials2.last_refresh_error, ConfigError)


async def test_concurrent_refreshes_share_one(tmp_path, rsa_key):
    credentials = credentials_for_profile(session_profile(tmp_path, rsa_key, token()))
    calls = []
    original = credentials._refresh

    async def counted():
        calls.append(1)
        await asyncio.sleep(0.01)
        await original()

    credentials._refresh = counted
    await asyncio.gather(*(credentials.refresh() for _ in range(5)))
    assert len(calls) == 1


def test_token_claims_and_bad_tokens():
    assert token_claims(token(res_tenant=TENANCY))["res_tenant"] == TENANCY
    for bad in ("nodots", "a.!!!.c", "a.W10.c"):
        with pytest.raises(ConfigError, match="not a JWT"):
            token_claims(bad)


@pytest.mark.parametrize("as_files", [False, True])
async def test_resource_principal_from_the_environment(tmp_path, monkeypatch, rsa_key, as_files):
    rpst = token(res_tenant=TENANCY, res_compartment=COMPARTMENT)
    key_pem = pem(rsa_key, passphrase=PASSPHRASE).decode()
    values = {
        "OCI_RESOURCE_PRINCIPAL_RPST": rpst,
        "OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM": key_pem,
        "OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM_PASSPHRASE": PASSPHRASE,
    }
    for name, value in values.items():
        if as_files:
            path = tmp_path / name
            path.write_text(value)
            value = str(path)
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("OCI_RESOURCE_PRINCIPAL_VERSION", "2.2")
    monkeypatch.setenv("OCI_RESOURCE_PRINCIPAL_REGION", "us-phoenix-1")
    credentials = ResourcePrincipalCredentials()
    assert credentials.key_id == f"ST${rpst}"
    assert (credentials.tenancy, credentials.compartment, credentials.region) == (
        TENANCY,
        COMPARTMENT,
        "us-phoenix-1",
    )
    assert credentials.private_key.private_numbers() == rsa_key.private_numbers()
    if as_files:
        rotated = token(res_tenant=TENANCY)
        (tmp_path / "OCI_RESOURCE_PRINCIPAL_RPST").write_text(rotated)
        await credentials.refresh()
        assert credentials.key_id == f"ST${rotated}"


def test_resource_principal_problems(monkeypatch, tmp_path):
    monkeypatch.setenv("OCI_RESOURCE_PRINCIPAL_VERSION", "1.1")
    with pytest.raises(ConfigError, match=r"version '1\.1' is not supported"):
        ResourcePrincipalCredentials()
    monkeypatch.setenv("OCI_RESOURCE_PRINCIPAL_VERSION", "2.2")
    with pytest.raises(ConfigError, match="OCI_RESOURCE_PRINCIPAL_RPST is not set"):
        ResourcePrincipalCredentials()
    monkeypatch.setenv("OCI_RESOURCE_PRINCIPAL_RPST", str(tmp_path / "gone"))
    with pytest.raises(
        ConfigError, match="the file named by OCI_RESOURCE_PRINCIPAL_RPST cannot be read"
    ):
        ResourcePrincipalCredentials()
    assert "OCI_RESOURCE_PRINCIPAL_RPST" in os.environ
