#!/bin/sh
# Debian packages a test or a bench needs, installed with apt only when missing: the one installer behind
# install-numpy.sh (the NumPy cross-checks) and install-peer.sh (the PyTorch peer of `telescope bench peer`).
# Usage: scripts/install-apt.sh [--import "MODULES"] PACKAGE...
#   --import: Python modules (`numpy`, `torch, numpy`) /usr/bin/python3 must import afterwards; when they already
#   import, the python3-* packages count as present. Idempotent; needs root (CI runs as root) or sudo without a
#   password. Exit 0 when everything is present, non-zero when it still is not (apt's code, or 1), 2 on bad usage.
set -eu
py=/usr/bin/python3
modules=
if [ "${1:-}" = --import ]; then
    [ $# -ge 2 ] || { echo "install-apt.sh: --import needs the modules" >&2; exit 2; }
    modules=$2
    shift 2
fi
[ $# -ge 1 ] || { echo "usage: install-apt.sh [--import \"MODULES\"] PACKAGE..." >&2; exit 2; }
imports() { [ -n "$modules" ] && [ -x "$py" ] && $py -c "import $modules" 2>/dev/null; }
imported=false
imports && imported=true # once: importing torch takes seconds
missing=
for pkg in "$@"; do
    case $pkg in
        python3-*) $imported && continue ;;
    esac
    dpkg -s "$pkg" >/dev/null 2>&1 || missing="$missing $pkg"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
    sudo="sudo -n"
else
    sudo=
fi
export DEBIAN_FRONTEND=noninteractive
echo "install-apt: apt-get install$missing"
apt="$sudo apt-get -o DPkg::Lock::Timeout=300"
# shellcheck disable=SC2086 # the package list is split on purpose
$apt install -y -qq --no-install-recommends $missing >/dev/null ||
    { $apt update -qq && $apt install -y -qq --no-install-recommends $missing >/dev/null; }
if [ -n "$modules" ] && ! imports; then
    echo "install-apt.sh: $py still cannot import $modules" >&2
    exit 1
fi
