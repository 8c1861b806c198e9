"""Make a throwaway CA, a server certificate for localhost / 127.0.0.1 and a client
certificate, for trying the other examples:

    python examples/make_certs.py certs/
    # certs/ca.pem, certs/server.crt + .key, certs/client.crt + .key

Test keys without a passphrase, valid for 30 days: never for production.
"""

from __future__ import annotations

import sys
from pathlib import Path

from tls12.pki import make_ca


def main(directory: str) -> None:
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    ca = make_ca("tls12 examples CA", key_type="ecdsa")
    ca.write(out / "ca.pem")
    ca.issue(["localhost", "127.0.0.1"], key_type="ecdsa").write(out, "server")
    ca.issue([], key_type="ecdsa", client_auth=True, server_auth=False,
             common_name="example client").write(out, "client")
    print(f"wrote {out}/ca.pem, server.crt, server.key, client.crt, client.key")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "certs")
