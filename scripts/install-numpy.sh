#!/bin/sh
# What the tests' NumPy cross-checks need (the LDS port of the attribution ladder): Debian 12's python3 and
# python3-numpy, through the one apt installer (install-apt.sh: only what is missing; root or sudo).
exec sh "$(dirname "$0")/install-apt.sh" --import numpy python3 python3-numpy
