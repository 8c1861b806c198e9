"""Every attribute and method of ``ssl.SSLContext`` is either honoured by TLS12Context (and
shown changing what tls12 does) or refused with NotImplementedError naming it: none is
silently ignored (issue 12 item 3)."""

from __future__ import annotations

import socket
import ssl
from collections.abc import Callable
from typing import Any

import pytest
from tls_support import pki

from tls12.crypto.suites import DEFAULT_SUITES
from tls12.io.ssl_object import TLS12SSLObject
from tls12.io.sslcompat import TLS12Context, TLS12Socket, TLS12SSLError
from tls12.wire.enums import NamedGroup


def client() -> TLS12Context:
    ctx = TLS12Context(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(cadata=pki().ca.pem().decode())
    return ctx


def server(tmp_path: Any = None) -> TLS12Context:
    ctx = TLS12Context(ssl.PROTOCOL_TLS_SERVER)
    ctx._certificates.append(pki().certified(pki().rsa))
    return ctx


def refuses(action: Callable[[], Any], name: str) -> None:
    with pytest.raises(NotImplementedError, match=name):
        action()


# Each check exercises one name: honoured ones show their effect on the configuration tls12
# builds (the handshake tests show the rest), refused ones raise NotImplementedError.


def check_check_hostname() -> None:
    ctx = client()
    ctx.check_hostname = False
    assert ctx.client_config().check_hostname is False
    ctx.verify_mode = ssl.CERT_NONE
    assert ctx.client_config().insecure_skip_verify


def check_verify_mode() -> None:
    ctx = server()
    ctx.load_verify_locations(cadata=pki().ca.pem().decode())
    ctx.verify_mode = ssl.CERT_REQUIRED
    assert ctx.server_config().client_auth.value == "required"
    ctx.verify_mode = ssl.CERT_OPTIONAL
    assert ctx.server_config().client_auth.value == "optional"


def check_options() -> None:
    ctx = client()
    ctx.options |= ssl.OP_NO_TICKET
    assert ctx.client_config().session_tickets is False
    srv = server()
    srv.options &= ~ssl.OP_CIPHER_SERVER_PREFERENCE
    assert srv.server_config().prefer_client_order
    refuses(lambda: setattr(ctx, "options", ctx.options | (1 << 40)), "options")
    ctx.options |= ssl.OP_NO_TLSv1_2
    with pytest.raises(TLS12SSLError, match="NO_PROTOCOLS_AVAILABLE"):
        ctx.wrap_bio(ssl.MemoryBIO(), ssl.MemoryBIO(), server_hostname="localhost")


def check_versions() -> None:
    ctx = client()
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    with pytest.raises(TLS12SSLError, match="NO_PROTOCOLS_AVAILABLE"):
        ctx.wrap_bio(ssl.MemoryBIO(), ssl.MemoryBIO(), server_hostname="localhost")
    ctx = client()
    ctx.maximum_version = ssl.TLSVersion.TLSv1_1
    with pytest.raises(TLS12SSLError, match="NO_PROTOCOLS_AVAILABLE"):
        ctx.wrap_bio(ssl.MemoryBIO(), ssl.MemoryBIO(), server_hostname="localhost")
    ctx = client()
    ctx.minimum_version = ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    assert isinstance(
        ctx.wrap_bio(ssl.MemoryBIO(), ssl.MemoryBIO(), server_hostname="localhost"),
        TLS12SSLObject,
    )


def check_verify_flags() -> None:
    ctx = client()
    ctx.verify_flags = ssl.VERIFY_X509_STRICT | ssl.VERIFY_X509_PARTIAL_CHAIN
    assert ctx.client_config().trust.revocation_check is None  # type: ignore[union-attr]
    ctx.verify_flags = ssl.VERIFY_CRL_CHECK_LEAF  # test_ssl_crl.py: decided as ssl decides
    assert ctx.client_config().trust.revocation_check is not None  # type: ignore[union-attr]
    refuses(lambda: setattr(ctx, "verify_flags", ssl.VERIFY_ALLOW_PROXY_CERTS), "verify_flags")


def check_hostname_checks_common_name() -> None:
    ctx = client()
    ctx.hostname_checks_common_name = False
    assert ctx.hostname_checks_common_name is False
    refuses(lambda: setattr(ctx, "hostname_checks_common_name", True), "common_name")


def check_post_handshake_auth() -> None:
    ctx = client()
    ctx.post_handshake_auth = True  # urllib3 sets it; TLS 1.3 only, as in ssl
    assert ctx.post_handshake_auth


def check_keylog_filename() -> None:
    ctx = client()
    ctx.keylog_filename = "/tmp/tls12-keylog-check"
    assert ctx.client_config().keylog is not None


def check_sni_callback() -> None:
    ctx = server()
    ctx.sni_callback = lambda obj, name, c: None
    conn = ctx._new_connection(True, None, None, None)
    assert conn.config.server_name_callback is not None  # type: ignore[union-attr]
    with pytest.raises(TypeError):
        ctx.sni_callback = 5  # type: ignore[assignment]


def check_set_servername_callback() -> None:
    ctx = server()
    ctx.set_servername_callback(lambda obj, name, c: None)
    assert ctx.sni_callback is not None
    ctx.set_servername_callback(None)
    assert ctx.sni_callback is None


def check_num_tickets() -> None:
    ctx = server()
    ctx.num_tickets = 1  # TLS 1.3 only, as in ssl
    with pytest.raises(ValueError):
        client().num_tickets = 1


def check_security_level() -> None:
    assert client().security_level == 2


def check_protocol() -> None:
    assert client().protocol == ssl.PROTOCOL_TLS_CLIENT
    assert server().protocol == ssl.PROTOCOL_TLS_SERVER


def check_load_cert_chain() -> None:
    ctx = TLS12Context(ssl.PROTOCOL_TLS_SERVER)
    with pytest.raises(FileNotFoundError):
        ctx.load_cert_chain("/nonexistent/cert.pem")


def check_load_verify_locations() -> None:
    ctx = TLS12Context(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(cadata=pki().ca.pem().decode())
    assert ctx.cert_store_stats()["x509_ca"] == 1


def check_load_default_certs() -> None:
    ctx = TLS12Context(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_default_certs()
    assert len(ctx.client_config().trust_store) > 0


def check_set_default_verify_paths() -> None:
    ctx = TLS12Context(ssl.PROTOCOL_TLS_CLIENT)
    ctx.set_default_verify_paths()
    assert ctx._system_store


def check_load_dh_params() -> None:
    refuses(lambda: server().load_dh_params("/nonexistent"), "load_dh_params")


def check_set_alpn_protocols() -> None:
    ctx = client()
    ctx.set_alpn_protocols(["h2", "http/1.1"])
    assert ctx.client_config().alpn_protocols == (b"h2", b"http/1.1")


def check_set_npn_protocols() -> None:
    refuses(lambda: client().set_npn_protocols(["http/1.1"]), "set_npn_protocols")


def check_set_ciphers() -> None:
    ctx = client()
    ctx.set_ciphers("ECDHE+CHACHA20")
    assert all("CHACHA20" in s.name for s in ctx.client_config().cipher_suites)


def check_get_ciphers() -> None:
    assert [c["description"] for c in client().get_ciphers()] == [s.name for s in DEFAULT_SUITES]


def check_set_ecdh_curve() -> None:
    ctx = client()
    ctx.set_ecdh_curve("secp384r1")
    assert ctx.client_config().groups == (NamedGroup.secp384r1,)
    with pytest.raises(ValueError):
        ctx.set_ecdh_curve("nope")


def check_get_ca_certs() -> None:
    certs = client().get_ca_certs()
    assert certs[0]["subject"]


def check_cert_store_stats() -> None:
    assert client().cert_store_stats() == {"x509": 1, "crl": 0, "x509_ca": 1}


def check_session_stats() -> None:
    assert client().session_stats()["connect"] == 0


def check_wrap_socket() -> None:
    with socket.socket() as s:
        tls = client().wrap_socket(s, server_hostname="localhost", do_handshake_on_connect=False)
        assert isinstance(tls, TLS12Socket) and isinstance(tls, ssl.SSLSocket)
        tls.close()


def check_wrap_bio() -> None:
    obj = client().wrap_bio(ssl.MemoryBIO(), ssl.MemoryBIO(), server_hostname="localhost")
    assert isinstance(obj, TLS12SSLObject)


def check_private_wrap() -> None:
    ctx = client()
    refuses(lambda: ctx._wrap_bio(ssl.MemoryBIO(), ssl.MemoryBIO(), False, "x"), "_wrap_bio")
    with socket.socket() as s:
        refuses(lambda: ctx._wrap_socket(s, False, "x"), "_wrap_socket")


def check_private_alpn() -> None:
    refuses(lambda: client()._set_alpn_protocols(b"\x02h2"), "_set_alpn_protocols")


def check_msg_callback() -> None:
    ctx = client()
    ctx._msg_callback = None
    refuses(lambda: setattr(ctx, "_msg_callback", print), "_msg_callback")


def check_host_flags() -> None:
    refuses(lambda: client()._host_flags, "_host_flags")


def check_classes() -> None:
    assert TLS12Context.sslsocket_class is TLS12Socket
    assert TLS12Context.sslobject_class is TLS12SSLObject


def check_encode_hostname() -> None:
    assert client()._encode_hostname("bücher.example") == "xn--bcher-kva.example"


def check_windows_store() -> None:
    """Windows only in ssl; it hands what it finds to our load_verify_locations."""
    assert hasattr(TLS12Context, "_windows_cert_stores")


CHECKS: dict[str, Callable[[], None]] = {
    "check_hostname": check_check_hostname,
    "verify_mode": check_verify_mode,
    "options": check_options,
    "minimum_version": check_versions,
    "maximum_version": check_versions,
    "verify_flags": check_verify_flags,
    "hostname_checks_common_name": check_hostname_checks_common_name,
    "post_handshake_auth": check_post_handshake_auth,
    "keylog_filename": check_keylog_filename,
    "sni_callback": check_sni_callback,
    "set_servername_callback": check_set_servername_callback,
    "num_tickets": check_num_tickets,
    "security_level": check_security_level,
    "protocol": check_protocol,
    "load_cert_chain": check_load_cert_chain,
    "load_verify_locations": check_load_verify_locations,
    "load_default_certs": check_load_default_certs,
    "set_default_verify_paths": check_set_default_verify_paths,
    "load_dh_params": check_load_dh_params,
    "set_alpn_protocols": check_set_alpn_protocols,
    "set_npn_protocols": check_set_npn_protocols,
    "set_ciphers": check_set_ciphers,
    "get_ciphers": check_get_ciphers,
    "set_ecdh_curve": check_set_ecdh_curve,
    "get_ca_certs": check_get_ca_certs,
    "cert_store_stats": check_cert_store_stats,
    "session_stats": check_session_stats,
    "wrap_socket": check_wrap_socket,
    "wrap_bio": check_wrap_bio,
    "_wrap_socket": check_private_wrap,
    "_wrap_bio": check_private_wrap,
    "_set_alpn_protocols": check_private_alpn,
    "_msg_callback": check_msg_callback,
    "_host_flags": check_host_flags,
    "sslsocket_class": check_classes,
    "sslobject_class": check_classes,
    "_encode_hostname": check_encode_hostname,
    "_load_windows_store_certs": check_windows_store,
    "_windows_cert_stores": check_windows_store,
}
INHERITED_ON_PURPOSE = {
    "protocol",
    "_encode_hostname",
    "_load_windows_store_certs",
    "_windows_cert_stores",
}
"""Pure-Python parts of ssl.SSLContext that only reach OpenSSL through methods we override."""


def ssl_context_names() -> list[str]:
    return sorted(n for n in dir(ssl.SSLContext) if not n.startswith("__"))


def test_every_name_of_ssl_sslcontext_has_a_check() -> None:
    assert sorted(set(ssl_context_names()) - set(CHECKS)) == []


def test_every_name_is_ours_or_inherited_on_purpose() -> None:
    """A name inherited from OpenSSL's context would reach OpenSSL: each one is overridden."""
    own = set().union(
        *(vars(c) for c in TLS12Context.__mro__[: TLS12Context.__mro__.index(ssl.SSLContext)])
    )
    missing = [n for n in ssl_context_names() if n not in own and n not in INHERITED_ON_PURPOSE]
    assert missing == []


@pytest.mark.parametrize("name", ssl_context_names())
def test_each_name_is_honoured_or_refused(name: str) -> None:
    CHECKS[name]()
