"""RFC 5705 keying material exporters on the engine: both sides agree, the inputs the RFC
names change the value, and what TLS reserves is refused."""

from __future__ import annotations

import pytest
from tls_support import drive, handshake_pair, pki

from tls12.connection import ClientConnection, ServerConnection
from tls12.crypto.exporter import RESERVED_LABELS
from tls12.crypto.prf import prf
from tls12.errors import UsageError

LABEL = "EXPERIMENTAL-tls12-test"


def test_both_sides_export_the_same_material():
    client, server = handshake_pair()
    for length in (1, 12, 20, 32, 100, 1000):
        assert client.export_keying_material(LABEL, length) == server.export_keying_material(
            LABEL, length
        )
    assert len(client.export_keying_material(LABEL, 1000)) == 1000


def test_the_value_is_the_rfc_5705_prf_of_the_master_secret_and_randoms():
    client, _ = handshake_pair()
    secret = client._exporter
    assert secret is not None
    seed = secret.client_random + secret.server_random
    assert client.export_keying_material(LABEL, 32) == prf(
        secret.prf_hash, secret.master_secret, LABEL.encode(), seed, 32
    )
    context = b"some context"
    with_context = seed + len(context).to_bytes(2, "big") + context
    assert client.export_keying_material(LABEL, 32, context) == prf(
        secret.prf_hash, secret.master_secret, LABEL.encode(), with_context, 32
    )


def test_label_context_and_connection_each_change_the_value():
    client, server = handshake_pair()
    base = client.export_keying_material(LABEL, 32)
    assert client.export_keying_material(LABEL + "x", 32) != base
    # RFC 5705 §4: no context and an empty context are different inputs
    assert client.export_keying_material(LABEL, 32, b"") != base
    assert client.export_keying_material(LABEL, 32, b"") == server.export_keying_material(
        LABEL, 32, b""
    )
    other, _ = handshake_pair()
    assert other.export_keying_material(LABEL, 32) != base


def test_a_resumed_connection_exports_from_its_own_randoms():
    p = pki()
    client_config, server_config = p.client_config(), p.server_config()
    first = ClientConnection(client_config, "localhost")
    server = ServerConnection(server_config)
    first.start()
    drive(first, server)
    again = ClientConnection(client_config, "localhost", first.session)
    server2 = ServerConnection(server_config)
    again.start()
    drive(again, server2)
    assert again.negotiated is not None and again.negotiated.resumed
    value = again.export_keying_material(LABEL, 32)
    assert value == server2.export_keying_material(LABEL, 32)
    assert value != first.export_keying_material(LABEL, 32)


@pytest.mark.parametrize("label", sorted(RESERVED_LABELS))
def test_labels_tls_uses_itself_are_refused(label: bytes):
    client, _ = handshake_pair()
    with pytest.raises(UsageError, match="reserved"):
        client.export_keying_material(label, 12)
    with pytest.raises(UsageError, match="reserved"):
        client.export_keying_material(label.decode(), 12)


@pytest.mark.parametrize("label", ["", "tab\there", "é", b"\x00nul"])
def test_labels_must_be_printable_ascii(label):
    client, _ = handshake_pair()
    with pytest.raises(UsageError, match="printable ASCII"):
        client.export_keying_material(label, 12)


def test_lengths_and_context_are_bounded():
    client, _ = handshake_pair()
    for length in (0, -1, 1 << 25):
        with pytest.raises(UsageError, match="length"):
            client.export_keying_material(LABEL, length)
    with pytest.raises(UsageError, match="context"):
        client.export_keying_material(LABEL, 12, b"x" * 65536)
    assert len(client.export_keying_material(LABEL, 12, b"x" * 65535)) == 12


def test_nothing_is_exported_before_the_handshake_completes():
    p = pki()
    client = ClientConnection(p.client_config(), "localhost")
    client.start()
    with pytest.raises(UsageError, match="after the handshake"):
        client.export_keying_material(LABEL, 12)
