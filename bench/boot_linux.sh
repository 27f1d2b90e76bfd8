#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# Boot time of Debian's stock kernel under zhyve and under QEMU, side by
# side, inside the system-test host (tests/system/lib.sh).
#
#   bench/boot_linux.sh [RUNS]      (default 5 runs of each, interleaved)
#
# Both VMMs boot the same kernel (bzImage), initramfs and command line with
# 1 vCPU and 512 MiB; QEMU runs -M pc with its default firmware path
# (SeaBIOS loading the kernel through fw_cfg), as a user would run it.
# Measured per run, inside L1:
#   to-marker   VMM exec -> the guest's init prints its marker (wall time)
#   in-guest    the guest's own uptime at that point (kernel start -> init)
#   total       VMM exec -> VMM exit after the guest powered off
# Printed: the median of each and the ratio zhyve/QEMU.  Timings in the
# nested host are noisy: only the ratio of interleaved runs means much.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
. tests/system/lib.sh
runs=${1:-5}
zhyve=$(realpath "${ZHYVE_BUILD:-build}/zhyve")
[ -x "$zhyve" ] || { echo "bench: build zhyve first (make)"; exit 1; }
sys_artifacts || { echo "skipped: boot_linux: $SYS_WHY"; exit 0; }
script=$(mktemp "$SYS_DIR/bench-boot.XXXXXX.sh")
trap 'rm -f "$script"' EXIT
cat >"$script" <<'L1'
#!/usr/bin/env bash
. tests/system/lib.sh
cmd="console=ttyS0 panic=-1 quiet zg.poweroff"
for ((i = 0; i <= RUNS; i++)); do
	for vmm in zhyve qemu; do
		if [ $vmm = zhyve ]; then
			l2_boot b-$vmm-$i 120 "$ZHYVE_BIN" -m 512M -c 1 -s 0,hostbridge -s 31,lpc \
				-l com1,stdio -o "boot.kernel=$SYS_VMLINUZ" \
				-o "boot.initrd=$SYS_GUEST_INITRD" -o "boot.cmdline=$cmd" vm0
		else
			l2_boot b-$vmm-$i 120 qemu-system-x86_64 -accel kvm -cpu host -M pc \
				-m 512 -smp 1 -nodefaults -nographic -no-reboot -serial stdio \
				-kernel "$SYS_VMLINUZ" -initrd "$SYS_GUEST_INITRD" -append "$cmd"
		fi
		g=$(sed -n 's/.*zg: \([0-9.]*\) s since kernel start.*/\1/p' "$L2_LOG" | head -n 1)
		# Run 0 warms the page cache and is dropped.
		[ $i -gt 0 ] && echo "RESULT $vmm ${L2_MARKER_SECS:-nan} ${g:-nan} ${L2_EXIT_SECS:-nan}"
	done
done
L1
chmod +x "$script"
export ZHYVE_BIN=$zhyve RUNS=$runs
L1_ENV="ZHYVE_BIN RUNS"
L1_RESULTS=$SYS_DIR/bench-boot
l1_run "$script" $((200 + runs * 120)) || { echo "bench: L1 run failed: ${SYS_WHY:-}"; exit 1; }
grep '^RESULT' "$L1_RESULTS/output" | awk '
function median(a, n,   i, j, t) {
	for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
{ n[$2]++; m[$2, n[$2]] = $3; g[$2, n[$2]] = $4; t[$2, n[$2]] = $5 }
END {
	for (v in n) {
		for (i = 1; i <= n[v]; i++) { a[i] = m[v, i] }; M[v] = median(a, n[v])
		for (i = 1; i <= n[v]; i++) { a[i] = g[v, i] }; G[v] = median(a, n[v])
		for (i = 1; i <= n[v]; i++) { a[i] = t[v, i] }; T[v] = median(a, n[v])
	}
	printf "%-22s %10s %10s %8s\n", "median over " n["zhyve"] " runs", "zhyve", "QEMU pc", "ratio"
	printf "%-22s %9.2fs %9.2fs %8.2f\n", "exec -> guest init", M["zhyve"], M["qemu"], M["zhyve"] / M["qemu"]
	printf "%-22s %9.2fs %9.2fs %8.2f\n", "kernel start -> init", G["zhyve"], G["qemu"], G["zhyve"] / G["qemu"]
	printf "%-22s %9.2fs %9.2fs %8.2f\n", "exec -> VMM exit", T["zhyve"], T["qemu"], T["zhyve"] / T["qemu"]
}'
