#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# The main job: boot a Linux VM under zhyve and reach its console.
#
#   tools/demo.sh [--direct | --nested]
#
# The guest is Debian's stock kernel (package linux-image-amd64) with a small
# busybox initramfs the project builds (tests/system/lib.sh).
#
# --direct  (default on hosts whose /dev/kvm is hardware VT-x/AMD-V):
#           runs zhyve right here with COM1 on this terminal: you get the
#           guest's shell; `exit` (or `poweroff -f`) ends the VM.
# --nested  (default otherwise, e.g. on a host whose /dev/kvm is itself
#           nested and software-assisted, where a stock kernel cannot boot):
#           boots the system-test host (QEMU TCG with emulated AMD-V), runs
#           zhyve inside it, types a few commands at the guest's shell on
#           COM1 and prints the console transcript.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
. tests/system/lib.sh

mode=
case "${1:-}" in
--direct) mode=direct ;;
--nested) mode=nested ;;
"") if [ -d /sys/module/kvm_intel ] || [ -d /sys/module/kvm_amd ]; then
	mode=direct
    else
	mode=nested
    fi ;;
*) echo "usage: tools/demo.sh [--direct|--nested]" >&2; exit 2 ;;
esac

zhyve=${ZHYVE_BUILD:-build}/zhyve
[ -x "$zhyve" ] || { echo "demo: $zhyve is not built: run make first" >&2; exit 1; }
if ! sys_artifacts; then
	echo "demo: cannot build the guest: $SYS_WHY" >&2
	echo "demo: install the packages with: tools/setup-debian.sh (as root)" >&2
	exit 1
fi

if [ "$mode" = direct ]; then
	echo "demo: booting $SYS_VMLINUZ under zhyve; COM1 is this terminal."
	echo "demo: type 'exit' at the guest's shell to power it off."
	exec "$zhyve" -m 512M -c 2 -s 0,hostbridge -s 31,lpc -l com1,stdio \
		-o "boot.kernel=$SYS_VMLINUZ" -o "boot.initrd=$SYS_GUEST_INITRD" \
		-o "boot.cmdline=console=ttyS0 panic=-1 quiet" demo
fi

echo "demo: this host's /dev/kvm is not hardware-assisted; booting the"
echo "demo: system-test host (QEMU TCG + emulated AMD-V) and zhyve inside it."
script=$(mktemp "$SYS_DIR/demo-l1.XXXXXX.sh")
trap 'rm -f "$script"' EXIT
cat >"$script" <<'L1'
#!/usr/bin/env bash
# Runs inside the system-test host: zhyve boots the guest; the commands are
# typed at the guest's shell on COM1 once it is up.
. tests/system/lib.sh
L2_INPUT='echo; uname -a; echo "vCPUs: $(nproc)"; cat /sys/class/dmi/id/sys_vendor; head -n 3 /proc/meminfo; exit
'
l2_boot demo 180 "$ZHYVE_BUILD/zhyve" -m 512M -c 2 -s 0,hostbridge -s 31,lpc \
	-l com1,stdio -o "boot.kernel=$SYS_VMLINUZ" -o "boot.initrd=$SYS_GUEST_INITRD" \
	-o "boot.cmdline=console=ttyS0 panic=-1 quiet" demo
echo "zhyve exit status: ${L2_RC:-?} (1 = the guest powered off)"
[ -n "$L2_MARKER_SECS" ]
L1
chmod +x "$script"
L1_RESULTS=$SYS_DIR/demo
l1_run "$script" 400
rc=$?
echo "----- guest console (COM1) -----"
sed 's/\r$//' "$L1_RESULTS/demo.log" 2>/dev/null
echo "--------------------------------"
tail -n 1 "$L1_RESULTS/output" 2>/dev/null
[ $rc -eq 0 ] && echo "demo: the VM booted and answered on its console." ||
	echo "demo: failed: ${SYS_WHY:-see $L1_RESULTS}"
exit $rc
