# SPDX-License-Identifier: BSD-2-Clause
#
# tests/system/cases/net.sh: the virtio-net cases of the system tier.
# tests/system/run.sh sources this file and adds $NET_CASES to CASES; the
# cases use its helpers (zhyve_has_emulation, zhyve_start, wait_log,
# wait_exit, b64) and run INSIDE L1, each printing one result line.
#
# L1 gets a bridge (ztbr0, 10.99.0.1/24) with a tap (zt0) in it; zhyve's
# virtio-net uses the tap; the Debian guest puts 10.99.0.2/24 on its NIC.
#
#   zhyve-virtio-net        the guest's NIC comes up; ping guest -> L1 and
#                           L1 -> guest
#   zhyve-virtio-net-tcp    100 MiB over TCP L1 -> guest and back, sha256
#                           checked on both sides (userspace data path)
#   zhyve-virtio-net-vhost  the same with vhost=on; the kernel's vhost
#                           worker for zhyve must exist
#   zhyve-virtio-net-spoof  a guest that changes its MAC is not heard by
#                           L1 (no bridge FDB entry, no neighbour entry,
#                           zhyve logs the drop); with allow_mac_spoofing
#                           the same guest is heard (the control)
#
# L1 tools: ip, bridge (iproute2), socat, busybox (ping, nc in the guest).

NET_BR=ztbr0
NET_TAP=zt0
NET_HOST=10.99.0.1
NET_GUEST=10.99.0.2
NET_SPOOF_MAC=02:de:ad:be:ef:01
NET_DATA=/tmp/zt-net-100m

# shellcheck disable=SC2034  # used by run.sh
NET_CASES="zhyve-virtio-net zhyve-virtio-net-tcp zhyve-virtio-net-vhost zhyve-virtio-net-spoof"

# net_prereqs CASE: zhyve has the device and L1 has the tools.
net_prereqs() {
	local t
	zhyve_has_emulation "$1" virtio-net || return 1
	for t in ip bridge socat busybox sha256sum; do
		if ! command -v "$t" >/dev/null; then
			echo "skipped: $1: no $t in L1 (Debian packages iproute2 socat busybox coreutils)"
			return 1
		fi
	done
}

net_teardown() {
	ip link del "$NET_TAP" 2>/dev/null
	ip link del "$NET_BR" 2>/dev/null
}

# A bridge with L1's address and an empty tap in it, both up.
net_setup() {
	net_teardown
	ip link add "$NET_BR" type bridge &&
		ip link set "$NET_BR" type bridge stp_state 0 &&
		ip addr add "$NET_HOST/24" dev "$NET_BR" &&
		ip link set "$NET_BR" up &&
		ip tuntap add dev "$NET_TAP" mode tap &&
		ip link set "$NET_TAP" master "$NET_BR" &&
		ip link set "$NET_TAP" up
}

# Guest snippet: the first NIC up with the guest's address (in $n).
NET_GUEST_UP="set -e
n=\$(ls /sys/class/net | grep -v '^lo\$' | head -n 1)
ip link set \"\$n\" up
ip addr add $NET_GUEST/24 dev \"\$n\""

# net_stop CASE: kill a zhyve still running after the guest's end.
net_stop() {
	local rc
	wait_exit "$BG_PID" "${1:-60}"
	rc=$?
	if [ $rc = 124 ]; then
		kill -9 "$BG_PID" 2>/dev/null
		wait "$BG_PID" 2>/dev/null
	fi
	return $rc
}

# net_guest_ok: the guest's snippet reported success in $BG_LOG.
net_guest_ok() {
	grep -q '^ZHYVE-GUEST-RC=0' "$BG_LOG"
}

# The guest pings L1; then L1 pings the guest and tells it to finish.
case_zhyve_virtio_net() {
	local snip why=
	net_prereqs zhyve-virtio-net || return
	net_setup || { echo "FAIL zhyve-virtio-net: cannot set up $NET_BR/$NET_TAP in L1"; net_teardown; return; }
	snip="$NET_GUEST_UP
ping -c 3 -W 10 $NET_HOST
echo ZG-NET-UP
nc -l -p 7000 >/tmp/bye
grep -q bye /tmp/bye"
	zhyve_start zhyve-virtio-net 1 "zg.cmd64=$(b64 "$snip")" -s "3,virtio-net,$NET_TAP"
	if ! wait_log "$BG_LOG" "^ZG-NET-UP" "$L2_TIMEOUT"; then
		why="the guest could not ping L1"
	elif ! busybox ping -c 3 -W 5 "$NET_GUEST" >/dev/null; then
		why="L1 could not ping the guest"
	fi
	# Let the guest finish either way.
	echo bye | socat -u - "TCP:$NET_GUEST:7000,connect-timeout=5" 2>/dev/null
	net_stop 60
	net_teardown
	if [ -n "$why" ]; then
		echo "FAIL zhyve-virtio-net: $why (log $BG_LOG)"
	elif ! net_guest_ok; then
		echo "FAIL zhyve-virtio-net: the guest's check failed (log $BG_LOG)"
	else
		echo "ok zhyve-virtio-net (ping both ways over $NET_TAP in bridge $NET_BR)"
	fi
}

# The 100 MiB test file and its sha256 (made once per L1 run).
net_data() {
	if [ ! -s "$NET_DATA" ]; then
		head -c 104857600 /dev/urandom >"$NET_DATA.tmp" && mv "$NET_DATA.tmp" "$NET_DATA" ||
			return 1
		sha256sum "$NET_DATA" | cut -d' ' -f1 >"$NET_DATA.sum"
	fi
	NET_SUM=$(cat "$NET_DATA.sum")
}

# MB/s from bytes and two uptimes.
net_rate() {
	awk -v a="$1" -v b="$2" 'BEGIN { d = b - a; if (d <= 0) print "?"; else printf "%.1f", 104857600 / d / 1e6 }'
}

# Guest snippet: every 5 s, the NIC's byte counters on the console.
NET_GUEST_PROGRESS="(while sleep 5; do echo ZG-PROGRESS \$(cat /sys/class/net/\$n/statistics/rx_bytes /sys/class/net/\$n/statistics/tx_bytes); done) &"

# net_diag: one line on the state of a stalled transfer: the guest's last
# counters, the tap's counters in L1 (its tx is toward the guest) and what
# zhyve's threads are doing.
net_diag() {
	local t st=/sys/class/net/$NET_TAP/statistics thr=''
	for t in /proc/"$BG_PID"/task/*; do
		thr="$thr $(tr ' ' _ <"$t/comm" 2>/dev/null):$(sed 's/.*) //; s/ .*//' "$t/stat" 2>/dev/null)/$(cat "$t/wchan" 2>/dev/null)"
	done
	printf 'guest rx/tx bytes %s; tap tx %s pkts %s dropped, rx %s pkts; zhyve threads%s' \
		"$(sed -n 's/^ZG-PROGRESS //p' "$BG_LOG" | tr -d '\r' | tail -n 1 | tr ' ' /)" \
		"$(cat $st/tx_packets 2>/dev/null)" "$(cat $st/tx_dropped 2>/dev/null)" \
		"$(cat $st/rx_packets 2>/dev/null)" "$thr"
}

# net_watch SECS: waits for zhyve ($BG_PID) to end, at most SECS.  Runs
# $NET_DURING once the guest has the data.  A transfer whose guest
# counters have not moved for NET_STALL_SECS (default 60) is stalled:
# NET_STALL says so with net_diag's picture, and zhyve is killed.
# Returns zhyve's status (124: killed).
net_watch() {
	local end=$(($(date +%s) + $1)) stall=${NET_STALL_SECS:-60} last='' cur since
	local during=${NET_DURING:-}
	NET_STALL=''
	since=$(date +%s)
	while kill -0 "$BG_PID" 2>/dev/null && [ "$(date +%s)" -lt "$end" ]; do
		if [ -n "$during" ] && grep -qE "^ZG-SUM|ZHYVE-GUEST-RC" "$BG_LOG"; then
			"$during"
			during=''
		fi
		cur=$(grep -c '^ZG-[ST]' "$BG_LOG")/$(grep '^ZG-PROGRESS' "$BG_LOG" | tail -n 1)
		if [ "$cur" != "$last" ] || ! grep -q '^ZHYVE-GUEST-READY' "$BG_LOG"; then
			last=$cur
			since=$(date +%s)
		elif [ $(($(date +%s) - since)) -ge "$stall" ]; then
			NET_STALL="stalled: the guest's counters did not move for $stall s ($(net_diag))"
			break
		fi
		sleep 1
	done
	net_stop 1
}

# net_tcp NAME ZHYVE-EXTRA-OPTS: 100 MiB L1 -> guest, then back; both
# checksums compared.  Sets NET_WHY (empty: passed) and NET_INFO.
net_tcp() {
	local name=$1 opts=$2 snip back=/tmp/zt-net-back s1 s2 t gsum rsum
	NET_WHY='' NET_INFO=''
	net_data || { NET_WHY="cannot make $NET_DATA"; return; }
	net_setup || { NET_WHY="cannot set up $NET_BR/$NET_TAP in L1"; net_teardown; return; }
	rm -f "$back"
	socat -u "FILE:$NET_DATA" "TCP-LISTEN:7001,reuseaddr,bind=$NET_HOST" 2>/dev/null &
	s1=$!
	socat -u "TCP-LISTEN:7002,reuseaddr,bind=$NET_HOST" "CREATE:$back" 2>/dev/null &
	s2=$!
	snip="$NET_GUEST_UP
$NET_GUEST_PROGRESS
ping -c 2 -W 10 $NET_HOST >/dev/null
t0=\$(cut -d' ' -f1 /proc/uptime)
nc $NET_HOST 7001 >/tmp/d
t1=\$(cut -d' ' -f1 /proc/uptime)
echo ZG-SUM \$(sha256sum /tmp/d | cut -d' ' -f1)
nc $NET_HOST 7002 </tmp/d
t2=\$(cut -d' ' -f1 /proc/uptime)
echo ZG-TIMES \$t0 \$t1 \$t2"
	# shellcheck disable=SC2086
	zhyve_start "$name" 1 "zg.cmd64=$(b64 "$snip")" -s "3,virtio-net,$NET_TAP$opts"
	NET_PID=$BG_PID
	NET_LOG=$BG_LOG
	net_watch $((L2_TIMEOUT + 120))
	NET_RC=$?
	sleep 1
	kill "$s1" "$s2" 2>/dev/null
	wait "$s1" "$s2" 2>/dev/null
	net_teardown
	gsum=$(sed -n 's/^ZG-SUM \([0-9a-f]*\).*/\1/p' "$BG_LOG" | head -n 1)
	rsum=$(sha256sum "$back" 2>/dev/null | cut -d' ' -f1)
	if ! grep -q "$SYS_GUEST_MARKER" "$BG_LOG"; then
		NET_WHY="the guest did not boot (log $BG_LOG)"
	elif [ -n "$NET_STALL" ]; then
		NET_WHY="$NET_STALL (log $BG_LOG)"
	elif [ "$gsum" != "$NET_SUM" ]; then
		NET_WHY="L1 -> guest: sha256 ${gsum:-none} in the guest, $NET_SUM sent (log $BG_LOG)"
	elif [ "$rsum" != "$NET_SUM" ]; then
		NET_WHY="guest -> L1: sha256 ${rsum:-none} received, $NET_SUM sent (log $BG_LOG)"
	elif ! net_guest_ok; then
		NET_WHY="the guest's commands failed (log $BG_LOG)"
	fi
	t=$(sed -n 's/^ZG-TIMES //p' "$BG_LOG" | tr -d '\r' | head -n 1)
	# shellcheck disable=SC2086
	set -- $t
	[ $# = 3 ] && NET_INFO="L1->guest $(net_rate "$1" "$2") MB/s, guest->L1 $(net_rate "$2" "$3") MB/s"
	rm -f "$back"
}

# net_tcp_tries NAME ZHYVE-EXTRA-OPTS: net_tcp, again (up to 5 tries in
# all) while a try ends in a triple fault of the guest or in a stall.
# The TCG test host resets L2 guests now and then while they send at full
# speed, and sometimes stalls a transfer for good; both happen under QEMU as under zhyve
# (bench/net.sh shows them for QEMU's guests), so neither is a verdict on
# the device.  A wrong checksum, or any other failure, ends the case at
# once.  NET_RESETS names, for the result line, each earlier try and how
# it ended (a stall with net_diag's picture).
net_tcp_tries() {
	local try how
	NET_RESETS=''
	for try in 1 2 3 4 5; do
		net_tcp "$1" "$2"
		[ -n "$NET_WHY" ] && [ "$try" -lt 5 ] || break
		if [ "${NET_RC:-}" = 3 ] && grep -q 'triple fault' "$NET_LOG"; then
			how="the test host reset the guest"
		elif [ -n "$NET_STALL" ]; then
			how="$NET_STALL"
		else
			break
		fi
		mv "$NET_LOG" "${NET_LOG%.log}-try$try.log"
		NET_RESETS="$NET_RESETS; try $try: $how (${NET_LOG%.log}-try$try.log)"
	done
	[ -z "$NET_RESETS" ] || [ -z "$NET_WHY" ] || NET_WHY="$NET_WHY$NET_RESETS"
}

case_zhyve_virtio_net_tcp() {
	net_prereqs zhyve-virtio-net-tcp || return
	NET_DURING='' net_tcp_tries zhyve-virtio-net-tcp ""
	if [ -n "$NET_WHY" ]; then
		echo "FAIL zhyve-virtio-net-tcp: $NET_WHY"
	else
		echo "ok zhyve-virtio-net-tcp (100 MiB each way, sha256 matches; $NET_INFO$NET_RESETS)"
	fi
}

# While the vhost transfer runs: the kernel's vhost worker for zhyve.
net_vhost_seen() {
	local f
	NET_VHOST_WORKER=
	for f in /proc/[0-9]*/comm /proc/"$NET_PID"/task/*/comm; do
		if [ "$(cat "$f" 2>/dev/null)" = "vhost-$NET_PID" ]; then
			NET_VHOST_WORKER=$f
			return 0
		fi
	done
	return 0
}

case_zhyve_virtio_net_vhost() {
	net_prereqs zhyve-virtio-net-vhost || return
	[ -c /dev/vhost-net ] || modprobe vhost_net 2>/dev/null
	if [ ! -c /dev/vhost-net ]; then
		echo "skipped: zhyve-virtio-net-vhost: no /dev/vhost-net in L1 (module vhost_net)"
		return
	fi
	NET_DURING=net_vhost_seen net_tcp_tries zhyve-virtio-net-vhost ",vhost=on"
	if [ -n "$NET_WHY" ]; then
		echo "FAIL zhyve-virtio-net-vhost: $NET_WHY"
	elif grep -q "using the userspace data path" "$NET_LOG"; then
		echo "FAIL zhyve-virtio-net-vhost: zhyve fell back to userspace: $(grep -m1 vhost "$NET_LOG")"
	elif [ -z "$NET_VHOST_WORKER" ]; then
		echo "FAIL zhyve-virtio-net-vhost: no vhost-$NET_PID worker while the guest transferred (log $NET_LOG)"
	else
		echo "ok zhyve-virtio-net-vhost (100 MiB each way through vhost-net, sha256 matches; $NET_INFO$NET_RESETS)"
	fi
}

# net_spoof NAME OPTS: the guest pings L1 with its own MAC, then changes
# it and pings again.  Prints the guest's second ping result into
# NET_HEARD (yes/no) and what L1 learnt into NET_LEARNT.
net_spoof() {
	local name=$1 opts=$2 snip
	NET_WHY='' NET_HEARD='' NET_LEARNT=''
	net_setup || { NET_WHY="cannot set up $NET_BR/$NET_TAP in L1"; net_teardown; return; }
	snip="$NET_GUEST_UP
ping -c 2 -W 10 $NET_HOST >/dev/null
ip link set \"\$n\" down
ip link set \"\$n\" address $NET_SPOOF_MAC
ip link set \"\$n\" up
if ping -c 3 -W 3 $NET_HOST >/dev/null; then echo ZG-HEARD yes; else echo ZG-HEARD no; fi
sleep 8"
	zhyve_start "$name" 1 "zg.cmd64=$(b64 "$snip")" -s "3,virtio-net,$NET_TAP$opts"
	# Look at what L1 learnt while the guest is still up (its tap going
	# away at exit flushes the bridge's entries for that port).
	if wait_log "$BG_LOG" "^ZG-HEARD" "$L2_TIMEOUT"; then
		bridge fdb show br "$NET_BR" 2>/dev/null | grep -qi "$NET_SPOOF_MAC" && NET_LEARNT="bridge FDB"
		ip neigh show 2>/dev/null | grep -qi "$NET_SPOOF_MAC" && NET_LEARNT="${NET_LEARNT:+$NET_LEARNT, }neighbour table"
	fi
	net_stop $((L2_TIMEOUT + 30))
	NET_LOG=$BG_LOG
	NET_HEARD=$(sed -n 's/^ZG-HEARD //p' "$BG_LOG" | tr -d '\r' | head -n 1)
	net_teardown
	if ! grep -q "$SYS_GUEST_MARKER" "$BG_LOG"; then
		NET_WHY="the guest did not boot (log $BG_LOG)"
	elif ! net_guest_ok; then
		NET_WHY="the guest could not ping L1 with its own MAC (log $BG_LOG)"
	fi
}

case_zhyve_virtio_net_spoof() {
	net_prereqs zhyve-virtio-net-spoof || return
	net_spoof zhyve-virtio-net-spoof ""
	if [ -n "$NET_WHY" ]; then
		echo "FAIL zhyve-virtio-net-spoof: $NET_WHY"
		return
	fi
	if [ "$NET_HEARD" != no ] || [ -n "$NET_LEARNT" ]; then
		echo "FAIL zhyve-virtio-net-spoof: L1 heard the spoofed MAC $NET_SPOOF_MAC (guest ping answered: ${NET_HEARD:-?}; in L1's ${NET_LEARNT:-nothing}) (log $NET_LOG)"
		return
	fi
	if ! grep -qi "dropping frames with source MAC $NET_SPOOF_MAC" "$NET_LOG"; then
		echo "FAIL zhyve-virtio-net-spoof: zhyve did not report the dropped frames (log $NET_LOG)"
		return
	fi
	# The control: permitted, the same guest is heard.
	net_spoof zhyve-virtio-net-spoof-allowed ",allow_mac_spoofing"
	if [ -n "$NET_WHY" ]; then
		echo "FAIL zhyve-virtio-net-spoof: with allow_mac_spoofing: $NET_WHY"
	elif [ "$NET_HEARD" != yes ] || [ -z "$NET_LEARNT" ]; then
		echo "FAIL zhyve-virtio-net-spoof: with allow_mac_spoofing L1 did not hear the changed MAC (ping: ${NET_HEARD:-?}; log $NET_LOG)"
	else
		echo "ok zhyve-virtio-net-spoof (changed MAC not heard by L1, dropped and logged; heard with allow_mac_spoofing)"
	fi
}
