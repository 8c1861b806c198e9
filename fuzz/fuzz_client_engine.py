"""A ClientConnection in a recorded state, fed what a hostile server might send.

Input: ``selector(1) mode(1) payload`` (see common.run_engine). The selector's high nibble
picks a scenario, its low nibble the stage: 0 unstarted, 1 waiting for the server's first
flight, 2 after the client flight (waiting for ChangeCipherSpec + Finished), 3 connected, ...
"""

from __future__ import annotations

from fuzz.common import fuzz_main, run_engine
from fuzz.scenarios import SCENARIOS, load


def test_one_input(data: bytes) -> None:
    run_engine("client", data)


def warm_up() -> None:
    for scenario in SCENARIOS:
        load(scenario.name)
    test_one_input(b"\x01\x00")


if __name__ == "__main__":
    fuzz_main(test_one_input, warm_up)
