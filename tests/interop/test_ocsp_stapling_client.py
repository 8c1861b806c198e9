"""OCSP stapling (RFC 6066 §8, RFC 7633) against real peers: our client side.

Our server (``tls12 server --status-file`` and the library's TLSServer) is asked by
``openssl s_client -status`` and ``gnutls-cli``; our client asks ``openssl s_server
-status_file`` and ``gnutls-serv --ocsp-response``. The responses come from ``openssl ocsp``
answering from an index.txt CA database, and from cryptography's builder for the cases
OpenSSL's responder will not make (expired, wrong signer, delegated responders)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from ocsp_support import (
    must_staple,
    openssl_ocsp_response,
    write_ca,
    write_stapling_files,
)
from peers import (
    Peer,
    gnutls_server,
    openssl_binary,
    openssl_server,
)
from tls_support import pki

from tls12 import aio, errors
from tls12.io.sync import TLSSocket, connect
from tls12.ocsp import CertStatus, OcspResponse
from tls12.pki import Identity
from tls12.pki_ocsp import delegated_responder, ocsp_response

HOST = "127.0.0.1"
TLS12 = [sys.executable, "-m", "tls12"]


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return write_stapling_files(tmp_path_factory.mktemp("ocsp"))


# --- our client, openssl s_server -status_file ---------------------------------------------


def s_server_options(files: dict[str, Path], response: Path | None, stem: str = "rsa") -> list:
    options = ["-cert", str(files[f"{stem}.crt"]), "-key", str(files[f"{stem}.key"])]
    options += ["-naccept", "1"]
    if response is not None:
        options += ["-status_file", str(response)]
    return options


def connect_with_status(port: int, **kw: object) -> TLSSocket:
    kw.setdefault("ocsp_status_request", True)
    config = pki().client_config(**kw)
    return connect(HOST, port, config, server_name="localhost", timeout=20)


def test_our_client_checks_the_staple_of_s_server(tmp_path, files):
    response = openssl_ocsp_response(tmp_path, pki().rsa.cert)
    with openssl_server(tmp_path, s_server_options(files, response)) as server:
        tls = connect_with_status(server.port)
        result = tls.ocsp_response
        tls.unwrap().close()
    assert result is not None and result.cert_status is CertStatus.GOOD
    assert result.responder == "the issuer"
    assert result.der == response.read_bytes()
    assert tls.negotiated.ocsp_response == result


def test_our_asyncio_client_exposes_the_staple_of_s_server(tmp_path, files):
    response = openssl_ocsp_response(tmp_path, pki().rsa.cert)

    async def handshake(port: int) -> object:
        config = pki().client_config(ocsp_status_request=True)
        reader, writer = await aio.open_connection(HOST, port, config, server_name="localhost")
        result = writer.get_extra_info("ocsp_response")
        writer.close()
        with contextlib.suppress(errors.TLSError, ConnectionError):
            await writer.wait_closed()
        return result

    with openssl_server(tmp_path, s_server_options(files, response)) as server:
        result = asyncio.run(handshake(server.port))
    assert isinstance(result, OcspResponse) and result.cert_status is CertStatus.GOOD


def test_our_client_without_status_request_gets_no_staple(tmp_path, files):
    response = openssl_ocsp_response(tmp_path, pki().rsa.cert)
    with openssl_server(tmp_path, s_server_options(files, response)) as server:
        tls = connect(HOST, server.port, pki().client_config(), server_name="localhost")
        assert tls.ocsp_response is None
        tls.unwrap().close()


def test_a_delegated_responder_made_by_openssl_ocsp_is_accepted(tmp_path, files):
    """``openssl ocsp -rsigner RESPONDER``: signed by a responder certificate the CA issued
    with id-kp-OCSPSigning, which OpenSSL includes in the response."""
    responder = delegated_responder(pki().ca)
    cert, key = responder.write(tmp_path, "responder")
    response = openssl_ocsp_response(tmp_path, pki().rsa.cert)
    # sign again, by the responder: the same index, another signer
    ca_cert, _ = write_ca(tmp_path, pki().ca)
    leaf = tmp_path / f"leaf-{pki().rsa.cert.serial_number:x}.pem"
    out = tmp_path / "delegated.der"
    subprocess.run(
        [openssl_binary(), "ocsp", "-index", str(tmp_path / "index-resp.der.txt"),
         "-rsigner", str(cert), "-rkey", str(key), "-CA", str(ca_cert), "-issuer", str(ca_cert),
         "-cert", str(leaf), "-respout", str(out), "-ndays", "1"],
        check=True, capture_output=True, timeout=30,
    )  # fmt: skip
    assert out.read_bytes() != response.read_bytes()
    with openssl_server(tmp_path, s_server_options(files, out)) as server:
        tls = connect_with_status(server.port)
        result = tls.ocsp_response
        tls.unwrap().close()
    assert result is not None and result.cert_status is CertStatus.GOOD
    assert "OCSP responder" in result.responder


def refused(port: int, **kw: object) -> errors.TLSError:
    with pytest.raises(errors.TLSError) as info:
        connect_with_status(port, **kw)
    return info.value


def alert_seen_by_s_server(server: Peer, number: int) -> None:
    """s_server logs the alert it received as ``... SSL alert number N``."""
    server.wait_for(rb"SSL alert number (\d+)", stream="stderr")
    text = (server.stdout() + server.stderr()).decode(errors="replace")
    assert f"SSL alert number {number}" in text, text


def test_revoked_staple_from_openssl_ocsp_is_certificate_revoked(tmp_path, files):
    response = openssl_ocsp_response(tmp_path, pki().rsa.cert, revoked=True)
    with openssl_server(tmp_path, s_server_options(files, response)) as server:
        exc = refused(server.port)
        alert_seen_by_s_server(server, 44)
    assert isinstance(exc, errors.CertificateRevoked)
    assert "revoked" in str(exc) and "keyCompromise" in str(exc)


def test_unknown_staple_is_exposed_or_refused_when_a_good_one_is_required(tmp_path, files):
    """``openssl ocsp`` answers "unknown" for a serial its index does not list: accepted and
    shown as such, unless require_ocsp_staple wants a good one."""
    response = openssl_ocsp_response(tmp_path, pki().rsa.cert, listed=False)
    with openssl_server(tmp_path, s_server_options(files, response)) as server:
        tls = connect_with_status(server.port)
        assert tls.ocsp_response is not None
        assert tls.ocsp_response.cert_status is CertStatus.UNKNOWN
        tls.unwrap().close()
    with openssl_server(tmp_path, s_server_options(files, response)) as server:
        exc = refused(server.port, require_ocsp_staple=True)
        alert_seen_by_s_server(server, 113)
    assert isinstance(exc, errors.BadCertificateStatusResponse)
    assert "unknown" in str(exc) and "require_ocsp_staple" in str(exc)


def _bad_signature(der: bytes) -> bytes:
    """The response with the last byte of its signature changed."""
    return der[:-1] + bytes([der[-1] ^ 0x01])


def _other_ca() -> Identity:
    other = pki().other_ca
    return Identity(cert=other.cert, key=other.key, chain=[other.cert])


BAD_STAPLES = {
    "for another certificate": (
        lambda: ocsp_response(pki().ca, pki().ecdsa.cert),
        "not for the server's certificate",
    ),
    "expired": (
        lambda: ocsp_response(
            pki().ca, pki().rsa.cert, this_update=datetime.now(UTC) - timedelta(days=2)
        ),
        "expired",
    ),
    "not yet valid": (
        lambda: ocsp_response(
            pki().ca, pki().rsa.cert, this_update=datetime.now(UTC) + timedelta(hours=2)
        ),
        "in the future",
    ),
    "signed by another CA": (
        lambda: ocsp_response(
            pki().ca, pki().rsa.cert, responder=_other_ca(), include_responder=False
        ),
        "neither by the certificate's issuer",
    ),
    "bad signature": (
        lambda: _bad_signature(ocsp_response(pki().ca, pki().rsa.cert)),
        "signature does not verify",
    ),
    "responder without OCSPSigning": (
        lambda: ocsp_response(
            pki().ca,
            pki().rsa.cert,
            responder=delegated_responder(pki().ca, ocsp_signing=False),
        ),
        "lacks id-kp-OCSPSigning",
    ),
    "responder from another CA": (
        lambda: ocsp_response(
            pki().ca, pki().rsa.cert, responder=delegated_responder(pki().other_ca)
        ),
        "not issued by the certificate's issuer",
    ),
}


@pytest.mark.parametrize("case", BAD_STAPLES)
def test_an_unacceptable_staple_is_bad_certificate_status_response(tmp_path, files, case):
    make, words = BAD_STAPLES[case]
    path = tmp_path / "bad.der"
    path.write_bytes(make())
    with openssl_server(tmp_path, s_server_options(files, path)) as server:
        exc = refused(server.port)
        alert_seen_by_s_server(server, 113)
    assert isinstance(exc, errors.BadCertificateStatusResponse)
    assert words in str(exc), str(exc)


def test_must_staple_leaf_without_a_staple_is_refused(tmp_path, files):
    """RFC 7633: the leaf's TLS Feature lists status_request and we offered it, so a server
    that staples nothing fails with bad_certificate_status_response."""
    with openssl_server(tmp_path, s_server_options(files, None, stem="must_staple")) as server:
        exc = refused(server.port)
        alert_seen_by_s_server(server, 113)
    assert isinstance(exc, errors.BadCertificateStatusResponse)
    assert "must-staple" in str(exc)


def test_must_staple_leaf_with_a_good_staple_is_accepted(tmp_path, files):
    response = ocsp_response(pki().ca, must_staple().cert)
    path = tmp_path / "ms.der"
    path.write_bytes(response)
    with openssl_server(tmp_path, s_server_options(files, path, stem="must_staple")) as server:
        tls = connect_with_status(server.port)
        assert tls.ocsp_response is not None
        assert tls.ocsp_response.cert_status is CertStatus.GOOD
        tls.unwrap().close()


def test_require_ocsp_staple_without_a_staple_is_refused(tmp_path, files):
    with openssl_server(tmp_path, s_server_options(files, None)) as server:
        exc = refused(server.port, require_ocsp_staple=True)
        alert_seen_by_s_server(server, 113)
    assert isinstance(exc, errors.BadCertificateStatusResponse)
    assert "require_ocsp_staple" in str(exc)


def test_cli_client_status_prints_the_response_of_s_server(tmp_path, files):
    response = openssl_ocsp_response(tmp_path, pki().rsa.cert)
    trace = tmp_path / "trace.jsonl"
    with openssl_server(tmp_path, s_server_options(files, response)) as server:
        run = Peer(
            "tls12-client",
            [*TLS12, "client", f"{HOST}:{server.port}", "--servername", "localhost",
             "--cafile", str(files["ca"]), "--status", "--idle-timeout", "0.2",
             "--trace-json", str(trace)],
            tmp_path,
        )  # fmt: skip
        with run:
            run.close_stdin()
            assert run.wait(30) == 0, run.diagnostics()
    err = run.stderr().decode()
    assert "OCSP Response Status: successful (0x0)" in err, err
    assert "Cert Status: good" in err, err
    lines = [json.loads(line) for line in trace.read_text().splitlines()]
    assert lines[0]["message"] == "ClientHello" and lines[0]["status_request"] is True
    status = next(line for line in lines if line["message"] == "CertificateStatus")
    assert status["cert_status"] == "good" and status["status_type"] == "ocsp"
    assert [line["message"] for line in lines].index("CertificateStatus") == 3


def test_cli_client_status_says_when_nothing_was_stapled(tmp_path, files):
    with openssl_server(tmp_path, s_server_options(files, None)) as server:
        run = Peer(
            "tls12-client",
            [*TLS12, "client", f"{HOST}:{server.port}", "--servername", "localhost",
             "--cafile", str(files["ca"]), "--status", "--idle-timeout", "0.2"],
            tmp_path,
        )  # fmt: skip
        with run:
            run.close_stdin()
            assert run.wait(30) == 0, run.diagnostics()
    assert "OCSP response: no response sent" in run.stderr().decode()


def test_cli_client_revoked_is_one_line(tmp_path, files):
    response = openssl_ocsp_response(tmp_path, pki().rsa.cert, revoked=True)
    with openssl_server(tmp_path, s_server_options(files, response)) as server:
        run = Peer(
            "tls12-client",
            [*TLS12, "client", f"{HOST}:{server.port}", "--servername", "localhost",
             "--cafile", str(files["ca"]), "--status"],
            tmp_path,
        )  # fmt: skip
        with run:
            run.close_stdin()
            assert run.wait(30) == 1, run.diagnostics()
    lines = run.stderr().decode().splitlines()
    assert len(lines) == 1 and lines[0].startswith("tls12: ") and "revoked" in lines[0], lines


# --- our client, gnutls-serv --ocsp-response -----------------------------------------------


def test_our_client_checks_the_staple_of_gnutls_serv(tmp_path, files):
    response = openssl_ocsp_response(tmp_path, pki().rsa.cert)
    options = [
        "--x509certfile", str(files["rsa.crt"]), "--x509keyfile", str(files["rsa.key"]),
        "--ocsp-response", str(response),
    ]  # fmt: skip
    with gnutls_server(tmp_path, options) as server:
        tls = connect_with_status(server.port)
        result = tls.ocsp_response
        tls.unwrap().close()
    assert result is not None and result.cert_status is CertStatus.GOOD
    assert result.der == response.read_bytes()


def test_gnutls_serv_revoked_staple_fails_our_client(tmp_path, files):
    response = openssl_ocsp_response(tmp_path, pki().rsa.cert, revoked=True)
    options = [
        "--x509certfile", str(files["rsa.crt"]), "--x509keyfile", str(files["rsa.key"]),
        "--ocsp-response", str(response), "--ignore-ocsp-response-errors",
    ]  # fmt: skip
    with gnutls_server(tmp_path, options) as server:
        exc = refused(server.port)
    assert isinstance(exc, errors.CertificateRevoked)


# --- resumption: no Certificate, no CertificateStatus ----------------------------------------


def test_our_client_resuming_with_s_server_gets_no_staple(tmp_path, files):
    response = openssl_ocsp_response(tmp_path, pki().rsa.cert)
    options = [*s_server_options(files, response)[:-2], "-status_file", str(response)]
    options[options.index("-naccept") + 1] = "2"
    with openssl_server(tmp_path, options) as server:
        first = connect_with_status(server.port)
        assert first.ocsp_response is not None
        session = first.session
        first.unwrap().close()
        config = pki().client_config(ocsp_status_request=True)
        again = connect(HOST, server.port, config, server_name="localhost", session=session)
        assert again.session_reused
        assert again.ocsp_response is None
        assert "CertificateStatus" not in again.connection.trace.names
        again.unwrap().close()
