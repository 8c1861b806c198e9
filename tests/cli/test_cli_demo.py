"""``tls12 demo`` and ``tls12 ciphers`` as a user runs them."""

from __future__ import annotations

import subprocess
import sys

FIGURE_1 = [
    "ClientHello",
    "ServerHello",
    "Certificate",
    "ServerKeyExchange",
    "ServerHelloDone",
    "ClientKeyExchange",
    "ChangeCipherSpec",
    "[Finished]",
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


def flow(section: str) -> list[str]:
    """The message names of a rendered flow, top to bottom (details and footer dropped)."""
    body = section.split("[...] =")[0]
    names = []
    for line in body.splitlines()[1:]:
        word = line.strip()
        if word and "=" not in word and not word.startswith(("---", "<--")) and word != (
            "Client                                                                  Server"
        ):
            names.append(word)
    return names


def test_demo_shows_figure_1_figure_2_and_fallback():
    result = run("demo")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    full, resumed, fallback = sections(out)
    for name in FIGURE_1:
        assert name in full, f"{name} missing from the full handshake"
    assert "session              new" in full
    assert flow(resumed) == [
        "ClientHello",
        "ServerHello",
        "ChangeCipherSpec",
        "[Finished]",
        "ChangeCipherSpec",
        "[Finished]",
        "Application Data",
        "Application Data",
    ]
    assert "session              resumed" in resumed
    assert "ServerKeyExchange" in flow(fallback) and "session              new" in fallback
    assert out.rstrip().endswith("result: OK")


def test_demo_message_order_matches_figure_1():
    out = run("demo", "--client-auth").stdout
    full = sections(out)[0]
    positions = [full.index(name) for name in FIGURE_1[:5]]
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
