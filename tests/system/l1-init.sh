#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
#
# tests/system/l1-init.sh: /init of the level-1 (L1) test host initramfs,
# run by busybox sh as PID 1 inside the TCG VM that lib.sh's l1_run boots.
#
# 1. mounts proc, sys, dev; loads the modules listed in /etc/modules.order
#    (virtio-pci + 9p, kvm-amd, tun/vhost/bridge/nf_tables...);
# 2. mounts the host root read-only (9p tag hostroot) at /host and the
#    writable results share (9p tag results) at /results;
# 3. mounts proc, sys (with cgroup2), dev, dev/pts, dev/shm, run inside /host,
#    a writable overlay over the host's /tmp, binds /results at
#    /host/tmp/zhyve-results, and points the kernel's module loader at the
#    host's modprobe run in the chroot;
# 4. runs the script named by zhyve.script= (a path in the host root) in a
#    chroot of /host, in directory zhyve.cwd=, after sourcing /results/env;
#    output goes to /results/output (the console follows it);
# 5. writes the script's exit status to /results/rc, kills whatever the
#    script left running and powers off.
#
# Progress lines on the console start with "zhyve-l1:".

PATH=/bin:/sbin
export PATH
/bin/busybox mkdir -p /proc /sys /dev /usr/bin /usr/sbin
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
exec </dev/console >/dev/console 2>&1

say() { echo "zhyve-l1: $*"; }
die() {
	say "FATAL: $*"
	[ -d /results ] && mountpoint -q /results && echo 125 >/results/rc
	sync
	poweroff -f
	sleep 5
	echo o >/proc/sysrq-trigger
}

# Value of key $1 on the kernel command line (no quoting: paths only).
arg() {
	for w in $(cat /proc/cmdline); do
		case "$w" in "$1="*) echo "${w#*=}"; return 0 ;; esac
	done
	return 1
}

for m in $(cat /etc/modules.order); do
	insmod "/lib/modules/$m.ko" || say "insmod $m failed"
done
ip link set lo up 2>/dev/null

mkdir -p /host /results
o=trans=virtio,version=9p2000.L,msize=262144
mount -t 9p -o "$o,ro,cache=loose" hostroot /host || die "cannot mount the host root (9p hostroot)"
mount -t 9p -o "$o" results /results || die "cannot mount the results share (9p results)"

script=$(arg zhyve.script) || die "no zhyve.script= on the kernel command line"
cwd=$(arg zhyve.cwd) || cwd=/

H=/host
# /tmp in the chroot: the host's /tmp (read-only 9p) under a tmpfs overlay, so
# files the host put there are seen and writes stay in L1; plain tmpfs if
# overlayfs is not available.
mount_tmp() {
	mkdir -p /ovl && mount -t tmpfs -o mode=0755 ovl /ovl &&
		mkdir -p /ovl/up /ovl/work && chmod 1777 /ovl/up &&
		mount -t overlay -o lowerdir=$H/tmp,upperdir=/ovl/up,workdir=/ovl/work \
			tmp $H/tmp && return 0
	say "no overlay on /tmp: host files in /tmp are not visible"
	mount -t tmpfs -o mode=1777 tmp $H/tmp
}
mount -t proc proc $H/proc &&
	mount -t sysfs sys $H/sys &&
	mount -t devtmpfs dev $H/dev &&
	ln -sf /proc/self/fd $H/dev/fd && ln -sf /proc/self/fd/0 $H/dev/stdin &&
	ln -sf /proc/self/fd/1 $H/dev/stdout && ln -sf /proc/self/fd/2 $H/dev/stderr &&
	mkdir -p $H/dev/pts $H/dev/shm &&
	mount -t devpts -o newinstance,ptmxmode=0666 devpts $H/dev/pts &&
	mount -t tmpfs -o mode=1777 shm $H/dev/shm &&
	mount_tmp &&
	mount -t tmpfs -o mode=0755 run $H/run &&
	mkdir -p $H/tmp/zhyve-results &&
	mount -o bind /results $H/tmp/zhyve-results ||
	die "cannot set up the chroot mounts"
mount -t cgroup2 cgroup2 $H/sys/fs/cgroup 2>/dev/null || say "no cgroup2 mount"
# Modules the kernel asks for are loaded by the host's modprobe in the chroot.
for m in /sbin/modprobe /usr/sbin/modprobe; do
	[ -e $H$m ] || [ -L $H$m ] || continue
	printf '#!/bin/sh\nexec chroot %s %s "$@"\n' $H $m >/bin/zhyve-modprobe
	chmod 755 /bin/zhyve-modprobe
	echo /bin/zhyve-modprobe >/proc/sys/kernel/modprobe
	break
done

# The script runs with bash if the host has it (for $EPOCHREALTIME and
# friends in lib.sh), else with sh; an executable script picks its own.
cat >$H/tmp/zhyve-l1-run <<'EOF'
cd "$1" || exit 125
script=$2
export ZHYVE_RESULTS=/tmp/zhyve-results HOME=/tmp TERM=dumb
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
. /tmp/zhyve-results/env || exit 125
if [ -x "$script" ]; then exec "$script" "$@"; fi
exec /bin/sh "$script" "$@"
EOF

touch /results/started
say "running $script in $cwd"
rm -f /results/rc
# The script writes to a file, not a pipe: a process it leaves behind (a
# forgotten "sleep 600 &", a listener) must not keep L1 from powering off.
# The console follows the file.
: >/results/output
tail -f /results/output &
follower=$!
# The heartbeat tells the host that L1's clock still runs (lib.sh's watchdog).
(while :; do date +%s >/results/heartbeat; sleep 5; done) &
chroot $H /bin/sh /tmp/zhyve-l1-run "$cwd" "$script" >/results/output 2>&1 </dev/null
echo $? >/results/rc
sleep 1
kill $follower 2>/dev/null
say "script exited $(cat /results/rc 2>/dev/null)"
# Whatever the script left running goes now (kill -1 spares PID 1, this shell).
kill -KILL -1 2>/dev/null
sync
umount /host/tmp/zhyve-results 2>/dev/null
umount /results 2>/dev/null
poweroff -f
sleep 5
echo o >/proc/sysrq-trigger
