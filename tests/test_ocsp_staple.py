"""tls12.ocsp_staple: a staple file is bounded, checked when loaded, followed when it
changes, and handed out only for the leaf it answers for and only while current."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from tls_support import pki

from tls12.errors import ConfigError
from tls12.ocsp_staple import MAX_STAPLE_SIZE, Staple, StapleFile
from tls12.pki_ocsp import ocsp_response


def leaf_and_issuer():
    return pki().rsa.cert, pki().ca.cert


def write(path: Path, data: bytes, bump: int = 0) -> None:
    path.write_bytes(data)
    stamp = time.time_ns() + bump * 1_000_000_000
    os.utime(path, ns=(stamp, stamp))


def test_a_good_file_is_stapled_for_its_leaf_only(tmp_path):
    der = ocsp_response(pki().ca, pki().rsa.cert)
    path = tmp_path / "s.der"
    write(path, der)
    staple = StapleFile(path)
    assert staple.for_leaf(*leaf_and_issuer(), time.time()) == der
    assert staple.for_leaf(pki().ecdsa.cert, pki().ca.cert, time.time()) is None
    assert "not for the certificate" in (staple.last_problem or "")


def test_refused_when_made_with_a_message_naming_the_file(tmp_path):
    big = tmp_path / "big.der"
    big.write_bytes(b"0" * (MAX_STAPLE_SIZE + 1))
    with pytest.raises(ConfigError, match=r"OCSP status file .*big\.der: .*more than the 16380"):
        StapleFile(big)
    junk = tmp_path / "junk.der"
    junk.write_bytes(b"not DER")
    with pytest.raises(ConfigError, match=r"junk\.der: not a DER OCSPResponse"):
        StapleFile(junk)
    with pytest.raises(ConfigError, match=r"missing\.der"):
        StapleFile(tmp_path / "missing.der")
    with pytest.raises(ConfigError, match="OCSP staple: not a DER"):
        Staple(b"junk")


def test_a_changed_file_is_read_again_and_a_bad_change_staples_nothing(tmp_path):
    path = tmp_path / "s.der"
    first = ocsp_response(pki().ca, pki().rsa.cert)
    write(path, first)
    staple = StapleFile(path)
    assert staple.for_leaf(*leaf_and_issuer(), time.time()) == first
    second = ocsp_response(pki().ca, pki().rsa.cert, status="revoked")
    write(path, second, bump=2)
    assert staple.for_leaf(*leaf_and_issuer(), time.time()) == second
    write(path, b"x" * (MAX_STAPLE_SIZE + 10), bump=4)
    assert staple.for_leaf(*leaf_and_issuer(), time.time()) is None
    assert "more than the" in (staple.last_problem or "")
    path.unlink()
    assert staple.for_leaf(*leaf_and_issuer(), time.time()) is None
    write(path, first, bump=6)
    assert staple.for_leaf(*leaf_and_issuer(), time.time()) == first


def test_never_stapled_once_expired_by_the_given_clock():
    der = ocsp_response(pki().ca, pki().rsa.cert)  # next update a day after an hour ago
    staple = Staple(der)
    assert staple.for_leaf(*leaf_and_issuer(), time.time()) == der
    assert staple.for_leaf(*leaf_and_issuer(), time.time() + 86400) is None
    assert "expired" in (staple.last_problem or "")


def test_a_leaf_without_its_issuer_in_the_chain_matches_by_name_and_serial():
    der = ocsp_response(pki().ca, pki().rsa.cert)
    assert Staple(der).for_leaf(pki().rsa.cert, None, time.time()) == der
