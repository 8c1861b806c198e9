"""OCSP stapling (RFC 6066 §8, RFC 7633) against real peers: our server side.

Our server (``tls12 server --status-file`` and the library's TLSServer) is asked by
``openssl s_client -status`` and ``gnutls-cli``; our client asks ``openssl s_server
-status_file`` and ``gnutls-serv --ocsp-response``. The responses come from ``openssl ocsp``
answering from an index.txt CA database, and from cryptography's builder for the cases
OpenSSL's responder will not make (expired, wrong signer, delegated responders)."""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from figure_support import diagram_flights
from ocsp_support import echo_once, openssl_ocsp_response, write_stapling_files
from peers import (
    OurServer,
    Peer,
    run_gnutls_client,
    run_openssl_client,
)
from tls_support import pki

from tls12.config import CertifiedKey
from tls12.ocsp_staple import StapleFile
from tls12.pki_ocsp import ocsp_response

HOST = "127.0.0.1"
TLS12 = [sys.executable, "-m", "tls12"]


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return write_stapling_files(tmp_path_factory.mktemp("ocsp"))


# --- our server, openssl s_client -status ------------------------------------------------------


@contextlib.contextmanager
def cli_server(tmp_path: Path, files: dict[str, Path], *extra: str) -> Iterator[int]:
    args = [
        *TLS12, "server", "--port", "0",
        "--cert", str(files["rsa.crt"]), "--key", str(files["rsa.key"]), *extra,
    ]  # fmt: skip
    with Peer("tls12-server", args, tmp_path) as server:
        match = server.wait_for(rb"listening on 127\.0\.0\.1:(\d+)", stream="stderr")
        yield int(match.group(1))


def s_client_status(tmp_path: Path, files: dict[str, Path], port: int, *extra: str) -> str:
    run = run_openssl_client(
        tmp_path,
        port,
        ["-CAfile", str(files["ca"]), "-servername", "localhost", *extra],
        stdin_data=b"ping\n",
    )
    assert run.returncode == 0, run.diagnostics()
    return run.output


def test_s_client_status_prints_the_staple_of_the_cli_server(tmp_path, files):
    """``tls12 server --status-file`` with a response ``openssl ocsp`` made: s_client
    -status prints it as successful and good."""
    response = openssl_ocsp_response(tmp_path, pki().rsa.cert)
    with cli_server(tmp_path, files, "--status-file", str(response)) as port:
        out = s_client_status(tmp_path, files, port, "-status")
    assert "OCSP Response Status: successful (0x0)" in out, out
    assert "Cert Status: good" in out, out


def test_cli_server_trace_draws_certificate_status_after_certificate(tmp_path, files):
    """``tls12 server --trace``: the figure of a stapled handshake with s_client -status has
    CertificateStatus where RFC 6066 §8 puts it, between Certificate and ServerKeyExchange."""
    response = openssl_ocsp_response(tmp_path, pki().rsa.cert)
    args = [
        *TLS12, "server", "--port", "0", "--cert", str(files["rsa.crt"]),
        "--key", str(files["rsa.key"]), "--status-file", str(response), "--trace",
        "--no-tickets",
    ]  # fmt: skip
    with Peer("tls12-server", args, tmp_path) as server:
        match = server.wait_for(rb"listening on 127\.0\.0\.1:(\d+)", stream="stderr")
        s_client_status(tmp_path, files, int(match.group(1)), "-status")
        server.wait_for(rb"Alert\(", stream="stderr")
        text = server.stderr().decode()
    drawing = text[text.index("Client ") :]
    flights, _ = diagram_flights(drawing[: drawing.index("\n\n", drawing.index("\n\n") + 2)])
    server_flight = next(names for side, names in flights if side == "server")
    assert server_flight == (
        "ServerHello", "Certificate", "CertificateStatus", "ServerKeyExchange", "ServerHelloDone",
    ), drawing  # fmt: skip


def test_s_client_without_status_gets_no_staple_and_no_echo(tmp_path, files):
    response = openssl_ocsp_response(tmp_path, pki().rsa.cert)
    config = pki().server_config(
        certificates=[pki().certified(pki().rsa)], ocsp_staple=StapleFile(response)
    )
    with OurServer(config, echo_once) as server:
        s_client_status(tmp_path, files, server.port)
        outcome = server.next_outcome()
    trace = outcome.info["connection"].trace
    assert "CertificateStatus" not in trace.names


def test_library_server_staples_and_follows_the_file(tmp_path, files):
    """The library's TLSServer with a StapleFile: s_client -status sees the staple; the file
    replaced by a revoked response is re-read at the next handshake (s_client prints it),
    and an expired one, or one for another certificate, is not stapled at all."""
    path = tmp_path / "status.der"
    path.write_bytes(openssl_ocsp_response(tmp_path, pki().rsa.cert).read_bytes())
    staple = StapleFile(path)
    config = pki().server_config(certificates=[pki().certified(pki().rsa)], ocsp_staple=staple)
    with OurServer(config, echo_once) as server:
        out = s_client_status(tmp_path, files, server.port, "-status")
        assert "OCSP Response Status: successful" in out and "Cert Status: good" in out, out
        trace = server.next_outcome().info["connection"].trace
        names = trace.names
        assert names.index("CertificateStatus") == names.index("Certificate") + 1

        revoked = openssl_ocsp_response(tmp_path, pki().rsa.cert, revoked=True, name="r.der")
        _replace(path, revoked.read_bytes())
        out = s_client_status(tmp_path, files, server.port, "-status")
        assert "Cert Status: revoked" in out, out

        past = datetime.now(UTC) - timedelta(days=3)
        _replace(path, ocsp_response(pki().ca, pki().rsa.cert, this_update=past))
        out = s_client_status(tmp_path, files, server.port, "-status")
        assert "OCSP response: no response sent" in out, out
        assert staple.last_problem and "expired" in staple.last_problem

        _replace(path, ocsp_response(pki().ca, pki().ecdsa.cert))
        out = s_client_status(tmp_path, files, server.port, "-status")
        assert "OCSP response: no response sent" in out, out
        assert staple.last_problem and "not for the certificate" in staple.last_problem


def _replace(path: Path, data: bytes) -> None:
    """Writes a new file in place of the old one, with a newer mtime (as an operator's
    ``mv`` would), so a same-size rewrite within the clock's resolution is still seen."""
    fresh = path.with_suffix(".new")
    fresh.write_bytes(data)
    stamp = time.time_ns() + 1_000_000_000
    os.utime(fresh, ns=(stamp, stamp))
    fresh.replace(path)


def test_gnutls_cli_saves_the_staple_of_our_server(tmp_path, files):
    """gnutls-cli asks for status by default and checks the staple; --save-ocsp writes what
    it got, which is the file we staple."""
    response = openssl_ocsp_response(tmp_path, pki().rsa.cert)
    saved = tmp_path / "saved.der"
    with cli_server(tmp_path, files, "--status-file", str(response)) as port:
        run = run_gnutls_client(
            tmp_path,
            port,
            ["--x509cafile", str(files["ca"]), "--save-ocsp", str(saved),
             "--priority", "NORMAL:-VERS-ALL:+VERS-TLS1.2", "--sni-hostname", "localhost"],
            stdin_data=b"ping\n",
            close_stdin=True,
        )  # fmt: skip
    assert run.returncode == 0, run.diagnostics()
    assert saved.read_bytes() == response.read_bytes()


@pytest.mark.parametrize(
    ("command", "options"),
    [("server", ["--status-file"]), ("client", ["--status", "--require-staple"])],
)
def test_help_lists_the_ocsp_options(command, options):
    out = subprocess.run([*TLS12, command, "--help"], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0
    for option in options:
        assert option in out.stdout


def test_cli_server_warns_about_a_status_file_for_another_certificate(tmp_path, files):
    other = tmp_path / "other.der"
    other.write_bytes(ocsp_response(pki().ca, pki().ecdsa.cert))
    args = [
        *TLS12, "server", "--port", "0", "--cert", str(files["rsa.crt"]),
        "--key", str(files["rsa.key"]), "--status-file", str(other),
    ]  # fmt: skip
    with Peer("tls12-server", args, tmp_path) as server:
        server.wait_for(rb"listening on 127\.0\.0\.1:(\d+)", stream="stderr")
        text = server.stderr().decode()
    assert "warning: --status-file" in text and "not for the certificate" in text, text


def test_cli_server_refuses_an_oversized_status_file_in_one_line(tmp_path, files):
    big = tmp_path / "big.der"
    big.write_bytes(b"0" * 20000)
    out = subprocess.run(
        [*TLS12, "server", "--port", "0", "--cert", str(files["rsa.crt"]),
         "--key", str(files["rsa.key"]), "--status-file", str(big)],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    lines = out.stderr.splitlines()
    assert out.returncode == 1 and len(lines) == 1, lines
    assert "OCSP status file" in lines[0] and "big.der" in lines[0] and "16380" in lines[0]


def test_certified_key_staples_are_per_chain(tmp_path, files):
    """Two chains, each with its own staple: each handshake staples the response for the
    chain it chose (an RSA and an ECDSA client against one server)."""
    p = pki()
    rsa_staple = StapleFile(openssl_ocsp_response(tmp_path, p.rsa.cert, name="rsa.der"))
    ec_staple = StapleFile(openssl_ocsp_response(tmp_path, p.ecdsa.cert, name="ec.der"))
    config = p.server_config(
        certificates=[
            CertifiedKey(tuple(p.rsa.chain), p.rsa.key, ocsp_staple=rsa_staple),
            CertifiedKey(tuple(p.ecdsa.chain), p.ecdsa.key, ocsp_staple=ec_staple),
        ]
    )
    with OurServer(config, echo_once) as server:
        for sigalgs, leaf in (("RSA-PSS+SHA256", p.rsa.cert), ("ECDSA+SHA256", p.ecdsa.cert)):
            out = s_client_status(tmp_path, files, server.port, "-status", "-sigalgs", sigalgs)
            assert "Cert Status: good" in out, out
            assert re.search(f"Serial Number: 0*{leaf.serial_number:X}\n", out), out


# --- resumption: no Certificate, no CertificateStatus ----------------------------------------


def test_s_client_reconnect_gets_the_staple_only_on_the_full_handshake(tmp_path, files):
    """``s_client -status -reconnect``: the first connection is new and stapled, the five
    resumed ones (the server's traces show) carry no CertificateStatus."""
    response = openssl_ocsp_response(tmp_path, pki().rsa.cert)
    config = pki().server_config(
        certificates=[pki().certified(pki().rsa)], ocsp_staple=StapleFile(response)
    )
    with OurServer(config, lambda tls: None) as server:
        out = s_client_status(tmp_path, files, server.port, "-status", "-reconnect")
        outcomes = [server.next_outcome() for _ in range(6)]
    assert out.count("Reused, TLSv1.2") == 5, out
    assert out.count("Cert Status: good") == 1, out
    resumed = [o.info["negotiated"].resumed for o in outcomes]
    stapled = ["CertificateStatus" in o.info["connection"].trace.names for o in outcomes]
    # Outcomes are recorded from each connection's own thread and may arrive out of order:
    # the one full handshake is the one stapled, the five resumed ones are not.
    assert sorted(zip(resumed, stapled, strict=True)) == [(False, True)] + [(True, False)] * 5


def test_an_sni_chain_staples_its_own_response(tmp_path, files):
    """sni_certificates: the chain for "localhost" has its staple, the default chain (served
    to "127.0.0.1", which SNI does not carry) has none."""
    p = pki()
    named = CertifiedKey(
        tuple(p.rsa.chain),
        p.rsa.key,
        ocsp_staple=StapleFile(openssl_ocsp_response(tmp_path, p.rsa.cert)),
    )
    config = p.server_config(
        certificates=[p.certified(p.ecdsa)], sni_certificates={"localhost": [named]}
    )
    with OurServer(config, echo_once) as server:
        out = s_client_status(tmp_path, files, server.port, "-status")
        assert "Cert Status: good" in out, out
        run = run_openssl_client(
            tmp_path, server.port, ["-CAfile", str(files["ca"]), "-status", "-noservername"],
            stdin_data=b"ping\n",
        )  # fmt: skip
        assert run.returncode == 0, run.diagnostics()
        assert "OCSP response: no response sent" in run.output, run.output
