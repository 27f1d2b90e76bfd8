#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# Network throughput and latency of virtio-net under zhyve and under QEMU,
# side by side, inside the system-test host (tests/system/lib.sh).
#
#   bench/net.sh [RUNS]        (default 1 round of the four set-ups)
#   NET_BENCH_MB=64            MiB per direction and set-up
#
# Set-ups, each a Debian guest with 1 vCPU and 512 MiB on a tap in a bridge
# of the level-1 host (L1), booted the same way:
#   zhyve        -s 3,virtio-net,zt0              (userspace data path)
#   zhyve vhost  -s 3,virtio-net,zt0,vhost=on     (vhost-net)
#   QEMU         -netdev tap,vhost=off -device virtio-net-pci
#   QEMU vhost   -netdev tap,vhost=on  -device virtio-net-pci
# Measured by the guest, in this order: TCP L1 -> guest (socat from
# /dev/zero into busybox nc), the round trip of 56-byte pings to L1
# (ping -A, 300 of them, average), TCP guest -> L1 (dd | nc into socat).
# The last goes last because the TCG test host now and then resets a guest
# (QEMU's as well as zhyve's) while it sends at full speed; a round that
# ends that way still gives its earlier numbers and says what happened.
# Printed: the medians over the rounds that measured, how many did, and
# the zhyve/QEMU ratios (throughput: above 1 is zhyve faster; round trip:
# below 1 is zhyve faster).  Everything in L1 runs under TCG, so absolute
# numbers are far below real hardware; only the ratios of set-ups
# measured in one run mean much.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here" || exit 1
. tests/system/lib.sh
runs=${1:-1}
mb=${NET_BENCH_MB:-64}
zhyve=$(realpath "${ZHYVE_BUILD:-build}/zhyve" 2>/dev/null)
[ -x "$zhyve" ] || { echo "bench: build zhyve first (make)"; exit 1; }
sys_artifacts || { echo "skipped: net: $SYS_WHY"; exit 0; }
script=$(mktemp "$SYS_DIR/bench-net.XXXXXX.sh")
trap 'rm -f "$script"' EXIT
cat >"$script" <<'L1'
#!/usr/bin/env bash
. tests/system/lib.sh
BR=ztbr0 TAP=zt0 H=10.99.0.1 G=10.99.0.2
cmd="console=ttyS0 panic=-1 quiet"
[ -c /dev/vhost-net ] || modprobe vhost_net 2>/dev/null
ip link del "$TAP" 2>/dev/null; ip link del "$BR" 2>/dev/null
ip link add "$BR" type bridge && ip addr add "$H/24" dev "$BR" && ip link set "$BR" up &&
	ip tuntap add dev "$TAP" mode tap && ip link set "$TAP" master "$BR" &&
	ip link set "$TAP" up || { echo "bench: cannot set up $BR/$TAP"; exit 1; }
snip="set -e
n=\$(ls /sys/class/net | grep -v '^lo\$' | head -n 1)
ip link set \"\$n\" up
ip addr add $G/24 dev \"\$n\"
ping -c 2 -W 10 $H >/dev/null
t0=\$(cut -d' ' -f1 /proc/uptime)
nc $H 7102 >/dev/null
t1=\$(cut -d' ' -f1 /proc/uptime)
echo ZB-HG \$t0 \$t1
echo ZB-RTT \$(ping -A -q -c 300 $H | sed -n 's|.*= [0-9.]*/\\([0-9.]*\\)/.*|\\1|p')
t0=\$(cut -d' ' -f1 /proc/uptime)
dd if=/dev/zero bs=65536 count=$((MB * 16)) 2>/dev/null | nc $H 7101
t1=\$(cut -d' ' -f1 /proc/uptime)
echo ZB-GH \$t0 \$t1"
c64=$(printf '%s' "$snip" | base64 -w0)
for ((i = 1; i <= RUNS; i++)); do
	for vmm in zhyve zhyve-vhost qemu qemu-vhost; do
		socat -u "TCP-LISTEN:7101,reuseaddr,bind=$H" - >/dev/null 2>&1 &
		s1=$!
		head -c $((MB * 1048576)) /dev/zero | socat -u - "TCP-LISTEN:7102,reuseaddr,bind=$H" 2>/dev/null &
		s2=$!
		case $vmm in
		zhyve*)
			o=; [ $vmm = zhyve-vhost ] && o=,vhost=on
			l2_boot bn-$vmm-$i 300 "$ZHYVE_BIN" -m 512M -c 1 -s 0,hostbridge -s 31,lpc \
				-l com1,stdio -s "3,virtio-net,$TAP$o" -o "boot.kernel=$SYS_VMLINUZ" \
				-o "boot.initrd=$SYS_GUEST_INITRD" -o "boot.cmdline=$cmd zg.cmd64=$c64" vm0 ;;
		qemu*)
			o=off; [ $vmm = qemu-vhost ] && o=on
			l2_boot bn-$vmm-$i 300 qemu-system-x86_64 -accel kvm -cpu host -m 512 -smp 1 \
				-nodefaults -nographic -no-reboot -serial stdio \
				-netdev "tap,id=n0,ifname=$TAP,script=no,downscript=no,vhost=$o" \
				-device virtio-net-pci,netdev=n0 \
				-kernel "$SYS_VMLINUZ" -initrd "$SYS_GUEST_INITRD" -append "$cmd zg.cmd64=$c64" ;;
		esac
		kill "$s1" "$s2" 2>/dev/null; wait "$s1" "$s2" 2>/dev/null
		grep -qi "using the userspace data path" "$L2_LOG" && echo "# $vmm: $(grep -m1 -i vhost "$L2_LOG")"
		tr -d '\r' <"$L2_LOG" | awk -v v="$vmm" '
			/^ZB-HG / && NF == 3 { print "RESULT", v, "hg", $3 - $2 }
			/^ZB-RTT / && NF == 2 { print "RESULT", v, "rtt", $2 }
			/^ZB-GH / && NF == 3 { print "RESULT", v, "gh", $3 - $2 }'
		if ! grep -q '^ZB-GH ' "$L2_LOG"; then
			if [ "${L2_RC:-}" = 124 ]; then why="stalled, killed after 300 s"
			elif grep -q 'triple fault' "$L2_LOG" || [ "${L2_RC:-}" = 0 ]; then why="the guest was reset (VMM exit ${L2_RC:-?})"
			else why="VMM exit ${L2_RC:-?}"; fi
			echo "# $vmm round $i: no result for every phase: $why (log bn-$vmm-$i.log)"
		fi
	done
done
ip link del "$TAP"; ip link del "$BR"
L1
chmod +x "$script"
export ZHYVE_BIN=$zhyve RUNS=$runs MB=$mb
L1_ENV="ZHYVE_BIN RUNS MB"
L1_RESULTS=$SYS_DIR/bench-net
l1_run "$script" $((300 + runs * 4 * 330)) || { echo "bench: L1 run failed: ${SYS_WHY:-}"; exit 1; }
grep '^# ' "$L1_RESULTS/output"
grep '^RESULT' "$L1_RESULTS/output" | awk -v mb="$mb" -v runs="$runs" '
function median(a, n,   i, j, t) {
	for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
# throughput in MB/s from seconds; the round trip stays in ms
{ k = $2 SUBSEP $3; n[k]++; val[k, n[k]] = ($3 == "rtt") ? $4 + 0 : ($4 > 0 ? mb * 1048576 / $4 / 1e6 : 0) }
function med(v, m,   i, a) {
	if (!n[v, m]) return -1
	for (i = 1; i <= n[v, m]; i++) a[i] = val[v, m, i]
	return median(a, n[v, m])
}
function cell(x, u) { return x < 0 ? "failed" : sprintf(u == "ms" ? "%.3f ms" : "%.1f MB/s", x) }
function rat(z, q) { return (z < 0 || q <= 0) ? "n/a" : sprintf("%.2f", z / q) }
END {
	printf "virtio-net, %d MiB per direction, %d round(s) of four set-ups; medians of the rounds that measured (n/%d)\n", mb, runs, runs
	printf "nested TCG host: compare ratios only (throughput: above 1 is zhyve faster; round trip: below 1 is zhyve faster)\n"
	printf "%-28s %-18s %-18s %s\n", "", "zhyve (n)", "QEMU (n)", "zhyve/QEMU"
	split("hg gh rtt", ms, " "); split("host->guest TCP|guest->host TCP|ping RTT (56 B)", lab, "|")
	for (p = 0; p < 2; p++) {
		z = p ? "zhyve-vhost" : "zhyve"; q = p ? "qemu-vhost" : "qemu"; t = p ? "vhost-net" : "userspace"
		for (j = 1; j <= 3; j++) {
			m = ms[j]; u = m == "rtt" ? "ms" : "MB/s"
			a = med(z, m); b = med(q, m)
			printf "%-28s %-18s %-18s %s\n", t " " lab[j], cell(a, u) " (" n[z, m] + 0 ")", cell(b, u) " (" n[q, m] + 0 ")", rat(a, b)
		}
	}
}'
