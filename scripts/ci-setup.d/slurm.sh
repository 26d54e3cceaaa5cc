#!/usr/bin/env bash
# The sweep tests drive a real single-node Slurm; start it before the tests (idempotent).
bash "$(dirname "$0")/../slurm-local.sh"
