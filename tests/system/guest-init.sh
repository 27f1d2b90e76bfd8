#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
#
# tests/system/guest-init.sh: /init of the level-2 (L2) guest initramfs, run
# by busybox sh as PID 1 in a guest that QEMU or zhyve boots inside L1.
#
# Mounts proc, sys, dev; loads the virtio modules in /etc/modules.order;
# prints the marker line ZHYVE-GUEST-READY on the console; then does what the
# kernel command line asks (console=ttyS0 is expected):
#
#   zg.cmd="SHELL SNIPPET"   run the snippet (double quotes on the kernel
#                            command line), print ZHYVE-GUEST-RC=<status>,
#                            power off
#   zg.cmd64=BASE64          the same, snippet base64-encoded (no quoting
#                            worries; kernel command line max 2047 bytes)
#   zg.poweroff              power off right after the marker (boot timing)
#   zg.powerbtn              wait for the ACPI power button, then power off
#                            (what a distribution's init does on the event)
#   (none of these)          interactive shell on the console; power off
#                            when it exits
#   zg.quiet                 leave out the progress lines ("zg: ...")
#
# Power off is "poweroff -f"; if the platform cannot power off, the kernel
# halts and init's exit panics, so boot with panic=-1 to turn that into a
# reboot (which QEMU -no-reboot and zhyve treat as the end of the VM).

PATH=/bin:/sbin:/usr/bin:/usr/sbin
export PATH
/bin/busybox mkdir -p /proc /sys /dev /usr/bin /usr/sbin
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
exec </dev/console >/dev/console 2>&1
mkdir -p /dev/pts && mount -t devpts devpts /dev/pts
mount -t tmpfs tmp /tmp

# arg KEY: prints the value of KEY=VALUE on the kernel command line (double
# quotes group words, as the kernel parses them), "1" for a bare KEY; fails
# if KEY is absent.
arg() {
	awk -v k="$1" '
	function emit(t,  v) {
		if (t == k) { print "1"; found = 1; exit }
		if (substr(t, 1, length(k) + 1) == k "=") {
			print substr(t, length(k) + 2); found = 1; exit
		}
	}
	{
		s = $0; t = ""; q = 0; have = 0
		for (i = 1; i <= length(s); i++) {
			c = substr(s, i, 1)
			if (c == "\"") { q = !q; have = 1; continue }
			if (!q && (c == " " || c == "\t" || c == "\n")) {
				if (have) emit(t)
				t = ""; have = 0; continue
			}
			t = t c; have = 1
		}
		if (have) emit(t)
	}
	END { exit !found }' /proc/cmdline
}

quiet=
arg zg.quiet >/dev/null && quiet=1
say() { [ -n "$quiet" ] || echo "zg: $*"; }
off() {
	sync
	poweroff -f
	sleep 2
	echo o >/proc/sysrq-trigger
	exit 0
}

for m in $(cat /etc/modules.order); do
	insmod "/lib/modules/$m.ko" || say "insmod $m failed"
done
ip link set lo up 2>/dev/null
say "$(cut -d' ' -f1 /proc/uptime) s since kernel start"
echo ZHYVE-GUEST-READY

if cmd=$(arg zg.cmd64); then
	cmd=$(echo "$cmd" | base64 -d) || { echo "ZHYVE-GUEST-RC=125"; off; }
elif ! cmd=$(arg zg.cmd); then
	cmd=
fi
if [ -n "$cmd" ]; then
	/bin/sh -c "$cmd"
	echo "ZHYVE-GUEST-RC=$?"
	off
fi
arg zg.poweroff >/dev/null && off

# The ACPI power button is an input device ("Power Button", from the
# button driver); any event on it is a press.
if arg zg.powerbtn >/dev/null; then
	ev=$(awk '/^N: Name="Power Button"/ { p = 1 }
		p && /^H: Handlers=/ { sub(/^H: Handlers=/, ""); for (i = 1; i <= NF; i++) if ($i ~ /^event/) { print $i; exit } }
		/^$/ { p = 0 }' /proc/bus/input/devices)
	if [ -n "$ev" ] && [ -c "/dev/input/$ev" ]; then
		echo "zg: waiting for the power button on /dev/input/$ev"
		dd if="/dev/input/$ev" of=/dev/null bs=24 count=1 2>/dev/null
		echo "zg: power button pressed: powering off"
		off
	fi
	echo "zg: no power button device"
fi

say "shell on the console; exit it to power off"
setsid cttyhack /bin/sh -l
off
