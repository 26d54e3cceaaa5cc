#!/bin/sh
# The PyTorch peer of `telescope bench peer`: Debian 12's python3-torch (1.13, with functorch) on Debian's OpenBLAS
# (libopenblas0-pthread), through the one apt installer (install-apt.sh: only what is missing; root or sudo).
exec sh "$(dirname "$0")/install-apt.sh" --import "torch, numpy" python3-torch python3-numpy libopenblas0-pthread
