"""``tls12 demo`` and ``tls12 ciphers`` as a user runs them."""

from __future__ import annotations

import re
import subprocess
import sys

from figure_support import FIGURE_1, FIGURE_2, diagram_flights, rfc_flights

FIGURE_1_ORDER = [
    "ClientHello",
    "ServerHello",
    "Certificate",
    "CertificateStatus",
    "ServerKeyExchange",
    "ServerHelloDone",
    "ClientKeyExchange",
    "ChangeCipherSpec",
    "Finished (encrypted)",
    "Application Data",
]
CLIENT_AUTH_EXTRAS = ["CertificateRequest", "CertificateVerify"]


def run(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tls12", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def sections(out: str) -> list[str]:
    return out.split("=== ")[1:]


def diagram(section: str) -> str:
    """The rendered flow of one demo section: from the Client/Server header to the first
    blank line after the messages."""
    lines = section.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Client "))
    end = lines.index("", start + 2)
    return "\n".join(lines[start:end]) + "\n"


def handshake_flights(section: str) -> list:
    """The section's flights, read like the RFC's figures; the closing alerts the demo's
    orderly shutdown adds after the figure are left out."""
    flights, _ = diagram_flights(diagram(section))
    return [f for f in flights if not f[1][0].startswith("Alert")]


def test_demo_shows_figure_1_figure_2_and_fallback():
    result = run("demo")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    full, resumed, fallback = sections(out)
    with_ticket = {"server:Certificate", "server:ServerKeyExchange"}
    want = rfc_flights(FIGURE_1, with_ticket)
    want[3] = ("server", ("NewSessionTicket", *want[3][1]))  # RFC 5077 §3.1
    hello = list(want[1][1])
    hello.insert(hello.index("Certificate") + 1, "CertificateStatus")  # RFC 6066 §8
    want[1] = ("server", tuple(hello))
    assert handshake_flights(full) == want
    assert "session              new" in full
    assert "OCSP staple          good, from the issuer" in full
    assert "status_type=ocsp, cert_status=good" in full
    assert handshake_flights(resumed) == rfc_flights(FIGURE_2, set())
    assert "session              resumed" in resumed
    assert handshake_flights(fallback) == want
    assert "session              new" in fallback
    assert out.rstrip().endswith("result: OK")
    # each connection exports keying material (RFC 5705); different connections, other values
    keys = re.findall(r"exported key +([0-9a-f]{32}) \(RFC 5705", out)
    assert len(keys) == 3 and len(set(keys)) == 3, out


def test_demo_message_order_matches_figure_1():
    out = run("demo", "--client-auth").stdout
    full = sections(out)[0]
    positions = [full.index(name) for name in FIGURE_1_ORDER[:6]]
    assert positions == sorted(positions)
    for name in CLIENT_AUTH_EXTRAS:
        assert name in full
    assert full.index("CertificateRequest") < full.index("ServerHelloDone")
    assert full.index("ClientKeyExchange") < full.index("CertificateVerify")
    assert full.index("CertificateVerify") < full.index("ChangeCipherSpec")


def test_demo_ecdsa_and_session_ids():
    result = run("demo", "--key-type", "ecdsa", "--no-tickets")
    assert result.returncode == 0, result.stderr
    assert "ECDSA" in result.stdout
    assert "NewSessionTicket" not in result.stdout
    assert "resuming=session id" in result.stdout


def test_ciphers_lists_every_suite_and_the_default_set():
    from tls12.crypto.suites import ALL_SUITES, DEFAULT_SUITES

    out = run("ciphers").stdout
    for suite in ALL_SUITES:
        line = next(line for line in out.splitlines() if suite.name in line)
        assert ("default" in line) is (suite in DEFAULT_SUITES)


def test_unknown_cipher_is_one_clear_line():
    result = run("client", "127.0.0.1:1", "--ciphers", "RC4-MD5")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "tls12: unknown cipher suite 'RC4-MD5' (`tls12 ciphers` lists them)"
    ]
