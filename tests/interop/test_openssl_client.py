"""Our server (tls12's TLSServer in a thread) against a real ``openssl s_client -tls1_2``.

s_client always verifies us (``-CAfile`` with ``-verify_return_error``). With ``-quiet`` its
stdout holds exactly the application data it received and it only exits when we close; with
``-brief`` it prints the negotiated parameters to stderr.
"""

from __future__ import annotations

import functools
import os
import re
from pathlib import Path

import pytest
from peers import (
    ETM_MODES,
    ClientRun,
    OurServer,
    assert_same_bytes,
    encrypt_then_mac_in_use,
    every_tls12_suite,
    openssl_cipher_name,
    openssl_client,
    recv_exactly,
    run_openssl_client,
)
from tls_support import pki

from tls12 import errors
from tls12.config import ClientAuth, ServerConfig
from tls12.crypto.suites import ALL_SUITES, BY_ID, Auth, CipherSuite, KeyExchange
from tls12.io.sync import TLSSocket
from tls12.pki import Identity
from tls12.wire.enums import AlertDescription, NamedGroup, SignatureScheme

MiB = 1 << 20
BIG = os.urandom(MiB)
SUITE_IDS = [s.name for s in ALL_SUITES]


@functools.cache
def other_identities() -> dict[str, Identity]:
    names = ["localhost", "127.0.0.1"]
    return {
        "p384": pki().ca.issue(names, key_type="ecdsa384"),
        "chained": pki().ca.intermediate().issue(names, key_type="rsa"),
    }


@functools.cache
def sni_identities() -> dict[str, Identity]:
    ca = pki().ca
    return {
        "alt.example": ca.issue(["alt.example"], key_type="ecdsa"),
        "*.wild.example": ca.issue(["*.wild.example"], key_type="rsa"),
    }


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    directory = tmp_path_factory.mktemp("s_client")
    return pki().write(directory)


def verify_options(files: dict[str, Path], name: str = "localhost") -> list[str]:
    return ["-servername", name, "-CAfile", str(files["ca"]), "-verify_return_error"]


def brief_value(run: ClientRun, key: str) -> str:
    match = re.search(rf"^{re.escape(key)}: (.*)$", run.stderr.decode(errors="replace"), re.M)
    assert match, f"s_client -brief did not print {key!r}" + run.diagnostics()
    return match.group(1).strip()


def send_handler(payload: bytes):
    def handler(tls: TLSSocket) -> int:
        tls.sendall(payload)
        return len(payload)

    return handler


def receive_handler(size: int, reply: bytes = b"OK\n"):
    def handler(tls: TLSSocket) -> bytes:
        data = recv_exactly(tls, size)
        tls.sendall(reply)
        return data

    return handler


def line_echo_handler(tls: TLSSocket) -> bytes:
    """Echoes one line and closes."""
    buf = bytearray()
    while b"\n" not in buf:
        chunk = tls.recv()
        if not chunk:
            break
        buf += chunk
    tls.sendall(bytes(buf))
    return bytes(buf)


# --- every suite, data both ways --------------------------------------------------------------


@pytest.mark.parametrize("suite", ALL_SUITES, ids=SUITE_IDS)
def test_suite_download_1mib(suite: CipherSuite, files, tmp_path) -> None:
    """s_client -cipher pins the suite; our server (RSA and ECDSA chains) answers with the
    matching certificate and sends 1 MiB that s_client prints byte-exact."""
    name = openssl_cipher_name(suite.id)
    with OurServer(pki().server_config(cipher_suites=ALL_SUITES), send_handler(BIG)) as server:
        options = ["-quiet", "-brief", "-cipher", name, *verify_options(files)]
        run = run_openssl_client(tmp_path, server.port, options)
        outcome = server.next_outcome()
    assert run.returncode == 0, run.diagnostics()
    assert outcome.result() == MiB
    negotiated = outcome.info["negotiated"]
    assert negotiated.cipher_suite == suite
    etm = encrypt_then_mac_in_use(outcome.info["connection"])
    assert etm is (None if suite.is_aead else True)  # both sides willing by default
    assert brief_value(run, "Ciphersuite") == name
    assert brief_value(run, "Protocol version") == "TLSv1.2"
    assert brief_value(run, "Verification") == "OK"
    if suite.kx is KeyExchange.RSA:
        # RSA key transport: no ServerKeyExchange, so nothing signed and no ephemeral key
        brief = run.stderr.decode(errors="replace")
        assert "Signature type" not in brief and "Server Temp Key" not in brief, brief
    else:
        assert brief_value(run, "Signature type") in (
            ("RSA-PSS", "RSA") if suite.auth is Auth.RSA else ("ECDSA",)
        )
        temp_key = brief_value(run, "Server Temp Key")
        if suite.kx is KeyExchange.DHE:
            assert temp_key == "DH, 2048 bits", temp_key  # RFC 7919 ffdhe2048
        else:
            assert not temp_key.startswith("DH"), temp_key
    assert_same_bytes(run.stdout, BIG, "bytes s_client received")


@pytest.mark.parametrize("suite", ALL_SUITES, ids=SUITE_IDS)
def test_suite_upload_1mib(suite: CipherSuite, files, tmp_path) -> None:
    """Our server pins the suite; s_client sends 1 MiB from stdin; we get it byte-exact."""
    config = pki().server_config(cipher_suites=[suite])
    with OurServer(config, receive_handler(MiB)) as server:
        options = ["-quiet", "-brief", "-cipher", every_tls12_suite(), *verify_options(files)]
        run = run_openssl_client(tmp_path, server.port, options, stdin_data=BIG)
        outcome = server.next_outcome()
    assert run.returncode == 0, run.diagnostics()
    assert run.stdout == b"OK\n", run.diagnostics()
    assert brief_value(run, "Ciphersuite") == openssl_cipher_name(suite.id)
    assert outcome.info["negotiated"].cipher_suite == suite
    etm = encrypt_then_mac_in_use(outcome.info["connection"])
    assert etm is (None if suite.is_aead else True)
    assert_same_bytes(outcome.result(), BIG, "bytes our server received")


# --- what real clients send ------------------------------------------------------------------


@pytest.mark.parametrize(
    "extra",
    [
        ["-max_send_frag", "512"],  # the client's records (and 1 MiB of data) in 512-byte pieces
        ["-status", "-serverinfo", "18,5000", "-maxfraglen", "512"],  # extensions we ignore
        ["-strict"],  # OpenSSL's strict certificate and parameter checks
    ],
    ids=["small-records", "ignored-extensions", "strict"],
)
def test_client_variations(extra: list[str], files, tmp_path) -> None:
    with OurServer(pki().server_config(), receive_handler(MiB)) as server:
        options = ["-quiet", "-brief", *extra, *verify_options(files)]
        run = run_openssl_client(tmp_path, server.port, options, stdin_data=BIG)
        outcome = server.next_outcome()
    assert run.returncode == 0, run.diagnostics()
    assert run.stdout == b"OK\n", run.diagnostics()
    assert_same_bytes(outcome.result(), BIG, "bytes our server received")


def test_tls13_capable_client_settles_on_tls12(files, tmp_path) -> None:
    """Without -tls1_2, s_client offers TLS 1.3 (supported_versions, key_share); we answer
    TLS 1.2, and OpenSSL accepts it (we do not claim 1.3, so no downgrade sentinel)."""
    with OurServer(pki().server_config(), send_handler(b"tls 1.2\n")) as server:
        options = ["-quiet", "-brief", *verify_options(files)]
        run = run_openssl_client(tmp_path, server.port, options, tls12_only=False)
        outcome = server.next_outcome()
    assert run.returncode == 0, run.diagnostics()
    assert brief_value(run, "Protocol version") == "TLSv1.2"
    assert outcome.info["negotiated"].version == "TLSv1.2"
    assert run.stdout == b"tls 1.2\n"


def test_client_closes_first(files, tmp_path) -> None:
    """Without -ign_eof s_client sends close_notify at EOF on stdin ("DONE"); our server reads
    the data, then b"" at the close_notify, and answers with its own."""

    def handler(tls: TLSSocket) -> bytes:
        buf = bytearray()
        while chunk := tls.recv():
            buf += chunk
        assert tls.connection.closed_by_peer
        return bytes(buf)

    with OurServer(pki().server_config(), handler) as server:
        run = run_openssl_client(
            tmp_path, server.port, verify_options(files), stdin_data=b"first line\nsecond\n"
        )
        outcome = server.next_outcome()
    assert run.returncode == 0, run.diagnostics()
    assert "DONE" in run.output
    assert outcome.result() == b"first line\nsecond\n"


# --- session parameters as s_client reports them ----------------------------------------------


def test_session_report(files, tmp_path) -> None:
    with OurServer(pki().server_config(), line_echo_handler) as server:
        options = ["-ign_eof", *verify_options(files)]
        run = run_openssl_client(tmp_path, server.port, options, stdin_data=b"hello, s_client\n")
        outcome = server.next_outcome()
    assert run.returncode == 0, run.diagnostics()
    out = run.output
    for line in (
        "Extended master secret: yes",
        "Secure Renegotiation IS supported",
        "Verify return code: 0 (ok)",
        "Protocol  : TLSv1.2",
        "Verification: OK",
    ):
        assert line in out, f"{line!r} missing" + run.diagnostics()
    assert b"hello, s_client\n" in run.stdout
    assert outcome.result() == b"hello, s_client\n"
    negotiated = outcome.info["negotiated"]
    assert negotiated.extended_master_secret and negotiated.secure_renegotiation


# --- ALPN -------------------------------------------------------------------------------------


def test_alpn_server_preference(files, tmp_path) -> None:
    config = pki().server_config(alpn_protocols=["http/1.1", "h2"])
    with OurServer(config, line_echo_handler) as server:
        options = ["-ign_eof", "-alpn", "h2,http/1.1", *verify_options(files)]
        run = run_openssl_client(tmp_path, server.port, options, stdin_data=b"alpn\n")
        outcome = server.next_outcome()
    assert run.returncode == 0, run.diagnostics()
    assert "ALPN protocol: http/1.1" in run.output, run.diagnostics()
    assert outcome.info["negotiated"].alpn_protocol == "http/1.1"
    assert outcome.result() == b"alpn\n"


def test_alpn_client_without_alpn(files, tmp_path) -> None:
    config = pki().server_config(alpn_protocols=["h2"])
    with OurServer(config, line_echo_handler) as server:
        run = run_openssl_client(
            tmp_path, server.port, ["-ign_eof", *verify_options(files)], stdin_data=b"x\n"
        )
        outcome = server.next_outcome()
    assert run.returncode == 0, run.diagnostics()
    assert "No ALPN negotiated" in run.output
    assert outcome.info["negotiated"].alpn_protocol is None


def test_alpn_no_overlap(files, tmp_path) -> None:
    config = pki().server_config(alpn_protocols=["h2"])
    with OurServer(config, line_echo_handler) as server:
        options = ["-alpn", "spdy/1", *verify_options(files)]
        run = run_openssl_client(tmp_path, server.port, options, stdin_data=b"x\n")
        outcome = server.next_outcome()
    assert run.returncode != 0
    assert isinstance(outcome.error, errors.NoApplicationProtocol), outcome
    assert "alert number 120" in run.output, run.diagnostics()


# --- certificate selection by SNI -------------------------------------------------------------


def sni_config() -> ServerConfig:
    p = pki()
    return p.server_config(
        certificates=[p.certified(p.rsa)],
        sni_certificates={name: [p.certified(i)] for name, i in sni_identities().items()},
    )


@pytest.mark.parametrize(
    ("server_name", "subject"),
    [
        ("alt.example", "alt.example"),
        ("ALT.example", "alt.example"),
        ("a.wild.example", "*.wild.example"),
        ("localhost", "localhost"),
        ("unknown.example", "localhost"),
    ],
)
def test_sni_selects_certificate(server_name: str, subject: str, files, tmp_path) -> None:
    with OurServer(sni_config(), line_echo_handler) as server:
        options = ["-ign_eof", *verify_options(files, server_name)]
        if subject != "localhost" or server_name == "localhost":
            options += ["-verify_hostname", server_name]  # s_client checks the name too
        run = run_openssl_client(tmp_path, server.port, options, stdin_data=b"sni\n")
        outcome = server.next_outcome()
    assert run.returncode == 0, run.diagnostics()
    assert f"subject=CN = {subject}," in run.output, run.diagnostics()
    assert outcome.info["negotiated"].server_name == server_name
    assert outcome.result() == b"sni\n"


def test_no_sni_gets_default_certificate(files, tmp_path) -> None:
    with OurServer(sni_config(), line_echo_handler) as server:
        options = ["-ign_eof", "-noservername", "-CAfile", str(files["ca"]), "-verify_return_error"]
        run = run_openssl_client(tmp_path, server.port, options, stdin_data=b"no sni\n")
        outcome = server.next_outcome()
    assert run.returncode == 0, run.diagnostics()
    assert "subject=CN = localhost," in run.output
    assert outcome.info["negotiated"].server_name is None


# --- groups and signature schemes the client asks for -----------------------------------------

OPENSSL_GROUPS = {
    NamedGroup.x25519: "X25519",
    NamedGroup.secp256r1: "P-256",
    NamedGroup.secp384r1: "P-384",
}


@pytest.mark.parametrize("group", list(OPENSSL_GROUPS), ids=lambda g: g.name)
def test_group_chosen_by_client(group: NamedGroup, files, tmp_path) -> None:
    """The ECDHE group follows the client's -groups. (RSA chain only: with the P-256 ECDSA
    chain the client's groups also limit the certificate; see the test below.)"""
    p = pki()
    config = p.server_config(certificates=[p.certified(p.rsa)])
    with OurServer(config, send_handler(b"group\n")) as server:
        options = ["-quiet", "-brief", "-groups", OPENSSL_GROUPS[group], *verify_options(files)]
        run = run_openssl_client(tmp_path, server.port, options)
        outcome = server.next_outcome()
    assert run.returncode == 0, run.diagnostics()
    assert outcome.info["negotiated"].group == group
    assert brief_value(run, "Server Temp Key").startswith(
        {"x25519": "X25519", "secp256r1": "ECDH, prime256v1", "secp384r1": "ECDH, secp384r1"}[
            group.name
        ]
    )
    assert run.stdout == b"group\n"


@pytest.mark.parametrize("group", [NamedGroup.x25519, NamedGroup.secp384r1], ids=lambda g: g.name)
def test_ecdsa_certificate_curve_respects_client_groups(group: NamedGroup, files, tmp_path):
    with OurServer(pki().server_config(), send_handler(b"group\n")) as server:
        options = ["-quiet", "-brief", "-groups", OPENSSL_GROUPS[group], *verify_options(files)]
        run = run_openssl_client(tmp_path, server.port, options)
        outcome = server.next_outcome()
    assert run.returncode == 0, run.diagnostics() + f"\nour server: {outcome}"
    negotiated = outcome.info["negotiated"]
    assert negotiated.cipher_suite.auth is Auth.RSA
    assert negotiated.group == group
    assert run.stdout == b"group\n"


SCHEMES = [
    SignatureScheme.rsa_pss_rsae_sha256,
    SignatureScheme.rsa_pss_rsae_sha384,
    SignatureScheme.rsa_pss_rsae_sha512,
    SignatureScheme.rsa_pkcs1_sha256,
    SignatureScheme.rsa_pkcs1_sha384,
    SignatureScheme.rsa_pkcs1_sha512,
    SignatureScheme.ecdsa_secp256r1_sha256,
    SignatureScheme.ecdsa_secp384r1_sha384,
]


@pytest.mark.parametrize("scheme", SCHEMES, ids=lambda s: s.name)
def test_signature_scheme_chosen_by_client(scheme: SignatureScheme, files, tmp_path) -> None:
    with OurServer(pki().server_config(), send_handler(b"sigalg\n")) as server:
        options = ["-quiet", "-brief", "-sigalgs", scheme.name, *verify_options(files)]
        run = run_openssl_client(tmp_path, server.port, options)
        outcome = server.next_outcome()
    assert run.returncode == 0, run.diagnostics()
    assert outcome.info["negotiated"].signature_scheme == scheme
    hash_name = scheme.name.rsplit("_", 1)[1].upper()
    assert brief_value(run, "Hash used") == hash_name
    assert run.stdout == b"sigalg\n"


# --- client certificates ----------------------------------------------------------------------


@pytest.mark.parametrize("stem", ["client_rsa", "client_ecdsa"])
def test_client_certificate_required(stem: str, files, tmp_path) -> None:
    p = pki()
    config = p.server_config(client_auth=ClientAuth.REQUIRED, client_trust=p.trust)
    with OurServer(config, line_echo_handler) as server:
        options = [
            "-ign_eof", "-cert", str(files[f"{stem}.crt"]), "-key", str(files[f"{stem}.key"]),
            *verify_options(files),
        ]  # fmt: skip
        run = run_openssl_client(tmp_path, server.port, options, stdin_data=b"client cert\n")
        outcome = server.next_outcome()
    assert run.returncode == 0, run.diagnostics()
    assert outcome.result() == b"client cert\n"
    assert outcome.info["negotiated"].peer_certificates[0] == getattr(p, stem).cert
    assert "Acceptable client certificate CA names\nCN = tls12 test CA" in run.output


def test_client_certificate_missing(files, tmp_path) -> None:
    p = pki()
    config = p.server_config(client_auth=ClientAuth.REQUIRED, client_trust=p.trust)
    with OurServer(config, line_echo_handler) as server:
        run = run_openssl_client(tmp_path, server.port, verify_options(files), stdin_data=b"x\n")
        outcome = server.next_outcome()
    assert run.returncode != 0
    assert isinstance(outcome.error, errors.HandshakeFailure), outcome
    assert "alert handshake failure" in run.output, run.diagnostics()


# --- other certificate shapes ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("stem", "sigalgs", "hash_used"),
    [
        ("p384", None, "SHA384"),
        ("p384", "ecdsa_secp256r1_sha256", "SHA256"),
        ("chained", None, None),
    ],
)
def test_other_certificates(stem: str, sigalgs, hash_used, files, tmp_path) -> None:
    """A P-384 leaf (TLS 1.2 lets it sign with SHA-256 when asked), and a leaf under an
    intermediate CA that s_client, trusting only the root, must be sent."""
    identity = other_identities()[stem]
    config = pki().server_config(certificates=[pki().certified(identity)])
    with OurServer(config, send_handler(b"shape\n")) as server:
        options = ["-quiet", "-brief", *verify_options(files)]
        if sigalgs:
            options += ["-sigalgs", sigalgs]
        run = run_openssl_client(tmp_path, server.port, options)
        outcome = server.next_outcome()
    assert run.returncode == 0, run.diagnostics()
    assert brief_value(run, "Verification") == "OK"
    if hash_used:
        assert brief_value(run, "Hash used") == hash_used
    assert run.stdout == b"shape\n"
    outcome.result()


# --- s_client refuses us ----------------------------------------------------------------------


def test_client_refuses_expired_certificate(files, tmp_path) -> None:
    p = pki()
    config = p.server_config(certificates=[p.certified(p.expired)])
    with OurServer(config, line_echo_handler) as server:
        run = run_openssl_client(tmp_path, server.port, verify_options(files), stdin_data=b"x\n")
        outcome = server.next_outcome()
    assert run.returncode != 0
    assert "certificate has expired" in run.output, run.diagnostics()
    assert isinstance(outcome.error, errors.FatalAlertReceived), outcome
    assert outcome.error.description == AlertDescription.certificate_expired


# --- renegotiation ----------------------------------------------------------------------------


def test_renegotiation_is_refused(files, tmp_path) -> None:
    """s_client (no -quiet, no -ign_eof) renegotiates when a read from stdin starts with R.
    We answer its ClientHello with a no_renegotiation warning and keep our keys; OpenSSL,
    having asked on purpose, ends the connection with a fatal handshake_failure alert."""

    def handler(tls: TLSSocket) -> object:
        tls.sendall(recv_line(tls))  # echo one line: the connection works
        try:
            while tls.recv():
                pass
        except errors.TLSError as exc:
            return exc
        return None

    with OurServer(pki().server_config(), handler) as server:
        with openssl_client(tmp_path, server.port, ["-msg", *verify_options(files)]) as client:
            client.wait_for(rb"Extended master secret: yes")
            client.write(b"ping\n")
            client.wait_for(rb"\nping\n")
            client.write(b"R\n")
            client.wait_for(rb"RENEGOTIATING", stream="stderr")
            assert client.wait() != 0
            output = client.output()
            diagnostics = client.diagnostics()
        outcome = server.next_outcome()
    # on the wire (s_client -msg): our warning, then OpenSSL's fatal alert
    assert "<<< TLS 1.2, Alert [length 0002], warning no_renegotiation" in output, diagnostics
    assert ">>> TLS 1.2, Alert [length 0002], fatal handshake_failure" in output, diagnostics
    # our side raised nothing of its own making: only the peer's fatal alert ended it
    error = outcome.result()
    assert isinstance(error, errors.FatalAlertReceived), repr(error)
    assert error.description == AlertDescription.handshake_failure
    assert outcome.info["connection"].error is error


def recv_line(tls: TLSSocket) -> bytes:
    buf = bytearray()
    while b"\n" not in buf:
        chunk = tls.recv()
        assert chunk, "stream ended before a full line"
        buf += chunk
    return bytes(buf)


# --- CBC suites: encrypt-then-MAC (RFC 7366) on and off -----------------------------------------

CBC_SUITES = [s for s in ALL_SUITES if not s.is_aead]
ETM_CASES = [pytest.param(s, mode, id=f"{s.name}-{mode}") for s in CBC_SUITES for mode in ETM_MODES]
SMALL = os.urandom(16 * 1024)


def echo_handler(size: int):
    """Reads exactly ``size`` bytes, sends them back, closes; returns them."""

    def handler(tls: TLSSocket) -> bytes:
        data = recv_exactly(tls, size)
        tls.sendall(data)
        return data

    return handler


@pytest.mark.parametrize(("suite", "mode"), ETM_CASES)
def test_cbc_encrypt_then_mac(suite: CipherSuite, mode: str, files, tmp_path) -> None:
    """s_client pins a CBC suite and sends 16 KiB; our server echoes them. Encrypt-then-MAC is
    used exactly when both sides are willing: s_client -tlsextdebug shows whether our
    ServerHello accepted it, the record layer's protection what we used, and the data coming
    back intact that s_client framed the records the same way. (Without -quiet, s_client's
    stdout holds its report and then the data; -ign_eof keeps it reading until we close.)"""
    ours, theirs, expected = ETM_MODES[mode]
    name = openssl_cipher_name(suite.id)
    config = pki().server_config(cipher_suites="compatible", encrypt_then_mac=ours)
    options = ["-ign_eof", "-nocommands", "-tlsextdebug", "-cipher", name, *verify_options(files)]
    if not theirs:
        options.append("-no_etm")
    with OurServer(config, echo_handler(len(SMALL))) as server:
        run = run_openssl_client(tmp_path, server.port, options, stdin_data=SMALL)
        outcome = server.next_outcome()
    assert run.returncode == 0, run.diagnostics()
    assert_same_bytes(outcome.result(), SMALL, "bytes our server received")
    # stdout: the report, the data, "closed"; 16 random KiB in it can only be the data, whole
    assert SMALL in run.stdout, run.diagnostics()
    assert f"Cipher is {name}\n" in run.output, run.diagnostics()
    assert outcome.info["negotiated"].cipher_suite == suite
    assert encrypt_then_mac_in_use(outcome.info["connection"]) is expected
    echoed = 'TLS server extension "encrypt-then-mac" (id=22)' in run.output
    assert echoed is expected, run.diagnostics()


# --- the default policy against a legacy-only client ---------------------------------------------


@pytest.mark.parametrize("cipher", ["AES128-SHA", "ECDHE-RSA-AES128-SHA", "AES128-GCM-SHA256"])
def test_default_server_refuses_legacy_only_client(cipher: str, files, tmp_path) -> None:
    """s_client -cipher offers one CBC or RSA key transport suite: our default server answers
    handshake_failure, and its error names the suite and the option that would allow it."""
    with OurServer(pki().server_config(), line_echo_handler) as server:
        options = ["-cipher", cipher, *verify_options(files)]
        run = run_openssl_client(tmp_path, server.port, options, stdin_data=b"x\n")
        outcome = server.next_outcome()
    assert run.returncode != 0
    assert "alert handshake failure" in run.output, run.diagnostics()
    assert "SSL alert number 40" in run.output, run.diagnostics()
    assert isinstance(outcome.error, errors.HandshakeFailure), outcome
    message = str(outcome.error)
    assert "cipher_suites='compatible'" in message, message
    suite = next(s for s in BY_ID.values() if openssl_cipher_name(s.id) == cipher)
    assert suite.name in message, message
    # the same client is served with the compatible policy
    with OurServer(pki().server_config(cipher_suites="compatible"), line_echo_handler) as server:
        options = ["-ign_eof", "-cipher", cipher, *verify_options(files)]
        run = run_openssl_client(tmp_path, server.port, options, stdin_data=b"compatible\n")
        outcome = server.next_outcome()
    assert run.returncode == 0, run.diagnostics()
    assert outcome.result() == b"compatible\n"
    assert outcome.info["negotiated"].cipher_suite == suite
