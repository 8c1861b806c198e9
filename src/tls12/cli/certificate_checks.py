"""What ``tls12 server`` checks in its certificates before it starts serving.

Like ``openssl s_server`` ("ee key too small"), it refuses an RSA key under the policy's
minimum (``tls12.verify.MIN_RSA_BITS``, the size our own client demands of a server): serving
it would only produce clients that refuse it. An expired (or not yet valid) certificate, and
one that none of the enabled cipher suites can use, start with a warning: both can be
deliberate in a test, and neither is a secret.
"""

from __future__ import annotations

import datetime

from cryptography.hazmat.primitives.asymmetric import rsa

from tls12.config import CertifiedKey, ServerConfig
from tls12.errors import ConfigError
from tls12.verify import MIN_RSA_BITS, describe


def check_certificates(config: ServerConfig, now: datetime.datetime | None = None) -> list[str]:
    """Warnings for the configured chains; ConfigError for one that must not be served."""
    now = now or datetime.datetime.now(datetime.UTC)
    chains: list[CertifiedKey] = list(config.certificates)
    for more in config.sni_certificates.values():
        chains.extend(more)
    warnings: list[str] = []
    usable = {suite.auth for suite in config.cipher_suites}
    for certified in chains:
        leaf = certified.chain[0]
        what = describe(leaf)
        if isinstance(certified.key, rsa.RSAPrivateKey):
            bits = certified.key.key_size
            if bits < MIN_RSA_BITS:
                raise ConfigError(
                    f"the certificate {what} has a {bits}-bit RSA key; the minimum is "
                    f"{MIN_RSA_BITS} bits (clients refuse smaller keys)"
                )
        if leaf.not_valid_after_utc < now:
            warnings.append(
                f"the certificate {what} expired on {leaf.not_valid_after_utc:%Y-%m-%d}"
            )
        elif leaf.not_valid_before_utc > now:
            warnings.append(
                f"the certificate {what} is not valid before {leaf.not_valid_before_utc:%Y-%m-%d}"
            )
        if certified.auth not in usable:
            warnings.append(
                f"no enabled cipher suite can use the {certified.auth.value} certificate {what} "
                "(see --ciphers)"
            )
    return warnings
