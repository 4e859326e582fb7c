"""OCI test helpers: key pairs, config files, tokens, and a signature verifier that rebuilds
the signing string from a captured request on its own (never with locus's signer code)."""

from __future__ import annotations

import base64
import datetime
import hashlib
import json
import re
import time
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

TENANCY = "ocid1.tenancy.oc1..test"
USER = "ocid1.user.oc1..test"
COMPARTMENT = "ocid1.compartment.oc1..test"
FINGERPRINT = "aa:bb:cc:dd:ee:ff:00:11:22:33:44:55:66:77:88:99"
PASSPHRASE = "correct-horse-battery-staple-42"


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def pem(key: rsa.RSAPrivateKey, *, pkcs8: bool = True, passphrase: str | None = None) -> bytes:
    encryption = (
        serialization.BestAvailableEncryption(passphrase.encode())
        if passphrase
        else serialization.NoEncryption()
    )
    fmt = (
        serialization.PrivateFormat.PKCS8
        if pkcs8
        else serialization.PrivateFormat.TraditionalOpenSSL
    )
    return key.private_bytes(serialization.Encoding.PEM, fmt, encryption)


def jwt(claims: dict) -> str:
    def part(obj: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'RS256', 'typ': 'JWT'})}.{part(claims)}.c2lnbmF0dXJl"


def token(expires_in: float = 3600, **claims) -> str:
    return jwt({"exp": int(time.time() + expires_in), "sub": "ocid1.instance.oc1..test", **claims})


def write_config(directory: Path, text: str) -> Path:
    path = directory / "config"
    path.write_text(text)
    return path


def api_key_config(
    directory: Path, key: rsa.RSAPrivateKey, *, passphrase: str | None = None
) -> Path:
    key_file = directory / "key.pem"
    key_file.write_bytes(pem(key, passphrase=passphrase))
    lines = [
        "[DEFAULT]",
        "region=us-chicago-1",
        f"tenancy={TENANCY}",
        "",
        "[work]",
        f"user={USER}",
        f"fingerprint={FINGERPRINT}",
        f"key_file={key_file}",
    ]
    if passphrase:
        lines.append(f"pass_phrase={passphrase}")
    return write_config(directory, "\n".join(lines) + "\n")


@dataclass
class Signature:
    key_id: str
    headers: list[str]
    signing_string: str


_PARAM = re.compile(r'(\w+)="([^"]*)"')


def verify(method: str, target: str, headers, body: bytes, public_key) -> Signature:
    """Check an OCI signature the way the service does, from what was sent."""
    headers = {k.lower(): v for k, v in dict(headers).items()}
    scheme, _, params = headers["authorization"].partition(" ")
    assert scheme == "Signature"
    fields = dict(_PARAM.findall(params))
    assert fields["algorithm"] == "rsa-sha256"
    assert fields["version"] == "1"
    names = fields["headers"].split(" ")
    lines = []
    for name in names:
        value = f"{method.lower()} {target}" if name == "(request-target)" else headers[name]
        lines.append(f"{name}: {value}")
    string = "\n".join(lines)
    public_key.verify(
        base64.b64decode(fields["signature"]), string.encode(), padding.PKCS1v15(), hashes.SHA256()
    )
    if "x-content-sha256" in names:
        assert (
            headers["x-content-sha256"] == base64.b64encode(hashlib.sha256(body).digest()).decode()
        )
        assert headers["content-length"] == str(len(body))
    assert (
        abs(
            time.time()
            - datetime.datetime.strptime(headers["date"], "%a, %d %b %Y %H:%M:%S GMT")
            .replace(tzinfo=datetime.UTC)
            .timestamp()
        )
        < 120
    )
    return Signature(fields["keyId"], names, string)


def verify_httpx(request, public_key) -> Signature:
    return verify(
        request.method, request.url.raw_path.decode(), request.headers, request.content, public_key
    )


def instance_identity(tenancy: str = TENANCY):
    """A CA, an intermediate and a leaf certificate like the metadata service hands out."""
    now = datetime.datetime.now(datetime.UTC)

    def cert(subject, issuer, key, signer_key, ca):
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(hours=2))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        )
        return builder.sign(signer_key, hashes.SHA256())

    root_key, inter_key, leaf_key = new_key(), new_key(), new_key()
    root_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test root")])
    inter_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test intermediate")])
    leaf_name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, "ocid1.instance.oc1..test"),
            x509.NameAttribute(
                NameOID.ORGANIZATIONAL_UNIT_NAME, "opc-instance:ocid1.instance.oc1..test"
            ),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, f"opc-tenant:{tenancy}"),
        ]
    )
    intermediate = cert(inter_name, root_name, inter_key, root_key, True)
    leaf = cert(leaf_name, inter_name, leaf_key, inter_key, False)
    return leaf, leaf_key, intermediate
