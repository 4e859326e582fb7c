"""OCI benchmarks: signing CPU against a raw `cryptography` floor, and cold import.

Run: `.venv/bin/python -m tests.bench.bench_oci`. The signing floor is one RSA-2048 PKCS#1
v1.5 signature plus a SHA-256 of the body; locus signs the same request with `sign_request`
(headers, signing string, signature). Not collected by pytest.
"""

from __future__ import annotations

import hashlib
import json
import statistics
import subprocess
import sys
import time

import httpx
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.hashes import SHA256

from locus.auth.oci_signer import sign_request

N = 2000
IMPORT_RUNS = 15
BODY = json.dumps(
    {
        "model": "openai.gpt-4.1",
        "messages": [{"role": "user", "content": "Hello! " * 40}],
        "max_tokens": 4096,
        "temperature": 0.7,
    }
).encode()
URL = "https://inference.generativeai.us-chicago-1.oci.oraclecloud.com/openai/v1/chat/completions"


def cpu_per_call(call) -> float:
    call()
    start = time.process_time()
    for _ in range(N):
        call()
    return (time.process_time() - start) / N * 1e6


def cold_import(statement: str) -> float:
    code = f"import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"
    runs = [
        float(subprocess.check_output([sys.executable, "-c", code])) for _ in range(IMPORT_RUNS)
    ]
    return statistics.median(runs) * 1000


def main() -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def floor() -> None:
        hashlib.sha256(BODY).digest()
        key.sign(b"date: x\n(request-target): post /x\nhost: h", padding.PKCS1v15(), SHA256())

    def ours() -> None:
        request = httpx.Request(
            "POST", URL, content=BODY, headers={"opc-compartment-id": "ocid1.compartment.oc1..x"}
        )
        sign_request(
            request,
            "ocid1.tenancy.oc1..x/ocid1.user.oc1..x/aa:bb",
            key,
            extra=("opc-compartment-id",),
        )

    floor_us, ours_us = cpu_per_call(floor), cpu_per_call(ours)
    floor_import = cold_import("import httpx, pydantic, cryptography; httpx.AsyncClient()")
    oci_import = cold_import(
        "from locus.models.registry import get_model; "
        "get_model('oci:openai.gpt-4.1', api_key='oci-bench-key').client"
    )
    rows = [
        (
            "CPU per OCI-signed request (sign + SHA-256 of the body)",
            f"{floor_us:.0f} µs",
            f"{ours_us:.0f} µs",
            f"{ours_us / floor_us:.2f}x",
        ),
        (
            "cold import to a usable OCI OpenAI-compatible model",
            f"{floor_import:.0f} ms",
            f"{oci_import:.0f} ms",
            f"{oci_import / floor_import:.2f}x",
        ),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"{'figure':<{width}}  {'floor':>10}  {'locus':>10}  {'ratio':>6}")
    for figure, base, mine, ratio in rows:
        print(f"{figure:<{width}}  {base:>10}  {mine:>10}  {ratio:>6}")


if __name__ == "__main__":
    main()
