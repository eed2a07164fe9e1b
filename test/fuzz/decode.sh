#!/usr/bin/env bash
# TAP: fuzz the block decoder (test/fuzz/block_decode_fuzzer.c) with libFuzzer for
# WES_FUZZ_SECONDS (default 40; with encode.sh's 20 the fuzz layer takes about 60 s).
source "$(dirname "$0")/lib/run.sh"
fuzz_run block_decode "${WES_FUZZ_SECONDS:-40}"
