# SPDX-License-Identifier: BSD-2-Clause
#
# tests/system/cases/rtc.sh: system-test case for the RTC's interrupt
# (IRQ 8), seen through Linux's rtc-cmos driver.
#
# Sourced (bash) by tests/system/run.sh after lib.sh and its own helpers;
# the case function runs INSIDE the level-1 host (the chroot of this
# machine's root), like run.sh's own cases, and prints exactly one result
# line ("ok NAME ...", "FAIL NAME: why" or "skipped: NAME: why"), plus
# "# ..." information lines.  run.sh plugs it in with
#
#     . "$here/cases/rtc.sh"
#     CASES="$CASES $RTC_CASES"
#
# Uses from run.sh: zhyve_guest, retried, L2_LOG.
#
# The guest is Debian's kernel (rtc-cmos is built in: CONFIG_RTC_DRV_CMOS=y)
# with the system tier's busybox initramfs (sh, cat, grep, awk, sleep).

# The guest snippet expands in the guest; the case list is read by run.sh.
# shellcheck disable=SC2016,SC2034

RTC_CASES="zhyve-rtc-irq"

# Linux arms the RTC alarm two seconds ahead ("+2" into wakealarm).  The
# chip must raise IRQ 8 when the alarm second comes: the rtc0 count in
# /proc/interrupts goes up and the driver, having seen the alarm, empties
# wakealarm.  Without the interrupt the alarm stays pending for ever.
case_zhyve_rtc_irq() {
	local snip line
	snip=$(cat <<'EOF'
rtc_irqs() {
	awk '$NF == "rtc0" { n = 0; for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) n += $i; print n }' /proc/interrupts
}
w=/sys/class/rtc/rtc0/wakealarm
[ -e "$w" ] || { echo "RTC-NO-DEVICE"; exit 1; }
before=$(rtc_irqs)
[ -n "$before" ] || { echo "RTC-NO-IRQ $(grep -i rtc /proc/interrupts)"; exit 1; }
echo 0 >"$w"
echo +2 >"$w"
echo "RTC-ALARM $(cat "$w") now $(cat /sys/class/rtc/rtc0/since_epoch)"
sleep 4
i=0
while [ -n "$(cat "$w")" ] && [ "$i" -lt 6 ]; do
	sleep 1
	i=$((i + 1))
done
after=$(rtc_irqs)
left=$(cat "$w")
echo "RTC-IRQS $before $after"
echo "RTC-LEFT ${left:-none}"
grep -E "^(alarm_IRQ|alrm_pending|update_IRQ|periodic_IRQ)" /proc/driver/rtc | sed "s/^/RTC-PROC /"
[ "$after" -gt "$before" ] && [ -z "$left" ]
EOF
)
	if ! zhyve_guest zhyve-rtc-irq 1 "$snip"; then
		line=$(grep -a -m1 -E '^RTC-(NO-DEVICE|NO-IRQ)' "$L2_LOG" | tr -d '\r')
		[ -n "$line" ] && echo "# $line"
		line=$(grep -a -m1 '^RTC-IRQS ' "$L2_LOG" | tr -d '\r')
		[ -n "$line" ] && echo "# rtc0 interrupts before/after: ${line#RTC-IRQS }; wakealarm left: $(grep -a -m1 '^RTC-LEFT ' "$L2_LOG" | cut -d' ' -f2 | tr -d '\r')"
		return
	fi
	line=$(grep -a -m1 '^RTC-IRQS ' "$L2_LOG" | tr -d '\r')
	echo "ok zhyve-rtc-irq (alarm fired: rtc0 interrupts ${line#RTC-IRQS }, wakealarm cleared$(retried))"
}
