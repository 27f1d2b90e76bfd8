#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# tests/system/run.sh: the system-test tier.  Boots one level-1 (L1) Linux VM
# under QEMU TCG with an emulated AMD SVM CPU (so L1 has a real /dev/kvm) and
# runs every selected case inside it, in a chroot of this machine's root;
# cases boot Debian's stock kernel as a level-2 (L2) guest under QEMU and
# under zhyve.  See lib.sh for the machinery.
#
# How to run:
#   tests/system/run.sh                   every case (one L1 boot, a few minutes)
#   tests/system/run.sh CASE...           only these cases, e.g. l2-qemu-boot
#   tests/system/run.sh --list            the case names
#   ZHYVE_BUILD=DIR                       where zhyve is (DIR/zhyve) and where the
#                                         cached initramfs images go (DIR/system/)
#   ZHYVE_BIN=PATH                        the zhyve to test (default DIR/zhyve)
#   ZHYVE_SYSTEM_BUDGET=SECS              the most the tier may take; cases that
#                                         might not fit are skipped, saying so
#   ZHYVE_DEADLINE=EPOCH-SECS             the same, as an end time (CI sets it)
#   ZHYVE_SYSTEM_STRICT=1                 a zhyve that rejects direct kernel boot
#                                         fails the zhyve cases instead of skipping
#   ZHYVE_BIN=tests/system/qemu-as-zhyve.sh tests/system/run.sh
#                                         checks the zhyve cases themselves, with
#                                         QEMU standing in for zhyve
# Needs (Debian packages): qemu-system-x86 linux-image-amd64 busybox-static.
#
# Output: "ok CASE ...", "FAIL CASE: why", "skipped: CASE: why", "# info" lines,
# then "N passed, N failed, N skipped".
# Logs go to ${ZHYVE_BUILD:-build}/system/results/ (replaced on every run):
#   console.log   the L1 serial console (kernel + L1 init + script output)
#   output        the output of this script inside L1
#   CASE.log      the L2 guest's console for each case that boots a guest
#   qemu.out      stderr of the L1 QEMU
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$here/../.." || exit 2
. "$here/lib.sh"

# Case names, in the order they run.  Each has a function case_NAME (dashes
# as underscores) that runs INSIDE L1 and prints exactly one result line.
CASES="l1-kvm l2-qemu-boot l2-qemu-shell zhyve-boot zhyve-smp-boot zhyve-topology zhyve-dmi-uuid zhyve-console-socket zhyve-reboot zhyve-sigterm zhyve-sigterm-ignored zhyve-pvh-boot zhyve-virtio-blk"
# The zone cases (zhyve inside zhyve-zone) live in cases/zone.sh.
. "$here/cases/zone.sh"
CASES="$CASES $ZONE_CASES"
# virtio-blk / virtio-rnd cases (cases/virtio_blk.sh).
. "$here/cases/virtio_blk.sh"
CASES="$CASES $VIRTIO_BLK_CASES"
# virtio-net cases (cases/net.sh).
. "$here/cases/net.sh"
CASES="$CASES $NET_CASES"
# RTC interrupt case (cases/rtc.sh).
. "$here/cases/rtc.sh"
CASES="$CASES $RTC_CASES"

# Kernel command line common to every L2 boot (the same for QEMU and zhyve,
# so their boot times compare).
L2_CMDLINE="console=ttyS0 panic=-1 quiet"
L2_TIMEOUT=${ZHYVE_L2_TIMEOUT:-120}

b64() { printf '%s' "$1" | base64 -w0; }

# Appended to a result line when l2_boot had to boot the guest twice.
retried() {
	[ "${L2_RETRIED:-0}" = 1 ] && printf '; booted twice, first try in %s' "${L2_LOG%.log}-try1.log"
}

# ---- cases: L1 itself and QEMU as the L2 VMM ---------------------------------

# The L1 host works: kvm-amd loaded, /dev/kvm there, SVM with nested paging.
case_l1_kvm() {
	local why=
	[ -c /dev/kvm ] || why="no /dev/kvm"
	grep -qw svm /proc/cpuinfo || why="${why:+$why, }no svm in /proc/cpuinfo"
	grep -qw npt /proc/cpuinfo || why="${why:+$why, }no npt in /proc/cpuinfo"
	grep -q '^kvm_amd ' /proc/modules || why="${why:+$why, }kvm_amd not loaded"
	if [ -n "$why" ]; then
		echo "FAIL l1-kvm: $why"
	else
		echo "ok l1-kvm ($(nproc) vCPUs, kernel $(uname -r))"
	fi
}

# QEMU -accel kvm boots the Debian kernel + guest initramfs to the marker; the
# guest then checks its virtio drivers are loaded and powers off.
case_l2_qemu_boot() {
	local snip='grep -q "^virtio_pci " /proc/modules && grep -q "^virtio_blk " /proc/modules'
	if ! command -v qemu-system-x86_64 >/dev/null; then
		echo "skipped: l2-qemu-boot: qemu-system-x86_64 not installed"
		return
	fi
	l2_boot l2-qemu-boot "$L2_TIMEOUT" qemu-system-x86_64 -accel kvm -cpu host \
		-m 512 -smp 1 -nodefaults -nographic -no-reboot -serial stdio \
		-kernel "$SYS_VMLINUZ" -initrd "$SYS_GUEST_INITRD" \
		-append "$L2_CMDLINE zg.cmd64=$(b64 "$snip")"
	if [ -z "$L2_MARKER_SECS" ]; then
		echo "FAIL l2-qemu-boot: no $SYS_GUEST_MARKER (qemu exit ${L2_RC:-?}; log $L2_LOG)"
	elif ! grep -q '^ZHYVE-GUEST-RC=0' "$L2_LOG"; then
		echo "FAIL l2-qemu-boot: guest check failed (log $L2_LOG)"
	else
		echo "ok l2-qemu-boot (marker after $L2_MARKER_SECS s, qemu exited after $L2_EXIT_SECS s$(retried))"
	fi
}

# The guest's interactive shell on ttyS0 (no zg.* option) takes typed commands;
# "exit" powers the guest off.
case_l2_qemu_shell() {
	L2_INPUT='echo "shell-says-$((6 * 7))"; exit
'
	l2_boot l2-qemu-shell "$L2_TIMEOUT" qemu-system-x86_64 -accel kvm -cpu host \
		-m 512 -smp 1 -nodefaults -nographic -no-reboot -serial stdio \
		-kernel "$SYS_VMLINUZ" -initrd "$SYS_GUEST_INITRD" -append "$L2_CMDLINE"
	L2_INPUT=
	if [ -z "$L2_MARKER_SECS" ]; then
		echo "FAIL l2-qemu-shell: no $SYS_GUEST_MARKER (qemu exit ${L2_RC:-?}; log $L2_LOG)"
	elif ! grep -q '^shell-says-42' "$L2_LOG"; then
		echo "FAIL l2-qemu-shell: no answer from the guest shell (log $L2_LOG)"
	elif [ "${L2_RC:-}" != 0 ]; then
		echo "FAIL l2-qemu-shell: qemu exit ${L2_RC:-?} after the shell exited (log $L2_LOG)"
	else
		echo "ok l2-qemu-shell (answered, powered off after $L2_EXIT_SECS s$(retried))"
	fi
}

# ---- cases: zhyve as the L2 VMM ------------------------------------------------
#
# Every zhyve case goes through zhyve_guest, which boots the Debian kernel
# with direct kernel boot (-o boot.kernel/initrd/cmdline).  A zhyve that is
# not built, or that rejects direct kernel boot before the guest starts, makes
# the case "skipped" (or FAIL with ZHYVE_SYSTEM_STRICT=1); any other failure
# is a FAIL.  Add a case: write case_NAME using zhyve_guest, add NAME to CASES.

ZHYVE_NO_BOOT=   # set once zhyve has shown it cannot boot a kernel directly

# zhyve_guest CASE NCPU SNIPPET [zhyve options...]: boots the guest under
# zhyve, running SNIPPET in it (empty: power off at once).  Prints the result
# line unless the guest ran the snippet; returns 0 if the snippet reported
# success (ZHYVE-GUEST-RC=0), 1 after printing a result line.
zhyve_guest() {
	local name=$1 ncpu=$2 snip=$3 zcmd why
	shift 3
	if [ -z "${ZHYVE_BIN:-}" ] || [ ! -x "$ZHYVE_BIN" ]; then
		echo "skipped: $name: zhyve not built (${ZHYVE_BUILD:-build}/zhyve)"
		return 1
	fi
	if [ -n "$ZHYVE_NO_BOOT" ]; then
		echo "skipped: $name: $ZHYVE_NO_BOOT"
		return 1
	fi
	if [ -n "$snip" ]; then
		zcmd="zg.cmd64=$(b64 "$snip")"
	else
		zcmd=zg.poweroff
	fi
	l2_boot "$name" "$L2_TIMEOUT" "$ZHYVE_BIN" -m 512M -c "$ncpu" \
		-s 0,hostbridge -s 31,lpc -l com1,stdio "$@" \
		-o "boot.kernel=${BG_KERNEL:-$SYS_VMLINUZ}" -o "boot.initrd=$SYS_GUEST_INITRD" \
		-o "boot.cmdline=$L2_CMDLINE $zcmd" vm0
	if [ -z "$L2_MARKER_SECS" ]; then
		# Rejected before the guest ran: an error naming the boot keys.
		why=$(grep -iE -m1 'boot\.(kernel|initrd|cmdline)|kernel boot' "$L2_LOG")
		if [ -n "$why" ] && [ "${L2_RC:-0}" != 0 ] && [ "${L2_RC:-0}" != 124 ] &&
			[ -z "${ZHYVE_SYSTEM_STRICT:-}" ]; then
			ZHYVE_NO_BOOT="zhyve cannot boot a kernel directly yet: $why"
			echo "skipped: $name: $ZHYVE_NO_BOOT"
		else
			echo "FAIL $name: no $SYS_GUEST_MARKER (zhyve exit ${L2_RC:-?}; log $L2_LOG)"
		fi
		return 1
	fi
	if [ -n "$snip" ] && ! grep -q '^ZHYVE-GUEST-RC=0' "$L2_LOG"; then
		echo "FAIL $name: guest check failed (log $L2_LOG)"
		return 1
	fi
	return 0
}

# The kernel's complaints about the ACPI tables, if any (empty when clean).
ACPI_CLEAN='! dmesg | grep -iE "ACPI.*(error|warning|exception|incorrect|invalid|bad )"'

# zhyve boots the Debian kernel (bzImage) with 1 vCPU: one CPU, the kernel
# names zhyve's ACPI OEM ID, no ACPI table errors; "poweroff" exits 1.
case_zhyve_boot() {
	zhyve_guest zhyve-boot 1 "[ \"\$(nproc)\" = 1 ] && dmesg | grep -q 'ACPI: .*ZHYVE' && $ACPI_CLEAN" || return
	if [ "${L2_RC:-}" != 1 ]; then
		echo "FAIL zhyve-boot: guest powered off but zhyve exited ${L2_RC:-?}, not 1 (log $L2_LOG)"
		return
	fi
	echo "ok zhyve-boot (marker after $L2_MARKER_SECS s, poweroff exit 1 after $L2_EXIT_SECS s$(retried))"
}

# Four vCPUs come up in the guest, with clean ACPI tables.
case_zhyve_smp_boot() {
	zhyve_guest zhyve-smp-boot 4 "[ \"\$(nproc)\" = 4 ] && $ACPI_CLEAN" || return
	echo "ok zhyve-smp-boot (4 vCPUs, marker after $L2_MARKER_SECS s$(retried))"
}

# -c cpus=4,sockets=2,cores=2,threads=1: 2 packages of 2 cores each.
case_zhyve_topology() {
	local snip='[ "$(nproc)" = 4 ] &&
[ "$(grep "^physical id" /proc/cpuinfo | sort -u | wc -l)" = 2 ] &&
[ "$(grep "^cpu cores" /proc/cpuinfo | sort -u)" = "$(printf "cpu cores\t: 2")" ] &&
[ "$(grep "^siblings" /proc/cpuinfo | sort -u)" = "$(printf "siblings\t: 2")" ] ||
{ grep -E "^(processor|physical id|core id|cpu cores|siblings)" /proc/cpuinfo; false; }'
	zhyve_guest zhyve-topology cpus=4,sockets=2,cores=2,threads=1 "$snip" || return
	echo "ok zhyve-topology (2 packages x 2 cores, marker after $L2_MARKER_SECS s$(retried))"
}

# -U: the guest's DMI product UUID is the one given.
case_zhyve_dmi_uuid() {
	local uuid=6c0b1f1e-3a5d-4f6e-9b1c-2d3e4f5a6b7c
	zhyve_guest zhyve-dmi-uuid 1 "[ \"\$(cat /sys/class/dmi/id/product_uuid)\" = $uuid ] || { cat /sys/class/dmi/id/product_uuid; false; }" -U "$uuid" || return
	echo "ok zhyve-dmi-uuid (marker after $L2_MARKER_SECS s$(retried))"
}

# zhyve_start NAME NCPU CMDLINE-TAIL [zhyve options...]: starts zhyve in the
# background with COM1 on its stdout (into $ZHYVE_RESULTS/NAME.log) unless the
# options say otherwise.  Sets BG_PID and BG_LOG.
zhyve_start() {
	local name=$1 ncpu=$2 tail=$3
	shift 3
	BG_LOG=${ZHYVE_RESULTS:-/tmp}/$name.log
	"$ZHYVE_BIN" -m 512M -c "$ncpu" -s 0,hostbridge -s 31,lpc -l com1,stdio "$@" \
		-o "boot.kernel=${BG_KERNEL:-$SYS_VMLINUZ}" -o "boot.initrd=$SYS_GUEST_INITRD" \
		-o "boot.cmdline=$L2_CMDLINE $tail" vm0 </dev/null >"$BG_LOG" 2>&1 &
	BG_PID=$!
}

# wait_log FILE PATTERN SECS: true once FILE has a line matching PATTERN.
wait_log() {
	local i
	for ((i = 0; i < $3 * 10; i++)); do
		grep -qE "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# wait_exit PID SECS: the exit status of PID (background job), or 124 if it
# is still running after SECS.
wait_exit() {
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		if ! kill -0 "$1" 2>/dev/null; then
			wait "$1"
			return $?
		fi
		sleep 0.1
	done
	return 124
}

zhyve_can_run() {
	if [ -z "${ZHYVE_BIN:-}" ] || [ ! -x "$ZHYVE_BIN" ]; then
		echo "skipped: $1: zhyve not built (${ZHYVE_BUILD:-build}/zhyve)"
		return 1
	fi
}

# The guest's "reboot" (ACPI reset register) ends zhyve with status 0.
case_zhyve_reboot() {
	local rc
	zhyve_can_run zhyve-reboot || return
	zhyve_start zhyve-reboot 1 "zg.cmd=\"sync; reboot -f\""
	wait_exit "$BG_PID" "$L2_TIMEOUT"
	rc=$?
	if ! grep -q "$SYS_GUEST_MARKER" "$BG_LOG"; then
		[ $rc = 124 ] && kill -9 "$BG_PID" 2>/dev/null
		echo "FAIL zhyve-reboot: no $SYS_GUEST_MARKER (zhyve exit $rc; log $BG_LOG)"
	elif [ $rc != 0 ]; then
		[ $rc = 124 ] && kill -9 "$BG_PID" 2>/dev/null
		echo "FAIL zhyve-reboot: zhyve exited $rc after the guest rebooted, not 0 (log $BG_LOG)"
	else
		echo "ok zhyve-reboot (exit 0)"
	fi
}

# SIGTERM presses the ACPI power button; a guest init that acts on it
# powers off, and zhyve exits 1.
case_zhyve_sigterm() {
	local rc
	zhyve_can_run zhyve-sigterm || return
	zhyve_start zhyve-sigterm 1 zg.powerbtn
	if ! wait_log "$BG_LOG" "waiting for the power button" "$L2_TIMEOUT"; then
		kill -9 "$BG_PID" 2>/dev/null; wait "$BG_PID" 2>/dev/null
		echo "FAIL zhyve-sigterm: the guest never waited for the power button (log $BG_LOG)"
		return
	fi
	kill -TERM "$BG_PID"
	wait_exit "$BG_PID" 60
	rc=$?
	if [ $rc = 124 ]; then
		kill -9 "$BG_PID" 2>/dev/null; wait "$BG_PID" 2>/dev/null
		echo "FAIL zhyve-sigterm: still running 60 s after SIGTERM (log $BG_LOG)"
	elif ! grep -q "power button pressed" "$BG_LOG"; then
		echo "FAIL zhyve-sigterm: exit $rc but the guest saw no power button (log $BG_LOG)"
	elif [ $rc != 1 ]; then
		echo "FAIL zhyve-sigterm: exit $rc after the guest powered off, not 1 (log $BG_LOG)"
	else
		echo "ok zhyve-sigterm (guest saw the power button, exit 1)"
	fi
}

# A guest that ignores the power button keeps running until SIGKILL.
case_zhyve_sigterm_ignored() {
	local rc
	zhyve_can_run zhyve-sigterm-ignored || return
	zhyve_start zhyve-sigterm-ignored 1 "zg.cmd=\"echo ignoring; sleep 600\""
	if ! wait_log "$BG_LOG" "^ignoring" "$L2_TIMEOUT"; then
		kill -9 "$BG_PID" 2>/dev/null; wait "$BG_PID" 2>/dev/null
		echo "FAIL zhyve-sigterm-ignored: the guest did not start (log $BG_LOG)"
		return
	fi
	kill -TERM "$BG_PID"
	wait_exit "$BG_PID" 5
	rc=$?
	if [ $rc != 124 ]; then
		echo "FAIL zhyve-sigterm-ignored: zhyve exited $rc on SIGTERM although the guest ignored it (log $BG_LOG)"
		return
	fi
	kill -KILL "$BG_PID"
	wait_exit "$BG_PID" 10
	rc=$?
	if [ $rc != 137 ]; then
		echo "FAIL zhyve-sigterm-ignored: exit $rc after SIGKILL, not 137"
	else
		echo "ok zhyve-sigterm-ignored (still running 5 s after SIGTERM; SIGKILL ended it)"
	fi
}

# COM1 on a UNIX socket: a command typed by a client runs in the guest's
# shell and its output comes back; "exit" powers the guest off.
case_zhyve_console_socket() {
	local sock=/tmp/zhyve-com1.sock log line rc got= t0
	zhyve_can_run zhyve-console-socket || return
	if ! command -v socat >/dev/null; then
		echo "skipped: zhyve-console-socket: no socat (Debian package socat)"
		return
	fi
	rm -f "$sock"
	zhyve_start zhyve-console-socket 1 "" -l "com1,socket,$sock"
	log=${ZHYVE_RESULTS:-/tmp}/zhyve-console-socket.console
	: >"$log"
	for ((t0 = 0; t0 < 100; t0++)); do [ -S "$sock" ] && break; sleep 0.1; done
	coproc SOCK { socat -t 5 - "UNIX-CONNECT:$sock" 2>&1; }
	local rfd=${SOCK[0]} wfd=${SOCK[1]}
	while IFS= read -r -t "$L2_TIMEOUT" line <&"$rfd"; do
		line=${line%$'\r'}
		printf '%s\n' "$line" >>"$log"
		case "$line" in
		*"$SYS_GUEST_MARKER"*)
			sleep 1
			printf 'echo "sock-says-$((6 * 7))"\n' >&"$wfd" ;;
		sock-says-42*)
			got=1
			printf 'exit\n' >&"$wfd" ;;
		esac
	done
	wait_exit "$BG_PID" 30
	rc=$?
	[ $rc = 124 ] && { kill -9 "$BG_PID" 2>/dev/null; wait "$BG_PID" 2>/dev/null; }
	if [ -z "$got" ]; then
		echo "FAIL zhyve-console-socket: no answer through the socket (console $log, zhyve exit $rc)"
	elif [ $rc != 1 ]; then
		echo "FAIL zhyve-console-socket: exit $rc after the shell exited, not 1 (console $log)"
	else
		echo "ok zhyve-console-socket (answered through the socket, exit 1)"
	fi
}

# An uncompressed ELF vmlinux boots through its PVH entry point.
case_zhyve_pvh_boot() {
	if [ -z "${SYS_VMLINUX:-}" ]; then
		echo "skipped: zhyve-pvh-boot: ${SYS_VMLINUX_WHY:-no vmlinux}"
		return
	fi
	BG_KERNEL=$SYS_VMLINUX
	zhyve_guest zhyve-pvh-boot 2 "[ \"\$(nproc)\" = 2 ] && $ACPI_CLEAN" || { BG_KERNEL=; return; }
	BG_KERNEL=
	echo "ok zhyve-pvh-boot (vmlinux via PVH, marker after $L2_MARKER_SECS s$(retried))"
}

# zhyve_has_emulation CASE NAME: true if zhyve offers the -s emulation NAME;
# otherwise prints the skip line (the device is not built yet).
zhyve_has_emulation() {
	zhyve_can_run "$1" || return 1
	if ! "$ZHYVE_BIN" -s help 2>/dev/null | grep -qx "$2"; then
		echo "skipped: $1: this zhyve has no $2 device (zhyve -s help)"
		return 1
	fi
}

# A virtio-blk disk: the guest sees its size, reads back a random pattern and
# writes a sector that L1 then finds in the image.
case_zhyve_virtio_blk() {
	local img=/tmp/zhyve-virtio-blk.img sum snip
	zhyve_has_emulation zhyve-virtio-blk virtio-blk || return
	rm -f "$img"
	head -c 1048576 /dev/urandom >"$img" && truncate -s 4M "$img" || {
		echo "FAIL zhyve-virtio-blk: cannot make $img"; return; }
	sum=$(head -c 1048576 "$img" | sha256sum | cut -d' ' -f1)
	snip="set -e
[ \"\$(cat /sys/block/vda/size)\" = 8192 ]
[ \"\$(dd if=/dev/vda bs=64k count=16 2>/dev/null | sha256sum | cut -d' ' -f1)\" = $sum ]
echo ZHYVE-BLK-WRITTEN | dd of=/dev/vda bs=512 seek=2048 conv=notrunc 2>/dev/null
sync"
	zhyve_guest zhyve-virtio-blk 1 "$snip" -s "2,virtio-blk,$img" || return
	if ! dd if="$img" bs=512 skip=2048 count=1 2>/dev/null | grep -q ZHYVE-BLK-WRITTEN; then
		echo "FAIL zhyve-virtio-blk: the guest's write is not in the image"
		return
	fi
	echo "ok zhyve-virtio-blk (marker after $L2_MARKER_SECS s$(retried))"
}

# ---- the tier ------------------------------------------------------------------

# Benchmarks are cases too, run only when named (they take minutes).
valid_case() { case " $CASES $VIRTIO_BLK_BENCH " in *" $1 "*) return 0 ;; esac; return 1; }

# Inside L1: run the named cases, one result line each.  With
# ZHYVE_CASE_BUDGET (seconds from the start of this function), a case that
# might not finish before the budget ends is not started: it is reported as
# skipped, with the reason, and never counted as passed.
in_l1() {
	local c start=$SECONDS left
	for c in "$@"; do
		if [ -n "${ZHYVE_CASE_BUDGET:-}" ]; then
			left=$((ZHYVE_CASE_BUDGET - (SECONDS - start)))
			if [ "$left" -lt "$CASE_RESERVE" ]; then
				echo "skipped: $c: the system tier's time budget is spent ($left s left, a case may need $CASE_RESERVE s)"
				continue
			fi
		fi
		"case_${c//-/_}"
	done
}

# The longest a case may take (its guest's timeout plus the host-side work).
CASE_RESERVE=$((L2_TIMEOUT + 60))

# Prints the result lines of the L1 script as they arrive (paths in the
# results share as seen from here) and keeps them in $LIVE_OUT.
follow_results() {
	local line
	while IFS= read -r line; do
		case "$line" in
		"ok "* | "FAIL "* | "skipped: "* | "# "*)
			line=${line//\/tmp\/zhyve-results\//$L1_RESULTS/}
			printf '%s\n' "$line"
			printf '%s\n' "$line" >>"$LIVE_OUT" ;;
		esac
	done
}

# reported CASE FILE: true if FILE holds a result line for CASE.
reported() {
	grep -qE "^(ok $1( |\$)|FAIL $1:|skipped: $1:)" "$2"
}

# run_in_l1 CASE...: one L1 boot that runs the cases; prints every result
# line and appends them to $out.  Sets L1_RC and RUN_LEFT (the cases it
# did not report, in order).
run_in_l1() {
	local c line n=0 all tmo left
	tmo=$((120 + 2 * L2_TIMEOUT * $#))
	if [ -n "${DEADLINE:-}" ]; then
		left=$((DEADLINE - $(date +%s)))
		[ "$left" -lt "$tmo" ] && tmo=$left
	fi
	# Inside L1 the cases get the budget less L1's boot and shutdown.
	ZHYVE_CASE_BUDGET=$((tmo - 90))
	export ZHYVE_CASE_BUDGET
	LIVE_OUT=$(mktemp)
	all=$(mktemp)
	L1_FOLLOW=follow_results
	l1_run "$here/run.sh" "$tmo" --in-l1 "$@"
	L1_RC=$?
	L1_FOLLOW=
	grep -E '^(ok |FAIL |skipped: |# )' "$L1_RESULTS/output" 2>/dev/null |
		sed "s|/tmp/zhyve-results/|$L1_RESULTS/|g" >"$all"
	# Lines the follower missed (the last moments of L1) are shown now.
	n=$(wc -l <"$LIVE_OUT")
	tail -n +$((n + 1)) "$all"
	cat "$all" >>"$out"
	rm -f "$LIVE_OUT" "$all"
	echo "# L1: boot to script ${L1_BOOT_SECS:-?} s, whole run ${L1_TOTAL_SECS:-?} s; logs in $L1_RESULTS" | tee -a "$out"
	RUN_LEFT=()
	for c in "$@"; do reported "$c" "$out" || RUN_LEFT+=("$c"); done
}

main() {
	local sel=() c line pass=0 fail=0 skip=0 tmo out budget left try
	local -A froze=()
	if [ "${1:-}" = --in-l1 ]; then
		shift
		in_l1 "$@"
		return 0
	fi
	if [ "${1:-}" = --list ]; then
		printf '%s\n' $CASES
		return 0
	fi
	for c in "$@"; do
		if ! valid_case "$c"; then
			echo "unknown case '$c'; cases: $CASES" >&2
			return 2
		fi
		sel+=("$c")
	done
	[ ${#sel[@]} -gt 0 ] || read -ra sel <<<"$CASES"

	out=$(mktemp)
	trap 'rm -f "$out"' RETURN
	# A time budget: ZHYVE_SYSTEM_BUDGET seconds, and no later than the
	# epoch second ZHYVE_DEADLINE (set by CI for the whole run).
	tmo=$((120 + 2 * L2_TIMEOUT * ${#sel[@]}))
	budget=${ZHYVE_SYSTEM_BUDGET:-$tmo}
	if [ -n "${ZHYVE_DEADLINE:-}" ]; then
		left=$((ZHYVE_DEADLINE - $(date +%s)))
		[ "$left" -lt "$budget" ] && budget=$left
	fi
	DEADLINE=$(($(date +%s) + budget))
	if [ "$budget" -lt 300 ]; then
		for c in "${sel[@]}"; do
			echo "skipped: $c: the time budget leaves $budget s, less than the 300 s an L1 run needs"
		done | tee "$out"
	elif ! sys_artifacts; then
		for c in "${sel[@]}"; do echo "skipped: $c: $SYS_WHY"; done | tee "$out"
	else
		if [ -z "${ZHYVE_BIN:-}" ]; then
			[ -x "$SYS_BUILD/zhyve" ] && ZHYVE_BIN=$SYS_BUILD/zhyve
		else
			ZHYVE_BIN=$(realpath "$ZHYVE_BIN")
		fi
		export ZHYVE_BIN ZHYVE_SYSTEM_STRICT=${ZHYVE_SYSTEM_STRICT:-}
		L1_ENV="ZHYVE_BIN ZHYVE_SYSTEM_STRICT ZHYVE_L2_TIMEOUT ZHYVE_CASE_BUDGET"
		echo "# system tier: ${#sel[@]} cases, at most $budget s"
		rm -rf "$SYS_DIR"/results.[0-9]*
		L1_RESULTS=$SYS_DIR/results
		run_in_l1 "${sel[@]}"
		# The TCG test host itself sometimes breaks down while it runs an
		# L2 guest: its clock stops (lib.sh's watchdog then stops it,
		# status 126) or its kernel panics (status 125, seen: "stack guard
		# page was hit" in error_entry under a vCPU thread during a
		# 100 MiB transfer).  The cases it had not reached run in a fresh
		# L1; the case it was running runs again, and fails if the host
		# breaks down in it a third time.
		try=1
		while { [ "$L1_RC" = 126 ] || [ "$L1_RC" = 125 ]; } &&
			[ ${#RUN_LEFT[@]} -gt 0 ] && [ "$try" -lt 5 ]; do
			c=${RUN_LEFT[0]}
			froze[$c]=$((${froze[$c]:-0} + 1))
			if [ "${froze[$c]}" -ge 3 ]; then
				echo "FAIL $c: the test host broke down three times while this case ran ($SYS_WHY)" | tee -a "$out"
				RUN_LEFT=("${RUN_LEFT[@]:1}")
				[ ${#RUN_LEFT[@]} -gt 0 ] || break
			fi
			left=$((DEADLINE - $(date +%s)))
			if [ "$left" -lt 300 ]; then
				break
			fi
			try=$((try + 1))
			echo "# the test host broke down ($SYS_WHY); a fresh L1 runs the ${#RUN_LEFT[@]} case(s) left, from ${RUN_LEFT[0]}" | tee -a "$out"
			L1_RESULTS=$SYS_DIR/results.$try
			run_in_l1 "${RUN_LEFT[@]}"
		done
		for c in "${sel[@]}"; do
			reported "$c" "$out" ||
				echo "FAIL $c: no result from L1 (status $L1_RC: ${SYS_WHY:-})" | tee -a "$out"
		done
	fi
	while IFS= read -r line; do
		case "$line" in
		"ok "*) pass=$((pass + 1)) ;;
		"FAIL "*) fail=$((fail + 1)) ;;
		"skipped: "*) skip=$((skip + 1)) ;;
		esac
	done <"$out"
	echo "$pass passed, $fail failed, $skip skipped"
	[ "$fail" -eq 0 ]
}

main "$@"
