"""Our client against a real ``openssl s_server -tls1_2``.

One s_server per test, on a port the OS picks, with ``-naccept 1`` so it exits after our
connection and its output is complete when we read it. s_server without ``-www`` writes what
it receives to stdout (client → server data); ``-WWW`` serves a file from its working
directory (server → client data).
"""

from __future__ import annotations

import functools
import os
import re
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from peers import (
    ETM_MODES,
    HOST,
    OpenSSLServer,
    assert_same_bytes,
    dh_params_pem,
    encrypt_then_mac_in_use,
    every_tls12_suite,
    openssl_binary,
    openssl_cipher_name,
    openssl_server,
    received_by_s_server,
)
from tls_support import drive, pki

from tls12 import errors
from tls12.connection import ClientConnection, ServerConnection
from tls12.crypto import kx
from tls12.crypto.suites import ALL_SUITES, BY_NAME, Auth, CipherSuite
from tls12.io.sync import TLSSocket, connect
from tls12.pki import Identity
from tls12.wire.enums import AlertDescription, NamedGroup, SignatureScheme

MiB = 1 << 20
BIG = os.urandom(MiB)
SUITE_IDS = [s.name for s in ALL_SUITES]


@functools.cache
def extra_identities() -> dict[str, Identity]:
    """Identities beyond the shared PKI: from a CA the client does not trust, a P-384 leaf,
    a leaf under an intermediate CA, a client certificate from the untrusted CA."""
    p = pki()
    names = ["localhost", "127.0.0.1"]
    return {
        "unknown_ca": p.other_ca.issue(names, key_type="ecdsa"),
        "p384": p.ca.issue(names, key_type="ecdsa384"),
        "chained": p.ca.intermediate().issue(names, key_type="rsa"),
        "stranger": p.other_ca.issue(
            ["client.example"], key_type="rsa", client_auth=True, server_auth=False
        ),
    }


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    directory = tmp_path_factory.mktemp("s_server")
    paths = pki().write(directory)
    for stem, identity in extra_identities().items():
        paths[f"{stem}.crt"], paths[f"{stem}.key"] = identity.write(directory, stem)
    intermediates = extra_identities()["chained"].chain[1:]
    paths["intermediates.pem"] = directory / "intermediates.pem"
    paths["intermediates.pem"].write_bytes(
        b"".join(c.public_bytes(serialization.Encoding.PEM) for c in intermediates)
    )
    (directory / "big.bin").write_bytes(BIG)
    paths["dir"] = directory
    return paths


def cert_options(files: dict[str, Path], *stems: str) -> list[str]:
    """-cert/-key for the first identity, -dcert/-dkey for the second."""
    out: list[str] = []
    for flag, stem in zip(("-cert", "-dcert"), stems, strict=False):
        out += [flag, str(files[f"{stem}.crt"]), flag[:-4] + "key", str(files[f"{stem}.key"])]
    return out


def both_certs(files: dict[str, Path]) -> list[str]:
    return cert_options(files, "rsa", "ecdsa")


@pytest.fixture
def our_client() -> Iterator[Callable[..., TLSSocket]]:
    """Connects our client (config from the test PKI plus keyword overrides); every socket
    it made is closed when the test ends, whatever happened."""
    opened: list[TLSSocket] = []

    def make(port: int, server_name: str = "localhost", **config: object) -> TLSSocket:
        config_ = pki().client_config(**config)
        tls = connect(HOST, port, config_, server_name=server_name, timeout=15)
        opened.append(tls)
        return tls

    yield make
    for tls in opened:
        tls.close()


def read_to_end(tls: TLSSocket) -> bytes:
    buf = bytearray()
    while chunk := tls.recv():
        buf += chunk
    return bytes(buf)


def upload_and_check(server: OpenSSLServer, tls: TLSSocket, payload: bytes) -> str:
    """Sends ``payload`` and close_notify; checks s_server printed exactly it and a clean close.
    Returns s_server's whole output."""
    tls.sendall(payload)
    return close_and_check(server, tls, payload)


def close_and_check(server: OpenSSLServer, tls: TLSSocket, payload: bytes) -> str:
    """Sends close_notify; checks s_server printed exactly ``payload`` and saw a clean close."""
    tls.close()
    assert server.wait() == 0, server.diagnostics()
    try:
        got = received_by_s_server(server.stdout())
    except AssertionError as exc:
        raise AssertionError(str(exc) + server.diagnostics()) from None
    assert_same_bytes(got, payload, "bytes s_server received")
    return server.output()


def expected_leaf(suite: CipherSuite) -> Identity:
    return pki().rsa if suite.auth is Auth.RSA else pki().ecdsa


# --- every suite, data both ways --------------------------------------------------------------


@pytest.mark.parametrize("suite", ALL_SUITES, ids=SUITE_IDS)
def test_suite_client_pinned_upload_1mib(suite: CipherSuite, files, tmp_path, our_client) -> None:
    """The client offers one suite; s_server (RSA and ECDSA certificates) must take it; 1 MiB
    from client to server arrives byte-exact."""
    options = [*both_certs(files), "-cipher", every_tls12_suite(), "-naccept", "1"]
    with openssl_server(tmp_path, options) as server:
        tls = our_client(server.port, cipher_suites=[suite])
        assert tls.negotiated.cipher_suite == suite
        assert tls.negotiated.version == "TLSv1.2"
        # both sides willing by default: EtM for CBC suites, nothing for AEAD ones
        assert encrypt_then_mac_in_use(tls.connection) is (None if suite.is_aead else True)
        assert tls.peer_certificates[0] == expected_leaf(suite).cert
        output = upload_and_check(server, tls, BIG)
        assert f"CIPHER is {openssl_cipher_name(suite.id)}\n" in output


@pytest.mark.parametrize("suite", ALL_SUITES, ids=SUITE_IDS)
def test_suite_server_pinned_download_1mib(suite: CipherSuite, files, tmp_path, our_client) -> None:
    """The client offers every suite; s_server -cipher pins one; a 1 MiB file served by
    s_server -WWW arrives byte-exact, ended by close_notify."""
    options = [*both_certs(files), "-cipher", openssl_cipher_name(suite.id), "-WWW"]
    with openssl_server(tmp_path, [*options, "-naccept", "1"], cwd=files["dir"]) as server:
        tls = our_client(server.port, cipher_suites=ALL_SUITES)
        assert tls.negotiated.cipher_suite == suite, server.diagnostics()
        assert encrypt_then_mac_in_use(tls.connection) is (None if suite.is_aead else True)
        assert tls.peer_certificates[0] == expected_leaf(suite).cert
        tls.sendall(b"GET /big.bin HTTP/1.0\r\n\r\n")
        response = read_to_end(tls)
        tls.close()
        head, sep, body = response.partition(b"\r\n\r\n")
        assert sep and head.startswith(b"HTTP/1.0 200 ok"), head[:200]
        assert_same_bytes(body, BIG, "body served by s_server -WWW")
        assert tls.connection.closed_by_peer  # the stream ended with close_notify
        assert server.wait() == 0, server.diagnostics()


def test_many_small_records_upload(files, tmp_path, our_client) -> None:
    """Lots of tiny writes, one record each, with the default configuration."""
    pieces = [bytes([i % 251]) * (i % 7 + 1) for i in range(500)]
    with openssl_server(tmp_path, [*both_certs(files), "-naccept", "1"]) as server:
        tls = our_client(server.port)
        for p in pieces:
            tls.sendall(p)
        close_and_check(server, tls, b"".join(pieces))


# --- groups -----------------------------------------------------------------------------------

OPENSSL_GROUPS = {
    NamedGroup.x25519: "X25519",
    NamedGroup.secp256r1: "P-256",
    NamedGroup.secp384r1: "P-384",
}


@pytest.mark.parametrize("group", list(OPENSSL_GROUPS), ids=lambda g: g.name)
@pytest.mark.parametrize("pinned_by", ["client", "server"])
def test_group(group: NamedGroup, pinned_by: str, files, tmp_path, our_client) -> None:
    options = [*both_certs(files), "-naccept", "1"]
    client_kw: dict[str, object] = {}
    if pinned_by == "server":
        options += ["-groups", OPENSSL_GROUPS[group]]
    else:
        client_kw["groups"] = [group]
    with openssl_server(tmp_path, options) as server:
        tls = our_client(server.port, **client_kw)
        assert tls.negotiated.group == group
        output = upload_and_check(server, tls, b"group test " + group.name.encode() + b"\n")
    if pinned_by == "client":
        assert re.search(r"Shared groups: (\S+)", output).group(1) == group.name, output


# --- ALPN -------------------------------------------------------------------------------------


def test_alpn_server_preference(files, tmp_path, our_client) -> None:
    options = [*both_certs(files), "-alpn", "h2,http/1.1", "-naccept", "1"]
    with openssl_server(tmp_path, options) as server:
        tls = our_client(server.port, alpn_protocols=["http/1.1", "h2"])
        assert tls.negotiated.alpn_protocol == "h2"
        assert tls.selected_alpn_protocol() == "h2"
        output = upload_and_check(server, tls, b"alpn\n")
    assert "ALPN protocols advertised by the client: http/1.1, h2" in output
    assert "ALPN protocols selected: h2" in output


def test_alpn_only_common_protocol(files, tmp_path, our_client) -> None:
    options = [*both_certs(files), "-alpn", "spdy/3,http/1.1", "-naccept", "1"]
    with openssl_server(tmp_path, options) as server:
        tls = our_client(server.port, alpn_protocols=["h2", "http/1.1"])
        assert tls.negotiated.alpn_protocol == "http/1.1"
        upload_and_check(server, tls, b"alpn\n")


def test_alpn_not_offered_by_client(files, tmp_path, our_client) -> None:
    options = [*both_certs(files), "-alpn", "h2", "-naccept", "1"]
    with openssl_server(tmp_path, options) as server:
        tls = our_client(server.port)
        assert tls.negotiated.alpn_protocol is None
        upload_and_check(server, tls, b"no alpn\n")


def test_alpn_no_overlap_is_fatal(files, tmp_path, our_client) -> None:
    """OpenSSL 3 answers an ALPN offer it cannot meet with no_application_protocol."""
    options = [*both_certs(files), "-alpn", "foo", "-naccept", "1"]
    with openssl_server(tmp_path, options) as server:
        with pytest.raises(errors.FatalAlertReceived) as info:
            our_client(server.port, alpn_protocols=["bar"])
        assert info.value.description == AlertDescription.no_application_protocol
        server.wait()
        assert "no application protocol" in server.output(), server.diagnostics()


# --- signature schemes ------------------------------------------------------------------------

SCHEMES = [
    ("rsa", SignatureScheme.rsa_pss_rsae_sha256),
    ("rsa", SignatureScheme.rsa_pss_rsae_sha384),
    ("rsa", SignatureScheme.rsa_pss_rsae_sha512),
    ("rsa", SignatureScheme.rsa_pkcs1_sha256),
    ("rsa", SignatureScheme.rsa_pkcs1_sha384),
    ("rsa", SignatureScheme.rsa_pkcs1_sha512),
    ("ecdsa", SignatureScheme.ecdsa_secp256r1_sha256),
    # TLS 1.2 does not bind the curve to the hash: a P-256 key may sign with SHA-384/512.
    ("ecdsa", SignatureScheme.ecdsa_secp384r1_sha384),
    ("ecdsa", SignatureScheme.ecdsa_secp521r1_sha512),
]


@pytest.mark.parametrize(("stem", "scheme"), SCHEMES, ids=[s.name for _, s in SCHEMES])
@pytest.mark.parametrize("pinned_by", ["client", "server"])
def test_signature_scheme(
    stem: str, scheme: SignatureScheme, pinned_by: str, files, tmp_path, our_client
):
    options = [*cert_options(files, stem), "-naccept", "1"]
    client_kw: dict[str, object] = {}
    if pinned_by == "server":
        options += ["-sigalgs", scheme.name]
        # the client must offer the scheme for the server to use it
        client_kw["signature_schemes"] = [scheme, *pki().client_config().signature_schemes]
    else:
        client_kw["signature_schemes"] = [scheme]
    with openssl_server(tmp_path, options) as server:
        tls = our_client(server.port, **client_kw)
        assert tls.negotiated.signature_scheme == scheme
        assert tls.negotiated.cipher_suite.auth.name == stem.upper()
        upload_and_check(server, tls, scheme.name.encode() + b"\n")


# --- certificates we must refuse --------------------------------------------------------------

REFUSED = [
    ("unknown_ca", errors.UnknownCA, 48, "unknown ca"),
    ("expired", errors.CertificateExpired, 45, "certificate expired"),
    ("wrong_name", errors.BadCertificate, 42, "bad certificate"),
]


@pytest.mark.parametrize(("stem", "error", "alert", "text"), REFUSED, ids=[r[0] for r in REFUSED])
def test_refused_certificate(stem, error, alert, text, files, tmp_path, our_client) -> None:
    with openssl_server(tmp_path, [*cert_options(files, stem), "-naccept", "1"]) as server:
        with pytest.raises(errors.CertificateError) as info:
            our_client(server.port)
        assert type(info.value) is error, repr(info.value)
        assert info.value.alert == alert
        assert server.wait() == 0, server.diagnostics()
        output = server.output()
    assert f"alert {text}" in output and f"SSL alert number {alert}" in output, server.diagnostics()


def test_wrong_server_name_for_good_certificate(files, tmp_path, our_client) -> None:
    with openssl_server(tmp_path, [*both_certs(files), "-naccept", "1"]) as server:
        with pytest.raises(errors.BadCertificate):
            our_client(server.port, server_name="not-localhost.example")
        server.wait()
        assert "SSL alert number 42" in server.output(), server.diagnostics()


# --- client certificates ----------------------------------------------------------------------


@pytest.mark.parametrize("stem", ["client_rsa", "client_ecdsa"])
def test_client_certificate_required(stem: str, files, tmp_path, our_client) -> None:
    options = [
        *both_certs(files),
        "-Verify", "1", "-CAfile", str(files["ca"]), "-verify_return_error", "-naccept", "1",
    ]  # fmt: skip
    identity = getattr(pki(), stem)
    with openssl_server(tmp_path, options) as server:
        tls = our_client(server.port, client_certificates=[pki().certified(identity)])
        output = upload_and_check(server, tls, b"with a client certificate\n")
    assert "subject=CN = client.example" in output, output
    signature_type = "RSA-PSS" if stem == "client_rsa" else "ECDSA"
    assert f"Peer signature type: {signature_type}" in output, output


CHOICES = [
    # (our client certificates, s_server options, the signature s_server sees, or None for
    # an empty Certificate)
    (["client_ecdsa", "client_rsa"], ["-client_sigalgs", "rsa_pss_rsae_sha256"], "RSA-PSS"),
    (["client_rsa"], ["-client_sigalgs", "rsa_pkcs1_sha384"], "RSA"),
    (["client_ecdsa"], ["-client_sigalgs", "rsa_pss_rsae_sha256"], None),  # nothing fits
    ([], [], None),
    (["stranger", "client_rsa"], [], "RSA-PSS"),  # the one from a CA the server named
]


@pytest.mark.parametrize(
    ("offered", "extra", "signature_type"),
    CHOICES,
    ids=["pick-rsa-by-sigalg", "pkcs1-only", "no-fit-empty", "none", "by-ca-name"],
)
def test_client_certificate_choice(offered, extra, signature_type, files, tmp_path, our_client):
    """s_server -verify 1 asks for a certificate (CA names from -CAfile) but does not insist:
    we send the one that fits the request, or an empty Certificate."""
    p = pki()
    identities = {**extra_identities(), "client_rsa": p.client_rsa, "client_ecdsa": p.client_ecdsa}
    chains = [p.certified(identities[stem]) for stem in offered]
    options = [*both_certs(files), "-verify", "1", "-CAfile", str(files["ca"]), *extra]
    with openssl_server(tmp_path, [*options, "-naccept", "1"]) as server:
        tls = our_client(server.port, client_certificates=chains)
        output = upload_and_check(server, tls, b"choice\n")
    if signature_type is None:
        assert "Client certificate" not in output, output
        assert "Peer signature type" not in output, output
    else:
        assert "subject=CN = client.example, O = tls12 test PKI" in output, output
        assert f"Peer signature type: {signature_type}\n" in output, output
        assert "verify error" not in output, output


def test_client_certificate_missing(files, tmp_path, our_client) -> None:
    """Without a client certificate we send an empty Certificate; s_server -Verify refuses."""
    options = [*both_certs(files), "-Verify", "1", "-CAfile", str(files["ca"]), "-naccept", "1"]
    with openssl_server(tmp_path, options) as server:
        with pytest.raises(errors.FatalAlertReceived) as info:
            our_client(server.port)
        assert info.value.description == AlertDescription.handshake_failure
        server.wait()
        assert "peer did not return a certificate" in server.output(), server.diagnostics()


# --- other certificate shapes ---------------------------------------------------------------


def test_p384_certificate(files, tmp_path, our_client) -> None:
    with openssl_server(tmp_path, [*cert_options(files, "p384"), "-naccept", "1"]) as server:
        tls = our_client(server.port, signature_schemes=[SignatureScheme.ecdsa_secp384r1_sha384])
        assert tls.negotiated.cipher_suite.auth is Auth.ECDSA
        assert tls.negotiated.signature_scheme == SignatureScheme.ecdsa_secp384r1_sha384
        assert tls.peer_certificates[0] == extra_identities()["p384"].cert
        upload_and_check(server, tls, b"P-384\n")


def test_intermediate_chain(files, tmp_path, our_client) -> None:
    """s_server -cert_chain sends the intermediate; we build the path to our root."""
    options = [*cert_options(files, "chained"), "-cert_chain", str(files["intermediates.pem"])]
    with openssl_server(tmp_path, [*options, "-naccept", "1"]) as server:
        tls = our_client(server.port)
        chain = extra_identities()["chained"].chain
        assert list(tls.peer_certificates[: len(chain)]) == chain
        upload_and_check(server, tls, b"chain\n")


def test_missing_intermediate_is_unknown_ca(files, tmp_path, our_client) -> None:
    """s_server -cert loads only the leaf from a PEM chain; without the intermediate we must
    refuse with unknown_ca."""
    with openssl_server(tmp_path, [*cert_options(files, "chained"), "-naccept", "1"]) as server:
        with pytest.raises(errors.UnknownCA):
            our_client(server.port)
        server.wait()
        assert "SSL alert number 48" in server.output(), server.diagnostics()


# --- renegotiation ----------------------------------------------------------------------------


def test_server_initiated_renegotiation_refused(files, tmp_path, our_client) -> None:
    """A line "r" on s_server's stdin makes it send HelloRequest. We answer with a
    no_renegotiation warning (RFC 5246 §7.4.1.1); OpenSSL, having asked on purpose, then ends
    the connection with a fatal handshake_failure, which our recv raises as FatalAlertReceived."""
    options = [*both_certs(files), "-msg", "-naccept", "1"]
    with openssl_server(tmp_path, options) as server:
        tls = our_client(server.port)
        tls.sendall(b"before renegotiation\n")
        server.wait_for(rb"before renegotiation\n")
        server.write(b"r\n")
        with pytest.raises(errors.FatalAlertReceived) as info:
            tls.recv()
        assert info.value.description == AlertDescription.handshake_failure
        assert tls.connection.error is info.value
        server.wait()
        output = server.output()
        diagnostics = server.diagnostics()
    assert ">>> TLS 1.2, Handshake [length 0004], HelloRequest" in output, diagnostics
    assert "<<< TLS 1.2, Alert [length 0002], warning no_renegotiation" in output, diagnostics
    assert ">>> TLS 1.2, Alert [length 0002], fatal handshake_failure" in output, diagnostics


# --- what real servers do by default ----------------------------------------------------------


@pytest.mark.parametrize("auth", [Auth.RSA, Auth.ECDSA], ids=lambda a: a.name)
def test_handshake_messages_fragmented_across_records(auth: Auth, files, tmp_path, our_client):
    """s_server -max_send_frag 512 splits its Certificate (and the 1 MiB body) into 512-byte
    records: our handshake reassembly and record layer must cope."""
    suite = next(s for s in ALL_SUITES if s.auth is auth)
    options = [*both_certs(files), "-max_send_frag", "512", "-WWW", "-naccept", "1"]
    with openssl_server(tmp_path, options, cwd=files["dir"]) as server:
        tls = our_client(server.port, cipher_suites=[suite])
        assert tls.negotiated.cipher_suite == suite
        tls.sendall(b"GET /big.bin HTTP/1.0\r\n\r\n")
        head, _, body = read_to_end(tls).partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.0 200 ok"), head[:200]
        assert_same_bytes(body, BIG, "body sent in 512-byte records")
        tls.close()
        assert server.wait() == 0, server.diagnostics()


def test_tls13_capable_server_settles_on_tls12(files, tmp_path, our_client) -> None:
    """Without -tls1_2 s_server speaks TLS 1.3 too; our TLS 1.2 ClientHello gets TLS 1.2."""
    options = [*both_certs(files), "-naccept", "1"]
    with openssl_server(tmp_path, options, tls12_only=False) as server:
        tls = our_client(server.port)
        assert tls.version() == "TLSv1.2"
        output = upload_and_check(server, tls, b"no TLS 1.3 here\n")
    assert "CIPHER is ECDHE-" in output


# --- CBC suites: encrypt-then-MAC (RFC 7366) on and off -----------------------------------------

CBC_SUITES = [s for s in ALL_SUITES if not s.is_aead]
ETM_CASES = [pytest.param(s, mode, id=f"{s.name}-{mode}") for s in CBC_SUITES for mode in ETM_MODES]
SMALL = os.urandom(16 * 1024)


@pytest.mark.parametrize(("suite", "mode"), ETM_CASES)
def test_cbc_encrypt_then_mac(suite: CipherSuite, mode: str, files, tmp_path, our_client):
    """s_server pins a CBC suite; encrypt-then-MAC is used exactly when both sides are willing.
    s_server -tlsextdebug shows whether we offered it; the record layer's protection shows
    what we use; the data arriving intact shows s_server framed the records the same way."""
    ours, theirs, expected = ETM_MODES[mode]
    options = [*both_certs(files), "-cipher", openssl_cipher_name(suite.id), "-tlsextdebug"]
    if not theirs:
        options.append("-no_etm")
    with openssl_server(tmp_path, [*options, "-naccept", "1"]) as server:
        tls = our_client(server.port, cipher_suites="compatible", encrypt_then_mac=ours)
        assert tls.negotiated.cipher_suite == suite
        assert encrypt_then_mac_in_use(tls.connection) is expected
        output = upload_and_check(server, tls, SMALL)
    assert f"CIPHER is {openssl_cipher_name(suite.id)}\n" in output
    assert ('TLS client extension "encrypt-then-mac" (id=22)' in output) is ours, output


# --- the default policy against a legacy-only server ---------------------------------------------


@pytest.mark.parametrize("cipher", ["AES128-SHA", "ECDHE-RSA-AES128-SHA", "AES128-GCM-SHA256"])
def test_default_client_refused_by_legacy_only_server(cipher: str, files, tmp_path, our_client):
    """s_server -cipher allows one CBC or RSA key transport suite; our default client offers
    only forward-secret AEAD suites, so s_server finds no shared cipher: handshake_failure."""
    options = [*both_certs(files), "-cipher", cipher, "-naccept", "1"]
    with openssl_server(tmp_path, options) as server:
        with pytest.raises(errors.FatalAlertReceived) as info:
            our_client(server.port)
        assert info.value.description == AlertDescription.handshake_failure
        assert "handshake_failure" in str(info.value)
        server.wait()
        assert "no shared cipher" in server.output(), server.diagnostics()
    # the same server is fine for the compatible policy
    with openssl_server(tmp_path, options) as server:
        tls = our_client(server.port, cipher_suites="compatible")
        assert openssl_cipher_name(tls.negotiated.cipher_suite.id) == cipher
        upload_and_check(server, tls, b"compatible\n")


# --- DHE: the server's group and public value ---------------------------------------------

# RFC 2409 §6.2, the Second Oakley Group: a 1024-bit safe prime with generator 2.
OAKLEY_GROUP_2 = int(
    "FFFFFFFF FFFFFFFF C90FDAA2 2168C234 C4C6628B 80DC1CD1 29024E08 8A67CC74 020BBEA6 3B139B22"
    " 514A0879 8E3404DD EF9519B3 CD3A431B 302B0A6D F25F1437 4FE1356D 6D51C245 E485B576 625E7EC6"
    " F44C42E9 A637ED6B 0BFF5CB6 F406B7ED EE386BFB 5A899FA5 AE9F2411 7C4B1FE6 49286651 ECE65381"
    " FFFFFFFF FFFFFFFF".replace(" ", ""),
    16,
)
DHE_SUITE = BY_NAME["TLS_DHE_RSA_WITH_AES_128_GCM_SHA256"]


def dhe_server_options(files: dict[str, Path], dh_file: Path) -> list[str]:
    """s_server with only a DHE suite and the given parameters (SECLEVEL 0, or OpenSSL itself
    would refuse a 1024-bit group)."""
    cipher = openssl_cipher_name(DHE_SUITE.id) + ":@SECLEVEL=0"
    return [*cert_options(files, "rsa"), "-cipher", cipher, "-dhparam", str(dh_file)]


def test_dhe_group_under_2048_bits_refused(files, tmp_path, our_client) -> None:
    assert OAKLEY_GROUP_2.bit_length() == 1024
    dh_file = tmp_path / "dh1024.pem"
    dh_file.write_bytes(dh_params_pem(OAKLEY_GROUP_2))
    with openssl_server(tmp_path, [*dhe_server_options(files, dh_file), "-naccept", "1"]) as server:
        with pytest.raises(errors.InsufficientSecurity) as info:
            our_client(server.port)
        assert info.value.alert == AlertDescription.insufficient_security
        assert "only 1024 bits" in str(info.value) and "2048" in str(info.value)
        server.wait()
        output = server.output()
    assert "alert insufficient security" in output, server.diagnostics()
    assert "SSL alert number 71" in output, server.diagnostics()


def test_dhe_custom_2048_bit_group_accepted(files, tmp_path, our_client) -> None:
    """RFC 3526's 2048-bit MODP group is no RFC 7919 group but a safe prime of 2048 bits: the
    client checks it and goes ahead (the group is reported as None: not a named group)."""
    dh_file = tmp_path / "modp2048.pem"
    subprocess.run(
        [openssl_binary(), "genpkey", "-genparam", "-algorithm", "DH",
         "-pkeyopt", "group:modp_2048", "-out", str(dh_file)],
        check=True, capture_output=True, timeout=15,
    )  # fmt: skip
    with openssl_server(tmp_path, [*dhe_server_options(files, dh_file), "-naccept", "1"]) as server:
        tls = our_client(server.port)
        assert tls.negotiated.cipher_suite == DHE_SUITE
        assert tls.negotiated.group is None
        upload_and_check(server, tls, b"modp_2048\n")


# No real server can be made to sign a public value outside 2..p-2, so these run in memory: the
# server's (or client's) key share is replaced, after the fact, by the bad value, which the
# server then signs (or the client sends) as its own.

BAD_PUBLIC_VALUES = {
    "zero": lambda p: 0,
    "one": lambda p: 1,
    "p-1": lambda p: p - 1,
    "p": lambda p: p,
}


def _bad_share(original, value):
    def make(*args, **kwargs):
        share = original(*args, **kwargs)
        share.public = value(share.p).to_bytes(share.p_len, "big")
        return share

    return staticmethod(make)


def _alert_sent(failing, peer) -> AlertDescription:
    """What ``peer`` makes of the failing side's output: the fatal alert it queued."""
    with pytest.raises(errors.FatalAlertReceived) as info:
        peer.receive_data(failing.data_to_send())
    return info.value.description


@pytest.mark.parametrize("value", BAD_PUBLIC_VALUES)
def test_dhe_server_public_value_range_in_memory(value: str, monkeypatch) -> None:
    """A signed ServerKeyExchange whose Ys is 0, 1, p-1 or p: the client refuses it with
    illegal_parameter (RFC 7919 §5.1) before sending anything of its own."""
    monkeypatch.setattr(
        kx.DheKeyShare, "for_group", _bad_share(kx.DheKeyShare.for_group, BAD_PUBLIC_VALUES[value])
    )
    p = pki()
    client = ClientConnection(p.client_config(cipher_suites=[DHE_SUITE]), "localhost")
    server = ServerConnection(p.server_config(cipher_suites="compatible"))
    client.start()
    server.receive_data(client.data_to_send())
    with pytest.raises(errors.IllegalParameter) as info:
        client.receive_data(server.data_to_send())
    assert "DH public value is not in 2..p-2" in str(info.value)
    assert _alert_sent(client, server) == AlertDescription.illegal_parameter


@pytest.mark.parametrize("value", BAD_PUBLIC_VALUES)
def test_dhe_client_public_value_range_in_memory(value: str, monkeypatch) -> None:
    """A ClientKeyExchange whose Yc is 0, 1, p-1 or p: the server refuses it with
    illegal_parameter."""
    monkeypatch.setattr(
        kx.DheKeyShare,
        "for_params",
        _bad_share(kx.DheKeyShare.for_params, BAD_PUBLIC_VALUES[value]),
    )
    p = pki()
    client = ClientConnection(p.client_config(cipher_suites=[DHE_SUITE]), "localhost")
    server = ServerConnection(p.server_config(cipher_suites="compatible"))
    client.start()
    server.receive_data(client.data_to_send())
    client.receive_data(server.data_to_send())
    with pytest.raises(errors.IllegalParameter) as info:
        server.receive_data(client.data_to_send())
    assert "DH public value is not in 2..p-2" in str(info.value)
    assert _alert_sent(server, client) == AlertDescription.illegal_parameter


def test_dhe_in_memory_control() -> None:
    """Without the substitution the same pair completes a DHE handshake in ffdhe2048."""
    p = pki()
    client = ClientConnection(p.client_config(cipher_suites=[DHE_SUITE]), "localhost")
    server = ServerConnection(p.server_config(cipher_suites="compatible"))
    client.start()
    drive(client, server)
    assert client.negotiated is not None and server.negotiated is not None
    assert client.negotiated.cipher_suite == DHE_SUITE
    assert client.negotiated.group == NamedGroup.ffdhe2048
