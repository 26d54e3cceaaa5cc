#!/bin/sh
# Fashion-MNIST for the lmc study (spec §4.5, §5): Debian's dataset-fashion-mnist installs the IDX files
# under /usr/share/datasets/fashion-mnist/. Idempotent: does nothing when the files are already there.
set -eu
dir=/usr/share/datasets/fashion-mnist
if [ -f "$dir/train-images-idx3-ubyte.gz" ] && [ -f "$dir/t10k-labels-idx1-ubyte.gz" ]; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    sudo=sudo
else
    sudo=
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get install -y dataset-fashion-mnist || { $sudo apt-get update && $sudo apt-get install -y dataset-fashion-mnist; }
test -f "$dir/train-images-idx3-ubyte.gz" || { echo "fashion-mnist.sh: $dir/train-images-idx3-ubyte.gz still missing" >&2; exit 1; }
