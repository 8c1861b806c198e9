"""handshake/precomputed.py: the bytes made once per configuration are the bytes encoding
the message afresh gives, and they go when their object goes."""

from __future__ import annotations

import gc
import weakref

from tls_support import pki

from tls12.config import ClientAuth
from tls12.handshake import precomputed
from tls12.messages.handshake import Certificate, CertificateRequest, ServerHelloDone
from tls12.trust import TrustStore
from tls12.wire.enums import ClientCertificateType


def test_certificate_message_is_the_encoding_of_the_chain() -> None:
    p = pki()
    for identity in (p.rsa, p.ecdsa):
        certified = p.certified(identity)
        expected = Certificate(certified.chain_der).encode()
        assert precomputed.certificate_message(certified) == expected
        assert precomputed.certificate_message(certified) is precomputed.certificate_message(
            certified
        )


def test_server_hello_done() -> None:
    assert precomputed.SERVER_HELLO_DONE == ServerHelloDone().encode() == b"\x0e\x00\x00\x00"


def test_certificate_request_with_and_without_names() -> None:
    p = pki()
    trust = TrustStore.from_certificates([p.ca.cert, p.other_ca.cert])
    config = p.server_config(client_auth=ClientAuth.OPTIONAL, client_trust=trust)
    types = (ClientCertificateType.rsa_sign, ClientCertificateType.ecdsa_sign)
    for send_names in (True, False):
        names = tuple(trust.subjects_der) if send_names else ()
        request, raw = precomputed.certificate_request(config.signature_schemes, trust, send_names)
        expected = CertificateRequest(types, tuple(config.signature_schemes), names)
        assert request == expected and raw == expected.encode()
        assert len(request.certificate_authorities) == (2 if send_names else 0)


def test_entries_go_with_their_object() -> None:
    p = pki()
    certified = p.certified(p.rsa)
    precomputed.certificate_message(certified)
    key = id(certified)
    assert key in precomputed._CERTIFICATES._values
    gone = weakref.ref(certified)
    del certified
    gc.collect()
    assert gone() is None
    assert key not in precomputed._CERTIFICATES._values
