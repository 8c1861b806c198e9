"""Resumption against real peers, both directions, by session ID and by ticket, checked from
both sides (RFC 5246 figure 2, RFC 5077)."""

from __future__ import annotations

import contextlib
import re
import socket
import ssl
import subprocess
import sys
from pathlib import Path

import pytest
from peers import (
    OurServer,
    PythonTLSServer,
    openssl_server,
    python_client_context,
    python_server_context,
    run_openssl_client,
)
from tls_support import pki

from tls12.io.sync import TLSSocket, connect
from tls12.sessions import Session

MODES = ["ticket", "session-id"]


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return pki().write(tmp_path_factory.mktemp("resumption"))


def our_connect(port: int, tickets: bool, session: Session | None) -> tuple[bool, Session]:
    config = pki().client_config(session_tickets=tickets)
    tls = connect("127.0.0.1", port, config, server_name="localhost", session=session)
    with contextlib.closing(tls):
        tls.sendall(b"GET / HTTP/1.0\r\n\r\n")
        page = b""
        while chunk := tls.recv():
            page += chunk
        resumed, new = tls.session_reused, tls.session
    assert new is not None
    return resumed, new, page.decode(errors="replace")  # type: ignore[return-value]


# -- our client --------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_our_client_resumes_with_s_server(mode, files, tmp_path):
    tickets = mode == "ticket"
    options = ["-cert", str(files["rsa.crt"]), "-key", str(files["rsa.key"]), "-www"]
    if not tickets:
        options.append("-no_ticket")
    with openssl_server(tmp_path, options) as server:
        resumed, session, page = our_connect(server.port, tickets, None)
        assert not resumed and "New, TLSv1.2" in page, page
        assert bool(session.ticket) is tickets
        resumed, _, page = our_connect(server.port, tickets, session)
        assert resumed, "our side says resumed"
        assert "Reused, TLSv1.2" in page, "s_server says reused: " + page


def _python_server(files: dict[str, Path], tickets: bool) -> ssl.SSLContext:
    ctx = python_server_context([(files["rsa.crt"], files["rsa.key"])])
    if not tickets:
        ctx.options |= ssl.OP_NO_TICKET
    return ctx


def _reused_and_closed(tls: ssl.SSLSocket) -> bool:
    data = tls.recv(100)
    reused = tls.session_reused  # read before unwrap, which drops the SSL object
    tls.sendall(b"reused" if reused else b"new")
    assert data
    tls.unwrap()  # a clean close keeps the session in OpenSSL's cache
    return reused


@pytest.mark.parametrize("mode", MODES)
def test_our_client_resumes_with_python_ssl_server(mode, files):
    tickets = mode == "ticket"
    config = pki().client_config(session_tickets=tickets)
    with PythonTLSServer(_python_server(files, tickets), _reused_and_closed) as server:
        session = None
        for expected in (False, True, True):
            tls = connect(
                "127.0.0.1", server.port, config, server_name="localhost", session=session
            )
            tls.sendall(b"hello")
            assert tls.recv() == (b"reused" if expected else b"new")
            assert tls.session_reused is expected
            session = tls.session
            tls.unwrap().close()
            assert server.result() is expected, "the ssl server agrees"
        assert bool(session.ticket) is tickets


# -- our server --------------------------------------------------------------------------------


def echo_once(tls: TLSSocket) -> bool:
    data = tls.recv()
    if data:
        tls.sendall(data)
    return tls.session_reused


def _s_client_options(files: dict[str, Path], *extra: str) -> list[str]:
    return ["-servername", "localhost", "-CAfile", str(files["ca"]), "-verify_return_error", *extra]


@pytest.mark.parametrize("mode", MODES)
def test_s_client_reconnect_resumes_with_our_server(mode, files, tmp_path):
    extra = ["-reconnect"] + (["-no_ticket"] if mode == "session-id" else [])
    with OurServer(pki().server_config(), echo_once) as server:
        run = run_openssl_client(tmp_path, server.port, _s_client_options(files, *extra))
        outcomes = [server.next_outcome() for _ in range(6)]
    lines = re.findall(r"^(New|Reused), TLSv1\.2", run.output, re.M)
    assert lines == ["New"] + ["Reused"] * 5, run.diagnostics()
    # handler threads may report in another order than the connections came
    assert sorted(o.info["negotiated"].resumed for o in outcomes) == [False] + [True] * 5


@pytest.mark.parametrize("mode", MODES)
def test_s_client_sess_out_sess_in_with_our_server(mode, files, tmp_path):
    sess = tmp_path / "session.pem"
    no_ticket = ["-no_ticket"] if mode == "session-id" else []
    with OurServer(pki().server_config(), echo_once) as server:
        first = run_openssl_client(
            tmp_path,
            server.port,
            _s_client_options(files, "-sess_out", str(sess), *no_ticket),
            stdin_data=b"one\n",
        )
        assert server.next_outcome().info["negotiated"].resumed is False
        second = run_openssl_client(
            tmp_path,
            server.port,
            _s_client_options(files, "-sess_in", str(sess), *no_ticket),
            stdin_data=b"two\n",
        )
        assert server.next_outcome().info["negotiated"].resumed is True
    assert "New, TLSv1.2" in first.output, first.diagnostics()
    assert "Reused, TLSv1.2" in second.output, second.diagnostics()


@pytest.mark.parametrize("mode", MODES)
def test_python_ssl_client_resumes_with_our_server(mode, files):
    ctx = python_client_context(files["ca"])
    if mode == "session-id":
        ctx.options |= ssl.OP_NO_TICKET
    with OurServer(pki().server_config(), echo_once) as server:
        session = None
        for expected in (False, True, True):
            sock = socket.create_connection(("127.0.0.1", server.port), timeout=15)
            with ctx.wrap_socket(sock, server_hostname="localhost", session=session) as tls:
                tls.sendall(b"x")
                assert tls.recv(10) == b"x"
                assert tls.session_reused is expected
                session = tls.session  # read before unwrap (PEERS.md)
                tls.unwrap()
            assert server.next_outcome().info["negotiated"].resumed is expected
        assert session is not None and session.has_ticket is (mode == "ticket")


# -- the command line ---------------------------------------------------------------------------


def tls12_client(*args: str, stdin: bytes = b"") -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "tls12", "client", *args],
        input=stdin, capture_output=True, timeout=60,
    )  # fmt: skip


@pytest.mark.parametrize("mode", MODES)
def test_cli_reconnect_against_s_server(mode, files, tmp_path):
    options = ["-cert", str(files["rsa.crt"]), "-key", str(files["rsa.key"]), "-www"]
    if mode == "session-id":
        options.append("-no_ticket")
    with openssl_server(tmp_path, options) as server:
        result = tls12_client(
            f"127.0.0.1:{server.port}", "--servername", "localhost",
            "--cafile", str(files["ca"]), "--reconnect",
        )  # fmt: skip
    assert result.returncode == 0, result.stderr.decode()
    lines = re.findall(r"^(New|Reused), TLSv1\.2", result.stdout.decode(), re.M)
    assert lines == ["New"] + ["Reused"] * 5, result.stdout.decode()


def test_cli_sess_out_and_sess_in(files, tmp_path):
    sess = tmp_path / "tls12.session"
    with OurServer(pki().server_config(), echo_once) as server:
        common = (f"127.0.0.1:{server.port}", "--servername", "localhost",
                  "--cafile", str(files["ca"]), "--idle-timeout", "0.5")  # fmt: skip
        first = tls12_client(*common, "--sess-out", str(sess), stdin=b"one\n")
        assert first.returncode == 0, first.stderr.decode()
        assert sess.stat().st_mode & 0o777 == 0o600, "the session file is a secret"
        second = tls12_client(*common, "--sess-in", str(sess), stdin=b"two\n")
        assert second.returncode == 0, second.stderr.decode()
        outcomes = [server.next_outcome(), server.next_outcome()]
    assert "New, TLSv1.2" in first.stderr.decode()
    assert "Reused, TLSv1.2" in second.stderr.decode()
    assert sorted(o.info["negotiated"].resumed for o in outcomes) == [False, True]
