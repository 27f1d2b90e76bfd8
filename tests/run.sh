#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# Runs the test tiers and adds up their results.
#   tests/run.sh [--build DIR] TIER... [--san DIR TIER...]
#     TIER: unit guest system bench fuzz all; tiers after --san run with the
#     sanitizer build in DIR.
# Each tier prints lines of its own and ends with "N passed, N failed"
# (optionally ", N skipped").  A tier that cannot run at all (no /dev/kvm,
# no nested host) reports its cases as skipped with the reason; skipped
# cases are never counted as passed.  The last line of this script is the
# sum over every tier.
set -u
cd "$(dirname "$0")/.."
build=build
cur=build
tiers=()
while [ $# -gt 0 ]; do
	case "$1" in
	--build) build=$2; cur=$2; shift 2 ;;
	--san) cur=$2; shift 2 ;;
	all) tiers+=("unit@$cur" "guest@$cur" "system@$cur"); shift ;;
	unit|guest|system|bench|fuzz) tiers+=("$1@$cur"); shift ;;
	*) echo "usage: tests/run.sh [--build DIR] unit|guest|system|all..." >&2; exit 2 ;;
	esac
done
[ ${#tiers[@]} -gt 0 ] || tiers=("unit@$build" "guest@$build" "system@$build")

tp=0 tf=0 ts=0
add_summary() { # parse "N passed, N failed[, N skipped]" from file $1
	local line p f s
	line=$(grep -E '^([A-Za-z]+: )?[0-9]+ passed, [0-9]+ failed' "$1" | tail -n 1)
	if [ -z "$line" ]; then
		echo "  (no summary line: counted as 1 failure)"
		tf=$((tf + 1)); return
	fi
	p=$(sed -E 's/.*\b([0-9]+) passed.*/\1/' <<<"$line")
	f=$(sed -E 's/.*\b([0-9]+) failed.*/\1/' <<<"$line")
	s=0
	grep -q skipped <<<"$line" && s=$(sed -E 's/.*\b([0-9]+) skipped.*/\1/' <<<"$line")
	tp=$((tp + p)); tf=$((tf + f)); ts=$((ts + s))
}

out=$(mktemp); trap 'rm -f "$out"' EXIT
for tb in "${tiers[@]}"; do
	tier=${tb%@*}
	build=${tb#*@}
	export ZHYVE_BUILD=$build
	echo "=== tier: $tier ($build) ==="
	case "$tier" in
	unit)
		for t in "$build"/tests/unit/test_*; do
			[ -x "$t" ] || continue
			echo "--- $(basename "$t")"
			"$t" >"$out" 2>&1
			rc=$?
			cat "$out"
			add_summary "$out"
			if [ $rc -ne 0 ] && ! grep -qE '^[0-9]+ passed, [1-9][0-9]* failed' "$out"; then
				echo "  (exited $rc: counted as 1 failure)"; tf=$((tf + 1))
			fi
		done ;;
	guest|system)
		# Shown as they run (a slow tier shows how far it got).
		tests/$tier/run.sh 2>&1 | tee "$out"
		add_summary "$out" ;;
	fuzz)
		# A short libFuzzer run per target (longer runs: tests/fuzz/README.md).
		if ! command -v "${FUZZ_CC:-clang}" >/dev/null; then
			echo "skipped: fuzz: no clang (Debian package clang)"; ts=$((ts + 1))
		elif ! make -s build-fuzz/libzhyve.a $(ls tests/fuzz/fuzz_*.c | sed 's|tests/fuzz/|build-fuzz/|;s|\.c$||') >"$out" 2>&1; then
			cat "$out"; echo "FAIL fuzz: the targets do not build"; tf=$((tf + 1))
		else
			for f in tests/fuzz/fuzz_*.c; do
				n=$(basename "$f" .c)
				mkdir -p "build-fuzz/corpus/$n"
				if "build-fuzz/$n" -max_total_time="${FUZZ_TIME:-15}" -print_final_stats=1 \
				    "build-fuzz/corpus/$n" >"$out" 2>&1; then
					echo "ok fuzz $n ($(grep -oE 'stat::number_of_executed_units: [0-9]+' "$out" | grep -oE '[0-9]+$' || echo '?') runs)"
					tp=$((tp + 1))
				else
					tail -n 40 "$out"; echo "FAIL fuzz $n: crash or leak (see above)"
					tf=$((tf + 1))
				fi
			done
		fi ;;
	bench)
		# The benchmark's quick mode proves the suite still runs; its
		# numbers are printed, never compared against limits.
		if bench/run.sh --quick >"$out" 2>&1; then
			cat "$out"; echo "ok bench-quick"; tp=$((tp + 1))
		else
			cat "$out"; echo "FAIL bench-quick: bench/run.sh --quick failed"; tf=$((tf + 1))
		fi ;;
	esac
done
echo "=== total ==="
if [ "$ts" -gt 0 ]; then
	echo "($ts skipped: see the 'skipped:' lines above)"
fi
echo "$tp passed, $tf failed"
[ "$tf" -eq 0 ]
