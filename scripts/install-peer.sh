#!/bin/sh
# The PyTorch peer of `telescope bench peer`: Debian 12's python3-torch (1.13, with functorch) on
# Debian's OpenBLAS (libopenblas0-pthread). Idempotent: installs with apt only what is missing.
set -eu
py=/usr/bin/python3
if $py -c 'import torch, numpy' 2>/dev/null && dpkg -s libopenblas0-pthread >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    sudo=sudo
else
    sudo=
fi
export DEBIAN_FRONTEND=noninteractive
pkgs="python3-torch python3-numpy libopenblas0-pthread"
$sudo apt-get install -y --no-install-recommends $pkgs || { $sudo apt-get update && $sudo apt-get install -y --no-install-recommends $pkgs; }
$py -c 'import torch, numpy' || { echo "install-peer.sh: $py still cannot import torch" >&2; exit 1; }
