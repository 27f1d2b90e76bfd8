#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# tests/system/qemu-as-zhyve.sh: a stand-in for zhyve that translates the part
# of zhyve's command line the system cases use into a QEMU (-accel kvm) command
# line, so the zhyve cases of tests/system/run.sh can be checked against a VMM
# known to work:
#
#   ZHYVE_BIN=tests/system/qemu-as-zhyve.sh tests/system/run.sh
#
# Understands -m, -c, -s SLOT,hostbridge|lpc|virtio-blk,PATH|virtio-net,TAP,
# -l com1,stdio, -o boot.kernel=/boot.initrd=/boot.cmdline=, and the VM name.
# Runs inside the level-1 test host, as zhyve would.
set -u
mem=512M ncpu=1 kernel='' initrd='' cmdline='' com1=''
args=()
usage() { echo "qemu-as-zhyve: $*" >&2; exit 4; }
while [ $# -gt 0 ]; do
	case "$1" in
	-m) mem=$2; shift 2 ;;
	-c) ncpu=$2; shift 2 ;;
	-l) [ "$2" = com1,stdio ] || usage "unsupported -l $2"
		com1=stdio; shift 2 ;;
	-s)
		IFS=, read -r slot model opt <<<"$2"
		case "$model" in
		hostbridge|lpc) ;;
		virtio-blk) args+=(-drive "file=$opt,if=virtio,format=raw") ;;
		virtio-net) args+=(-netdev "tap,id=n$slot,ifname=$opt,script=no,downscript=no"
			-device "virtio-net-pci,netdev=n$slot") ;;
		*) usage "unsupported device $2" ;;
		esac
		shift 2 ;;
	-o)
		case "$2" in
		boot.kernel=*) kernel=${2#*=} ;;
		boot.initrd=*) initrd=${2#*=} ;;
		boot.cmdline=*) cmdline=${2#*=} ;;
		*) usage "unsupported -o $2" ;;
		esac
		shift 2 ;;
	-*) usage "unsupported option $1" ;;
	*) shift ;;
	esac
done
[ -n "$kernel" ] || usage "boot.kernel: not set"
serial=(-serial none)
[ "$com1" = stdio ] && serial=(-serial stdio)
exec qemu-system-x86_64 -accel kvm -cpu host -m "$mem" -smp "$ncpu" \
	-nodefaults -nographic -no-reboot "${serial[@]}" \
	-kernel "$kernel" ${initrd:+-initrd "$initrd"} -append "$cmdline" "${args[@]}"
