#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# tests/system/cases/zone.sh: zhyve inside its zone (zhyve-zone(8)).
#
# How to run:
#   tests/system/cases/zone.sh --l1    boot the level-1 test host (lib.sh's
#                                      l1_run: clean cgroup v2, real /dev/kvm)
#                                      and run every case there
#   tests/system/cases/zone.sh         run here, on this machine: the cases a
#                                      host without cgroup v2 or a Linux-capable
#                                      /dev/kvm can run; the others are skipped
#                                      (with cgroup=off and a loud note)
#   tests/system/cases/zone.sh CASE... only these cases (either way)
# Or from tests/system/run.sh: source this file, add the case names below to
# CASES; each case_zone_* function prints exactly one result line.
#
# Environment: ZHYVE_BUILD (default build) holds zhyve, zhyve-zone,
# zhyve-seccomp-test and payloads/; ZONE_UID / ZONE_GID (default 2001) the
# unprivileged ids the zones run as; SYS_VMLINUZ and SYS_GUEST_INITRD (set
# by lib.sh in L1) the Linux guest.  Must run as root.
#
# Cases:
#   zone-inspect  a payload VM's zone seen from the host while it runs: zhyve
#                 is PID 1 of its PID namespace, every thread has CapEff 0,
#                 NoNewPrivs 1 and Seccomp 2, uid/gid are the spec's, the
#                 root holds exactly the expected entries, /dev exactly the
#                 expected nodes, every mount but /dev, /run and /tmp is
#                 read-only, hostname = VM name, rlimits and cgroup limits
#                 are the spec's, no descriptor leaked (the launcher is
#                 started with extra open files); "hardware ready" is
#                 reported; the guest's reset ends it with status 0 and the
#                 cgroup is gone
#   zone-signal   SIGQUIT to the launcher kills zhyve: status 8, named
#   zone-seccomp  zhyve-seccomp-test makes a forbidden call in its vCPU
#                 thread: status 6, "seccomp violation", the call named
#   zone-badspec  bad specs give status 9, a message naming the key, and
#                 leave no cgroup behind
#   zone-cgroup   the unit test of the cgroup code (test_zone_cgroup), which
#                 needs a usable cgroup v2 to make, join and remove a cgroup
#   zone-oom      a Linux guest driven past its cgroup memory limit: status
#                 7 (out of memory), a process outside the cgroup unharmed
#   zone-linux    the Linux guest boots inside its zone with the same result
#                 as without one
set -u

ZONE_CASES="zone-inspect zone-signal zone-seccomp zone-badspec zone-cgroup zone-oom zone-linux"

zone_here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
zone_top=$(cd "$zone_here/../../.." && pwd)
ZB=${ZHYVE_BUILD:-build}
case "$ZB" in /*) ;; *) ZB=$zone_top/$ZB ;; esac
ZUID=${ZONE_UID:-2001}
ZGID=${ZONE_GID:-2001}
ZONE_TMO=${ZONE_TIMEOUT:-60}
zone_tmp=
zone_cg=		# "on" or "off" (decided once)
zone_cg_why=

zone_init() {
	[ -n "$zone_tmp" ] && return 0
	zone_tmp=$(mktemp -d /tmp/zone-test.XXXXXX) || return 1
	chmod 755 "$zone_tmp"
	trap 'zone_cleanup' EXIT
}

zone_cleanup() {
	local p
	for p in $(jobs -p); do kill -KILL "$p" 2>/dev/null; done
	[ -n "$zone_tmp" ] && rm -rf "$zone_tmp"
}

# zone_files NAME ROM [CONFIG-LINES] [SPEC-LINES]: writes
# $zone_tmp/NAME.conf (a payload VM on COM1 stdio) and $zone_tmp/NAME.spec.
zone_files() {
	local name=$1 rom=$2 conf_extra=${3:-} spec_extra=${4:-}
	local conf=$zone_tmp/$name.conf spec=$zone_tmp/$name.spec
	{
		[ -n "$rom" ] && echo "lpc.bootrom=$rom"
		echo "lpc.com1.path=stdio"
		echo "pci.0.0.0.device=hostbridge"
		echo "pci.0.31.0.device=lpc"
		[ -n "$conf_extra" ] && printf '%s\n' "$conf_extra"
	} >"$conf"
	chmod 644 "$conf"
	{
		echo "name = $name"
		echo "uid = $ZUID"
		echo "gid = $ZGID"
		echo "zhyve = ${ZONE_ZHYVE:-$ZB/zhyve}"
		echo "config = $conf"
		[ -n "$rom" ] && echo "boot = $rom"
		[ "$zone_cg" = off ] && echo "cgroup = off"
		[ -n "$spec_extra" ] && printf '%s\n' "$spec_extra"
	} >"$spec"
}

# Decides once whether zones here get a cgroup (needs a usable cgroup v2).
zone_cgroup_mode() {
	local out
	[ -n "$zone_cg" ] && return 0
	zone_cg=on
	zone_files cgprobe "$ZB/payloads/p_hello.rom"
	if ! out=$("$ZB/zhyve-zone" -n "$zone_tmp/cgprobe.spec" 2>&1); then
		zone_cg=off
		zone_cg_why=$(printf '%s' "$out" | tail -n 1)
		echo "# ****************************************************************"
		echo "# zone cases run with cgroup=off here: $zone_cg_why"
		echo "# cgroup limits and OOM reporting are NOT tested on this host"
		echo "# ****************************************************************"
	fi
}

# What every case needs; prints "skipped: CASE: why" and fails if missing.
zone_need() {
	local c=$1 f
	if [ "$(id -u)" != 0 ]; then
		echo "skipped: $c: must run as root"
		return 1
	fi
	for f in zhyve zhyve-zone payloads/p_hello.rom payloads/p_echo.rom; do
		if [ ! -e "$ZB/$f" ]; then
			echo "skipped: $c: $ZB/$f is not built (make)"
			return 1
		fi
	done
	if ! { exec 9<>/dev/kvm; } 2>/dev/null; then
		echo "skipped: $c: no usable /dev/kvm"
		return 1
	fi
	exec 9>&-
	zone_init || { echo "FAIL $c: mktemp failed"; return 1; }
	zone_cgroup_mode
}

zone_cgdir() { echo "/sys/fs/cgroup/zhyve/$1"; }

# wait_for FILE TEXT SECONDS: until FILE holds TEXT.
wait_for() {
	local i
	for ((i = 0; i < $3 * 10; i++)); do
		grep -qF -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# ---- zone-inspect ------------------------------------------------------------

case_zone_inspect() {
	local c=zone-inspect name=zinspect why=() pid lpid st t f v want got
	zone_need $c || return
	zone_files $name "$ZB/payloads/p_echo.rom" "memory.size=64M" \
		"$( [ "$zone_cg" = on ] && printf '%s\n' 'memory.max = 300M' \
			'cpu.max = 50000 100000' 'cpu.weight = 50' 'pids.max = 32')
rlimit.nofile = 512
rlimit.fsize = 1G
tmpfs.run = 64k"
	rm -f "$zone_tmp/in"
	mkfifo "$zone_tmp/in"
	sleep 600 >"$zone_tmp/in" &
	local holder=$!
	# Extra descriptors the launcher must not pass on.
	exec 7</etc/hostname 8>"$zone_tmp/leak"
	timeout -k 5 "$ZONE_TMO" "$ZB/zhyve-zone" "$zone_tmp/$name.spec" \
		<"$zone_tmp/in" >"$zone_tmp/$name.out" 2>"$zone_tmp/$name.err" &
	lpid=$!
	exec 7<&- 8>&-
	if ! wait_for "$zone_tmp/$name.out" READY 20; then
		echo "FAIL $c: the payload never said READY ($(tail -n 2 "$zone_tmp/$name.err" | tr '\n' ' '))"
		kill "$holder" 2>/dev/null
		return
	fi
	# timeout's child is the launcher, whose child is zhyve.
	local zl
	zl=$(pgrep -P "$lpid" -f zhyve-zone | head -n 1)
	pid=$(pgrep -P "${zl:-$lpid}" | head -n 1)
	if [ -z "$pid" ] || [ ! -r "/proc/$pid/status" ]; then
		echo "FAIL $c: cannot find zhyve's pid"
		kill "$holder" 2>/dev/null
		return
	fi

	# PID 1 of its own PID namespace.
	v=$(awk '/^NSpid:/ { print $NF }' "/proc/$pid/status")
	[ "$v" = 1 ] || why+=("NSpid ends in '$v', not 1")
	[ "$(readlink "/proc/$pid/ns/pid")" != "$(readlink /proc/self/ns/pid)" ] ||
		why+=("same PID namespace as the host")
	for f in mnt ipc uts net cgroup; do
		[ "$(readlink "/proc/$pid/ns/$f")" != "$(readlink /proc/self/ns/$f)" ] ||
			why+=("same $f namespace as the host")
	done
	# Every thread: no capabilities, no_new_privs, seccomp filter mode.
	for t in /proc/"$pid"/task/*; do
		for f in CapInh CapPrm CapEff CapBnd CapAmb; do
			v=$(awk -v k="$f:" '$1 == k { print $2 }' "$t/status")
			[ "$v" = 0000000000000000 ] ||
				why+=("$(cat "$t/comm"): $f $v")
		done
		v=$(awk '$1 == "NoNewPrivs:" { print $2 }' "$t/status")
		[ "$v" = 1 ] || why+=("$(cat "$t/comm"): NoNewPrivs $v")
		v=$(awk '$1 == "Seccomp:" { print $2 }' "$t/status")
		[ "$v" = 2 ] || why+=("$(cat "$t/comm"): Seccomp $v")
	done
	# Ids.
	v=$(awk '$1 == "Uid:" { print $2, $3, $4, $5 }' "/proc/$pid/status")
	[ "$v" = "$ZUID $ZUID $ZUID $ZUID" ] || why+=("Uid $v")
	v=$(awk '$1 == "Gid:" { print $2, $3, $4, $5 }' "/proc/$pid/status")
	[ "$v" = "$ZGID $ZGID $ZGID $ZGID" ] || why+=("Gid $v")
	v=$(awk '$1 == "Groups:" { print $2 }' "/proc/$pid/status")
	[ -z "$v" ] || why+=("supplementary groups: $v")
	# The root: exactly these entries (plus the parents of the ROM path,
	# under the zone's own /tmp or wherever it lives).
	got=$(cd "/proc/$pid/root" && find . -mindepth 1 -maxdepth 1 -printf '%f\n' |
		sort | tr '\n' ' ')
	want=$( { printf '%s\n' config dev run tmp usr zhyve
		for f in lib lib64; do [ -e "/$f" ] && echo "$f"; done
		f=${ZB#/}; f=${f%%/*}
		case "$f" in tmp|run|usr|lib|lib64) ;; *) echo "$f" ;; esac
		} | sort -u | tr '\n' ' ')
	[ "$got" = "$want" ] || why+=("root holds '$got', want '$want'")
	got=$(cd "/proc/$pid/root/dev" && find . -mindepth 1 | sort | tr '\n' ' ')
	want="./full ./kvm ./null ./urandom ./zero "
	[ "$got" = "$want" ] || why+=("/dev holds '$got', want '$want'")
	v=$(stat -c '%u:%g %a' "/proc/$pid/root/dev/kvm")
	[ "$v" = "$ZUID:$ZGID 600" ] || why+=("/dev/kvm is $v")
	# Mounts: read-only everywhere but /dev, /run and /tmp.
	while read -r _ _ _ _ mp opts _; do
		case "$mp" in
		/dev|/run|/tmp) case ",$opts," in *,rw,*) ;; *) why+=("$mp not rw") ;; esac ;;
		*) case ",$opts," in *,ro,*) ;; *) why+=("mount $mp is not read-only") ;; esac ;;
		esac
		case ",$opts," in *,nosuid,*) ;; *) why+=("mount $mp is not nosuid") ;; esac
	done <"/proc/$pid/mountinfo"
	grep -q ' /usr ro,' "/proc/$pid/mountinfo" || why+=("/usr is not a read-only mount")
	if touch "/proc/$pid/root/usr/.zone-write-test" 2>/dev/null; then
		rm -f "/proc/$pid/root/usr/.zone-write-test"
		why+=("/usr is writable")
	fi
	# Hostname, rlimits.
	v=$(nsenter -t "$pid" -u hostname 2>/dev/null)
	[ "$v" = "$name" ] || why+=("hostname '$v'")
	grep -qE '^Max core file size +0 +0 ' "/proc/$pid/limits" || why+=("core dumps not off")
	grep -qE '^Max open files +512 +512 ' "/proc/$pid/limits" || why+=("nofile not 512")
	grep -qE '^Max file size +1073741824 +1073741824 ' "/proc/$pid/limits" ||
		why+=("fsize not 1G")
	# The environment is empty.
	[ ! -s "/proc/$pid/environ" ] || why+=("environment not empty")
	# Descriptors: stdio, and what zhyve opened itself (KVM, its event
	# loop, a copy of the console); not the launcher's 7 and 8, nor any file.
	local stdio
	stdio=" $(readlink "/proc/$pid/fd/0") $(readlink "/proc/$pid/fd/1") $(readlink "/proc/$pid/fd/2") "
	for f in /proc/"$pid"/fd/*; do
		v=$(readlink "$f")
		case "${f##*/}:$v" in
		0:*|1:*|2:*) ;;
		*:anon_inode:*|*/dev/kvm) ;;
		*)
			# else only copies of its stdio (the console)
			case "$stdio" in *" $v "*) ;; *) why+=("fd ${f##*/} -> $v") ;; esac ;;
		esac
	done
	# Cgroup and its limits.
	if [ "$zone_cg" = on ]; then
		local cg
		cg=$(zone_cgdir $name)
		v=$(cat "/proc/$pid/cgroup")
		[ "$v" = "0::/zhyve/$name" ] || why+=("cgroup '$v'")
		[ "$(cat "$cg/memory.max" 2>/dev/null)" = $((300 << 20)) ] ||
			why+=("memory.max $(cat "$cg/memory.max" 2>/dev/null)")
		[ "$(cat "$cg/cpu.max" 2>/dev/null)" = "50000 100000" ] ||
			why+=("cpu.max $(cat "$cg/cpu.max" 2>/dev/null)")
		[ "$(cat "$cg/cpu.weight" 2>/dev/null)" = 50 ] ||
			why+=("cpu.weight $(cat "$cg/cpu.weight" 2>/dev/null)")
		[ "$(cat "$cg/pids.max" 2>/dev/null)" = 32 ] ||
			why+=("pids.max $(cat "$cg/pids.max" 2>/dev/null)")
		[ "$(cat "$cg/memory.oom.group" 2>/dev/null)" = 1 ] ||
			why+=("memory.oom.group not 1")
		# zhyve, and KVM's own kernel workers for the VM (they join the
		# cgroup of the process that made the VM): nothing else.
		local p
		grep -qx "$pid" "$cg/cgroup.procs" || why+=("zhyve not in cgroup.procs")
		while read -r p; do
			[ "$p" = "$pid" ] && continue
			case "$(cat "/proc/$p/comm" 2>/dev/null)" in
			kvm*) [ ! -s "/proc/$p/cmdline" ] && continue ;;
			esac
			why+=("process $p ($(cat "/proc/$p/comm" 2>/dev/null)) in the cgroup")
		done <"$cg/cgroup.procs"
	fi
	# End it: the payload resets on "ping".
	printf 'ping\n' >"$zone_tmp/in"
	wait "$lpid"
	st=$?
	kill "$holder" 2>/dev/null
	wait "$holder" 2>/dev/null
	[ "$st" = 0 ] || why+=("launcher status $st, want 0 (guest reboot)")
	grep -q "zhyve-zone: $name: hardware ready" "$zone_tmp/$name.err" ||
		why+=("no 'hardware ready' report")
	grep -q "zhyve-zone: $name: guest reboot (zhyve status 0)" "$zone_tmp/$name.err" ||
		why+=("no 'guest reboot' report")
	grep -q "PASS echo" "$zone_tmp/$name.out" || why+=("no PASS from the payload")
	if [ "$zone_cg" = on ] && [ -e "$(zone_cgdir $name)" ]; then
		why+=("the cgroup is still there")
	fi
	if [ ${#why[@]} -gt 0 ]; then
		local IFS=';'
		echo "FAIL $c: ${why[*]}"
		return
	fi
	echo "ok $c (cgroup $zone_cg; $(grep -o 'hardware ready.*' "$zone_tmp/$name.err" | head -n 1))"
}

# ---- zone-signal ---------------------------------------------------------------

case_zone_signal() {
	local c=zone-signal name=zsignal lpid st
	zone_need $c || return
	zone_files $name "$ZB/payloads/p_echo.rom" "memory.size=64M"
	rm -f "$zone_tmp/in2"
	mkfifo "$zone_tmp/in2"
	sleep 600 >"$zone_tmp/in2" &
	local holder=$!
	"$ZB/zhyve-zone" "$zone_tmp/$name.spec" <"$zone_tmp/in2" \
		>"$zone_tmp/$name.out" 2>"$zone_tmp/$name.err" &
	lpid=$!
	if ! wait_for "$zone_tmp/$name.out" READY 20; then
		echo "FAIL $c: the payload never said READY"
		kill -KILL "$lpid" "$holder" 2>/dev/null
		return
	fi
	kill -QUIT "$lpid"
	wait "$lpid"
	st=$?
	kill "$holder" 2>/dev/null
	wait "$holder" 2>/dev/null
	if [ "$st" != 8 ]; then
		echo "FAIL $c: launcher status $st, want 8 ($(tail -n 1 "$zone_tmp/$name.err"))"
	elif ! grep -q "zhyve killed by signal 9 (SIGKILL)" "$zone_tmp/$name.err"; then
		echo "FAIL $c: no 'killed by signal 9 (SIGKILL)' report"
	else
		echo "ok $c (status 8: $(grep -o 'zhyve killed by signal.*' "$zone_tmp/$name.err"))"
	fi
}

# ---- zone-seccomp --------------------------------------------------------------

case_zone_seccomp() {
	local c=zone-seccomp name=zseccomp st
	zone_need $c || return
	if [ ! -x "$ZB/zhyve-seccomp-test" ]; then
		echo "skipped: $c: $ZB/zhyve-seccomp-test is not built"
		return
	fi
	ZONE_ZHYVE=$ZB/zhyve-seccomp-test zone_files $name \
		"$ZB/payloads/p_echo.rom" "memory.size=64M
test.seccomp_violation=vcpu"
	timeout -k 5 "$ZONE_TMO" "$ZB/zhyve-zone" "$zone_tmp/$name.spec" \
		</dev/null >"$zone_tmp/$name.out" 2>"$zone_tmp/$name.err"
	st=$?
	if [ "$st" != 6 ]; then
		echo "FAIL $c: launcher status $st, want 6 ($(tail -n 2 "$zone_tmp/$name.err" | tr '\n' ' '))"
	elif ! grep -q "zhyve-zone: $name: seccomp violation" "$zone_tmp/$name.err"; then
		echo "FAIL $c: no 'seccomp violation' report"
	elif ! grep -q "the vcpu thread made a forbidden system call: openat" \
		"$zone_tmp/$name.err"; then
		echo "FAIL $c: zhyve did not name the call"
	else
		echo "ok $c (status 6; $(grep -o 'the vcpu thread made.*' "$zone_tmp/$name.err"))"
	fi
}

# ---- zone-badspec --------------------------------------------------------------

case_zone_badspec() {
	local c=zone-badspec why=() st out s want
	zone_need $c || return
	# key ... wanted message
	while IFS='|' read -r s want; do
		zone_files zbad "$ZB/payloads/p_hello.rom" "" "$s"
		out=$("$ZB/zhyve-zone" "$zone_tmp/zbad.spec" 2>&1 </dev/null)
		st=$?
		[ "$st" = 9 ] || why+=("'$s': status $st")
		grep -qF -- "$want" <<<"$out" || why+=("'$s': message '$out'")
	done <<EOF
memory.maxx = 1G|memory.maxx: unknown key
ro = /etc|ro: '/etc' is outside the allowed set
pids.max = 1|pids.max: 1 is out of range
disk = /nonexistent/disk.img|disk: '/nonexistent/disk.img': No such file
tap = zq-none|tap: 'zq-none': no such interface
EOF
	if [ -e "$(zone_cgdir zbad)" ]; then
		why+=("a cgroup was left behind")
	fi
	if [ ${#why[@]} -gt 0 ]; then
		local IFS=';'
		echo "FAIL $c: ${why[*]}"
	else
		echo "ok $c (5 bad specs refused with status 9, nothing left)"
	fi
}

# ---- zone-cgroup ---------------------------------------------------------------

case_zone_cgroup() {
	local c=zone-cgroup t out
	zone_need $c || return
	t=$ZB/tests/unit/test_zone_cgroup
	if [ ! -x "$t" ]; then
		echo "skipped: $c: $t is not built (make check-unit)"
		return
	fi
	if [ "$zone_cg" != on ]; then
		echo "skipped: $c: no usable cgroup v2 here ($zone_cg_why)"
		return
	fi
	out=$("$t" 2>&1)
	if ! grep -qE '^[0-9]+ passed, 0 failed$' <<<"$out"; then
		echo "FAIL $c: $(grep -E '^(FAIL|    )' <<<"$out" | head -n 3 | tr '\n' ' ')"
	elif grep -q '^skipped' <<<"$out"; then
		echo "FAIL $c: skipped on a host with cgroup v2: $(grep '^skipped' <<<"$out" | head -n 1)"
	else
		echo "ok $c ($(tail -n 1 <<<"$out"))"
	fi
}

# ---- Linux guests (the level-1 host) -------------------------------------------

zone_linux_need() {
	local c=$1
	zone_need "$c" || return 1
	if [ -z "${SYS_VMLINUZ:-}" ] || [ -z "${SYS_GUEST_INITRD:-}" ] ||
		[ ! -r "$SYS_VMLINUZ" ] || [ ! -r "$SYS_GUEST_INITRD" ]; then
		echo "skipped: $c: needs the level-1 test host (run with --l1): no guest kernel and initramfs"
		return 1
	fi
	if ! grep -qw svm /proc/cpuinfo && ! grep -qw vmx /proc/cpuinfo; then
		echo "skipped: $c: this /dev/kvm cannot boot Linux (run with --l1)"
		return 1
	fi
}

# zone_linux_files NAME MEM SNIPPET [SPEC-LINES]
zone_linux_files() {
	local name=$1 mem=$2 snip=$3 spec_extra=${4:-} cmd
	if [ -n "$snip" ]; then
		cmd="zg.cmd64=$(printf '%s' "$snip" | base64 -w0)"
	else
		cmd=zg.poweroff
	fi
	zone_files "$name" "" "memory.size=$mem
boot.kernel=$SYS_VMLINUZ
boot.initrd=$SYS_GUEST_INITRD
boot.cmdline=console=ttyS0 panic=-1 quiet $cmd" "boot = $SYS_VMLINUZ
boot = $SYS_GUEST_INITRD
$spec_extra"
}

case_zone_linux() {
	local c=zone-linux name=zlinux rc_plain rc_zone m_plain m_zone
	zone_linux_need $c || return
	zone_linux_files $name 512M ""
	# Without a zone, then with one: the same guest, the same result.
	timeout -k 5 120 "$ZB/zhyve" -k "$zone_tmp/$name.conf" "$name" </dev/null \
		>"$zone_tmp/$name-plain.out" 2>&1
	rc_plain=$?
	timeout -k 5 120 "$ZB/zhyve-zone" "$zone_tmp/$name.spec" </dev/null \
		>"$zone_tmp/$name-zone.out" 2>&1
	rc_zone=$?
	m_plain=$(grep -c ZHYVE-GUEST-READY "$zone_tmp/$name-plain.out")
	m_zone=$(grep -c ZHYVE-GUEST-READY "$zone_tmp/$name-zone.out")
	cp "$zone_tmp/$name-zone.out" "${ZHYVE_RESULTS:-/tmp}/zone-linux.log" 2>/dev/null
	if [ "$m_zone" = 0 ]; then
		echo "FAIL $c: no guest marker inside the zone (status $rc_zone; $(tail -n 2 "$zone_tmp/$name-zone.out" | tr '\n' ' '))"
	elif [ "$rc_zone" != "$rc_plain" ] || [ "$m_zone" != "$m_plain" ]; then
		echo "FAIL $c: zone status $rc_zone marker $m_zone, without a zone status $rc_plain marker $m_plain"
	elif ! grep -q "hardware ready" "$zone_tmp/$name-zone.out"; then
		echo "FAIL $c: no 'hardware ready' report"
	else
		echo "ok $c (status $rc_zone in and out of the zone; $(grep -o 'hardware ready[^(]*' "$zone_tmp/$name-zone.out" | head -n 1))"
	fi
}

case_zone_oom() {
	local c=zone-oom name=zoom st sentinel
	zone_linux_need $c || return
	if [ "$zone_cg" != on ]; then
		echo "skipped: $c: no usable cgroup v2 here ($zone_cg_why)"
		return
	fi
	# 768 MiB of guest RAM under a 256 MiB limit: the guest fills its
	# own tmpfs until the host's OOM killer stops zhyve.
	zone_linux_files $name 768M 'head -c 600m /dev/zero >/tmp/fill; echo ZONE-NOT-STOPPED' \
		"memory.max = 256M"
	sleep 600 &
	sentinel=$!
	timeout -k 5 180 "$ZB/zhyve-zone" "$zone_tmp/$name.spec" </dev/null \
		>"$zone_tmp/$name.out" 2>&1
	st=$?
	cp "$zone_tmp/$name.out" "${ZHYVE_RESULTS:-/tmp}/zone-oom.log" 2>/dev/null
	if [ "$st" != 7 ]; then
		echo "FAIL $c: launcher status $st, want 7 ($(tail -n 2 "$zone_tmp/$name.out" | tr '\n' ' '))"
	elif ! grep -q "zhyve-zone: $name: out of memory" "$zone_tmp/$name.out"; then
		echo "FAIL $c: no 'out of memory' report"
	elif grep -q ZONE-NOT-STOPPED "$zone_tmp/$name.out"; then
		echo "FAIL $c: the guest finished filling its memory"
	elif ! kill -0 "$sentinel" 2>/dev/null; then
		echo "FAIL $c: a process outside the zone's cgroup died"
	elif [ -e "$(zone_cgdir $name)" ]; then
		echo "FAIL $c: the cgroup is still there"
	else
		echo "ok $c (status 7: $(grep -o 'out of memory: [^(]*' "$zone_tmp/$name.out"))"
	fi
	kill "$sentinel" 2>/dev/null
	wait "$sentinel" 2>/dev/null
}

# ---- running this file directly ------------------------------------------------

zone_main() {
	local sel=() c line pass=0 fail=0 skip=0 out rc
	if [ "${1:-}" = --l1 ]; then
		shift
		# shellcheck source=/dev/null
		. "$zone_here/../lib.sh"
		out=$(mktemp)
		L1_RESULTS=$SYS_DIR/zone-results
		if ! sys_artifacts; then
			# shellcheck disable=SC2086 # a list of words
			[ $# -gt 0 ] || set -- $ZONE_CASES
			for c in "$@"; do echo "skipped: $c: $SYS_WHY"; done >"$out"
		else
			export L1_ENV="ZONE_UID ZONE_GID ZONE_TIMEOUT"
			l1_run "$zone_here/zone.sh" 900 "$@"
			rc=$?
			grep -E '^(ok |FAIL |skipped: |# )' "$L1_RESULTS/output" >"$out" 2>/dev/null
			[ -s "$out" ] || echo "FAIL zone: no result from L1 (status $rc: ${SYS_WHY:-})" >"$out"
			echo "# L1 logs: $L1_RESULTS" >>"$out"
		fi
	else
		for c in "$@"; do
			case " $ZONE_CASES " in *" $c "*) ;; *)
				echo "unknown case '$c'; cases: $ZONE_CASES" >&2; return 2 ;;
			esac
			sel+=("$c")
		done
		[ ${#sel[@]} -gt 0 ] || read -ra sel <<<"$ZONE_CASES"
		out=$(mktemp)
		for c in "${sel[@]}"; do
			"case_${c//-/_}"
		done | tee "$out" >/dev/null
	fi
	while IFS= read -r line; do
		echo "$line"
		case "$line" in
		"ok "*) pass=$((pass + 1)) ;;
		"FAIL "*) fail=$((fail + 1)) ;;
		"skipped: "*) skip=$((skip + 1)) ;;
		esac
	done <"$out"
	rm -f "$out"
	echo "$pass passed, $fail failed, $skip skipped"
	[ "$fail" -eq 0 ]
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	cd "$zone_top" || exit 2
	zone_main "$@"
fi
