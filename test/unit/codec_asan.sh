#!/usr/bin/env bash
# TAP: the codec unit tests built with AddressSanitizer and UndefinedBehaviorSanitizer.
exec bash "$(dirname "$0")/codec.sh" asan
