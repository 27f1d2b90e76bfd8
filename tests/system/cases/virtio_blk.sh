# SPDX-License-Identifier: BSD-2-Clause
#
# tests/system/cases/virtio_blk.sh: system-test cases for virtio-blk and
# virtio-rnd, and the virtio-blk benchmark against QEMU.
#
# Sourced (bash) by tests/system/run.sh after lib.sh and its own helpers;
# the case functions run INSIDE the level-1 host (the chroot of this
# machine's root), like run.sh's own cases, and print exactly one result
# line each ("ok NAME ...", "FAIL NAME: why" or "skipped: NAME: why"),
# plus "# ..." information lines.  To plug them in, run.sh does
#
#     . "$here/cases/virtio_blk.sh"
#     CASES="$CASES $VIRTIO_BLK_CASES"
#
# and offers $VIRTIO_BLK_BENCH (not run by default, it takes minutes) by
# name:   tests/system/run.sh bench-virtio-blk
#
# Uses from run.sh: zhyve_guest, l2_boot, b64, retried, L2_CMDLINE,
# L2_TIMEOUT, ZHYVE_BIN; from lib.sh: sys_mod_stage, SYS_VMLINUZ,
# SYS_GUEST_INITRD, SYS_MODDIR, SYS_BUSYBOX, ZHYVE_RESULTS.
#
# The guest is Debian's kernel with the system tier's busybox initramfs,
# extended by a second archive (concatenated: the kernel unpacks both)
# that adds /extra: the ext4 modules, mke2fs with its libraries, the
# blkbench tool (blkbench.c, built statically here) and /extra/lib.sh with
# guest-side helpers.  Images live in /tmp (a tmpfs in the level-1 host);
# the host side checks them with debugfs, e2fsck, dd and sha256sum.
#
# Host (level-1) tools: debugfs, e2fsck, mke2fs (e2fsprogs), cc with a
# static libc (libc6-dev) for blkbench; QEMU for the benchmark.

# Guest snippets are single-quoted on purpose (they expand in the guest);
# the case lists are read by run.sh.
# shellcheck disable=SC2016,SC2034

VIRTIO_BLK_CASES="zhyve-blk-identity zhyve-blk-ext4 zhyve-blk-ro zhyve-blk-two-disks zhyve-blk-sigkill zhyve-rnd-hwrng"
VIRTIO_BLK_BENCH="bench-virtio-blk"
VB_DIR=/tmp/zhyve-vblk
VB_INITRD=
VB_WHY=
VB_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# vb_extra_initrd: builds (once) $VB_INITRD = the guest initramfs plus /extra.
vb_extra_initrd() {
	local st=$VB_DIR/stage f lib
	[ -n "$VB_INITRD" ] && [ -s "$VB_INITRD" ] && return 0
	if ! { rm -rf "$st" && mkdir -p "$st/extra" "$st/lib64" \
		"$st/lib/x86_64-linux-gnu" "$st/usr/sbin" "$st/etc"; }; then
		VB_WHY="cannot make $st"
		return 1
	fi
	# ext4 wants a crc32c implementation at mount time (a soft dependency).
	if ! sys_mod_stage "$st/extra" "ext4 crc32c_generic" "crc32c_intel"; then
		VB_WHY="ext4 modules: $SYS_WHY"
		return 1
	fi
	f=$(command -v mke2fs) || { VB_WHY="no mke2fs in the level-1 host (e2fsprogs)"; return 1; }
	if ! { cp "$f" "$st/usr/sbin/mke2fs" &&
		ln -s mke2fs "$st/usr/sbin/mkfs.ext4"; }; then
		VB_WHY="cannot copy $f"
		return 1
	fi
	# Its shared libraries and the dynamic loader.
	for lib in $(ldd "$f" | awk '/=>/ { print $3 } /ld-linux/ { print $1 }'); do
		case "$lib" in
		*/ld-linux*) cp -L "$lib" "$st/lib64/" ;;
		/*) cp -L "$lib" "$st/lib/x86_64-linux-gnu/" ;;
		esac || { VB_WHY="cannot copy $lib"; return 1; }
	done
	[ -r /etc/mke2fs.conf ] && cp /etc/mke2fs.conf "$st/etc/"
	# The benchmark tool, if this host can link statically.
	cc -O2 -static -pthread -o "$st/extra/blkbench" "$VB_HERE/blkbench.c" \
		2>"$VB_DIR/blkbench.err" || rm -f "$st/extra/blkbench"
	cat >"$st/extra/lib.sh" <<'EOF'
# Guest-side helpers (sourced by the case snippets).
vb_mods() {
	for m in $(cat /extra/etc/modules.order); do
		insmod "/extra/lib/modules/$m.ko" 2>/dev/null
	done
	grep -qw ext4 /proc/filesystems
}
# vb_sha FILE [BYTES]: sha256 of the file (or its first BYTES).
vb_sha() {
	if [ -n "${2:-}" ]; then
		head -c "$2" "$1" | sha256sum | cut -d' ' -f1
	else
		sha256sum "$1" | cut -d' ' -f1
	fi
}
EOF
	(cd "$st" && find . | LC_ALL=C sort | "$SYS_BUSYBOX" cpio -o -H newc 2>/dev/null) |
		gzip -1 >"$VB_DIR/extra.cpio.gz" || { VB_WHY="cpio failed"; return 1; }
	cat "$SYS_GUEST_INITRD" "$VB_DIR/extra.cpio.gz" >"$VB_DIR/initrd" ||
		{ VB_WHY="cannot write $VB_DIR/initrd"; return 1; }
	VB_INITRD=$VB_DIR/initrd
}

# vb_guest CASE SNIPPET ZHYVE-OPTIONS...: zhyve_guest with the extended
# initramfs.  The snippet runs after ". /extra/lib.sh".
vb_guest() {
	local name=$1 snip=$2 saved=$SYS_GUEST_INITRD rc
	shift 2
	if ! vb_extra_initrd; then
		echo "FAIL $name: building the guest initramfs: $VB_WHY"
		return 1
	fi
	SYS_GUEST_INITRD=$VB_INITRD
	zhyve_guest "$name" 1 ". /extra/lib.sh
$snip" "$@"
	rc=$?
	SYS_GUEST_INITRD=$saved
	return $rc
}

# vb_img NAME SIZE: a fresh sparse image; prints its path.
vb_img() {
	mkdir -p "$VB_DIR" && rm -f "$VB_DIR/$1" && truncate -s "$2" "$VB_DIR/$1" &&
		echo "$VB_DIR/$1"
}

# vb_line KEY: the value after "KEY " on the last guest console line with it.
vb_line() {
	grep -a "^$1 " "$L2_LOG" | tail -n 1 | cut -d' ' -f2 | tr -d '\r'
}

# ---- cases ---------------------------------------------------------------------

# /dev/vda has the configured size, serial and sector sizes; discard reaches
# the image (a hole that reads back as zeroes).
case_zhyve_blk_identity() {
	local img snip
	img=$(vb_img identity.img 96M) || { echo "FAIL zhyve-blk-identity: no image"; return; }
	printf 'Z%.0s' $(seq 4096) | dd of="$img" bs=4096 seek=1 conv=notrunc 2>/dev/null
	snip='set -e
[ "$(cat /sys/block/vda/size)" = 196608 ]
[ "$(cat /sys/block/vda/serial)" = ZHYVE-SYS-SERIAL ]
[ "$(cat /sys/block/vda/queue/logical_block_size)" = 4096 ]
[ "$(cat /sys/block/vda/queue/physical_block_size)" = 16384 ]
[ "$(cat /sys/block/vda/ro)" = 0 ]
[ "$(cat /sys/block/vda/queue/discard_max_bytes)" -gt 0 ]
blkdiscard -o 4096 -l 4096 /dev/vda
sync
grep virtio0 /proc/interrupts | sed "s/^/INTR /"
grep -q "virtio0-req.0" /proc/interrupts'
	vb_guest zhyve-blk-identity "$snip" \
		-s "4,virtio-blk,$img,ser=ZHYVE-SYS-SERIAL,sectorsize=4096/16384" || return
	if [ "$(dd if="$img" bs=4096 skip=1 count=1 2>/dev/null | tr -d '\0' | wc -c)" != 0 ]; then
		echo "FAIL zhyve-blk-identity: the discarded block is not zero in the image"
		return
	fi
	grep -a '^INTR ' "$L2_LOG" | sed 's/^INTR /# /' | tr -s ' '
	echo "ok zhyve-blk-identity (96 MiB, serial, 4096/16384 sectors, discard, MSI-X per queue$(retried))"
}

# mkfs.ext4, mount, 64 MiB of random data, sync: the host reads the same
# data out of the image (debugfs) and the file system checks clean.
case_zhyve_blk_ext4() {
	local img snip want got
	img=$(vb_img ext4.img 256M) || { echo "FAIL zhyve-blk-ext4: no image"; return; }
	snip='set -e
vb_mods
mkfs.ext4 -q -F /dev/vda
mount -t ext4 /dev/vda /mnt
dd if=/dev/urandom of=/mnt/data bs=1M count=64 2>/dev/null
sync
echo "GUEST-SHA $(vb_sha /mnt/data)"
umount /mnt'
	vb_guest zhyve-blk-ext4 "$snip" -s "4,virtio-blk,$img" || return
	want=$(vb_line GUEST-SHA)
	rm -f "$VB_DIR/data.out"
	debugfs -R "dump /data $VB_DIR/data.out" "$img" >/dev/null 2>&1
	got=$(sha256sum "$VB_DIR/data.out" 2>/dev/null | cut -d' ' -f1)
	if [ -z "$want" ]; then
		echo "FAIL zhyve-blk-ext4: the guest printed no checksum (log $L2_LOG)"
	elif [ "$got" != "$want" ]; then
		echo "FAIL zhyve-blk-ext4: the host reads ${got:-nothing} from the image, the guest wrote $want"
	elif ! e2fsck -fn "$img" >"$VB_DIR/fsck.out" 2>&1; then
		echo "FAIL zhyve-blk-ext4: e2fsck finds errors ($VB_DIR/fsck.out)"
	else
		echo "ok zhyve-blk-ext4 (64 MiB through ext4, sha256 matches, fsck clean$(retried))"
	fi
	rm -f "$VB_DIR/data.out"
}

# A read-only disk: the guest sees it read-only, writes fail (also after
# blockdev --setrw), reads work, and the image is unchanged.  (That the
# device itself answers a write with an I/O error is a unit test.)
case_zhyve_blk_ro() {
	local img snip before after
	img=$(vb_img ro.img 16M) || { echo "FAIL zhyve-blk-ro: no image"; return; }
	head -c 1048576 /dev/urandom | dd of="$img" conv=notrunc 2>/dev/null
	before=$(sha256sum "$img" | cut -d' ' -f1)
	snip='[ "$(blockdev --getro /dev/vda)" = 1 ] || exit 1
dd if=/dev/vda of=/dev/null bs=1M count=1 2>/dev/null || exit 2
if dd if=/dev/zero of=/dev/vda bs=4096 count=1 conv=fsync 2>/dev/null; then exit 3; fi
blockdev --setrw /dev/vda
if dd if=/dev/zero of=/dev/vda bs=4096 count=1 oflag=direct 2>/dev/null; then exit 4; fi
exit 0'
	vb_guest zhyve-blk-ro "$snip" -s "4,virtio-blk,$img,ro" || return
	after=$(sha256sum "$img" | cut -d' ' -f1)
	if [ "$before" != "$after" ]; then
		echo "FAIL zhyve-blk-ro: the read-only image changed"
	else
		echo "ok zhyve-blk-ro (writes refused, image unchanged$(retried))"
	fi
}

# Two disks at once, each with its own size and serial; each gets its own
# marker, and each marker lands in the right image.
case_zhyve_blk_two_disks() {
	local a b snip
	if ! { a=$(vb_img two-a.img 64M) && b=$(vb_img two-b.img 32M); }; then
		echo "FAIL zhyve-blk-two-disks: no images"
		return
	fi
	snip='set -e
[ "$(cat /sys/block/vda/size)" = 131072 ]
[ "$(cat /sys/block/vdb/size)" = 65536 ]
[ "$(cat /sys/block/vda/serial)" = DISK-A ]
[ "$(cat /sys/block/vdb/serial)" = DISK-B ]
echo MARKER-FOR-A | dd of=/dev/vda bs=512 seek=100 conv=fsync 2>/dev/null
echo MARKER-FOR-B | dd of=/dev/vdb bs=512 seek=200 conv=fsync 2>/dev/null'
	vb_guest zhyve-blk-two-disks "$snip" -s "4,virtio-blk,$a,ser=DISK-A" \
		-s "5,virtio-blk,$b,ser=DISK-B" || return
	if ! dd if="$a" bs=512 skip=100 count=1 2>/dev/null | grep -aq MARKER-FOR-A ||
		! dd if="$b" bs=512 skip=200 count=1 2>/dev/null | grep -aq MARKER-FOR-B; then
		echo "FAIL zhyve-blk-two-disks: a marker is missing from its image"
	elif dd if="$a" bs=512 skip=200 count=1 2>/dev/null | grep -aq MARKER; then
		echo "FAIL zhyve-blk-two-disks: disk B's marker is in disk A"
	else
		echo "ok zhyve-blk-two-disks (two sizes, two serials, data in the right images$(retried))"
	fi
}

# vb_kill_run IMG SNIPPET LOG: boots zhyve with IMG as vda running SNIPPET
# (after ". /extra/lib.sh"), waits for a "SYNCED " line on the console and
# SIGKILLs zhyve.  Returns 0 if the line came.
vb_kill_run() {
	local img=$1 snip=$2 log=$3 pid end seen=1
	"$ZHYVE_BIN" -m 512M -s 0,hostbridge -s 31,lpc -l com1,stdio \
		-s "4,virtio-blk,$img" -o "boot.kernel=$SYS_VMLINUZ" \
		-o "boot.initrd=$VB_INITRD" \
		-o "boot.cmdline=$L2_CMDLINE zg.cmd64=$(b64 ". /extra/lib.sh
$snip")" vm0 </dev/null >"$log" 2>&1 &
	pid=$!
	end=$((SECONDS + L2_TIMEOUT))
	while [ "$SECONDS" -lt "$end" ]; do
		if grep -aqs '^SYNCED ' "$log"; then
			seen=0
			break
		fi
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.2
	done
	sleep 0.5			# let the unsynced writes start
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return $seen
}

# The guest writes 32 MiB, flushes (fsync on the device), says so, and
# keeps writing elsewhere; zhyve is then SIGKILLed.  Everything the guest
# flushed is in the image.  A guest that never came up is booted once
# more (see l2_boot in lib.sh for why that happens in the test host).
case_zhyve_blk_sigkill() {
	local img snip log want got again=''
	img=$(vb_img kill.img 128M) || { echo "FAIL zhyve-blk-sigkill: no image"; return; }
	if [ -z "${ZHYVE_BIN:-}" ] || [ ! -x "$ZHYVE_BIN" ]; then
		echo "skipped: zhyve-blk-sigkill: zhyve not built"
		return
	fi
	vb_extra_initrd || { echo "FAIL zhyve-blk-sigkill: $VB_WHY"; return; }
	snip='set -e
dd if=/dev/urandom of=/tmp/d bs=1M count=32 2>/dev/null
dd if=/tmp/d of=/dev/vda bs=1M conv=fsync 2>/dev/null
echo "SYNCED $(vb_sha /tmp/d)"
dd if=/dev/urandom of=/dev/vda bs=1M seek=64 count=64 2>/dev/null &
sleep 600'
	log=${ZHYVE_RESULTS:-/tmp}/zhyve-blk-sigkill.log
	if ! vb_kill_run "$img" "$snip" "$log" &&
		! grep -aq "$SYS_GUEST_MARKER" "$log"; then
		mv "$log" "${log%.log}-try1.log"
		again="; booted twice, first try in ${log%.log}-try1.log"
		vb_kill_run "$img" "$snip" "$log"
	fi
	want=$(grep -a '^SYNCED ' "$log" | tail -n 1 | cut -d' ' -f2 | tr -d '\r')
	got=$(head -c 33554432 "$img" | sha256sum | cut -d' ' -f1)
	if [ -z "$want" ]; then
		echo "FAIL zhyve-blk-sigkill: the guest never reported its flush (log $log)"
	elif [ "$got" != "$want" ]; then
		echo "FAIL zhyve-blk-sigkill: after SIGKILL the image lacks data the guest flushed"
	else
		echo "ok zhyve-blk-sigkill (32 MiB flushed, zhyve killed, all of it in the image$again)"
	fi
}

# virtio-rnd: /dev/hwrng is the virtio source and returns data.
case_zhyve_rnd_hwrng() {
	local snip
	snip='set -e
grep -q virtio /sys/class/misc/hw_random/rng_available
[ "$(dd if=/dev/hwrng bs=256 count=4 2>/dev/null | wc -c)" = 1024 ]
[ "$(dd if=/dev/hwrng bs=256 count=1 2>/dev/null | od -An -tx1 | tr -d " \n0" | wc -c)" -gt 0 ]'
	vb_guest zhyve-rnd-hwrng "$snip" -s "6,virtio-rnd" || return
	echo "ok zhyve-rnd-hwrng (1 KiB from /dev/hwrng$(retried))"
}

# ---- benchmark -----------------------------------------------------------------
#
# The same guest workload (blkbench: sequential 1 MiB O_DIRECT writes and
# reads over 256 MiB, then 4 KiB random reads with 8 in flight for 10 s)
# on zhyve and on QEMU's virtio-blk (modern; the image in the host's page
# cache, zhyve's default and QEMU's cache=writeback), in this one
# level-1 host.  Four set-ups take turns, VB_BENCH_ROUNDS times (default
# 3): zhyve (io_uring), zhyve engine=threads, QEMU aio=threads (its
# default) and QEMU aio=io_uring.  Prints the median of each and the
# ratios zhyve / QEMU (higher is better for zhyve).

# vb_bench_run NAME VMM-COMMAND...: boots, runs blkbench; sets VB_SW VB_SR VB_RR.
vb_bench_run() {
	local name=$1
	shift
	VB_SW='' VB_SR='' VB_RR=''
	l2_boot "$name" "$L2_TIMEOUT" "$@" || return 1
	VB_SW=$(grep -a '^BENCH seqwrite ' "$L2_LOG" | awk '{ print $3 }')
	VB_SR=$(grep -a '^BENCH seqread ' "$L2_LOG" | awk '{ print $3 }')
	VB_RR=$(grep -a '^BENCH randread ' "$L2_LOG" | awk '{ print $3 }')
	[ -n "$VB_SW" ] && [ -n "$VB_SR" ] && [ -n "$VB_RR" ]
}

vb_ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "?" }'; }
vb_median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

case_bench_virtio_blk() {
	local img cmd c r t rounds=${VB_BENCH_ROUNDS:-3} i
	local -A sw sr rr
	local configs="zhyve zhyve-threads qemu-threads qemu-io_uring"
	if ! command -v qemu-system-x86_64 >/dev/null; then
		echo "skipped: bench-virtio-blk: qemu-system-x86_64 not installed"
		return
	fi
	if [ -z "${ZHYVE_BIN:-}" ] || [ ! -x "$ZHYVE_BIN" ]; then
		echo "skipped: bench-virtio-blk: zhyve not built"
		return
	fi
	vb_extra_initrd || { echo "FAIL bench-virtio-blk: $VB_WHY"; return; }
	if ! "$SYS_BUSYBOX" zcat "$VB_DIR/extra.cpio.gz" | "$SYS_BUSYBOX" cpio -t 2>/dev/null |
		grep -q extra/blkbench; then
		echo "skipped: bench-virtio-blk: blkbench did not build ($(head -c 200 "$VB_DIR/blkbench.err"))"
		return
	fi
	img=$(vb_img bench.img 256M) || { echo "FAIL bench-virtio-blk: no image"; return; }
	cmd="$L2_CMDLINE zg.quiet zg.cmd64=$(b64 '/extra/blkbench /dev/vda 256 10')"
	for ((i = 1; i <= rounds; i++)); do
		for c in $configs; do
			case "$c" in
			zhyve*)
				local eng=''
				[ "$c" = zhyve-threads ] && eng=,engine=threads
				r=0
				vb_bench_run "bench-$c-$i" "$ZHYVE_BIN" -m 512M -s 0,hostbridge \
					-s 31,lpc -l com1,stdio -s "4,virtio-blk,$img$eng" \
					-o "boot.kernel=$SYS_VMLINUZ" -o "boot.initrd=$VB_INITRD" \
					-o "boot.cmdline=$cmd" vm0 || r=1 ;;
			qemu*)
				r=0
				vb_bench_run "bench-$c-$i" qemu-system-x86_64 -accel kvm -cpu host \
					-m 512 -smp 1 -nodefaults -nographic -no-reboot -serial stdio \
					-kernel "$SYS_VMLINUZ" -initrd "$VB_INITRD" -append "$cmd" \
					-drive "file=$img,if=none,id=d0,format=raw,cache=writeback,aio=${c#qemu-}" \
					-device virtio-blk-pci,drive=d0,disable-legacy=on || r=1 ;;
			esac
			if [ "$r" != 0 ]; then
				echo "FAIL bench-virtio-blk: the $c run gave no numbers (log $L2_LOG)"
				return
			fi
			sw[$c]+=" $VB_SW" sr[$c]+=" $VB_SR" rr[$c]+=" $VB_RR"
		done
	done
	for c in $configs; do
		# shellcheck disable=SC2086
		sw[$c]=$(vb_median ${sw[$c]}) sr[$c]=$(vb_median ${sr[$c]}) rr[$c]=$(vb_median ${rr[$c]})
	done
	echo "# bench virtio-blk, median of $rounds rounds; ratio = zhyve / that column"
	printf '# %-22s %9s %9s %18s %18s\n' "" zhyve "(threads)" "qemu aio=threads" "qemu aio=io_uring"
	for t in sw:"seqwrite 1M MB/s" sr:"seqread 1M MB/s" rr:"randread 4K QD8 IOPS"; do
		local -n v=${t%%:*}
		printf '# %-22s %9s %9s %9s (x%s) %9s (x%s)\n' "${t#*:}" "${v[zhyve]}" \
			"${v[zhyve-threads]}" "${v[qemu-threads]}" \
			"$(vb_ratio "${v[zhyve]}" "${v[qemu-threads]}")" "${v[qemu-io_uring]}" \
			"$(vb_ratio "${v[zhyve]}" "${v[qemu-io_uring]}")"
		unset -n v
	done
	echo "ok bench-virtio-blk (zhyve/qemu: seqwrite x$(vb_ratio "${sw[zhyve]}" "${sw[qemu-threads]}"), seqread x$(vb_ratio "${sr[zhyve]}" "${sr[qemu-threads]}"), randread x$(vb_ratio "${rr[zhyve]}" "${rr[qemu-threads]}"))"
}
