from __future__ import annotations

from pathlib import Path

import pytest

from locus.auth.oci_config import load_private_key, read_key_file, read_profile
from locus.core.errors import ConfigError
from tests.oci_helpers import (
    PASSPHRASE,
    api_key_config,
    pem,
    write_config,
)


def test_profile_inherits_default_and_expands_paths(tmp_path, monkeypatch, rsa_key):
    monkeypatch.setenv("HOME", str(tmp_path))
    config = write_config(
        tmp_path,
        "[DEFAULT]\nregion=us-chicago-1\ntenancy=T\n\n[work]\nuser=U\nfingerprint=F\n"
        "key_file=~/keys/k.pem\nsecurity_token_file=~/tok\ntenancy=T2\npass_phrase=50%off\n",
    )
    profile = read_profile(str(config), "work")
    assert (profile.name, profile.user, profile.tenancy, profile.region, profile.fingerprint) == (
        "work",
        "U",
        "T2",
        "us-chicago-1",
        "F",
    )
    assert profile.key_file == tmp_path / "keys" / "k.pem"
    assert profile.security_token_file == tmp_path / "tok"
    assert profile.pass_phrase == "50%off"  # no interpolation
    assert "50%off" not in repr(profile)
    default = read_profile(str(config))
    assert (default.tenancy, default.user) == ("T", None)


def test_region_falls_back_to_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("OCI_REGION", "eu-frankfurt-1")
    profile = read_profile(str(write_config(tmp_path, "[DEFAULT]\ntenancy=T\n")))
    assert profile.region == "eu-frankfurt-1"


def test_default_location_falls_back_to_oci_config_file(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "nohome"))
    monkeypatch.setenv("OCI_CONFIG_FILE", str(write_config(tmp_path, "[DEFAULT]\ntenancy=T\n")))
    assert read_profile().tenancy == "T"


@pytest.mark.parametrize(
    ("text", "profile", "match"),
    [
        (None, "DEFAULT", r"config file .*missing.* not found; create it"),
        (
            "[DEFAULT]\ntenancy=T\n[a]\nuser=U\n",
            "b",
            r"profile \[b\] not found in .* \(profiles: DEFAULT, a\)",
        ),
        ("[a]\nuser=U\n", "DEFAULT", r"profile \[DEFAULT\] in .* is empty"),
        ("not an ini file", "DEFAULT", "cannot be read: MissingSectionHeaderError"),
    ],
)
def test_config_problems_are_config_errors_naming_file_and_profile(tmp_path, text, profile, match):
    path = tmp_path / "missing" if text is None else write_config(tmp_path, text)
    with pytest.raises(ConfigError, match=match):
        read_profile(str(path), profile)


def test_missing_field_is_named(tmp_path, rsa_key):
    profile = read_profile(str(api_key_config(tmp_path, rsa_key)), "work")
    profile.require("user", "tenancy", "fingerprint", "key_file")
    with pytest.raises(
        ConfigError, match=r"profile \[work\] in .*config has no 'security_token_file'"
    ):
        profile.require("security_token_file")


@pytest.mark.parametrize("pkcs8", [True, False])
def test_keys_in_pkcs1_and_pkcs8(pkcs8, rsa_key):
    key = load_private_key(pem(rsa_key, pkcs8=pkcs8), source="k")
    assert key.private_numbers() == rsa_key.private_numbers()


def test_encrypted_keys_and_passphrase_errors(rsa_key):
    encrypted = pem(rsa_key, passphrase=PASSPHRASE)
    assert (
        load_private_key(encrypted, PASSPHRASE, source="k").private_numbers()
        == rsa_key.private_numbers()
    )
    with pytest.raises(ConfigError, match="is encrypted; set pass_phrase"):
        load_private_key(encrypted, None, source="k")
    with pytest.raises(ConfigError, match="wrong pass_phrase") as info:
        load_private_key(encrypted, "not-it-at-all", source="k")
    assert "not-it-at-all" not in str(info.value)
    # A passphrase given for an unencrypted key is ignored, as the SDK does.
    assert load_private_key(pem(rsa_key), PASSPHRASE, source="k")


def test_public_key_and_non_rsa_keys_are_refused(rsa_key):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    public = rsa_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    with pytest.raises(ConfigError, match="a public key was given"):
        load_private_key(public, source="k")
    ec_pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with pytest.raises(ConfigError, match="is not an RSA key"):
        load_private_key(ec_pem, source="k")


def test_missing_key_file(tmp_path):
    with pytest.raises(ConfigError, match=r"key_file .*nope.pem of profile \[p\] cannot be read"):
        read_key_file(Path(tmp_path / "nope.pem"), None, profile="p")
