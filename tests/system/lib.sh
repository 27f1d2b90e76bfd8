# SPDX-License-Identifier: BSD-2-Clause
#
# tests/system/lib.sh: shared functions of the system-test tier (sourced by bash).
#
# The system tier runs zhyve inside a level-1 (L1) Linux VM: QEMU's TCG emulator
# with an emulated AMD SVM CPU, booting Debian's stock kernel, so L1 has a real
# /dev/kvm (kvm-amd) and level-2 (L2) guests run at useful speed.  The host's
# root is shared read-only into L1 (9p, mount_tag hostroot) and L1 runs the test
# script in a chroot of it, so L1 uses the very same binaries as the host.
#
# Everything here runs on the host except the l2_* helpers, which are meant
# for scripts that already run inside L1 (the chroot of the host root).
#
# Functions (each returns non-zero and sets SYS_WHY on failure):
#   sys_prereqs            check packages/tools the tier needs
#   sys_kernel             resolve the installed Debian kernel:
#                          SYS_KVER, SYS_VMLINUZ, SYS_MODDIR
#   sys_l1_initrd          build (cached) the L1 initramfs: SYS_L1_INITRD
#   sys_guest_initrd       build (cached) the L2 guest initramfs: SYS_GUEST_INITRD
#   sys_artifacts          all of the above
#   l1_run SCRIPT [TIMEOUT [ARG...]]
#                          boot L1, run SCRIPT ARG... in it, return its exit status
#                          (124: wall-clock timeout, 125: L1 gave no status, 126: L1 froze)
#   l2_boot NAME TIMEOUT VMM-COMMAND...   (inside L1) run a guest VMM command,
#                          wait for the guest marker, time it, optionally type
#                          L2_INPUT on the guest console
#
# Cached artifacts live under ${ZHYVE_BUILD:-build}/system/ and are rebuilt when
# the kernel version, busybox or this file changes.
#
# Debian packages the tier needs (installed by CI, never by the tests):
#   qemu-system-x86 linux-image-amd64 busybox-static

SYS_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SYS_LIB=$SYS_LIB_DIR/lib.sh
SYS_BUILD=${ZHYVE_BUILD:-build}
case "$SYS_BUILD" in /*) ;; *) SYS_BUILD=$PWD/$SYS_BUILD ;; esac
SYS_DIR=$SYS_BUILD/system
SYS_BUSYBOX=${ZHYVE_BUSYBOX:-/bin/busybox}
SYS_QEMU=${ZHYVE_QEMU:-qemu-system-x86_64}
SYS_WHY=

# The marker the guest initramfs prints once its init is up and its modules loaded.
SYS_GUEST_MARKER=ZHYVE-GUEST-READY

# L1 VM shape; override from the environment if needed.
L1_CPU=${L1_CPU:-EPYC,+svm}
L1_ACCEL=${L1_ACCEL:-tcg,thread=multi}
L1_SMP=${L1_SMP:-2}
L1_MEM=${L1_MEM:-4096}
L1_CMDLINE_EXTRA=${L1_CMDLINE_EXTRA:-}

# Kernel modules loaded in L1 at boot (with their dependencies, in load order).
# The 9p stack mounts the host root; the kvm stack gives /dev/kvm; the rest is
# for tests of networking and storage (crc32c_generic: a soft dependency of
# nf_tables' libcrc32c).  Missing optional modules are skipped.  Inside L1 the
# kernel's module loader runs the host's modprobe in the chroot, so any other
# module of the same kernel loads on demand or with "modprobe NAME".
SYS_L1_MODS_REQUIRED="virtio_pci 9pnet_virtio 9p kvm_amd"
SYS_L1_MODS_OPTIONAL="overlay tun tap vhost vhost_net veth bridge crc32c_generic nf_tables
	macvtap loop"
# Virtio drivers for the L2 guest initramfs.
SYS_GUEST_MODS_REQUIRED="virtio_pci virtio_blk virtio_net virtio_console"
SYS_GUEST_MODS_OPTIONAL="virtio_rng button evdev"

sys_log() { echo "# $*"; }

# --- prerequisites ---------------------------------------------------------

# sys_prereqs: checks the tools every case needs; SYS_WHY says what is missing.
sys_prereqs() {
	local t
	if ! command -v "$SYS_QEMU" >/dev/null 2>&1; then
		SYS_WHY="$SYS_QEMU not found (Debian package qemu-system-x86)"
		return 1
	fi
	if [ ! -x "$SYS_BUSYBOX" ]; then
		SYS_WHY="$SYS_BUSYBOX not found (Debian package busybox-static)"
		return 1
	fi
	# A dynamically linked busybox (package busybox) cannot run in an initramfs.
	if ldd "$SYS_BUSYBOX" >/dev/null 2>&1; then
		SYS_WHY="$SYS_BUSYBOX is dynamically linked (need Debian package busybox-static)"
		return 1
	fi
	for t in gzip timeout find sort; do
		if ! command -v "$t" >/dev/null 2>&1; then
			SYS_WHY="tool '$t' not found"
			return 1
		fi
	done
	sys_kernel
}

# sys_kernel: resolves the kernel that the linux-image-amd64 metapackage
# currently points at (or ZHYVE_KERNEL_VERSION if set), falling back to the
# newest /boot/vmlinuz-* that has a module tree.
sys_kernel() {
	local kver='' dep v
	[ -n "${SYS_KVER:-}" ] && [ -r "${SYS_VMLINUZ:-}" ] && return 0
	if [ -n "${ZHYVE_KERNEL_VERSION:-}" ]; then
		kver=$ZHYVE_KERNEL_VERSION
	elif command -v dpkg-query >/dev/null 2>&1; then
		if dpkg-query -W -f='${Status}\n' linux-image-amd64 2>/dev/null |
			grep -q ' installed$'; then
			dep=$(dpkg-query -W -f='${Depends}\n' linux-image-amd64 2>/dev/null |
				grep -oE 'linux-image-[0-9][^ ,|]*' | head -n 1)
			kver=${dep#linux-image-}
		fi
	fi
	if [ -z "$kver" ]; then
		for v in $(ls /boot/vmlinuz-* 2>/dev/null | sed 's|^/boot/vmlinuz-||' | sort -V); do
			[ -f "/lib/modules/$v/modules.dep" ] && kver=$v
		done
	fi
	if [ -z "$kver" ]; then
		SYS_WHY="no Debian kernel installed (Debian package linux-image-amd64)"
		return 1
	fi
	if [ ! -r "/boot/vmlinuz-$kver" ]; then
		SYS_WHY="/boot/vmlinuz-$kver missing or unreadable (package linux-image-$kver)"
		return 1
	fi
	if [ ! -r "/lib/modules/$kver/modules.dep" ]; then
		SYS_WHY="/lib/modules/$kver/modules.dep missing (package linux-image-$kver)"
		return 1
	fi
	SYS_KVER=$kver
	SYS_VMLINUZ=/boot/vmlinuz-$kver
	SYS_MODDIR=/lib/modules/$kver
}

# --- kernel modules ----------------------------------------------------------

# Module index from modules.dep: _sys_modpath[name] = path relative to the
# module directory, _sys_moddeps[name] = names of its direct and indirect deps.
# Names use '_' for '-', as the kernel does.
declare -A _sys_modpath=() _sys_moddeps=() _sys_builtin=()
_sys_modindex_dir=

# Prints "NAME PATH DEPNAME..." for each line of modules.dep.
_sys_moddep_names() {
	awk '
	function name(p,  n) {
		n = p; sub(/.*\//, "", n); sub(/\.ko.*/, "", n); gsub(/-/, "_", n)
		return n
	}
	{
		sub(/:$/, "", $1); line = name($1) " " $1
		for (i = 2; i <= NF; i++) line = line " " name($i)
		print line
	}' "$SYS_MODDIR/modules.dep"
}

_sys_modindex() {
	local n path deps
	[ "$_sys_modindex_dir" = "$SYS_MODDIR" ] && return 0
	_sys_modpath=() _sys_moddeps=() _sys_builtin=()
	while read -r n path deps; do
		_sys_modpath[$n]=$path
		_sys_moddeps[$n]=$deps
	done < <(_sys_moddep_names)
	if [ -r "$SYS_MODDIR/modules.builtin" ]; then
		while read -r n; do
			_sys_builtin[$n]=1
		done < <(sed -e 's|.*/||' -e 's/\.ko.*//' -e 's/-/_/g' "$SYS_MODDIR/modules.builtin")
	fi
	_sys_modindex_dir=$SYS_MODDIR
}

# _sys_modorder_add NAME: appends NAME and its dependencies (deps first) to
# _sys_order unless already there.  Builtin modules are skipped.
_sys_modorder_add() {
	local n=$1 d
	case " $_sys_order " in *" $n "*) return 0 ;; esac
	[ -n "${_sys_builtin[$n]:-}" ] && return 0
	[ -n "${_sys_modpath[$n]:-}" ] || return 1
	for d in ${_sys_moddeps[$n]}; do
		_sys_modorder_add "$d" || return 1
	done
	case " $_sys_order " in *" $n "*) ;; *) _sys_order+=" $n" ;; esac
}

# sys_mod_stage DESTDIR "REQUIRED..." "OPTIONAL...": copies the modules and
# their dependencies into DESTDIR/lib/modules/NAME.ko (decompressed) and writes
# the load order to DESTDIR/etc/modules.order.
sys_mod_stage() {
	local dest=$1 req=$2 opt=$3 n src
	_sys_modindex
	_sys_order=
	for n in $req; do
		n=${n//-/_}
		if ! _sys_modorder_add "$n"; then
			SYS_WHY="kernel module $n (or a dependency) not found in $SYS_MODDIR"
			return 1
		fi
	done
	for n in $opt; do
		n=${n//-/_}
		_sys_modorder_add "$n" || sys_log "optional module $n not found: left out"
	done
	mkdir -p "$dest/lib/modules" "$dest/etc"
	: >"$dest/etc/modules.order"
	for n in $_sys_order; do
		src=$SYS_MODDIR/${_sys_modpath[$n]}
		case "$src" in
		*.ko) cp "$src" "$dest/lib/modules/$n.ko" ;;
		*.ko.xz) xz -dc "$src" >"$dest/lib/modules/$n.ko" ;;
		*.ko.zst) zstd -qdc "$src" >"$dest/lib/modules/$n.ko" ;;
		*.ko.gz) gzip -dc "$src" >"$dest/lib/modules/$n.ko" ;;
		*) SYS_WHY="unknown module format: $src"; return 1 ;;
		esac || { SYS_WHY="cannot copy/decompress $src"; return 1; }
		echo "$n" >>"$dest/etc/modules.order"
	done
}

# --- initramfs images --------------------------------------------------------

# _sys_stale OUT DEPS...: true if OUT is missing or older than any of DEPS.
_sys_stale() {
	local out=$1 f
	shift
	[ -s "$out" ] || return 0
	for f in "$@"; do
		[ "$f" -nt "$out" ] && return 0
	done
	return 1
}

# _sys_busybox_root DIR: a minimal root with busybox; /init links it at boot.
_sys_busybox_root() {
	local d=$1
	mkdir -p "$d/bin" "$d/sbin" "$d/dev" "$d/proc" "$d/sys" "$d/tmp" "$d/etc" \
		"$d/root" "$d/mnt" "$d/run"
	cp "$SYS_BUSYBOX" "$d/bin/busybox"
	ln -s busybox "$d/bin/sh"
}

# _sys_cpio DIR OUT: packs DIR as a gzip'd newc cpio archive, atomically.
_sys_cpio() {
	local d=$1 out=$2
	(cd "$d" && find . | LC_ALL=C sort | "$SYS_BUSYBOX" cpio -o -H newc 2>/dev/null) |
		gzip -9n >"$out.tmp" && mv "$out.tmp" "$out"
}

# sys_l1_initrd: the L1 initramfs (busybox, 9p/kvm/net modules, /init).
sys_l1_initrd() {
	local out stage
	sys_kernel || return 1
	out=$SYS_DIR/l1-initrd-$SYS_KVER.cpio.gz
	SYS_L1_INITRD=$out
	_sys_stale "$out" "$SYS_LIB" "$SYS_LIB_DIR/l1-init.sh" "$SYS_BUSYBOX" \
		"$SYS_MODDIR/modules.dep" || return 0
	mkdir -p "$SYS_DIR"
	stage=$(mktemp -d "$SYS_DIR/stage-l1.XXXXXX") || { SYS_WHY="mktemp failed"; return 1; }
	_sys_busybox_root "$stage" &&
		sys_mod_stage "$stage" "$SYS_L1_MODS_REQUIRED" "$SYS_L1_MODS_OPTIONAL" &&
		install -m 0755 "$SYS_LIB_DIR/l1-init.sh" "$stage/init" &&
		_sys_cpio "$stage" "$out"
	local rc=$?
	rm -rf "$stage"
	[ $rc -eq 0 ] || { SYS_WHY="building $out failed: ${SYS_WHY:-see above}"; rm -f "$out"; }
	return $rc
}

# sys_guest_initrd: the L2 guest initramfs (busybox, virtio modules, /init).
sys_guest_initrd() {
	local out stage
	sys_kernel || return 1
	out=$SYS_DIR/guest-initrd-$SYS_KVER.cpio.gz
	SYS_GUEST_INITRD=$out
	_sys_stale "$out" "$SYS_LIB" "$SYS_LIB_DIR/guest-init.sh" "$SYS_BUSYBOX" \
		"$SYS_MODDIR/modules.dep" || return 0
	mkdir -p "$SYS_DIR"
	stage=$(mktemp -d "$SYS_DIR/stage-guest.XXXXXX") || { SYS_WHY="mktemp failed"; return 1; }
	_sys_busybox_root "$stage" &&
		sys_mod_stage "$stage" "$SYS_GUEST_MODS_REQUIRED" "$SYS_GUEST_MODS_OPTIONAL" &&
		install -m 0755 "$SYS_LIB_DIR/guest-init.sh" "$stage/init" &&
		_sys_cpio "$stage" "$out"
	local rc=$?
	rm -rf "$stage"
	[ $rc -eq 0 ] || { SYS_WHY="building $out failed: ${SYS_WHY:-see above}"; rm -f "$out"; }
	return $rc
}

# sys_vmlinux: the uncompressed ELF vmlinux inside the Debian bzImage (for
# PVH boot), cached as $SYS_DIR/vmlinux-KVER.  Debian compresses with xz: the
# payload starts at the first xz stream header.  Sets SYS_VMLINUX, or leaves
# it empty with SYS_VMLINUX_WHY saying why (the PVH case then skips).
sys_vmlinux() {
	local out off
	SYS_VMLINUX=
	SYS_VMLINUX_WHY=
	out=$SYS_DIR/vmlinux-$SYS_KVER
	if ! _sys_stale "$out" "$SYS_VMLINUZ"; then
		SYS_VMLINUX=$out
		return 0
	fi
	if ! command -v xz >/dev/null; then
		SYS_VMLINUX_WHY="no xz to unpack vmlinux (Debian package xz-utils)"
		return 0
	fi
	off=$(LC_ALL=C grep -aobUP '\xFD7zXZ\x00' "$SYS_VMLINUZ" | head -n 1 | cut -d: -f1)
	if [ -z "$off" ]; then
		SYS_VMLINUX_WHY="$SYS_VMLINUZ holds no xz stream"
		return 0
	fi
	if tail -c +$((off + 1)) "$SYS_VMLINUZ" | xz -dc --single-stream >"$out.tmp" 2>/dev/null &&
		[ "$(head -c 4 "$out.tmp" | od -An -tx1 | tr -d ' ')" = 7f454c46 ]; then
		mv "$out.tmp" "$out"
		SYS_VMLINUX=$out
	else
		rm -f "$out.tmp"
		SYS_VMLINUX_WHY="unpacking vmlinux from $SYS_VMLINUZ failed"
	fi
}

# sys_artifacts: everything a system test needs; also exports the paths so
# scripts running inside L1 find them.
sys_artifacts() {
	sys_prereqs && sys_l1_initrd && sys_guest_initrd || return 1
	sys_vmlinux
	export SYS_KVER SYS_VMLINUZ SYS_MODDIR SYS_L1_INITRD SYS_GUEST_INITRD \
		SYS_VMLINUX SYS_VMLINUX_WHY
}

# --- the L1 VM ----------------------------------------------------------------

_sys_shquote() { # one argument -> single-quoted for any POSIX shell
	printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"
}

_sys_now() { date +%s.%N; }
_sys_secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

# _l1_monitor SOCKET: the CPU state of a running L1, from QEMU's monitor.
_l1_monitor() {
	local c
	command -v socat >/dev/null || { echo "(no socat: no CPU state)"; return; }
	for c in "info status" "info cpus" "info registers -a" "info irq" "info pic"; do
		echo "=== $c"
		printf '%s\n' "$c" | timeout 10 socat -t 2 - "UNIX-CONNECT:$1" 2>&1 |
			tr -d '\r' | grep -v '^(qemu)\|^QEMU .* monitor'
	done
}

# l1_run SCRIPT [TIMEOUT [ARG...]]: boots L1 and runs SCRIPT ARG... inside it
# (in a chroot of the host root, cwd = the current directory), with stdout and
# stderr going to the console and to $L1_RESULTS/output.  Returns the script's
# exit status, 124 on wall-clock timeout (default 600 s), 125 if L1 ended
# without reporting a status, 126 if L1 froze (see the watchdog below;
# L1_STALL seconds, default 120).
#
# Inputs from the environment:
#   L1_FOLLOW   optional command (a function name is fine) that reads the
#               script's output lines on stdin while L1 runs
#   L1_RESULTS  writable directory shared into L1 (emptied first); default a
#               fresh temporary directory under $SYS_DIR.  Inside L1 the
#               script finds it as $ZHYVE_RESULTS.
#   L1_ENV      names of extra variables to pass into L1 (ZHYVE_BUILD and the
#               SYS_* artifact paths are always passed).
# Outputs (variables): L1_RESULTS, L1_LOG (the L1 console log, kept),
#   L1_BOOT_SECS (QEMU start to script start), L1_TOTAL_SECS.
l1_run() {
	local script=$1 tmo=${2:-600} res log t0 t1 ts rc v a qpid fpid= frozen hb
	shift 2 2>/dev/null || shift $#
	sys_artifacts || return 125
	case "$script" in /*) ;; *) script=$PWD/$script ;; esac
	if [ ! -r "$script" ]; then
		SYS_WHY="l1_run: no script $script"
		return 125
	fi
	case "$script$PWD" in *[[:space:]]*)
		SYS_WHY="l1_run: paths with white space are not supported: $script ($PWD)"
		return 125 ;;
	esac
	if [ -n "${L1_RESULTS:-}" ]; then
		rm -rf "$L1_RESULTS" && mkdir -p "$L1_RESULTS" || return 125
	else
		mkdir -p "$SYS_DIR" && L1_RESULTS=$(mktemp -d "$SYS_DIR/results.XXXXXX") || return 125
	fi
	res=$(cd "$L1_RESULTS" && pwd)
	L1_RESULTS=$res
	log=$res/console.log
	L1_LOG=$log
	# The environment file the L1 init sources in the chroot before the script.
	{
		for v in SYS_KVER SYS_VMLINUZ SYS_MODDIR SYS_L1_INITRD \
			SYS_GUEST_INITRD SYS_VMLINUX SYS_VMLINUX_WHY ${L1_ENV:-}; do
			[ -n "${!v+set}" ] || continue
			echo "export $v=$(_sys_shquote "${!v}")"
		done
		echo "export ZHYVE_BUILD=$(_sys_shquote "$SYS_BUILD")"
		printf 'set --'
		for a in "$@"; do printf ' %s' "$(_sys_shquote "$a")"; done
		echo
	} >"$res/env"
	: >"$res/output"
	t0=$(_sys_now)
	timeout -k 10 "$tmo" "$SYS_QEMU" \
		-accel "$L1_ACCEL" -cpu "$L1_CPU" -smp "$L1_SMP" -m "$L1_MEM" \
		-nographic -no-reboot -nodefaults \
		-serial "file:$log" \
		-kernel "$SYS_VMLINUZ" -initrd "$SYS_L1_INITRD" \
		-append "console=ttyS0 panic=-1 quiet mitigations=off zhyve.script=$script zhyve.cwd=$PWD $L1_CMDLINE_EXTRA" \
		-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
		-virtfs "local,path=$res,mount_tag=results,security_model=none" \
		-monitor "unix:$res/monitor.sock,server=on,wait=off" \
		</dev/null >"$res/qemu.out" 2>&1 &
	qpid=$!
	# L1_FOLLOW: a command fed the script's output lines as they arrive.
	if [ -n "${L1_FOLLOW:-}" ]; then
		tail -n +1 -F --pid="$qpid" "$res/output" 2>/dev/null | $L1_FOLLOW &
		fpid=$!
	fi
	# The watchdog: L1's init rewrites heartbeat every few seconds of L1's
	# own time.  If that stops for L1_STALL seconds of ours while QEMU
	# runs, L1 is frozen (seen in the TCG host: one vCPU spins in an L2
	# guest and L1's clock stops, so no timeout inside L1 fires): its CPU
	# state goes to frozen.txt and QEMU is stopped.
	frozen=
	while kill -0 "$qpid" 2>/dev/null; do
		sleep 2
		[ -e "$res/heartbeat" ] || continue
		hb=$(stat -c %Y "$res/heartbeat" 2>/dev/null) || continue
		if [ $(($(date +%s) - hb)) -gt "${L1_STALL:-120}" ]; then
			frozen=$(($(date +%s) - hb))
			_l1_monitor "$res/monitor.sock" >"$res/frozen.txt" 2>&1
			pkill -KILL -P "$qpid" 2>/dev/null
			kill -KILL "$qpid" 2>/dev/null
			break
		fi
	done
	wait "$qpid" 2>/dev/null
	rc=$?
	[ -n "$fpid" ] && wait "$fpid"
	t1=$(_sys_now)
	L1_TOTAL_SECS=$(_sys_secs "$t0" "$t1")
	L1_BOOT_SECS=
	if [ -e "$res/started" ]; then
		ts=$(stat -c %.9Y "$res/started")
		L1_BOOT_SECS=$(_sys_secs "$t0" "$ts")
	fi
	if [ -n "$frozen" ]; then
		SYS_WHY="L1 froze: its clock stood still for $frozen s; CPU state in $res/frozen.txt, console $log"
		return 126
	fi
	if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
		SYS_WHY="L1 timed out after $tmo s (console log: $log)"
		return 124
	fi
	if [ $rc -ne 0 ]; then
		SYS_WHY="qemu exited $rc: $(head -c 300 "$res/qemu.out") (console log: $log)"
		return 125
	fi
	if ! [ -s "$res/rc" ]; then
		SYS_WHY="L1 ended without an exit status$(grep -a -m1 -oE '(Kernel panic|BUG:) .*' "$log" |
			tr -d '\r' | sed 's/^/: /') (console log: $log)"
		return 125
	fi
	rc=$(cat "$res/rc")
	case "$rc" in ''|*[!0-9]*) SYS_WHY="L1 wrote a bad status '$rc'"; return 125 ;; esac
	[ "$rc" -eq 0 ] || SYS_WHY="script exited $rc in L1 (output: $res/output, console: $log)"
	return "$rc"
}

# --- helpers for scripts running inside L1 ------------------------------------

# l2_boot NAME TIMEOUT VMM-COMMAND...: runs a VMM command inside L1 whose
# guest console is its stdin/stdout, copying the console to
# $ZHYVE_RESULTS/NAME.log.  If L2_INPUT is set, it is typed on the console
# once the guest marker appears (then the console's input is closed);
# otherwise the VMM's stdin is closed from the start.
# Sets L2_MARKER_SECS (seconds from start to the guest marker, empty if never
# seen), L2_EXIT_SECS, L2_RC (the VMM's exit status; 124 = timed out) and
# L2_LOG.  Returns 0 if the marker was seen.
#
# A guest that resets before the marker (VMM status 0, or 3: bhyve's "triple
# fault") is booted once more: the emulated SVM of the L1 host very rarely
# (about 1 boot in 30, seen with 2 vCPUs) resets an L2 guest early in its
# boot.  L2_RETRIED is then 1 and the first console is in NAME-try1.log;
# callers say so in their result line.  L2_RETRIES=0 turns this off.
l2_boot() {
	local name=$1
	L2_RETRIED=0
	rm -f "${ZHYVE_RESULTS:-/tmp}/$name-try1.log"
	_l2_boot_once "$@" && return 0
	case "${L2_RC:-}" in 0|3) ;; *) return 1 ;; esac
	[ "${L2_RETRIES:-1}" -gt 0 ] || return 1
	grep -q 'Kernel panic' "$L2_LOG" && return 1
	mv "$L2_LOG" "${ZHYVE_RESULTS:-/tmp}/$name-try1.log"
	L2_RETRIED=1
	_l2_boot_once "$@"
}

_l2_boot_once() {
	local name=$1 tmo=$2 t0 line rfd wfd pid cr cw
	shift 2
	L2_LOG=${ZHYVE_RESULTS:-/tmp}/$name.log
	L2_MARKER_SECS=
	L2_RC=
	: >"$L2_LOG"
	t0=$EPOCHREALTIME
	# The VMM's exit status follows its output on a line of its own.
	coproc L2_VMM { timeout -k 5 "$tmo" "$@" 2>&1; printf '\nZHYVE-VMM-EXIT %s\n' $?; }
	# Own copies of the pipe ends: bash forgets the coprocess's once it ends.
	pid=$L2_VMM_PID cr=${L2_VMM[0]} cw=${L2_VMM[1]}
	exec {rfd}<&"$cr" {wfd}>&"$cw"
	exec {cr}<&- {cw}>&-
	[ -n "${L2_INPUT:-}" ] || exec {wfd}>&-
	while IFS= read -r line <&"$rfd"; do
		line=${line%$'\r'}
		case "$line" in
		"ZHYVE-VMM-EXIT "*) L2_RC=${line#ZHYVE-VMM-EXIT }; break ;;
		*"$SYS_GUEST_MARKER"*)
			if [ -z "$L2_MARKER_SECS" ]; then
				L2_MARKER_SECS=$(_sys_secs "$t0" "$EPOCHREALTIME")
				if [ -n "${L2_INPUT:-}" ]; then
					printf '%s' "$L2_INPUT" >&"$wfd"
					exec {wfd}>&-
				fi
			fi ;;
		esac
		printf '%s\n' "$line" >>"$L2_LOG"
	done
	exec {rfd}<&-
	[ -n "${L2_INPUT:-}" ] && [ -z "$L2_MARKER_SECS" ] && exec {wfd}>&-
	wait "$pid" 2>/dev/null
	L2_EXIT_SECS=$(_sys_secs "$t0" "$EPOCHREALTIME")
	[ -n "$L2_MARKER_SECS" ]
}
