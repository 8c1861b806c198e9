"""AES-CCM and AES-CCM_8 (RFC 6655, RFC 7251) against OpenSSL in both directions, one record
per length around the tag and block boundaries: each length is its own TLS record, and the
bytes must arrive exactly."""

from __future__ import annotations

from pathlib import Path

import pytest
from peers import OurServer, openssl_cipher_name, openssl_server, received_by_s_server
from peers.openssl import run_openssl_client
from tls_support import pki

from tls12.crypto.suites import ALL_SUITES, BY_NAME, COMPATIBLE_SUITES, DEFAULT_SUITES
from tls12.io.sync import TLSSocket, connect

CCM = [s for s in ALL_SUITES if "CCM" in s.cipher.value]
# every length from empty to past two blocks, and around the 2^14 record limit
LENGTHS = [*range(0, 41), 255, 256, 257, 16383, 16384]
PAYLOADS = [bytes((n + i) % 251 for i in range(n)) for n in LENGTHS]
EXPECTED = b"".join(PAYLOADS)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return pki().write(tmp_path_factory.mktemp("ccm"))


def _certs(files: dict[str, Path], suite) -> list[str]:
    kind = "ecdsa" if "ECDSA" in suite.name else "rsa"
    return ["-cert", str(files[f"{kind}.crt"]), "-key", str(files[f"{kind}.key"])]


def test_policies_hold_ccm_and_leave_ccm_8_to_be_named():
    assert {s.name for s in CCM} == {
        f"TLS_{kx}_WITH_AES_{bits}_CCM{tag}"
        for kx in ("ECDHE_ECDSA", "DHE_RSA", "RSA")
        for bits in (128, 256)
        for tag in ("", "_8")
    }
    assert not set(CCM) & set(DEFAULT_SUITES)
    assert {s for s in CCM if s in COMPATIBLE_SUITES} == {s for s in CCM if "CCM_8" not in s.name}
    assert BY_NAME["TLS_ECDHE_ECDSA_WITH_AES_128_CCM"].id == 0xC0AC  # RFC 7251
    assert BY_NAME["TLS_RSA_WITH_AES_128_CCM_8"].id == 0xC0A0  # RFC 6655


@pytest.mark.parametrize("suite", CCM, ids=str)
def test_our_client_sends_every_length_to_s_server(suite, files, tmp_path):
    options = [*_certs(files, suite), "-cipher", openssl_cipher_name(suite.id), "-naccept", "1"]
    with openssl_server(tmp_path, options) as server:
        config = pki().client_config(cipher_suites=[suite])
        tls = connect("127.0.0.1", server.port, config, server_name="localhost")
        assert tls.negotiated.cipher_suite == suite
        for payload in PAYLOADS:
            tls.sendall(payload)  # one record each (an empty write sends none)
        tls.close()
        assert server.wait() == 0, server.diagnostics()
        assert received_by_s_server(server.stdout()) == EXPECTED


@pytest.mark.parametrize("suite", CCM, ids=str)
def test_s_client_receives_every_length_from_our_server(suite, files, tmp_path):
    def send_each(tls: TLSSocket) -> int:
        for payload in PAYLOADS:
            tls.sendall(payload)
        return len(EXPECTED)

    with OurServer(pki().server_config(cipher_suites=[suite]), send_each) as server:
        run = run_openssl_client(
            tmp_path,
            server.port,
            ["-quiet", "-cipher", openssl_cipher_name(suite.id), "-CAfile", str(files["ca"])],
        )
        outcome = server.next_outcome()
    assert outcome.error is None, outcome.error
    assert outcome.info["negotiated"].cipher_suite == suite
    assert run.stdout == EXPECTED, run.diagnostics()
