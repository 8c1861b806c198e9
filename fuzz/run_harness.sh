#!/bin/sh
# libFuzzer's fork mode (-fork=N) runs argv[0] again for every job; common.fuzz_main points
# argv[0] here and says, in the environment, which Python and which harness module to run.
exec "${TLS12_FUZZ_PYTHON:?}" -m "${TLS12_FUZZ_MODULE:?}" "$@"
