#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# Guest test tier: boots the payload ROMs (tests/guest/payloads) under
# zhyve on this host's /dev/kvm and checks what they print on COM1 and how
# the VMM exits.  One line per case: "ok CASE", "FAIL CASE: why" (followed
# by the last lines of output) or "skipped: CASE: why"; the last line is
# "N passed, N failed, N skipped".  Runs as a single shell process.
#
#   tests/guest/run.sh                 every case under zhyve, plus one
#                                      QEMU parity case
#   tests/guest/run.sh --vmm qemu      every case under QEMU instead (to
#                                      check the payloads and this script)
#
# Environment: ZHYVE_BUILD (default build) holds zhyve and payloads/;
# GUEST_TIMEOUT (default 30) seconds per VM run.
#
# zhyve exit status (as bhyve): 0 reset, 1 power off, 2 halt, 3 triple
# fault, 4 error.  QEMU with -no-reboot exits 0 on reset and triple fault.
set -u
cd "$(dirname "$0")/../.." || exit 2

build=${ZHYVE_BUILD:-build}
zhyve=$build/zhyve
romdir=$build/payloads
tmo=${GUEST_TIMEOUT:-30}
qemu='qemu-system-x86_64'
vmm=zhyve

while [ $# -gt 0 ]; do
	case "$1" in
	--vmm) vmm=${2:-}; shift 2 || shift ;;
	*) echo "usage: tests/guest/run.sh [--vmm zhyve|qemu]" >&2; exit 2 ;;
	esac
done
case "$vmm" in
zhyve|qemu) ;;
*) echo "tests/guest/run.sh: --vmm must be zhyve or qemu" >&2; exit 2 ;;
esac

npass=0 nfail=0 nskip=0 rc=0 why='' last_verdict='' need_why='' guest_pid=''
tmp=$(mktemp -d) || exit 2
bg_pids=()
cleanup() {
	local p
	for p in "${bg_pids[@]}"; do kill "$p" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT

# --- verdicts ------------------------------------------------------------
ok() { echo "ok $1"; npass=$((npass + 1)); }
fail_plain() { echo "FAIL $1: $2"; nfail=$((nfail + 1)); }
skip() { echo "skipped: $1: $2"; nskip=$((nskip + 1)); }
# fail CASE WHY: also shows the tail of the last run's COM1 output and stderr
fail() {
	fail_plain "$1" "$2"
	show_tail "com1" "$tmp/out"
	show_tail "stderr" "$tmp/err"
}
show_tail() {
	[ -s "$2" ] || { echo "    $1| (nothing)"; return; }
	tail -n 8 "$2" | sed "s/^/    $1| /"
}

# --- what a case needs ------------------------------------------------------
echo "guest tier: vmm $vmm, build $build, timeout ${tmo}s per run"
kvm_why=
if [ ! -e /dev/kvm ]; then
	kvm_why="no usable /dev/kvm (it does not exist)"
elif ! { exec 3<>/dev/kvm; } 2>/dev/null; then
	kvm_why="no usable /dev/kvm (cannot open it read-write as $(id -un))"
else
	exec 3>&-
fi
if [ -n "$kvm_why" ]; then
	echo "*****************************************************************"
	echo "*** guest tier: $kvm_why"
	echo "*** every guest case below is SKIPPED, nothing was tested"
	echo "*****************************************************************"
fi

# need CASE VMM ROM...: says why CASE cannot run (and counts it), or
# returns 0.  A missing zhyve or ROM is a build problem: FAIL, not skip.
# It also records in last_verdict whether it failed or skipped (same_verdict).
need() {
	local c=$1 v=$2 r
	shift 2
	: >"$tmp/out"; : >"$tmp/err"
	why=
	last_verdict=fail need_why=
	for r in "$@"; do
		if [ ! -f "$romdir/$r.rom" ]; then
			need_why="payload ROM $romdir/$r.rom is missing (make payloads)"
			fail_plain "$c" "$need_why"
			return 1
		fi
	done
	if [ "$v" = zhyve ] && [ ! -x "$zhyve" ]; then
		need_why="zhyve binary $zhyve is missing (build it first)"
		fail_plain "$c" "$need_why"
		return 1
	fi
	last_verdict=skip
	if [ "$v" = qemu ] && ! command -v "$qemu" >/dev/null; then
		need_why="*** $qemu is not installed (Debian package qemu-system-x86) ***"
		skip "$c" "$need_why"
		return 1
	fi
	if [ -n "$kvm_why" ]; then
		need_why=$kvm_why
		skip "$c" "$need_why"
		return 1
	fi
	return 0
}

# --- running a guest ----------------------------------------------------------
# run_guest VMM ROM [cpus=N] [strict] [input=TEXT] [socket=PATH] [blk=IMAGE]
# Boots ROM, COM1 on stdio (or on a listening unix socket), waits for the
# VMM to exit (at most $tmo s).  Sets rc; COM1 text in $tmp/out (stdio
# only, with \r removed), stderr in $tmp/err.  With input=, TEXT is sent
# to COM1 and stdin stays open until the VMM exits.  With socket=, the VMM
# runs in the background: the caller connects and then calls wait_guest.
# With blk=, IMAGE is a modern virtio-blk disk in slot 4 with serial
# ZHYVE-GUEST-DISK.
run_guest() {
	local v=$1 rom=$romdir/$2.rom cpus=1 strict=0 input='' sock='' blk='' a
	shift 2
	for a in "$@"; do
		case "$a" in
		cpus=*) cpus=${a#cpus=} ;;
		strict) strict=1 ;;
		input=*) input=${a#input=} ;;
		socket=*) sock=${a#socket=} ;;
		blk=*) blk=${a#blk=} ;;
		esac
	done
	local cmd=()
	if [ "$v" = zhyve ]; then
		local com1=stdio
		[ -n "$sock" ] && com1="socket,$sock"
		cmd=("$zhyve" -l "bootrom,$rom" -l "com1,$com1" -s "0,hostbridge" -s "31,lpc")
		[ "$cpus" -gt 1 ] && cmd+=(-c "$cpus")
		[ "$strict" = 1 ] && cmd+=(-e)
		[ -n "$blk" ] && cmd+=(-s "4,virtio-blk,$blk,ser=ZHYVE-GUEST-DISK")
		cmd+=(vm0)
	else
		local serial=stdio
		[ -n "$sock" ] && serial="unix:$sock,server=on,wait=off"
		cmd=("$qemu" -accel kvm -M pc -bios "$rom" -nographic -nodefaults
			-serial "$serial" -no-reboot -smp "$cpus")
		[ -n "$blk" ] && cmd+=(-drive "file=$blk,if=none,id=vd0,format=raw"
			-device "virtio-blk-pci,drive=vd0,disable-legacy=on,serial=ZHYVE-GUEST-DISK,addr=4")
	fi
	: >"$tmp/err"
	if [ -n "$sock" ]; then
		timeout -k 5 "$tmo" "${cmd[@]}" >"$tmp/raw" 2>"$tmp/err" </dev/null &
		guest_pid=$!
		bg_pids+=("$guest_pid")
		return 0
	fi
	if [ -n "$input" ]; then
		# The writer turns into `sleep`, holding stdin open until
		# killed: EOF on stdin must not end the run early.
		local wpid
		rm -f "$tmp/in"
		mkfifo "$tmp/in"
		(printf '%s' "$input"; exec sleep "$((tmo + 10))") >"$tmp/in" &
		wpid=$!
		bg_pids+=("$wpid")
		timeout -k 5 "$tmo" "${cmd[@]}" >"$tmp/raw" 2>"$tmp/err" <"$tmp/in"
		rc=$?
		kill "$wpid" 2>/dev/null
		wait "$wpid" 2>/dev/null
	else
		timeout -k 5 "$tmo" "${cmd[@]}" >"$tmp/raw" 2>"$tmp/err" </dev/null
		rc=$?
	fi
	tr -d '\r' <"$tmp/raw" >"$tmp/out"
}

wait_guest() {
	wait "$guest_pid"
	rc=$?
}

# rc_is WANT: true if the last run exited WANT; else sets why.
rc_is() {
	[ "$rc" -eq "$1" ] && return 0
	case "$rc" in
	124|137) why="timed out after ${tmo}s (wanted exit status $1)" ;;
	*) why="exit status $rc, wanted $1" ;;
	esac
	return 1
}

# has TEXT [FILE]: the COM1 output holds TEXT (fixed string); else sets why.
has() {
	grep -qF -- "$1" "${2:-$tmp/out}" && return 0
	why="no \"$1\" in the COM1 output"
	return 1
}
# has_re REGEX [FILE]: same with an extended regular expression.
has_re() {
	grep -qE -- "$1" "${2:-$tmp/out}" && return 0
	why="no line matching /$1/ in the COM1 output"
	return 1
}

# clean: no "FAIL ..." line in the COM1 output; else sets why to it.
clean() {
	local l
	l=$(grep -m1 '^FAIL' "$tmp/out") || return 0
	why="guest says: $l"
	return 1
}

# Exit status a zhyve exit maps to under $vmm (QEMU: always 0).
want() { if [ "$vmm" = zhyve ]; then echo "$1"; else echo 0; fi; }

# --- cases ----------------------------------------------------------------
# hello on stdio: text arrives; the 0xCF9 reset ends the VM with status 0.
case_hello() {
	need hello-stdio "$vmm" p_hello || { same_verdict reset-cf9; return; }
	run_guest "$vmm" p_hello
	if clean && has "hello from zhyve payload" && has "PASS hello"; then
		ok hello-stdio
	else
		fail hello-stdio "$why"
	fi
	if has "PASS hello" && rc_is "$(want 0)"; then
		ok reset-cf9
	else
		fail reset-cf9 "$why"
	fi
}

# same_verdict CASE: the previous need() refused; repeat its verdict for CASE.
same_verdict() {
	if [ "$last_verdict" = skip ]; then
		skip "$1" "$need_why"
	else
		fail_plain "$1" "$need_why"
	fi
}

# Bytes typed on stdin reach the guest, and its echo comes back.
case_echo_stdio() {
	need echo-stdio "$vmm" p_echo || return
	run_guest "$vmm" p_echo input=$'ping\n'
	if clean && has "PASS echo: got ping" && rc_is "$(want 0)"; then
		ok echo-stdio
	else
		fail echo-stdio "$why"
	fi
}

# COM1 on a unix socket.  Output sent before a client connects is dropped
# by design, so p_echo waits for input: the client sends "ping\n", the
# guest resets (socket-input: the bytes arrived) and the client has
# received the guest's verdict (socket-output).
case_socket() {
	need socket-input "$vmm" p_echo || { same_verdict socket-output; return; }
	if ! command -v socat >/dev/null; then
		skip socket-input "*** socat is not installed (Debian package socat) ***"
		skip socket-output "*** socat is not installed (Debian package socat) ***"
		return
	fi
	local sock=$tmp/com1.sock w cpid _
	rm -f "$sock" "$tmp/cin"
	run_guest "$vmm" p_echo socket="$sock"
	for _ in $(seq 100); do
		[ -S "$sock" ] && break
		kill -0 "$guest_pid" 2>/dev/null || break
		sleep 0.1
	done
	if [ ! -S "$sock" ]; then
		kill "$guest_pid" 2>/dev/null
		wait_guest
		: >"$tmp/out"
		fail socket-input "no socket at $sock after 10 s (exit status $rc)"
		fail_plain socket-output "no socket to connect to"
		return
	fi
	# The client's stdin is a fifo we hold open: the guest must not see
	# the connection half-closed before it has answered.
	mkfifo "$tmp/cin"
	timeout -k 5 "$tmo" socat -t 2 STDIO \
		"UNIX-CONNECT:$sock,retry=50,interval=0.1" \
		<"$tmp/cin" >"$tmp/cout" 2>"$tmp/cerr" &
	cpid=$!
	bg_pids+=("$cpid")
	exec {w}>"$tmp/cin"
	printf 'ping\n' >&"$w"
	wait_guest
	exec {w}>&-
	wait "$cpid"
	tr -d '\r' <"$tmp/cout" >"$tmp/out"
	cat "$tmp/cerr" >>"$tmp/err"
	if rc_is "$(want 0)"; then
		ok socket-input
	else
		fail socket-input "guest did not act on the bytes sent: $why"
	fi
	if clean && has "ping" && has "PASS echo: got ping"; then
		ok socket-output
	else
		fail socket-output "socket client: $why"
	fi
}

# PCI enumeration through 0xCF8/0xCFC finds zhyve's host bridge and LPC.
case_pci() {
	need pci "$vmm" p_pci || return
	run_guest "$vmm" p_pci
	if [ "$vmm" = qemu ]; then
		# Other IDs under QEMU: any host bridge at 00:00.0 will do.
		if clean && has_re '^pci 00:00\.0 [0-9a-f]{4}:[0-9a-f]{4} class 0600' &&
		    has "PASS pci" && rc_is 0; then
			ok pci
		else
			fail pci "$why"
		fi
		return
	fi
	if clean && has_re '^pci 00:00\.0 1275:1275 class 0600[0-9a-f]{2}$' &&
	    has_re '^pci 00:1f\.0 8086:7000 class 0601[0-9a-f]{2}$' &&
	    has "PASS pci" && rc_is 0; then
		ok pci
	else
		fail pci "$why"
	fi
}

# Ports nothing decodes read all-ones and swallow writes.
case_unclaimed() {
	need unclaimed "$vmm" p_unclaimed || return
	run_guest "$vmm" p_unclaimed
	if clean && has "PASS unclaimed" && rc_is "$(want 0)"; then
		ok unclaimed
	else
		fail unclaimed "$why"
	fi
}

# With -e (strict I/O) the first unclaimed access (inb 0x220) stops zhyve
# with status 4 and a message naming the port.
case_unclaimed_strict() {
	if [ "$vmm" = qemu ]; then
		skip unclaimed-strict "QEMU has no strict I/O mode"
		return
	fi
	need unclaimed-strict zhyve p_unclaimed || return
	run_guest zhyve p_unclaimed strict
	if ! { clean && has "unclaimed ports next"; }; then
		fail unclaimed-strict "$why"
	elif grep -qF "PASS unclaimed" "$tmp/out"; then
		fail unclaimed-strict "the guest ran past the unclaimed port"
	elif ! rc_is 4; then
		fail unclaimed-strict "$why"
	elif ! grep -qiE '(0x0*|\b)220h?\b' "$tmp/err"; then
		fail unclaimed-strict "stderr does not name port 0x220"
	else
		ok unclaimed-strict
	fi
}

# A serial port configured without the LPC bridge it lives on is an error
# naming the key before any vCPU runs (it used to vanish silently).
case_com_needs_lpc() {
	if [ "$vmm" = qemu ]; then
		skip com-needs-lpc "a zhyve option check"
		return
	fi
	need com-needs-lpc zhyve p_hello || return
	timeout -k 5 "$tmo" "$zhyve" -l "bootrom,$romdir/p_hello.rom" \
	    -l com2,stdio -s 0,hostbridge vm0 >"$tmp/out" 2>"$tmp/err" </dev/null
	rc=$?
	if ! rc_is 4; then
		fail com-needs-lpc "$why"
	elif [ -s "$tmp/out" ]; then
		fail com-needs-lpc "the guest ran: $(head -c 80 "$tmp/out")"
	elif ! grep -qF 'lpc.com2.path' "$tmp/err" || ! grep -qF -- '-s 31,lpc' "$tmp/err"; then
		fail com-needs-lpc "stderr does not name lpc.com2.path and -s 31,lpc: $(head -c 200 "$tmp/err")"
	else
		ok com-needs-lpc
	fi
}

# Reset through the keyboard controller (0xFE to port 0x64).
case_kbdreset() {
	need kbd-reset "$vmm" p_kbdreset || return
	run_guest "$vmm" p_kbdreset
	if clean && has "keyboard controller reset next" && rc_is "$(want 0)"; then
		ok kbd-reset
	else
		fail kbd-reset "$why"
	fi
}

# ud2 with an empty IDT in protected mode: triple fault, zhyve exits 3.
case_triple() {
	need triple-fault "$vmm" p_triple || return
	run_guest "$vmm" p_triple
	if clean && has "triple fault next" && rc_is "$(want 3)"; then
		ok triple-fault
	else
		fail triple-fault "$why"
	fi
}

# INIT-SIPI-SIPI brings up every AP: the guest counts -c N CPUs.
case_smp() {
	local n=$1 c=smp-$1 aps
	need "$c" "$vmm" p_smp || return
	run_guest "$vmm" p_smp cpus="$n"
	aps=$(grep -cE '^ap [0-9]+ up$' "$tmp/out")
	if ! { clean && has_re "^cpus $n\$" && has "PASS smp" && rc_is "$(want 0)"; }; then
		fail "$c" "$why"
	elif [ "$aps" -ne $((n - 1)) ]; then
		fail "$c" "$aps \"ap N up\" lines, wanted $((n - 1))"
	else
		ok "$c"
	fi
}

# A minimal virtio 1.x driver in the guest (p_virtio_blk) writes 8 sectors
# and reads them back, writes a marker sector, flushes, reads the serial
# with GET_ID and checks two failing requests; then the host finds the
# guest's data in the image.  Kicks go through the ioeventfd path.
case_virtio_blk() {
	local img=$tmp/vblk.img want got
	need virtio-blk "$vmm" p_virtio_blk || return
	rm -f "$img"
	truncate -s 1M "$img" || { fail_plain virtio-blk "cannot create $img"; return; }
	run_guest "$vmm" p_virtio_blk blk="$img"
	want=$(awk 'BEGIN { for (i = 0; i < 4096; i++) printf "%02x", (i * 7 + 3) % 256 }')
	got=$(dd if="$img" bs=512 skip=8 count=8 2>/dev/null | od -An -tx1 -v | tr -d ' \n')
	if ! { clean && has "capacity 2048 sectors" && has "serial ZHYVE-GUEST-DISK" &&
		has "PASS virtio-blk" && rc_is "$(want 0)"; }; then
		fail virtio-blk "$why"
	elif [ "$got" != "$want" ]; then
		fail virtio-blk "sectors 8..15 of the image do not hold what the guest wrote"
	elif [ "$(dd if="$img" bs=512 skip=100 count=1 2>/dev/null | head -c 20)" != ZHYVE-PAYLOAD-SECTOR ]; then
		fail virtio-blk "the guest's marker sector 100 is not in the image"
	else
		ok virtio-blk
	fi
}

# Every thread of a running zhyve is under its seccomp filter: main, the
# vCPU, the virtio worker and the block engine's threads, for the io_uring
# engine and for the thread pool.  Then a worker that makes a forbidden
# call (zhyve-seccomp-test, test.seccomp_violation=worker) ends zhyve
# with SIGSYS and a message naming the role and the call.  Skipped when
# this build has seccomp off (sanitizer builds).
case_seccomp_threads() {
	local c=seccomp-threads img=$tmp/sc.img eng pid w t st n bad='' info='' off=1 _
	need $c "$vmm" p_echo || return
	if [ "$vmm" != zhyve ]; then
		skip $c "zhyve only"
		return
	fi
	truncate -s 1M "$img" || { fail_plain $c "cannot create $img"; return; }
	for eng in uring threads; do
		rm -f "$tmp/scin"
		mkfifo "$tmp/scin"
		"$zhyve" -l "bootrom,$romdir/p_echo.rom" -l com1,stdio -s 0,hostbridge \
			-s 31,lpc -s "4,virtio-blk,$img,engine=$eng" vm0 \
			<"$tmp/scin" >"$tmp/out" 2>"$tmp/err" &
		pid=$!
		bg_pids+=("$pid")
		exec {w}>"$tmp/scin"
		# The guest prints READY once its vCPU runs; the main thread
		# installs its filter right after starting the vCPUs.
		for _ in $(seq 100); do
			grep -q READY "$tmp/out" && [ "$(awk '/^Seccomp:/ { print $2 }' \
				"/proc/$pid/status" 2>/dev/null)" = 2 ] && break
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		n=0
		for t in /proc/"$pid"/task/*; do
			st=$(awk '/^Seccomp:/ { print $2 }' "$t/status" 2>/dev/null)
			n=$((n + 1))
			[ "$st" = 0 ] || off=0
			[ "$st" = 2 ] || bad="$bad $eng:$(tr ' ' _ <"$t/comm")=${st:-gone}"
		done
		info="$info${info:+,} $eng engine $n threads"
		kill -9 "$pid" 2>/dev/null # SIGTERM would press the power button
		wait "$pid" 2>/dev/null
		exec {w}>&-
	done
	if [ "$off" = 1 ]; then
		skip $c "seccomp is off in this build (sanitizers)"
		return
	fi
	if [ -n "$bad" ]; then
		fail $c "threads without their filter (mode 2):$bad"
		return
	fi
	if [ ! -x "$build/zhyve-seccomp-test" ]; then
		fail_plain $c "$build/zhyve-seccomp-test is missing (make)"
		return
	fi
	# (In a subshell: the shell's own "Bad system call" notice stays out.)
	(timeout -k 5 "$tmo" "$build/zhyve-seccomp-test" -l "bootrom,$romdir/p_echo.rom" \
		-l com1,stdio -s 0,hostbridge -s 31,lpc -s "4,virtio-blk,$img" \
		-o test.seccomp_violation=worker vm0 </dev/null >"$tmp/out" 2>"$tmp/err"
		exit $?) 2>/dev/null
	rc=$?
	if [ "$rc" != $((128 + 31)) ]; then
		fail $c "a worker's forbidden call: exit status $rc, wanted 159 (SIGSYS)"
	elif ! grep -q "the worker thread made a forbidden system call: openat" "$tmp/err"; then
		fail $c "a worker's forbidden call was not named on stderr"
	else
		ok "$c (every thread filtered;$info; a worker's forbidden openat ends zhyve)"
	fi
}

# The same hello ROM under QEMU: the payloads are not zhyve-specific.
case_qemu_parity() {
	need qemu-parity qemu p_hello || return
	run_guest qemu p_hello
	if clean && has "hello from zhyve payload" && has "PASS hello" && rc_is 0; then
		ok qemu-parity
	else
		fail qemu-parity "$why"
	fi
}

case_hello
case_echo_stdio
case_socket
case_pci
case_unclaimed
case_unclaimed_strict
case_com_needs_lpc
case_kbdreset
case_triple
case_smp 2
case_smp 4
case_virtio_blk
case_seccomp_threads
[ "$vmm" = zhyve ] && case_qemu_parity

echo "$npass passed, $nfail failed, $nskip skipped"
[ "$nfail" -eq 0 ]
