"""tls12: a readable, strict TLS 1.2 client and server (RFC 5246)."""
