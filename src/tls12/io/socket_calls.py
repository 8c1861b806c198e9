"""The system calls under ``TLSSocket``: one per write or read where one will do, as OpenSSL
makes them.

A socket with a timeout is non-blocking underneath, and CPython's ``send``/``recv`` on it
first wait (``poll``) for the socket to be ready and only then write or read: two system
calls where one would do. OpenSSL (``ssl``'s ``SSL_write``/``SSL_read``) writes or reads
first and waits only on WANT_WRITE/WANT_READ; so do these: only when the kernel has no
room (or nothing to read) does ``socket.send``/``socket.recv`` wait, with the socket's own
timeout, so timeouts mean what they meant. A blocking or non-blocking socket has no poll to
save and goes to ``socket.send``/``socket.recv`` as it is.
"""

from __future__ import annotations

import os
import socket

FD_IO = os.name == "posix"
"""Whether a socket's descriptor takes ``os.read``/``os.write``/``os.writev`` (not Windows)."""

MAX_IOV = 64
"""Pieces written by one ``writev`` at most (POSIX allows at least 16, Linux 1024)."""


def send_first(sock: socket.socket, data: bytes | memoryview, flags: int) -> int:
    """``sock.send(data, flags)``, writing before any wait. ``flags`` is 0 or MSG_DONTWAIT
    (the caller never waits: BlockingIOError when the kernel takes nothing)."""
    if FD_IO and sock.gettimeout():
        try:
            return os.write(sock.fileno(), data)
        except BlockingIOError:
            if flags:
                raise
    return sock.send(data, flags)


def sendv_first(sock: socket.socket, pieces: list[bytes], flags: int) -> int:
    """Several pieces in one system call (``writev``/``sendmsg``), as ``send_first`` does
    for one; without them (Windows), the first piece alone."""
    if not FD_IO:
        return sock.send(pieces[0], flags)
    if sock.gettimeout():
        try:
            return os.writev(sock.fileno(), pieces)
        except BlockingIOError:
            if flags:
                raise
    return sock.sendmsg(pieces, (), flags)


def recv_first(sock: socket.socket, size: int, read_first: bool) -> tuple[bytes, bool]:
    """``sock.recv(size)`` and whether to read first next time.

    On a timed socket a read that finds nothing costs a failed read, then the poll and the
    read: so we read first only while the data comes faster than it is taken (the last read
    filled ``size``, or read-first has not failed yet), and otherwise let ``socket.recv``
    poll first, which is then the cheaper order.
    """
    if FD_IO and sock.gettimeout():
        if read_first:
            try:
                return os.read(sock.fileno(), size), True
            except BlockingIOError:
                pass
        data = sock.recv(size)
        return data, len(data) == size
    return sock.recv(size), read_first
