"""RFC 5246's message-flow figures, and a parser that reads them and our rendered traces
alike, so a test can say "this diagram is figure 1" (tests/io/test_trace_figures.py, the demo
test)."""

from __future__ import annotations

import re

from tls12.trace import WIDTH

# RFC 5246 §7.3, Figure 1. Message flow for a full handshake
FIGURE_1 = """
      ClientHello                  -------->
                                                      ServerHello
                                                     Certificate*
                                               ServerKeyExchange*
                                              CertificateRequest*
                                   <--------      ServerHelloDone
      Certificate*
      ClientKeyExchange
      CertificateVerify*
      [ChangeCipherSpec]
      Finished                     -------->
                                               [ChangeCipherSpec]
                                   <--------             Finished
      Application Data             <------->     Application Data
"""

# RFC 5246 §7.3, Figure 2. Message flow for an abbreviated handshake
FIGURE_2 = """
      ClientHello                   -------->
                                                       ServerHello
                                                [ChangeCipherSpec]
                                    <--------             Finished
      [ChangeCipherSpec]
      Finished                      -------->
      Application Data              <------->     Application Data
"""

Flight = tuple[str, tuple[str, ...]]  # ("client" | "server", message names)


def rfc_flights(figure: str, present: set[str]) -> list[Flight]:
    """Flights of an RFC figure; optional (``*``) messages are kept when named in
    ``present`` as ``"client:Certificate"`` / ``"server:CertificateRequest"``."""
    flights: list[Flight] = []
    current: list[str] = []
    side = "client"

    def close_flight(sender: str) -> None:
        nonlocal current
        if current:
            flights.append((sender, tuple(current)))
        current = []

    for line in figure.strip("\n").splitlines():
        if "<------->" in line:  # application data both ways: one flight each
            close_flight(side)
            flights += [("client", ("Application Data",)), ("server", ("Application Data",))]
            continue
        text = re.sub(r"-------->|<--------", "", line)
        name = text.strip()
        column = len(text) - len(text.lstrip())
        who = "client" if column < 20 else "server"
        if who != side:
            close_flight(side)
            side = who
        optional = name.endswith("*")
        name = name.rstrip("*").strip("[]")
        if not optional or f"{who}:{name}" in present:
            current.append(name)
        if "-------->" in line or "<--------" in line:
            close_flight(side)
    close_flight(side)
    return flights


ARROWS = ("-------->", "<--------", "<------->")


def message_lines(diagram: str) -> list[str]:
    """The lines of a rendered trace that name messages, checking the layout on the way:
    the header, no trailing spaces, nothing past WIDTH, client messages at column 6 (the
    RFC's), server messages ending at WIDTH, detail lines indented under their message."""
    lines = diagram.splitlines()
    assert lines[0] == f"{'Client':<{WIDTH - 6}}Server"
    kept = []
    for line in lines[1:]:
        assert line == line.rstrip(), f"trailing spaces: {line!r}"
        assert len(line) <= WIDTH, f"past the margin: {line!r}"
        if not line:
            continue
        indent = len(line) - len(line.lstrip())
        if indent == 6 or len(line) == WIDTH or any(a in line for a in ARROWS):
            kept.append(line)
        else:  # a detail: under a client message at column 10, or ending 4 before the margin
            assert indent == 10 or len(line) == WIDTH - 4, f"stray line: {line!r}"
    return kept


def diagram_flights(diagram: str) -> tuple[list[Flight], list[tuple[str, str, bool]]]:
    """Flights of a rendered trace, read by the same parser that reads the RFC's figures,
    and (side, name, marked encrypted) for each message."""
    lines = message_lines(diagram)
    for line in lines:
        arrows = [a for a in ARROWS if a in line]
        assert len(arrows) <= 1
        if arrows:  # the arrow stands at the RFC's column, beside a message
            assert line.index(arrows[0]) == 35, line
            assert line.replace(arrows[0], "").strip(), f"an arrow on its own line: {line!r}"
    messages = []
    for line in lines:
        text = line
        for a in ARROWS:
            text = text.replace(a, " " * len(a))
        if "<------->" in line:
            data = "Application Data"
            messages += [("client", data, False), ("server", data, False)]
            continue
        who = "client" if len(text) - len(text.lstrip()) < 20 else "server"
        name = text.strip()
        messages.append((who, name.removesuffix(" (encrypted)").strip("[]"), "(encrypted)" in name))
    plain = "\n".join(line.replace(" (encrypted)", "") for line in lines)
    return rfc_flights(plain, ALL_OPTIONAL), messages


ALL_OPTIONAL = {
    f"{who}:{name}"
    for who in ("client", "server")
    for name in ("Certificate", "ServerKeyExchange", "CertificateRequest", "CertificateVerify")
}
