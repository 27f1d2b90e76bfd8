#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
#
# Installs what zhyve needs to build and test on Debian 12 (run as root, or
# with sudo available).  Safe to run again.
#   build:        gcc make binutils libc6-dev libseccomp-dev liburing-dev
#                 (and clang for the fuzz targets); the two -dev packages
#                 bring the run-time libraries zhyve links, libseccomp2 and
#                 liburing2
#   guest tier:   socat (socket console client), qemu-system-x86 (parity runs)
#   system tier:  qemu-system-x86 linux-image-amd64 busybox-static cpio
#   table checks: acpica-tools (iasl) dmidecode
set -eu
pkgs="build-essential clang libclang-rt-14-dev llvm pkg-config libseccomp-dev liburing-dev
      socat cpio xz-utils
      qemu-system-x86 qemu-utils linux-image-amd64 busybox-static acpica-tools
      dmidecode strace e2fsprogs iproute2 procps kmod man-db groff-base"
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $pkgs
