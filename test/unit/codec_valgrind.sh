#!/usr/bin/env bash
# TAP: the codec unit tests under valgrind (memcheck, full leak check); an error is a "not ok".
exec bash "$(dirname "$0")/codec.sh" valgrind
