#!/usr/bin/env bash
# The report test opens the report in Debian's headless Chromium; install it before the tests (idempotent).
bash "$(dirname "$0")/../install-browser.sh"
