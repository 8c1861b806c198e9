"""The key log, proven by Wireshark's dissector: a tls12 connection is recorded, and with the
key log tls12 wrote (and only with it) tshark shows the HTTP inside in plain text. Once with a
tls12 client, once with a tls12 server (the command line).

No capture privileges: a relay between the peers records the bytes they exchanged and the test
writes the pcap itself (peers/recording.py); tshark (Debian package tshark) only reads it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from peers import Peer, PythonTLSServer, python_server_context
from peers.recording import CLIENT, SERVER, RecordingRelay, write_pcap
from tls_support import pki

from tls12.config import keylog_to_file
from tls12.io.sync import connect

HOST = "127.0.0.1"


def tshark() -> str:
    path = shutil.which("tshark")
    if path is None:
        raise AssertionError("tshark is not installed (Debian package tshark)")
    return path


@contextlib.contextmanager
def capture(directory: Path, server_port: int) -> Iterator[tuple[int, Path]]:
    """A relay in front of ``server_port`` that records both directions: connect to the port it
    yields; when the block ends the recorded connection is written to the pcap it yields."""
    pcap = directory / f"capture-{server_port}.pcap"
    with RecordingRelay(server_port) as relay:
        yield relay.port, pcap
    assert relay.recording.sent_by(CLIENT) and relay.recording.sent_by(SERVER), "nothing relayed"
    write_pcap(pcap, relay.recording, server_port)


def decrypted_http(pcap: Path, tcp_port: int, keylog: Path | None) -> str:
    """What tshark's HTTP dissector sees in the capture (request URIs and bodies)."""
    args = [tshark(), "-r", str(pcap), "-d", f"tcp.port=={tcp_port},tls"]
    if keylog is not None:
        args += ["-o", f"tls.keylog_file:{keylog}"]
    args += ["-Y", "http", "-T", "fields", "-e", "http.request.uri", "-e", "http.file_data"]
    out = subprocess.run(args, capture_output=True, timeout=60)
    assert out.returncode == 0, out.stderr.decode(errors="replace")
    return out.stdout.decode(errors="replace")


def tls_records_seen(pcap: Path, tcp_port: int) -> int:
    out = subprocess.run(
        [tshark(), "-r", str(pcap), "-d", f"tcp.port=={tcp_port},tls", "-Y", "tls.app_data"],
        capture_output=True,
        timeout=60,
    )
    return len(out.stdout.splitlines())


def http_handler(tls) -> bytes:
    """Python ssl side: read one request, answer, close cleanly."""
    request = b""
    while b"\r\n\r\n" not in request:
        chunk = tls.recv(65536)
        if not chunk:
            break
        request += chunk
    path = request.split(b" ")[1]
    body = b"the secret answer to " + path
    tls.sendall(
        b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: "
        + str(len(body)).encode()
        + b"\r\n\r\n"
        + body
    )
    with contextlib.suppress(OSError):
        tls.unwrap()
    return request


def test_tls12_client_key_log_decrypts_the_capture(tmp_path):
    paths = pki().write(tmp_path)
    keylog = tmp_path / "client.keys"
    context = python_server_context([(paths["rsa.crt"], paths["rsa.key"])])
    with PythonTLSServer(context, http_handler) as server:
        with capture(tmp_path, server.port) as (port, pcap):
            config = pki().client_config(keylog=keylog_to_file(keylog))
            tls = connect(HOST, port, config, server_name="localhost")
            tls.sendall(b"GET /client-side-secret HTTP/1.0\r\nHost: localhost\r\n\r\n")
            response = b""
            while chunk := tls.recv():
                response += chunk
            tls.close()
        assert response.endswith(b"the secret answer to /client-side-secret")
        assert server.result().startswith(b"GET /client-side-secret ")
    assert keylog.read_text().startswith("CLIENT_RANDOM ")
    assert tls_records_seen(pcap, server.port) >= 2, "the capture holds the encrypted records"
    assert decrypted_http(pcap, server.port, None).strip() == "", "no keys, no plain text"
    text = decrypted_http(pcap, server.port, keylog)
    assert "/client-side-secret" in text, text
    assert "the secret answer to /client-side-secret" in text, text


def test_tls12_server_key_log_decrypts_the_capture(tmp_path):
    paths = pki().write(tmp_path)
    keylog = tmp_path / "server.keys"
    args = [
        sys.executable, "-m", "tls12", "server", "--port", "0", "--www",
        "--cert", str(paths["ecdsa.crt"]), "--key", str(paths["ecdsa.key"]),
        "--keylog", str(keylog),
    ]
    env = {k: v for k, v in os.environ.items() if k != "SSLKEYLOGFILE"}
    curl = shutil.which("curl")
    assert curl, "curl is not installed"
    with Peer("tls12-server", args, tmp_path) as server:
        port = int(server.wait_for(rb"listening on 127\.0\.0\.1:(\d+)", stream="stderr").group(1))
        with capture(tmp_path, port) as (relay_port, pcap):
            out = subprocess.run(
                [
                    curl, "-sS", "--tlsv1.2", "--tls-max", "1.2", "--cacert", str(paths["ca"]),
                    "--resolve", f"localhost:{relay_port}:127.0.0.1",
                    f"https://localhost:{relay_port}/server-side-secret",
                ],
                capture_output=True,
                timeout=30,
                env=env,
            )
            assert out.returncode == 0, out.stderr
            assert b"Cipher: TLS_ECDHE_ECDSA_" in out.stdout
            deadline = time.monotonic() + 10
            while not (keylog.exists() and keylog.read_text()) and time.monotonic() < deadline:
                time.sleep(0.02)
    assert keylog.read_text().startswith("CLIENT_RANDOM ")
    assert decrypted_http(pcap, port, None).strip() == "", "no keys, no plain text"
    text = decrypted_http(pcap, port, keylog)
    assert "/server-side-secret" in text, text
    assert "Protocol: TLSv1.2" in text and "Cipher: TLS_ECDHE_ECDSA_" in text, text
