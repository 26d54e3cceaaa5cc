#!/bin/sh
# What the tests' NumPy cross-checks need (the LDS port of the attribution ladder): Debian 12's python3 and
# python3-numpy. Idempotent: installs with apt only what is missing; needs root (CI runs as root) or sudo.
set -eu
py=/usr/bin/python3
if [ -x "$py" ] && $py -c 'import numpy' 2>/dev/null; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    sudo="sudo -n"
else
    sudo=
fi
export DEBIAN_FRONTEND=noninteractive
echo "install-numpy: apt-get install python3 python3-numpy"
pkgs="python3 python3-numpy"
$sudo apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends $pkgs >/dev/null ||
    { $sudo apt-get -o DPkg::Lock::Timeout=300 update -qq && $sudo apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends $pkgs >/dev/null; }
$py -c 'import numpy' || { echo "install-numpy.sh: $py still cannot import numpy" >&2; exit 1; }
