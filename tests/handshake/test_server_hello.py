"""handshake/server_hello.py: the ServerHello extensions kept per set of flags encode to the
bytes a freshly built list gives, in every combination, and the table stays bounded."""

from __future__ import annotations

import itertools

from tls12.handshake import record_limits, server_hello
from tls12.handshake.server_hello import HelloFacts, server_hello_extensions
from tls12.messages import extensions as ext
from tls12.messages.handshake import ClientHello
from tls12.wire.writer import Writer


def _facts(**kw: object) -> HelloFacts:
    points = bool(kw.pop("points", False))
    hello_exts = (ext.ECPointFormats((0,)),) if points else ()
    hello = ClientHello(
        random=bytes(32), cipher_suites=(0xC02F,), extensions=ext.Extensions(hello_exts)
    )
    defaults: dict[str, object] = {
        "client_hello": hello,
        "server_random": bytes(32),
        "extended_master_secret": True,
        "client_offered_ems": True,
        "secure_renegotiation": True,
        "alpn_protocol": None,
        "alpn_name": None,
        "server_name": None,
        "wants_ticket": False,
        "offered_point_formats": points,
    }
    defaults.update(kw)
    return HelloFacts(**defaults)  # type: ignore[arg-type]


def _encoded(extensions: ext.Extensions) -> bytes:
    w = Writer()
    extensions.encode(w)
    return w.getvalue()


def test_kept_lists_encode_as_fresh_ones_in_every_combination() -> None:
    limits = (
        record_limits.NO_LIMITS,
        record_limits.RecordLimits(max_fragment_length=1024),
        record_limits.RecordLimits(own_record_size_limit=4096, peer_record_size_limit=512),
    )
    flags = itertools.product(
        (False, True), (False, True), (False, True), (False, True), (None, b"h2"), limits
    )
    for reneg, ems, sni, points, alpn, limit in flags:
        facts = _facts(
            secure_renegotiation=reneg,
            sni_used=sni,
            points=points,
            alpn_protocol=alpn,
            record_limits=limit,
        )
        for ticket, etm, resumed, stapling in itertools.product((False, True), repeat=4):
            args = {"ems": ems, "ticket": ticket, "etm": etm, "resumed": resumed}
            kept = server_hello_extensions(facts, stapling=stapling, **args)
            fresh = server_hello._server_hello_extensions(facts, stapling=stapling, **args)
            assert kept.items == fresh.items
            assert _encoded(kept) == _encoded(fresh)
            assert server_hello_extensions(facts, stapling=stapling, **args) is kept or (
                len(server_hello._SERVER_HELLO_EXTENSIONS) == 1  # the table was just cleared
            )
            assert (
                len(server_hello._SERVER_HELLO_EXTENSIONS)
                <= server_hello._SERVER_HELLO_EXTENSIONS_MAX
            )


def test_server_name_is_never_acknowledged_on_resumption() -> None:
    facts = _facts(sni_used=True)
    full = server_hello_extensions(facts, ems=True, ticket=False)
    resumed = server_hello_extensions(facts, ems=True, ticket=False, resumed=True)
    assert full.has(ext.ServerName)
    assert not resumed.has(ext.ServerName)
