"""``tls12 server`` (on asyncio) and ``tls12 client`` as processes: concurrency, --www,
--keylog, --trace-json, --quiet, the handshake timeout, and one clear line per error."""

from __future__ import annotations

import contextlib
import json
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from figure_support import FIGURE_1, diagram_flights, rfc_flights
from peers import Peer, recv_exactly
from peers.openssl import run_openssl_client
from tls_support import pki

from tls12.io.sync import connect
from tls12.io.sync_server import TLSServer

HOST = "127.0.0.1"
TLS12 = [sys.executable, "-m", "tls12"]


@pytest.fixture(scope="module")
def paths(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return pki().write(tmp_path_factory.mktemp("pki"))


@contextlib.contextmanager
def cli_server(tmp_path: Path, paths: dict[str, Path], *extra: str) -> Iterator[tuple[Peer, int]]:
    args = [
        *TLS12,
        "server",
        "--port",
        "0",
        "--cert",
        str(paths["rsa.crt"]),
        "--key",
        str(paths["rsa.key"]),
        *extra,
    ]
    with Peer("tls12-server", args, tmp_path) as server:
        match = server.wait_for(rb"listening on 127\.0\.0\.1:(\d+)", stream="stderr")
        yield server, int(match.group(1))


def stderr_lines(peer: Peer) -> list[str]:
    return peer.stderr().decode().splitlines()


def wait_until(predicate, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.01)


def test_server_holds_many_connections_at_once(tmp_path, paths):
    with cli_server(tmp_path, paths) as (server, port):
        config = pki().client_config()
        clients = [connect(HOST, port, config, server_name="localhost") for _ in range(20)]
        ports = {tls.getsockname()[1] for tls in clients}
        # all twenty are open together; answer them in reverse order
        for i, tls in reversed(list(enumerate(clients))):
            message = f"message {i} ".encode() * (i + 1)
            tls.sendall(message)
            assert recv_exactly(tls, len(message)) == message
        for tls in clients:
            tls.unwrap().close()
        wait_until(lambda: len([x for x in stderr_lines(server) if " connected: " in x]) == 20)
        lines = stderr_lines(server)
        connected = [x for x in lines if " connected: " in x]
        # each line: date, time, the peer's address:port, what was agreed
        assert {int(x.split()[2].rpartition(":")[2]) for x in connected} == ports, lines
        assert all(
            re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} 127\.0\.0\.1:\d+ ", x)
            for x in connected
        ), lines
        assert all("TLS_ECDHE_RSA_" in x and "new session" in x for x in connected), lines
        assert not [x for x in lines if "failed" in x], lines


def test_server_www_with_keylog_and_trace_json(tmp_path, paths):
    keylog, trace = tmp_path / "server.keys", tmp_path / "server.jsonl"
    with cli_server(
        tmp_path, paths, "--www", "--keylog", str(keylog), "--trace-json", str(trace)
    ) as (server, port):
        client_lines: list[str] = []
        for _ in range(2):
            config = pki().client_config(keylog=client_lines.append, session_tickets=False)
            tls = connect(HOST, port, config, server_name="localhost")
            tls.sendall(b"GET / HTTP/1.0\r\n\r\n")
            page = b""
            while chunk := tls.recv():
                page += chunk
            tls.close()
            assert page.startswith(b"HTTP/1.0 200 ok\r\n")
            assert b"Protocol: TLSv1.2\nCipher: TLS_ECDHE_RSA_" in page
        # the server logged the very secrets the clients derived
        wait_until(lambda: keylog.exists() and len(keylog.read_text().splitlines()) == 2)
        assert keylog.read_text().splitlines() == client_lines
        wait_until(lambda: trace.exists() and '"connection": 2' in trace.read_text())
        records = [json.loads(line) for line in trace.read_text().splitlines()]
        first = [r for r in records if r["connection"] == 1]
        assert {r["peer"] for r in records} == {HOST}
        assert [r["message"] for r in first][:6] == [
            "ClientHello",
            "ServerHello",
            "Certificate",
            "ServerKeyExchange",
            "ServerHelloDone",
            "ClientKeyExchange",
        ]
        assert [r["direction"] for r in first][:2] == ["recv", "send"]
        assert [r["message"] for r in first if r["message"] != "Alert"][-1] == "Application Data"


def test_server_trace_draws_figure_1_for_an_openssl_client(tmp_path, paths):
    """``tls12 server --trace`` draws each connection like RFC 5246's figure 1, here for a
    handshake with ``openssl s_client`` (no tickets: the figure as printed)."""
    with cli_server(tmp_path, paths, "--trace", "--no-tickets") as (server, port):
        run = run_openssl_client(
            tmp_path, port, ["-CAfile", str(paths["ca"]), "-servername", "localhost"]
        )
        assert run.returncode == 0, run.diagnostics()
        wait_until(lambda: "connection 1 from" in server.stderr().decode())
        wait_until(lambda: "Alert(" in server.stderr().decode())
        text = server.stderr().decode()
        start = text.index("Client ", text.index("connection 1 from"))
        drawing = text[start : text.index("\n\n", text.index("\n\n", start) + 2)] + "\n"
        flights, _ = diagram_flights(drawing)
        handshake = [f for f in flights if not f[1][0].startswith("Alert")]
        want = rfc_flights(FIGURE_1, {"server:Certificate", "server:ServerKeyExchange"})
        assert handshake == want[:-2], drawing


def test_server_drops_a_silent_client_and_logs_one_line(tmp_path, paths):
    with cli_server(tmp_path, paths, "--handshake-timeout", "0.3") as (server, port):
        started = time.monotonic()
        with socket.create_connection((HOST, port)) as silent:
            silent.settimeout(5)
            local_port = silent.getsockname()[1]
            assert silent.recv(10) == b""
        assert time.monotonic() - started < 3
        wait_until(lambda: any("failed" in x for x in stderr_lines(server)))
        failures = [x.split(" ", 2)[2] for x in stderr_lines(server) if "failed" in x]
        assert failures == [
            f"127.0.0.1:{local_port} handshake failed: TimeoutError: "
            "the TLS handshake did not complete within 0.3 s"
        ]
        # and the server still serves
        tls = connect(HOST, port, pki().client_config(), server_name="localhost")
        tls.sendall(b"ok")
        assert recv_exactly(tls, 2) == b"ok"
        tls.unwrap().close()


def test_server_quiet_prints_only_the_listening_line(tmp_path, paths):
    with cli_server(tmp_path, paths, "--quiet", "--handshake-timeout", "0.2") as (server, port):
        tls = connect(HOST, port, pki().client_config(), server_name="localhost")
        tls.sendall(b"q")
        assert recv_exactly(tls, 1) == b"q"
        tls.unwrap().close()
        with socket.create_connection((HOST, port)) as silent:
            silent.settimeout(5)
            assert silent.recv(10) == b""
        time.sleep(0.1)
        assert stderr_lines(server) == [f"tls12 server listening on 127.0.0.1:{port}"]


def run_cli(*args: str, stdin: bytes = b"", timeout: float = 30) -> subprocess.CompletedProcess:
    return subprocess.run([*TLS12, *args], input=stdin, capture_output=True, timeout=timeout)


def test_server_error_is_one_line_and_a_failure_code(paths):
    out = run_cli(
        "server", "--port", "0", "--cert", str(paths["rsa.crt"]), "--key", str(paths["ecdsa.key"])
    )
    lines = out.stderr.decode().splitlines()
    assert out.returncode != 0
    assert len(lines) == 1 and lines[0].startswith("tls12: ") and "private key" in lines[0], lines
    out = run_cli(*["server", "--port", "0", "--cert", str(paths["rsa.crt"])])
    lines = out.stderr.decode().splitlines()  # --key is optional with --psk: our error now
    assert out.returncode == 1 and len(lines) == 1 and "--key" in lines[0], lines


@contextlib.contextmanager
def echo_server() -> Iterator[int]:
    def echo(tls):
        while data := tls.recv():
            tls.sendall(data)

    with TLSServer(pki().server_config(), echo).start() as server:
        yield server.port


def test_client_quiet_keylog_and_trace_json(tmp_path, paths):
    keylog, trace = tmp_path / "client.keys", tmp_path / "client.jsonl"
    with echo_server() as port:
        out = run_cli(
            "client",
            f"{HOST}:{port}",
            "--servername",
            "localhost",
            "--cafile",
            str(paths["ca"]),
            "--quiet",
            "--keylog",
            str(keylog),
            "--trace-json",
            str(trace),
            "--idle-timeout",
            "0.3",
            stdin=b"hello\nworld\n",
        )
    assert out.returncode == 0, out.stderr
    assert out.stdout == b"hello\nworld\n"
    assert out.stderr == b"", "--quiet prints nothing but the data"
    (line,) = keylog.read_text().splitlines()
    assert line.startswith("CLIENT_RANDOM ")
    records = [json.loads(x) for x in trace.read_text().splitlines()]
    flow = [(r["direction"], r["message"]) for r in records]
    assert flow[flow.index(("send", "Application Data")) + 2] == ("send", "Alert")  # close_notify
    assert [step for step in flow if step[1] != "Alert"] == [
        ("send", "ClientHello"),
        ("recv", "ServerHello"),
        ("recv", "Certificate"),
        ("recv", "ServerKeyExchange"),
        ("recv", "ServerHelloDone"),
        ("send", "ClientKeyExchange"),
        ("send", "ChangeCipherSpec"),
        ("send", "Finished"),
        ("recv", "NewSessionTicket"),
        ("recv", "ChangeCipherSpec"),
        ("recv", "Finished"),
        ("send", "Application Data"),
        ("recv", "Application Data"),
    ]


def test_client_reports_without_quiet(paths):
    with echo_server() as port:
        out = run_cli(
            "client",
            f"{HOST}:{port}",
            "--servername",
            "localhost",
            "--cafile",
            str(paths["ca"]),
            "--idle-timeout",
            "0.2",
            "--trace",
            stdin=b"x\n",
        )
    assert out.returncode == 0, out.stderr
    err = out.stderr.decode()
    assert "New, TLSv1.2, Cipher is TLS_ECDHE_" in err
    assert "Server certificate: CN=localhost" in err
    assert "ClientHello" in err and "-------->" in err  # the --trace diagram


def test_client_error_is_one_line_and_the_trace_shows_how_far_it_got(tmp_path, paths):
    trace = tmp_path / "failed.jsonl"
    with echo_server() as port:
        out = run_cli(
            "client",
            f"{HOST}:{port}",
            "--servername",
            "elsewhere.example",
            "--cafile",
            str(paths["ca"]),
            "--trace-json",
            str(trace),
        )
    lines = out.stderr.decode().splitlines()
    assert out.returncode == 1
    assert len(lines) == 1 and lines[0].startswith("tls12: "), lines
    assert "elsewhere.example" in lines[0]
    messages = [json.loads(x)["message"] for x in trace.read_text().splitlines()]
    assert messages == ["ClientHello", "ServerHello", "Certificate", "Alert"]
    alert = json.loads(trace.read_text().splitlines()[-1])
    assert (alert["direction"], alert["level"]) == ("send", "fatal")


def test_client_connection_refused_is_one_line(paths):
    with socket.create_server((HOST, 0)) as s:
        port = s.getsockname()[1]
    out = run_cli("client", f"{HOST}:{port}", "--cafile", str(paths["ca"]))
    lines = out.stderr.decode().splitlines()
    assert out.returncode == 1 and len(lines) == 1 and "refused" in lines[0].lower(), lines


@pytest.mark.parametrize("command", ["client", "server"])
def test_help_lists_the_new_options(command):
    out = run_cli(command, "--help")
    text = out.stdout.decode()
    assert out.returncode == 0
    for option in ("--keylog", "--trace-json", "--quiet"):
        assert option in text
    assert "NSS key log" in text


def test_reconnect_numbers_each_connection_in_the_trace(tmp_path, paths):
    trace = tmp_path / "reconnect.jsonl"
    with echo_server() as port:
        out = run_cli(
            "client",
            f"{HOST}:{port}",
            "--servername",
            "localhost",
            "--cafile",
            str(paths["ca"]),
            "--reconnect",
            "--trace-json",
            str(trace),
        )
    assert out.returncode == 0, out.stderr
    assert out.stdout.decode().splitlines()[0].startswith("New, TLSv1.2")
    assert all(x.startswith("Reused") for x in out.stdout.decode().splitlines()[1:])
    records = [json.loads(x) for x in trace.read_text().splitlines()]
    assert sorted({r["connection"] for r in records}) == [1, 2, 3, 4, 5, 6]
    second = [r["message"] for r in records if r["connection"] == 2]
    assert second[:2] == ["ClientHello", "ServerHello"] and "Certificate" not in second


def test_threads_are_not_needed_by_the_server(tmp_path, paths):
    """The asyncio server answers a second client while a first one sits mid-handshake."""
    with cli_server(tmp_path, paths) as (server, port):
        stalled = socket.create_connection((HOST, port))
        stalled.sendall(b"\x16\x03\x01\x00\x80")  # a record header, then nothing
        done = threading.Event()

        def second() -> None:
            tls = connect(HOST, port, pki().client_config(), server_name="localhost", timeout=5)
            tls.sendall(b"2")
            assert recv_exactly(tls, 1) == b"2"
            tls.unwrap().close()
            done.set()

        t = threading.Thread(target=second)
        t.start()
        t.join(10)
        stalled.close()
        assert done.is_set()
