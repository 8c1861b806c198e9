"""``TLSSocket.recv_into`` judges a record's header as soon as its five bytes are in, as
``recv`` does (RFC 5246 §6.2.1: a bad type, version or length is fatal with its alert, not a
reason to wait for a body that may never come); ``pending()`` never waits on another reader
and sends the alert of an error it finds; the trace names the first record's size."""

from __future__ import annotations

import socket
import threading
import time

import pytest
from tls_support import handshake_pair

from tls12 import errors
from tls12.io.tls_socket import TLSSocket

BAD_HEADERS = [
    (b"\x17\x03\x03\xff\xff", errors.RecordOverflow),  # 65,535 bytes: past 2^14 + 2048
    (b"GET / HTTP/1.1\r\n", errors.UnexpectedMessage),  # plain HTTP on a TLS port
    (b"\x17\x03\x01\x00\x20", errors.ProtocolVersionError),  # TLS 1.0 after a 1.2 handshake
    (b"\x63\x03\x03\x00\x20", errors.UnexpectedMessage),  # content type 99
]


@pytest.mark.parametrize("method", ["recv", "recv_into"])
@pytest.mark.parametrize(("header", "error"), BAD_HEADERS)
def test_a_bad_header_is_refused_before_its_body_arrives(
    method: str, header: bytes, error: type[Exception]
) -> None:
    client, _ = handshake_pair()
    a, b = socket.socketpair()
    with a, b:
        a.settimeout(10)
        tls = TLSSocket(a, client)
        b.sendall(header)  # and nothing more: the claimed body never comes
        started = time.monotonic()
        with pytest.raises(error):
            if method == "recv":
                tls.recv(100)
            else:
                tls.recv_into(bytearray(100))
        assert time.monotonic() - started < 5  # at once, not at the socket's timeout
        b.settimeout(5)
        alert = b.recv(100)
        assert alert[:1] == b"\x15"  # the fatal alert went out


def test_pending_sends_the_alert_of_a_bad_record_it_decrypts() -> None:
    client, server = handshake_pair()
    server.send(b"good" * 10)
    first = server.data_to_send()
    server.send(b"SECRET")
    second = bytearray(server.data_to_send())
    second[-1] ^= 1  # the tag no longer matches
    a, b = socket.socketpair()
    with a, b:
        a.settimeout(5)
        b.settimeout(5)
        tls = TLSSocket(a, client)
        b.sendall(first[:10])
        sender = threading.Timer(0.2, b.sendall, args=(first[10:] + bytes(second),))
        sender.start()
        buffer = bytearray(1000)
        assert tls.recv_into(buffer) == 40  # the good record; the bad one is only fed
        sender.join()
        time.sleep(0.1)
        assert tls.pending() >= 0  # decrypts what was fed: the bad record fails here
        assert client.error is not None
        assert b.recv(100)[:1] == b"\x15"  # the (encrypted) alert went out at once
        with pytest.raises(errors.BadRecordMac):
            tls.recv(100)


def test_pending_does_not_wait_for_a_reader_blocked_in_the_socket() -> None:
    client, server = handshake_pair()
    server.send(b"x" * 1000)
    record = server.data_to_send()
    a, b = socket.socketpair()
    with a, b:
        a.settimeout(10)
        tls = TLSSocket(a, client)
        b.sendall(record[:-1])  # all but the last byte: a reader waits for it
        reader = threading.Thread(target=tls.recv_into, args=(bytearray(2000),))
        reader.start()
        time.sleep(0.3)
        started = time.monotonic()
        assert tls.pending() == 0
        assert time.monotonic() - started < 1
        b.sendall(record[-1:])
        reader.join(5)
        assert not reader.is_alive()


@pytest.mark.parametrize("method", ["recv", "recv_into"])
def test_the_trace_names_the_first_record_received(method: str) -> None:
    client, server = handshake_pair()
    for _ in range(3):
        server.send(b"q" * 100)
    a, b = socket.socketpair()
    with a, b:
        a.settimeout(5)
        tls = TLSSocket(a, client)
        b.sendall(server.data_to_send())
        if method == "recv":
            tls.recv(1000)
        else:
            assert tls.recv_into(bytearray(1000)) == 300
    received = [e for e in client.trace.entries if e.direction == "recv"]
    assert (received[-1].name, received[-1].size) == ("Application Data", 100)
