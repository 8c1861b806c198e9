"""Real TLS peers for the interop tests: OpenSSL's s_server and s_client as processes, GnuTLS's
gnutls-serv and gnutls-cli as processes, Python's ``ssl`` module as a threaded server or a
client, and our own TLSServer with its outcomes collected for assertions.

Rules every helper follows, so the tests run side by side under pytest-xdist:
- everything listens on 127.0.0.1 on a port the OS picks (port 0); no fixed ports (gnutls-serv
  can neither pick nor report one, nor bind to one address: it gets a port that was free a
  moment before and listens on all addresses; a lost race is retried with another port);
- output goes to files in the test's own tmp directory, and ``diagnostics()`` puts their tail
  into assertion messages;
- waiting is polling with a deadline, never a long blind sleep;
- every process is stopped by its own pid (terminate, then kill) and reaped; every thread and
  socket is closed when its context manager exits.
"""

from __future__ import annotations

from peers.gnutls import (  # noqa: F401
    _GNUTLS_CIPHER,
    _GNUTLS_KX,
    _GNUTLS_LISTENING,
    GnuTLSNames,
    GnuTLSServer,
    GnuTLSSession,
    _line_buffered,
    free_port,
    gnutls_binary,
    gnutls_names,
    gnutls_priority,
    gnutls_priority_suites,
    gnutls_server,
    gnutls_sessions,
    run_gnutls_client,
)
from peers.openssl import (  # noqa: F401
    _CIPHER_NAMES,
    ClientRun,
    OpenSSLServer,
    _openssl_cipher_names,
    _s_client_args,
    assert_same_bytes,
    every_tls12_suite,
    openssl_cipher_name,
    openssl_client,
    openssl_server,
    received_by_s_server,
    run_openssl_client,
)
from peers.ours import (  # noqa: F401
    ETM_MODES,
    OurServer,
    _der_integer,
    _der_length,
    dh_params_pem,
    encrypt_then_mac_in_use,
    write_ffdhe2048_params,
)
from peers.process import (  # noqa: F401
    DEFAULT_TIMEOUT,
    HOST,
    POLL,
    Peer,
    _counter,
    _tail,
    openssl_binary,
)
from peers.python_ssl import (  # noqa: F401
    Outcome,
    PythonTLSServer,
    _OutcomeQueue,
    py_echo_handler,
    py_receive_handler,
    py_send_handler,
    python_client_context,
    python_server_context,
    python_tls_client,
    recv_exactly,
    recv_until_eof,
    ssl_unwrap_quietly,
)
