"""Record size control against real peers, with the record sizes read off the wire.

RFC 6066 §4 max_fragment_length with OpenSSL (``s_client -maxfraglen`` against our server; our
client against ``s_server``, which honours a client's request), and RFC 8449 record_size_limit
with GnuTLS (``gnutls-cli --recordsize`` against our server, our client against
``gnutls-serv --recordsize``), both ways each time.

A relay between the peers records every byte (peers/recording.py); each side's stream is cut
into records here. Our side pins AES-128-GCM, which adds exactly 24 bytes to a protected
record, so a protected record held its length minus 24 bytes of plaintext.
"""

from __future__ import annotations

import os
import re
import struct
from pathlib import Path

import pytest
from peers import OurServer, assert_same_bytes, gnutls_server, recv_exactly, run_gnutls_client
from peers.openssl import openssl_server, received_by_s_server, run_openssl_client
from peers.recording import CLIENT, SERVER, RecordingRelay
from tls_support import pki

from tls12 import errors
from tls12.io.sync import TLSSocket, connect
from tls12.messages import extensions as ext
from tls12.messages.handshake import ClientHello, decode_handshake
from tls12.wire.enums import ContentType

HOST = "127.0.0.1"
SUITE = "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"
GCM_OVERHEAD = 24
_HEADER = struct.Struct(">BHH")


def records(stream: bytes) -> list[tuple[int, int, bool]]:
    """(content type, plaintext length, protected) of every record in one side's stream."""
    out: list[tuple[int, int, bool]] = []
    pos, protected = 0, False
    while pos < len(stream):
        ctype, _version, length = _HEADER.unpack_from(stream, pos)
        assert pos + 5 + length <= len(stream), "the stream ends inside a record"
        out.append((ctype, length - GCM_OVERHEAD if protected else length, protected))
        protected = protected or ctype == ContentType.change_cipher_spec
        pos += 5 + length
    return out


def largest(recs: list[tuple[int, int, bool]], *, protected: bool | None = None) -> int:
    return max(n for _t, n, p in recs if protected is None or p == protected)


def cut(total: int, size: int) -> list[int]:
    """The record sizes ``total`` bytes make when cut at ``size``."""
    return [min(size, total - off) for off in range(0, total, size)]


def data_records(recs: list[tuple[int, int, bool]]) -> list[int]:
    return [n for t, n, _p in recs if t == ContentType.application_data]


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return pki().write(tmp_path_factory.mktemp("recsize"))


def reply_handler(size: int, reply: bytes):  # type: ignore[no-untyped-def]
    """Our server: read ``size`` bytes, answer ``reply``, close; returns what it read."""

    def handler(tls: TLSSocket) -> bytes:
        data = recv_exactly(tls, size)
        tls.sendall(reply)
        return data

    return handler


# -- RFC 6066 max_fragment_length with OpenSSL ------------------------------------------------


@pytest.mark.parametrize("length", [512, 2048])
def test_openssl_client_maxfraglen_against_our_server(
    length: int, files: dict[str, Path], tmp_path: Path
) -> None:
    request, reply = os.urandom(3000), os.urandom(9000)
    config = pki().server_config(cipher_suites=[SUITE])
    with OurServer(config, reply_handler(len(request), reply)) as server:
        with RecordingRelay(server.port) as relay:
            run = run_openssl_client(
                tmp_path,
                relay.port,
                ["-maxfraglen", str(length), "-quiet", "-CAfile", str(files["ca"])],
                stdin_data=request,
            )
        outcome = server.next_outcome()
    assert_same_bytes(outcome.result(), request, "bytes our server received")
    assert_same_bytes(run.stdout, reply, "bytes s_client received")
    negotiated = outcome.info["negotiated"]
    assert negotiated.max_fragment_length == length
    assert (negotiated.send_limit, negotiated.receive_limit) == (length, length)
    ours, theirs = (
        records(relay.recording.sent_by(SERVER)),
        records(relay.recording.sent_by(CLIENT)),
    )
    # Ours: every record, the certificate flight in the clear included.
    assert largest(ours) <= length
    assert data_records(ours) == cut(9000, length)
    # OpenSSL keeps to it too (our server would have refused more: record_overflow).
    assert largest(theirs) <= length
    assert max(data_records(theirs)) == length


def test_our_client_max_fragment_length_against_openssl_server(
    files: dict[str, Path], tmp_path: Path
) -> None:
    request, reply = os.urandom(3000), os.urandom(7000)
    options = ["-cert", str(files["ecdsa.crt"]), "-key", str(files["ecdsa.key"]), "-naccept", "1"]
    with openssl_server(tmp_path, options) as server:
        with RecordingRelay(server.port) as relay:
            config = pki().client_config(cipher_suites=[SUITE], max_fragment_length=512)
            tls = connect(HOST, relay.port, config, server_name="localhost", timeout=15)
            assert tls.negotiated.max_fragment_length == 512
            tls.sendall(request)
            server.write(reply)
            got = recv_exactly(tls, len(reply))
            tls.close()
        assert server.wait() == 0, server.diagnostics()
        assert_same_bytes(received_by_s_server(server.stdout()), request, "s_server received")
    assert_same_bytes(got, reply, "bytes our client received")
    ours, theirs = (
        records(relay.recording.sent_by(CLIENT)),
        records(relay.recording.sent_by(SERVER)),
    )
    assert largest(ours) <= 512 and max(data_records(ours)) == 512
    assert sum(data_records(ours)) == 3000
    # OpenSSL's server fragments at once: its hello flight too (cleartext), then the data.
    assert largest(theirs, protected=False) <= 512
    assert len([1 for t, _n, p in theirs if t == ContentType.handshake and not p]) > 1
    assert largest(theirs) <= 512 and sum(data_records(theirs)) == 7000


def test_our_client_resumes_with_the_max_fragment_length_at_openssl(
    files: dict[str, Path], tmp_path: Path
) -> None:
    """RFC 6066 §4: the length holds for the session's resumptions; OpenSSL's server checks
    that the resuming ClientHello asks for the session's length (illegal_parameter if not)."""
    options = ["-cert", str(files["ecdsa.crt"]), "-key", str(files["ecdsa.key"]), "-www"]
    config = pki().client_config(cipher_suites=[SUITE], max_fragment_length=1024)
    with openssl_server(tmp_path, options) as server:
        session = None
        for attempt in range(2):
            tls = connect(
                HOST, server.port, config, server_name="localhost", timeout=15, session=session
            )
            assert tls.negotiated.max_fragment_length == 1024
            assert tls.negotiated.resumed is (attempt == 1)
            tls.sendall(b"GET / HTTP/1.0\r\n\r\n")
            page = b""
            while chunk := tls.recv():
                page += chunk
            assert b"HTTP/1.0 200" in page
            session = tls.session
            assert session is not None and session.max_fragment_length == 1024
            tls.close()


@pytest.mark.parametrize("no_ticket", [False, True], ids=["ticket", "session-id"])
def test_openssl_client_resumes_with_the_max_fragment_length_at_our_server(
    no_ticket: bool, files: dict[str, Path], tmp_path: Path
) -> None:
    """s_client -reconnect asks for the same length each time: our server resumes, and the
    length holds on the resumed connections (RFC 6066 §4)."""
    config = pki().server_config(cipher_suites=[SUITE])
    options = ["-maxfraglen", "1024", "-reconnect", "-CAfile", str(files["ca"])]
    options += ["-servername", "localhost"] + (["-no_ticket"] if no_ticket else [])
    with OurServer(config, lambda tls: None) as server:
        run = run_openssl_client(tmp_path, server.port, options)
        outcomes = [server.next_outcome() for _ in range(6)]
    lines = re.findall(r"^(New|Reused), TLSv1\.2", run.output, re.M)
    assert lines == ["New"] + ["Reused"] * 5, run.diagnostics()
    negotiated = [o.info["negotiated"] for o in outcomes]
    assert sorted(n.resumed for n in negotiated) == [False] + [True] * 5
    assert {n.max_fragment_length for n in negotiated} == {1024}


# -- RFC 8449 record_size_limit with GnuTLS ---------------------------------------------------


def _gnutls_client_options(files: dict[str, Path], recordsize: int) -> list[str]:
    return [
        "--x509cafile", str(files["ca"]), "--verify-hostname", "localhost",
        "--sni-hostname", "localhost", "--recordsize", str(recordsize),
        "--priority", "NORMAL:-VERS-ALL:+VERS-TLS1.2",
    ]  # fmt: skip


def first_record_handler(reply: bytes):  # type: ignore[no-untyped-def]
    """Our server: read one record's worth (our recv returns a record at a time), answer
    ``reply``, close; returns what it read."""

    def handler(tls: TLSSocket) -> bytes:
        data = tls.recv(65536)
        tls.sendall(reply)
        return data

    return handler


@pytest.mark.parametrize(("theirs", "ours"), [(1000, 700), (4096, 2000), (512, 1500)])
def test_gnutls_client_record_size_limit_against_our_server(
    theirs: int, ours: int, files: dict[str, Path], tmp_path: Path
) -> None:
    """gnutls-cli --recordsize N offers record_size_limit N (and max_fragment_length too when
    N is one of its lengths: 512 and 4096 here, which our server ignores, RFC 8449 §5).

    GnuTLS keeps its own records within both limits, ours and N. gnutls-cli sends each
    stdin read with one gnutls_record_send, which sends one record and returns how much it
    took; gnutls-cli drops the rest. So it is given more than one record holds, and our
    server reads the first record only: its size is the proof."""
    request, reply = os.urandom(4000), os.urandom(6000)
    config = pki().server_config(cipher_suites=[SUITE], record_size_limit=ours)
    options = _gnutls_client_options(files, theirs)
    with OurServer(config, first_record_handler(reply)) as server:
        with RecordingRelay(server.port) as relay:
            run = run_gnutls_client(tmp_path, relay.port, options, stdin_data=request)
        outcome = server.next_outcome()
    assert run.returncode == 0, run.diagnostics()
    assert_same_bytes(run.stdout, reply, "bytes gnutls-cli received")
    assert outcome.result() == request[: min(theirs, ours)]
    negotiated = outcome.info["negotiated"]
    assert negotiated.max_fragment_length is None
    assert negotiated.record_size_limit == theirs
    assert (negotiated.send_limit, negotiated.receive_limit) == (theirs, ours)
    sent = records(relay.recording.sent_by(SERVER))
    received = records(relay.recording.sent_by(CLIENT))
    assert data_records(sent) == cut(6000, theirs)
    if theirs < 700:  # the 732-byte hello flight: unprotected records are not bound
        assert largest(sent, protected=False) > theirs
    assert data_records(received)[0] == min(theirs, ours)
    hello = decode_handshake(1, relay.recording.sent_by(CLIENT)[9 : 5 + received[0][1]])
    assert isinstance(hello, ClientHello)
    assert hello.extensions.get(ext.RecordSizeLimit) == ext.RecordSizeLimit(theirs)
    assert hello.extensions.has(ext.MaxFragmentLength) is (theirs in (512, 1024, 2048, 4096))


@pytest.mark.parametrize(("theirs", "ours"), [(1000, 600), (4096, 512)])
def test_our_client_record_size_limit_against_gnutls_server(
    theirs: int, ours: int, files: dict[str, Path], tmp_path: Path
) -> None:
    text = b"".join(os.urandom(30).hex().encode() + b"\n" for _ in range(100))  # 6100 bytes
    options = [
        "--x509certfile", str(files["ecdsa.crt"]), "--x509keyfile", str(files["ecdsa.key"]),
        "--disable-client-cert", "--recordsize", str(theirs),
    ]  # fmt: skip
    with gnutls_server(tmp_path, options) as server, RecordingRelay(server.port) as relay:
        config = pki().client_config(cipher_suites=[SUITE], record_size_limit=ours)
        tls = connect(HOST, relay.port, config, server_name="localhost", timeout=15)
        n = tls.negotiated
        assert (n.record_size_limit, n.send_limit, n.receive_limit) == (theirs, theirs, ours)
        tls.sendall(text)
        echoed = recv_exactly(tls, len(text))
        tls.close()
    assert_same_bytes(echoed, text, "bytes gnutls-serv echoed")
    sent, received = (
        records(relay.recording.sent_by(CLIENT)),
        records(relay.recording.sent_by(SERVER)),
    )
    assert largest(sent, protected=True) <= theirs
    assert largest(received, protected=True) <= ours
    assert sum(data_records(received)) == len(text)


def test_gnutls_server_that_does_not_answer_leaves_no_limit(
    files: dict[str, Path], tmp_path: Path
) -> None:
    """gnutls-serv ignores a record_size_limit below its own floor of 512 (no answer): then
    nothing is negotiated and neither side is bound (RFC 8449: only a negotiated limit)."""
    options = [
        "--x509certfile", str(files["ecdsa.crt"]), "--x509keyfile", str(files["ecdsa.key"]),
        "--disable-client-cert",
    ]  # fmt: skip
    line = b"q" * 3000 + b"\n"
    with gnutls_server(tmp_path, options) as server, RecordingRelay(server.port) as relay:
        config = pki().client_config(cipher_suites=[SUITE], record_size_limit=64)
        tls = connect(HOST, relay.port, config, server_name="localhost", timeout=15)
        n = tls.negotiated
        assert (n.record_size_limit, n.send_limit, n.receive_limit) == (None, 16384, 16384)
        tls.sendall(line)
        assert recv_exactly(tls, len(line)) == line
        tls.close()
    assert data_records(records(relay.recording.sent_by(SERVER))) == [len(line)]


# -- a sender that ignores the limit: the peers refuse it -----------------------------------


def _ignore_limits(tls: TLSSocket) -> None:
    """Test-only: our engine forgets the negotiated limit and sends full records."""
    tls.connection._records.max_fragment = 16384


def _read_until_alert(tls: TLSSocket) -> errors.FatalAlertReceived:
    with pytest.raises(errors.FatalAlertReceived) as info:
        while tls.recv():
            pass
    return info.value


def test_openssl_server_refuses_a_record_over_max_fragment_length(
    files: dict[str, Path], tmp_path: Path
) -> None:
    options = ["-cert", str(files["ecdsa.crt"]), "-key", str(files["ecdsa.key"])]
    with openssl_server(tmp_path, options) as server:
        config = pki().client_config(cipher_suites=[SUITE], max_fragment_length=512)
        tls = connect(HOST, server.port, config, server_name="localhost", timeout=15)
        _ignore_limits(tls)
        tls.sendall(b"x" * 2000)
        alert = _read_until_alert(tls)
        tls.close()
    assert alert.description.name == "record_overflow", server.diagnostics()


def test_gnutls_server_refuses_a_record_over_its_record_size_limit(
    files: dict[str, Path], tmp_path: Path
) -> None:
    options = [
        "--x509certfile", str(files["ecdsa.crt"]), "--x509keyfile", str(files["ecdsa.key"]),
        "--disable-client-cert", "--recordsize", "1000",
    ]  # fmt: skip
    with gnutls_server(tmp_path, options) as server:
        config = pki().client_config(cipher_suites=[SUITE], record_size_limit=16384)
        tls = connect(HOST, server.port, config, server_name="localhost", timeout=15)
        assert tls.negotiated.send_limit == 1000
        _ignore_limits(tls)
        tls.sendall(b"y" * 3000 + b"\n")
        alert = _read_until_alert(tls)
        tls.close()
    assert alert.description.name == "record_overflow", server.diagnostics()
