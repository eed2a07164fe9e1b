#!/usr/bin/env bash
# TAP: fuzz the encoder against the decoder (test/fuzz/block_encode_fuzzer.c: blocks built
# value by value, as the JSON form builds them) with libFuzzer for WES_FUZZ_ENCODE_SECONDS
# (default 20).
source "$(dirname "$0")/lib/run.sh"
fuzz_run block_encode "${WES_FUZZ_ENCODE_SECONDS:-20}"
