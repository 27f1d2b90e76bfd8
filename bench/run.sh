#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# bench/run.sh: zhyve against QEMU (-M microvm and -M pc) and against a
# raw-KVM floor program (bench/kvmfloor.c), side by side, on the same
# payload ROMs (tests/guest/payloads/p_bench_*.c).  Single shell process;
# the measuring is done by bench/probe.c.
#
#   bench/run.sh [--quick] [--runs N]
#
# Cases: 1 cold start, 2 teardown, 3 idle memory, 4 exit cost,
# 5 virtio notify path, 6 virtio-blk device throughput, 7 creation rate.
# Cases 5-6 (p_bench_virtio, a polled virtio 1.x virtio-blk driver on a
# 16 MiB raw image in slot 2) run on zhyve and QEMU -M pc only: the floor
# program has no virtio and microvm no PCI.  5: one 4 KiB read per kick,
# timed, plus KVM_RUN calls (userspace exits) and syscalls per kick from
# one strace run each; 6: batches of 4 KiB reads (one per queue entry),
# one kick each: requests/s, host CPU and syscalls per request.
# Every case runs N rounds (default 11, --quick 3) of the VMMs interleaved
# (A B C A B C ...); the first round is a warm-up and dropped.  Each VMM is
# pinned to one CPU (CPU 1, as taskset -c 1 would).  Prints medians with
# the min-max spread, ratios from the same run, one table at the end.
# Targets are reported, never enforced: the exit status is 0 unless the
# suite itself broke (a tool did not build, the floor program failed).
#
# Environment: ZHYVE_BUILD (default build) holds zhyve; CC (default cc)
# builds the two helpers; QEMU (default qemu-system-x86_64).
set -u
cd "$(dirname "$0")/.." || exit 2

quick=0 runs=''
while [ $# -gt 0 ]; do
	case "$1" in
	--quick) quick=1; shift ;;
	--runs)
		runs=${2:-}; shift 2 || shift
		case "$runs" in
		''|*[!0-9]*|0|1) echo "bench/run.sh: --runs wants a number >= 2" >&2; exit 2 ;;
		esac ;;
	-h|--help) sed -n '3,27p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "usage: bench/run.sh [--quick] [--runs N]" >&2; exit 2 ;;
	esac
done

build=${ZHYVE_BUILD:-build}
zhyve=$build/zhyve
qemu=${QEMU:-qemu-system-x86_64}
bdir=build/bench
romdir=build/payloads
if [ "$quick" = 1 ]; then
	runs=${runs:-3}
	exit_n=2000
	mem_sizes=(128M)
	create_ks=(1 4)
	settle_ms=50
	kick_n=200
	batch_n=30
else
	runs=${runs:-11}
	exit_n=200000
	mem_sizes=(128M 1G)
	create_ks=(1 10 50)
	settle_ms=200
	kick_n=2000
	batch_n=100
fi
mem=128M			# guest RAM in every case but the memory one

tmp=$(mktemp -d) || exit 2
cg_parent=''
# shellcheck disable=SC2317  # called from the EXIT trap
cleanup() {
	[ -n "$cg_parent" ] && rmdir "$cg_parent" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

die() { echo "bench: $*" >&2; exit 1; }
say() { printf '%s\n' "$*"; }
loud() {
	say "*****************************************************************"
	say "*** $*"
	say "*****************************************************************"
}

# --- build what the suite needs ---------------------------------------------
hflags=(-std=gnu11 -O2 -g -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow
	-Wformat=2 -Wstrict-prototypes -Wmissing-prototypes -Wpointer-arith
	-Wvla -Wundef -Wold-style-definition -Wimplicit-fallthrough)
mkdir -p "$bdir" || die "cannot create $bdir"
make -s payloads >"$tmp/make.log" 2>&1 || { cat "$tmp/make.log"; die "make payloads failed"; }
for t in kvmfloor probe; do
	"${CC:-cc}" "${hflags[@]}" -o "$bdir/$t" "bench/$t.c" ||
		die "building bench/$t.c failed"
done
for r in p_bench_boot p_bench_idle p_bench_exit p_bench_virtio; do
	[ -f "$romdir/$r.rom" ] || die "payload $romdir/$r.rom missing after make payloads"
done
probe=$bdir/probe
floor=$bdir/kvmfloor

# --- what can run here --------------------------------------------------------
cpus=$(nproc 2>/dev/null || echo 1)
cpu=1; [ "$cpus" -ge 2 ] || cpu=0
if [ ! -e /dev/kvm ] || ! { exec 3<>/dev/kvm; } 2>/dev/null; then
	loud "no usable /dev/kvm: every case SKIPPED, nothing was measured"
	exit 0
fi
exec 3>&-

declare -A why_not=()		# VMM -> why it is not in the run
vmms=(floor zhyve microvm pc)	# table columns, in this order
[ -x "$zhyve" ] || why_not[zhyve]="n/a (zhyve missing)"
if ! command -v "$qemu" >/dev/null; then
	why_not[microvm]="n/a (qemu missing)"
	why_not[pc]="n/a (qemu missing)"
fi

# vmm_cmd VMM ROM MEM [NAME]: sets cmd=( the command line ); if vm_disk
# is set, zhyve and QEMU -M pc get it as a modern virtio-blk in slot 2.
vm_disk=''
qemu_common=(-accel kvm -nodefaults -no-user-config -display none
	-serial stdio -no-reboot)
# shellcheck disable=SC2054  # the commas are inside option values
vmm_cmd() {
	local v=$1 rom=$2 m=$3 name=${4:-vm0}
	case "$v" in
	floor) cmd=("$floor" -m "$m" "$rom") ;;
	floor-*) cmd=("$floor" -i "${v#floor-}" -m "$m" "$rom") ;;
	zhyve) cmd=("$zhyve" -l "bootrom,$rom" -l com1,stdio -s 0,hostbridge
		-s 31,lpc -m "$m") ;;
	microvm) cmd=("$qemu" "${qemu_common[@]}" -M microvm,x-option-roms=off
		-m "$m" -bios "$rom") ;;
	pc) cmd=("$qemu" "${qemu_common[@]}" -M pc -m "$m" -bios "$rom") ;;
	esac
	if [ -n "$vm_disk" ]; then
		case "$v" in
		zhyve) cmd+=(-s "2,virtio-blk,$vm_disk") ;;
		pc) cmd+=(-drive "file=$vm_disk,if=none,id=d0,format=raw"
			-device virtio-blk-pci,drive=d0,disable-legacy=on,addr=2) ;;
		esac
	fi
	[ "$v" = zhyve ] && cmd+=("$name")
	return 0
}

# Runnable VMMs among the arguments.
active() {
	local v
	for v in "$@"; do
		[ -z "${why_not[$v]:-}" ] && printf '%s ' "$v"
	done
}

# --- results ------------------------------------------------------------------
# $tmp/r/CASE.VMM.METRIC: one value per measured round.
# $tmp/r/CASE.VMM.fail: one line per failed round (its status).
mkdir -p "$tmp/r" "$tmp/rom"
declare -A R=()
parse() {
	local kv
	R=()
	for kv in $1; do R[${kv%%=*}]=${kv#*=}; done
}
rec() {		# rec CASE VMM METRIC VALUE (-1 = not measured)
	[ "${4:--1}" = -1 ] && return
	echo "$4" >>"$tmp/r/$1.$2.$3"
}
rec_fail() {	# rec_fail CASE VMM STATUS [STDERR-FILE]
	echo "$3" >>"$tmp/r/$1.$2.fail"
	if [ ! -e "$tmp/r/$1.$2.failshown" ]; then
		: >"$tmp/r/$1.$2.failshown"
		say "    $2: run failed ($3)"
		[ -n "${4:-}" ] && [ -s "$4" ] && tail -n 4 "$4" | sed 's/^/      stderr| /'
	fi
	[ "$2" = floor ] && floor_broke=1
}
floor_broke=0

# stats FILE: "n median min max" (nothing if no values)
stats() {
	[ -s "$1" ] || return 0
	sort -g "$1" | awk '{ v[NR] = $1 } END {
		m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "%d %.6f %.6f %.6f\n", NR, m, v[1], v[NR] }'
}
median() { stats "$1" | awk '{ print $2 }'; }
nfail() { [ -s "$1" ] && wc -l <"$1" || echo 0; }

# --- machine fingerprint ------------------------------------------------------
fingerprint() {
	local rev
	rev=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
	git diff --quiet HEAD 2>/dev/null || rev="$rev+dirty"
	say "machine:  $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo), $cpus CPUs, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)"
	local mods='' m
	for m in /sys/module/kvm*; do [ -e "$m" ] && mods="$mods ${m##*/}"; done
	say "kernel:   $(uname -sr); kvm modules:${mods:- none}"
	say "qemu:     $("$qemu" --version 2>/dev/null | head -n 1 || echo missing)"
	if [ -x "$zhyve" ]; then
		say "zhyve:    $zhyve (git $rev, built $(date -u -r "$zhyve" '+%F %T UTC'))"
	else
		say "zhyve:    missing ($zhyve; git $rev)"
	fi
	say "method:   $runs rounds, the first dropped as a warm-up, VMMs interleaved, pinned to CPU $cpu; $(date -u '+%F %T UTC')"
	say "load:     $load_start at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end (1/5/15 min; a busy host spreads the numbers)"
	[ "$quick" = 1 ] && say "          --quick: few rounds, exit loops of $exit_n; numbers prove the suite runs, nothing more"
	return 0
}

# --- microvm: can the payload run there at all? -------------------------------
check_microvm() {
	[ -n "${why_not[microvm]:-}" ] && return
	vmm_cmd microvm "$romdir/p_bench_boot.rom" "$mem"
	parse "$("$probe" run -t 20 -M 'RESET!' -e "$tmp/err" -- "${cmd[@]}")"
	if [ "${R[status]:-}" != ok ] || [ "${R[marker_us]:--1}" = -1 ]; then
		why_not[microvm]="n/a (payload fails on microvm)"
		loud "QEMU -M microvm could not run the payload (${R[status]:-?}): microvm column skipped"
	fi
}

# --- case 1 and 2: cold start, teardown -------------------------------------------
start_vmms=(floor zhyve microvm pc floor-nopit floor-split)
case_start() {
	local r v list
	list=$(active "${start_vmms[@]}")
	say "[1-2] cold start and teardown: p_bench_boot, $runs rounds of: $list"
	for r in $(seq 0 $((runs - 1))); do
		for v in $list; do
			vmm_cmd "$v" "$romdir/p_bench_boot.rom" "$mem"
			parse "$("$probe" run -c "$cpu" -t 30 -M 'RESET!' -e "$tmp/err.$v" -- "${cmd[@]}")"
			[ "$r" = 0 ] && continue
			if [ "${R[status]:-}" != ok ] || [ "${R[marker_us]:--1}" = -1 ]; then
				rec_fail start "$v" "${R[status]:-probe failed}" "$tmp/err.$v"
				continue
			fi
			rec start "$v" first "${R[first_us]}"
			rec start "$v" exit "${R[exit_us]}"
			rec start "$v" teardown "${R[teardown_us]}"
			rec start "$v" cpu "$((R[utime_us] + R[stime_us]))"
		done
	done
	# Syscall and KVM ioctl counts: one run each under strace, not timed.
	if ! command -v strace >/dev/null; then
		say "    skipped: syscall counts: strace is not installed (Debian package strace)"
		return
	fi
	for v in $(active "${vmms[@]}"); do
		vmm_cmd "$v" "$romdir/p_bench_boot.rom" "$mem"
		timeout 60 strace -f -qq -c -o "$tmp/sc" -- "${cmd[@]}" </dev/null >/dev/null 2>&1
		awk '$NF == "total" { print $4 }' "$tmp/sc" >"$tmp/r/start.$v.syscalls"
		timeout 60 strace -f -qq -e trace=ioctl -o "$tmp/io" -- "${cmd[@]}" </dev/null >/dev/null 2>&1
		grep -c 'KVM_' "$tmp/io" >"$tmp/r/start.$v.kvmioctl"
		grep -c 'KVM_RUN' "$tmp/io" >"$tmp/r/start.$v.kvmrun"
	done
}

# --- case 3: idle memory ------------------------------------------------------------
case_memory() {
	local r v s list cg=()
	list=$(active "${vmms[@]}")
	if [ -d /sys/fs/cgroup/memory ] && [ -f /sys/fs/cgroup/memory/cgroup.procs ]; then
		cg_parent=/sys/fs/cgroup/memory/zhyve-bench.$$
		if mkdir "$cg_parent" 2>/dev/null; then
			cg=(-g "$cg_parent")
		else
			cg_parent=''
			say "    skipped: cgroup charge: cannot create a group under /sys/fs/cgroup/memory"
		fi
	else
		say "    skipped: cgroup charge: no cgroup v1 memory controller at /sys/fs/cgroup/memory"
	fi
	say "[3] idle memory: p_bench_idle, ${mem_sizes[*]}, sampled ${settle_ms} ms after READY, $runs rounds of: $list"
	for r in $(seq 0 $((runs - 1))); do
		for s in "${mem_sizes[@]}"; do
			for v in $list; do
				vmm_cmd "$v" "$romdir/p_bench_idle.rom" "$s"
				parse "$("$probe" run -c "$cpu" -t 30 -r READY -s "$settle_ms" "${cg[@]}" -e "$tmp/err.$v" -- "${cmd[@]}")"
				[ "$r" = 0 ] && continue
				if [ "${R[status]:-}" != killed ]; then
					rec_fail "mem$s" "$v" "${R[status]:-probe failed}" "$tmp/err.$v"
					continue
				fi
				rec "mem$s" "$v" rss "${R[rss_kb]}"
				rec "mem$s" "$v" pss "${R[pss_kb]}"
				rec "mem$s" "$v" cg "${R[cg_usage]}"
				rec "mem$s" "$v" cgmax "${R[cg_max]}"
			done
		done
	done
}

# --- case 4: exit cost ----------------------------------------------------------------
exit_kinds=(loop unclaimed thr pci)	# kind numbers 0..3 of p_bench_exit
case_exit() {
	local r v k i n list t1 tn st='' 
	list=$(active "${vmms[@]}")
	for i in "${!exit_kinds[@]}"; do
		for n in 1 "$exit_n"; do
			"$probe" patch "$romdir/p_bench_exit.rom" "$tmp/rom/exit-$i-$n.rom" "$i" "$n" ||
				die "patching p_bench_exit.rom failed"
		done
	done
	say "[4] exit cost: p_bench_exit, loops of 1 and $exit_n timed between COM1 markers (THR also exec->exit with COM1 on /dev/null), $runs rounds of: $list"
	for r in $(seq 0 $((runs - 1))); do
		for i in "${!exit_kinds[@]}"; do
			k=${exit_kinds[$i]}
			for v in $list; do
				loop_time "$v" "$tmp/rom/exit-$i-1.rom"; t1=$lt
				[ "$t1" = -1 ] && st=$lt_status
				loop_time "$v" "$tmp/rom/exit-$i-$exit_n.rom"; tn=$lt
				[ "$tn" = -1 ] && st=$lt_status
				[ "$r" = 0 ] && continue
				if [ "$t1" = -1 ] || [ "$tn" = -1 ]; then
					rec_fail "exit$k" "$v" "$st" "$tmp/err.$v"
					continue
				fi
				# ns per iteration, the 1-iteration run subtracted
				rec "exit$k" "$v" per "$(( (tn - t1) * 1000 / (exit_n - 1) ))"
			done
		done
		# COM1 THR once more with COM1 on /dev/null: no reader to
		# wake, so no markers either: exec -> exit wall time instead.
		for v in $list; do
			run_time "$v" "$tmp/rom/exit-2-1.rom"; t1=$lt
			[ "$t1" = -1 ] && st=$lt_status
			run_time "$v" "$tmp/rom/exit-2-$exit_n.rom"; tn=$lt
			[ "$tn" = -1 ] && st=$lt_status
			[ "$r" = 0 ] && continue
			if [ "$t1" = -1 ] || [ "$tn" = -1 ]; then
				rec_fail exitthrnull "$v" "$st" "$tmp/err.$v"
				continue
			fi
			rec exitthrnull "$v" per "$(( (tn - t1) * 1000 / (exit_n - 1) ))"
		done
	done
}

# run_time VMM ROM: like loop_time, but COM1 goes to /dev/null and lt is
# the whole run, exec -> exit.
run_time() {
	vmm_cmd "$1" "$2" "$mem"
	parse "$("$probe" run -n -c "$cpu" -t 120 -e "$tmp/err.$1" -- "${cmd[@]}")"
	lt=-1 lt_status=${R[status]:-probe failed}
	[ "$lt_status" = ok ] && lt=${R[exit_us]:--1}
}

# loop_time VMM ROM: sets lt to the microseconds from "GO!" to "RESET!"
# (-1 if the run failed), lt_status to the run's status and lt_cpu to the
# process's user+system CPU microseconds.
loop_time() {
	vmm_cmd "$1" "$2" "$mem"
	parse "$("$probe" run -c "$cpu" -t 120 -B 'GO!' -M 'RESET!' -e "$tmp/err.$1" -- "${cmd[@]}")"
	lt=-1 lt_status=${R[status]:-probe failed}
	lt_cpu=$(( ${R[utime_us]:-0} + ${R[stime_us]:-0} ))
	if [ "$lt_status" = ok ] && [ "${R[begin_us]:--1}" != -1 ] &&
	    [ "${R[marker_us]:--1}" != -1 ]; then
		lt=$((R[marker_us] - R[begin_us]))
	elif [ "$lt_status" = ok ]; then
		lt_status="markers missing"
	fi
}

# --- case 5 and 6: virtio notify path, device throughput -----------------------
# p_bench_virtio kinds: 0 = one read per kick, 1 = one batch per kick.
virt_vmms=(zhyve pc)		# the floor has no virtio, microvm no PCI
declare -A vbatch=()		# VMM -> requests per batch (from the guest)

# virt_check VMM: one batch run outside the probe; sets vbatch[VMM] from
# the guest's own line, or prints why the VMM cannot take part.
virt_check() {
	local v=$1 out b
	vmm_cmd "$v" "$tmp/rom/virt-1-1.rom" "$mem"
	out=$(timeout 60 "${cmd[@]}" </dev/null 2>"$tmp/err.$v" | tr -d '\r')
	b=$(printf '%s\n' "$out" | sed -n 's/^bench virtio kind 1 .* batch \([0-9]*\) .*/\1/p')
	if [ -n "$b" ] && [ "$b" -gt 0 ] && printf '%s' "$out" | grep -q 'RESET!' &&
	    ! printf '%s' "$out" | grep -q FAIL; then
		vbatch[$v]=$b
		say "    $v: $(printf '%s\n' "$out" | grep '^bench virtio' | tr -s ' ')"
		return 0
	fi
	say "    skipped: $v: the virtio payload did not run: $(printf '%s\n' "$out" | grep -m1 FAIL || echo 'no end marker')"
	[ -s "$tmp/err.$v" ] && tail -n 4 "$tmp/err.$v" | sed 's/^/      stderr| /'
	return 1
}

# virt_strace VMM KIND N: one run of ROM KIND/N under strace -f -C; sets
# st_runs (KVM_RUN calls) and st_calls (all syscalls), -1 if it failed.
virt_strace() {
	vmm_cmd "$1" "$tmp/rom/virt-$2-$3.rom" "$mem"
	st_runs=-1 st_calls=-1
	timeout 120 strace -f -qq -C -o "$tmp/st" -- "${cmd[@]}" </dev/null >"$tmp/st.out" 2>/dev/null
	tr -d '\r' <"$tmp/st.out" | grep -q 'RESET!' || return 0
	grep -q FAIL "$tmp/st.out" && return 0
	st_runs=$(grep -c 'KVM_RUN' "$tmp/st")
	st_calls=$(awk '$NF == "total" { print $4 }' "$tmp/st")
	[ -n "$st_calls" ] || st_calls=-1
}

case_virtio() {
	local r v i n list='' t1 tn c1 cn st='' reqs runs1 calls1
	if [ -n "$(active zhyve pc)" ]; then
		dd if=/dev/zero of="$tmp/disk.img" bs=1M count=16 status=none ||
			die "cannot create the 16 MiB disk image in $tmp"
	fi
	for i in 0 1; do
		for n in 1 "$kick_n" "$batch_n"; do
			"$probe" patch "$romdir/p_bench_virtio.rom" "$tmp/rom/virt-$i-$n.rom" "$i" "$n" ||
				die "patching p_bench_virtio.rom failed"
		done
	done
	vm_disk=$tmp/disk.img
	say "[5-6] virtio-blk: p_bench_virtio on a 16 MiB raw image; kicks: loops of 1 and $kick_n single 4 KiB reads; batches: loops of 1 and $batch_n batches, one kick each"
	for v in $(active "${virt_vmms[@]}"); do
		virt_check "$v" && list="$list$v "
	done
	if [ -z "$list" ]; then
		say "    skipped: no VMM could run the virtio payload"
		vm_disk=''
		return
	fi
	say "    $runs rounds of: $list"
	for r in $(seq 0 $((runs - 1))); do
		for v in $list; do
			st=''
			loop_time "$v" "$tmp/rom/virt-0-1.rom"; t1=$lt
			[ "$t1" = -1 ] && st=$lt_status
			loop_time "$v" "$tmp/rom/virt-0-$kick_n.rom"; tn=$lt
			[ "$tn" = -1 ] && st=$lt_status
			if [ "$r" != 0 ]; then
				if [ "$t1" = -1 ] || [ "$tn" = -1 ] || [ "$tn" -le "$t1" ]; then
					rec_fail virtkick "$v" "${st:-no time difference}" "$tmp/err.$v"
				else
					rec virtkick "$v" per "$(( (tn - t1) * 1000 / (kick_n - 1) ))"
				fi
			fi
			st=''
			loop_time "$v" "$tmp/rom/virt-1-1.rom"; t1=$lt c1=$lt_cpu
			[ "$t1" = -1 ] && st=$lt_status
			loop_time "$v" "$tmp/rom/virt-1-$batch_n.rom"; tn=$lt cn=$lt_cpu
			[ "$tn" = -1 ] && st=$lt_status
			[ "$r" = 0 ] && continue
			if [ "$t1" = -1 ] || [ "$tn" = -1 ] || [ "$tn" -le "$t1" ]; then
				rec_fail virtbatch "$v" "${st:-no time difference}" "$tmp/err.$v"
				continue
			fi
			reqs=$(( vbatch[$v] * (batch_n - 1) ))
			rec virtbatch "$v" rps "$(( reqs * 1000000 / (tn - t1) ))"
			# Host CPU of the whole process (the polling vCPU too).
			rec virtbatch "$v" cpu "$(( (cn - c1) * 1000 / reqs ))"
		done
	done
	# Userspace exits and syscalls: one run each under strace, not timed.
	if ! command -v strace >/dev/null; then
		say "    skipped: exits and syscalls per kick/request: strace is not installed (Debian package strace)"
	else
		for v in $list; do
			virt_strace "$v" 0 1; runs1=$st_runs calls1=$st_calls
			virt_strace "$v" 0 "$kick_n"
			if [ "$runs1" = -1 ] || [ "$st_runs" = -1 ] || [ "$calls1" = -1 ] || [ "$st_calls" = -1 ]; then
				say "    $v: the kick runs under strace failed"
			else
				rec virtkick "$v" exits "$(awk -v a="$runs1" -v b="$st_runs" -v n="$kick_n" 'BEGIN { printf "%.6f", (b - a) / (n - 1) }')"
				rec virtkick "$v" sys "$(awk -v a="$calls1" -v b="$st_calls" -v n="$kick_n" 'BEGIN { printf "%.6f", (b - a) / (n - 1) }')"
			fi
			virt_strace "$v" 1 1; runs1=$st_runs calls1=$st_calls
			virt_strace "$v" 1 "$batch_n"
			if [ "$runs1" = -1 ] || [ "$st_runs" = -1 ] || [ "$calls1" = -1 ] || [ "$st_calls" = -1 ]; then
				say "    $v: the batch runs under strace failed"
			else
				reqs=$(( vbatch[$v] * (batch_n - 1) ))
				rec virtbatch "$v" exits "$(awk -v a="$runs1" -v b="$st_runs" -v n="$reqs" 'BEGIN { printf "%.6f", (b - a) / n }')"
				rec virtbatch "$v" sys "$(awk -v a="$calls1" -v b="$st_calls" -v n="$reqs" 'BEGIN { printf "%.6f", (b - a) / n }')"
			fi
		done
	fi
	vm_disk=''
}

# --- case 7: creation rate -----------------------------------------------------------
case_create() {
	local r v k list
	list=$(active "${vmms[@]}")
	say "[7] creation rate: K = ${create_ks[*]} VMs of p_bench_idle started at once, all pinned to CPU $cpu, $runs rounds of: $list"
	for r in $(seq 0 $((runs - 1))); do
		for k in "${create_ks[@]}"; do
			for v in $list; do
				vmm_cmd "$v" "$romdir/p_bench_idle.rom" "$mem" 'bench%i'
				parse "$("$probe" multi -k "$k" -c "$cpu" -t 60 -r READY -s 20 -- "${cmd[@]}")"
				[ "$r" = 0 ] && continue
				if [ "${R[failed]:-1}" != 0 ]; then
					rec_fail "create$k" "$v" "${R[failed]:-all} of $k failed"
				fi
				rec "create$k" "$v" all "${R[all_first_us]:--1}"
				rec "create$k" "$v" rss "${R[rss_med_kb]:--1}"
				rec "create$k" "$v" failed "${R[failed]:-$k}"
			done
		done
	done
}

# --- the table ---------------------------------------------------------------------
W_LABEL=32 W_CELL=21 W_RATIO=9
# fmt VALUE DIV DEC: VALUE / DIV with DEC decimals
fmt() { awk -v v="$1" -v d="$2" -v p="$3" 'BEGIN { printf "%.*f", p, v / d }'; }
# na[VMM]: why a VMM has no cell in the rows being printed (cases 5-6)
declare -A na=()
# cell CASE VMM METRIC DIV DEC
cell() {
	local f=$tmp/r/$1.$2.$3 nf s
	if [ -n "${na[$2]:-}" ]; then
		printf '%s' "${na[$2]}"
		return
	fi
	if [ -n "${why_not[$2]:-}" ]; then
		printf '%s' "${why_not[$2]}"
		return
	fi
	nf=$(nfail "$tmp/r/$1.$2.fail")
	s=$(stats "$f")
	if [ -z "$s" ]; then
		if [ "$nf" -gt 0 ]; then printf 'FAILED (%s)' "$nf"; else printf -- '-'; fi
		return
	fi
	local n med lo hi
	read -r n med lo hi <<<"$s"
	if [ "$n" = 1 ]; then
		fmt "$med" "$4" "$5"
	else
		printf '%s (%s-%s)' "$(fmt "$med" "$4" "$5")" "$(fmt "$lo" "$4" "$5")" "$(fmt "$hi" "$4" "$5")"
	fi
	[ "$nf" -gt 0 ] && printf ' F%s' "$nf"
	return 0
}
# ratio CASE METRIC A B: median(A) / median(B), or n/a
ratio() {
	local a b
	a=$(median "$tmp/r/$1.$3.$2"); b=$(median "$tmp/r/$1.$4.$2")
	if [ -z "$a" ] || [ -z "$b" ] || [ -n "${why_not[$3]:-}" ] || [ -n "${why_not[$4]:-}" ] ||
	    [ -n "${na[$3]:-}" ] || [ -n "${na[$4]:-}" ]; then
		printf 'n/a'
		return
	fi
	awk -v a="$a" -v b="$b" 'BEGIN { if (b == 0) print "n/a"; else printf "%.2fx", a / b }'
}
row() {		# row LABEL CASE METRIC DIV DEC
	local v
	printf "%-${W_LABEL}s" "$1"
	for v in "${vmms[@]}"; do printf " %-${W_CELL}s" "$(cell "$2" "$v" "$3" "$4" "$5")"; done
	printf " %-${W_RATIO}s %-${W_RATIO}s\n" "$(ratio "$2" "$3" zhyve microvm)" "$(ratio "$2" "$3" zhyve pc)"
}
floor_row() {	# floor_row LABEL CASE METRIC: each VMM's median over the floor's
	local v
	printf "%-${W_LABEL}s" "$1"
	for v in "${vmms[@]}"; do
		if [ -n "${why_not[$v]:-}" ]; then
			printf " %-${W_CELL}s" "${why_not[$v]}"
		else
			printf " %-${W_CELL}s" "$(ratio "$2" "$3" "$v" floor)"
		fi
	done
	printf '\n'
}
header() {
	printf "%-${W_LABEL}s" "$1"
	printf " %-${W_CELL}s" floor zhyve qemu-microvm qemu-pc
	printf " %-${W_RATIO}s %-${W_RATIO}s\n" zhyve/mvm zhyve/pc
}

# target LABEL CASE METRIC LIMIT VS DIV UNIT: is zhyve's median <= LIMIT
# (times VS's median if VS is not empty)?  Values shown divided by DIV.
target() {
	local z ref lim verdict
	z=$(median "$tmp/r/$2.zhyve.$3")
	if [ -n "${why_not[zhyve]:-}" ]; then
		verdict="n/a (zhyve missing)"
	elif [ -z "$z" ]; then
		verdict="n/a (no zhyve measurement)"
	else
		lim=$4
		if [ -n "$5" ]; then
			ref=$(median "$tmp/r/$2.$5.$3")
			if [ -z "$ref" ]; then
				printf '  %-42s n/a (no %s measurement)\n' "$1" "$5"
				return
			fi
			lim=$(awk -v a="$4" -v b="$ref" 'BEGIN { print a * b }')
		fi
		verdict=$(awk -v z="$z" -v l="$lim" -v d="$6" -v u="$7" 'BEGIN {
			printf "%s: zhyve %.2f %s, limit %.2f %s", z <= l ? "met" : "MISSED",
			    z / d, u, l / d, u }')
	fi
	printf '  %-42s %s\n' "$1" "$verdict"
}

# target_virt: zhyve's device requests/s >= 1.5x QEMU -M pc's, with
# fewer host syscalls per request.
target_virt() {
	local zr pr zs ps verdict
	zr=$(median "$tmp/r/virtbatch.zhyve.rps"); pr=$(median "$tmp/r/virtbatch.pc.rps")
	zs=$(median "$tmp/r/virtbatch.zhyve.sys"); ps=$(median "$tmp/r/virtbatch.pc.sys")
	if [ -z "$zr" ] || [ -z "$pr" ] || [ -z "$zs" ] || [ -z "$ps" ]; then
		verdict="n/a (needs zhyve and QEMU -M pc measurements)"
	else
		verdict=$(awk -v zr="$zr" -v pr="$pr" -v zs="$zs" -v ps="$ps" 'BEGIN {
			ok = (pr > 0 && zr >= 1.5 * pr && zs < ps)
			x = (pr > 0) ? zr / pr : 0
			printf "%s: zhyve %.2fx QEMU requests/s, %.3f vs %.3f syscalls/request",
			    (ok ? "met" : "MISSED"), x, zs, ps }')
	fi
	printf '  %-42s %s\n' "device requests/s >= 1.5x QEMU, fewer syscalls" "$verdict"
}

report() {
	local s k
	say ""
	say "=== zhyve bench: medians (min-max) over $((runs - 1)) measured rounds; F<n> = n failed rounds ==="
	fingerprint
	say ""
	header "1-2. start / teardown"
	row "exec -> first COM1 byte (ms)" start first 1000 1
	row "exec -> process exit (ms)" start exit 1000 1
	row "reset marker -> reaped (ms)" start teardown 1000 2
	row "CPU user+sys (ms)" start cpu 1000 1
	row "syscalls (strace -f -c)" start syscalls 1 0
	row "KVM ioctls (strace)" start kvmioctl 1 0
	row "  of them KVM_RUN" start kvmrun 1 0
	for s in "${mem_sizes[@]}"; do
		say ""
		header "3. idle memory $s (MiB)"
		row "RSS" "mem$s" rss 1024 1
		row "PSS" "mem$s" pss 1024 1
		if [ -n "$cg_parent" ]; then
			row "cgroup v1 usage_in_bytes" "mem$s" cg 1048576 1
			row "cgroup v1 max_usage_in_bytes" "mem$s" cgmax 1048576 1
		else
			say "  cgroup charge: skipped (no cgroup v1 memory controller)"
		fi
	done
	say ""
	header "4. exit cost (us/iteration)"
	row "loop only, no I/O (overhead)" exitloop per 1000 3
	row "outb unclaimed port 0x1230" exitunclaimed per 1000 2
	row "outb COM1 THR (pipe, markers)" exitthr per 1000 2
	row "outb COM1 THR (/dev/null, run)" exitthrnull per 1000 2
	row "PCI cfg read (outl CF8+inl CFC)" exitpci per 1000 2
	floor_row "  unclaimed / floor" exitunclaimed per
	floor_row "  COM1 THR pipe / floor" exitthr per
	floor_row "  COM1 THR /dev/null / floor" exitthrnull per
	floor_row "  PCI cfg read / floor" exitpci per
	say ""
	na=([floor]="n/a (no virtio)" [microvm]="n/a (no PCI)")
	header "5. virtio notify path (per kick)"
	row "one 4 KiB read + kick (us)" virtkick per 1000 2
	row "userspace exits (KVM_RUN)" virtkick exits 1 3
	row "host syscalls (strace -f)" virtkick sys 1 2
	say ""
	header "6. virtio-blk throughput"
	row "requests/s (thousands)" virtbatch rps 1000 1
	row "host CPU per request (us)" virtbatch cpu 1000 2
	row "host syscalls per request" virtbatch sys 1 3
	row "userspace exits per request" virtbatch exits 1 3
	na=()
	say "  (batches of ${vbatch[zhyve]:-${vbatch[pc]:-?}} 4 KiB reads, one kick each; CPU counts the polling vCPU too)"
	say ""
	header "7. creation rate"
	for k in "${create_ks[@]}"; do
		row "K=$k: all printed 1st byte (ms)" "create$k" all 1000 1
		row "K=$k: RSS per VM (MiB)" "create$k" rss 1024 1
		row "K=$k: failed VMs per round" "create$k" failed 1 0
	done
	say ""
	say "floor variants (case 1-2, same rounds): -i nopit = irqchip without PIT, -i split = split irqchip"
	printf "%-${W_LABEL}s %-${W_CELL}s %-${W_CELL}s %-${W_CELL}s\n" "" "floor (irqchip+PIT)" "floor -i nopit" "floor -i split"
	for s in "first:exec -> first byte (ms):1" "teardown:marker -> reaped (ms):2"; do
		IFS=: read -r k lab dec <<<"$s"
		printf "%-${W_LABEL}s" "$lab"
		for v in floor floor-nopit floor-split; do printf " %-${W_CELL}s" "$(cell start "$v" "$k" 1000 "$dec")"; done
		printf '\n'
	done
	say ""
	say "targets (reported, not enforced):"
	target "start <= 0.2x QEMU microvm (first byte)" start first 0.2 microvm 1000 ms
	target "teardown <= QEMU microvm" start teardown 1 microvm 1000 ms
	target "charged memory <= 2 MiB idle (128M guest)" mem128M cg 2097152 '' 1048576 MiB
	target "exit cost <= 1.10x floor (unclaimed port)" exitunclaimed per 1.10 floor 1000 us
	target "exit cost <= 1.10x floor (COM1 THR, pipe)" exitthr per 1.10 floor 1000 us
	target "exit cost <= 1.10x floor (THR, /dev/null)" exitthrnull per 1.10 floor 1000 us
	target "exit cost <= 1.10x floor (PCI cfg read)" exitpci per 1.10 floor 1000 us
	target "0 userspace exits per virtio kick" virtkick exits 0.01 '' 1 exits
	target_virt
}

# --- main ---------------------------------------------------------------------------
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
say "zhyve bench: $runs rounds$([ "$quick" = 1 ] && echo ' (--quick)'), VMMs pinned to CPU $cpu"
for v in zhyve microvm pc; do
	[ -n "${why_not[$v]:-}" ] && say "    $v: ${why_not[$v]}"
done
check_microvm
t0=$SECONDS; case_start; say "    ($((SECONDS - t0)) s)"
t0=$SECONDS; case_memory; say "    ($((SECONDS - t0)) s)"
t0=$SECONDS; case_exit; say "    ($((SECONDS - t0)) s)"
t0=$SECONDS; case_virtio; say "    ($((SECONDS - t0)) s)"
t0=$SECONDS; case_create; say "    ($((SECONDS - t0)) s)"
report
if [ "$floor_broke" = 1 ]; then
	say "bench: the floor program failed: the suite is broken"
	exit 1
fi
exit 0
