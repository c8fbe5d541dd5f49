#!/bin/bash
# tests/fuzz/run.sh: runs each libFuzzer target for FUZZ_SECONDS (default
# 60), from its seeds in CORPUS/NAME (read only: new inputs go to
# fuzz-out/NAME/corpus in the build tree), and prints per target its execs
# and seconds, then "N passed, N failed" (one per target). A crash, leak,
# timeout (25 s) or out-of-memory fails the target; its reproducer is kept
# as fuzz-out/NAME/NAME-KIND-SHA1 (until the next run) and named, with the
# command that replays it. FUZZ_JOBS targets (default: the number of CPUs)
# run at once, each on one core; the lines come out in the targets' order.
#
#   tests/fuzz/run.sh CORPUS TARGET...     (from the build directory)
set -u
corpus=$1
shift
seconds=${FUZZ_SECONDS:-60}
# The readers write files (atomically, with fsync): on tmpfs that is cheap.
# A target that crashes leaves its scratch directory: all go with this one.
base=${TMPDIR:-}
if [ -z "$base" ] && [ -d /dev/shm ] && [ -w /dev/shm ]; then
	base=/dev/shm
fi
TMPDIR=$(mktemp -d "${base:-/tmp}/ml-fuzz-run.XXXXXX") || exit 1
export TMPDIR
trap 'rm -rf "$TMPDIR"' EXIT
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# fuzz_one TARGET: runs it; its report in fuzz-out/NAME/result, whose
# first line is PASS or FAIL
fuzz_one() {
	local t=$1 name out seeds t0 rc secs execs repro
	name=$(basename "$t")
	out=fuzz-out/$name
	seeds=()
	[ -d "$corpus/$name" ] && seeds=("$corpus/$name")
	t0=$(date +%s)
	"$t" -max_total_time="$seconds" -timeout=25 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$out/$name-" \
		"$out/corpus" "${seeds[@]}" >"$out/log" 2>&1
	rc=$?
	secs=$(($(date +%s) - t0))
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/log" | tail -1)
	# slow-unit-* files are kept too, but a unit under -timeout passes
	repro=$(ls -t "$out/$name"-{crash,leak,timeout,oom}-* 2>/dev/null | head -1)
	if [ "$rc" -eq 0 ] && [ -z "$repro" ]; then
		echo "PASS: $name: ${execs:-0} execs in $secs s"
	else
		echo "FAIL: $name: ${execs:-0} execs in $secs s (exit $rc), log $out/log"
		grep -m3 -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error)' "$out/log" | sed 's/^/    /'
		if [ -n "$repro" ]; then
			echo "    reproducer: $repro (replay: $t $repro)"
		fi
	fi >"$out/result"
}

jobs=${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 1)}
running=0
for t in "$@"; do
	name=$(basename "$t")
	mkdir -p "fuzz-out/$name/corpus"
	rm -f "fuzz-out/$name/$name"-* "fuzz-out/$name/result" # an earlier run's
	if [ "$running" -ge "$jobs" ]; then
		wait -n
		running=$((running - 1))
	fi
	fuzz_one "$t" &
	running=$((running + 1))
done
wait
passed=0 failed=0
for t in "$@"; do
	r=fuzz-out/$(basename "$t")/result
	if [ -f "$r" ] && [ "$(head -c 4 "$r")" = PASS ]; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		[ -f "$r" ] || echo "FAIL: $(basename "$t"): no report"
	fi
	[ -f "$r" ] && cat "$r"
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
