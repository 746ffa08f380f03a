#!/usr/bin/env bash
# tests/fuzz/run.sh: build the libFuzzer targets (clang, ASan, UBSan) in a
# build of their own and run each for a bounded time on its corpus.
#
#   tests/fuzz/run.sh TARGET|all [--seconds N] [--no-build] [--build-only]
#
# TARGET is one of the names below. The corpus a run grows is kept in
# BUILD/work/TARGET/corpus (BUILD: $UCT_FUZZ_BUILD, default build-fuzz);
# it starts from tests/fuzz/corpus/TARGET (made by hand, and the inputs of
# past findings) and BUILD/seeds/TARGET (made at build time by
# uct-fuzz-seeds). Any crash, leak, sanitizer report or broken property
# fails the run: the input is kept as BUILD/work/TARGET/crash-* and its
# path and the report are printed. Exit 0 when every target ran clean.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
build=${UCT_FUZZ_BUILD:-$top/build-fuzz}
targets_all=(cert_names state_load vcache_load ini ffprofiles override collector_report json)
seconds=25
do_build=1
build_only=0
targets=()

usage() {
	echo "usage: tests/fuzz/run.sh TARGET|all [--seconds N] [--no-build] [--build-only]" >&2
	echo "targets: ${targets_all[*]}" >&2
	exit 2
}

while [ $# -gt 0 ]; do
	case "$1" in
	--seconds) [ $# -ge 2 ] || usage; seconds=$2; shift 2 ;;
	--no-build) do_build=0; shift ;;
	--build-only) build_only=1; shift ;;
	all) targets=("${targets_all[@]}"); shift ;;
	-*) usage ;;
	*)
		[[ " ${targets_all[*]} " == *" $1 "* ]] || { echo "unknown target: $1" >&2; usage; }
		targets+=("$1"); shift ;;
	esac
done
[[ "$seconds" =~ ^[0-9]+$ ]] && [ "$seconds" -gt 0 ] || usage
[ ${#targets[@]} -gt 0 ] || [ "$build_only" -eq 1 ] || usage

if [ "$do_build" -eq 1 ]; then
	command -v clang >/dev/null || { echo "clang is not installed (tools/dev.sh deps)" >&2; exit 3; }
	CC=clang cmake -S "$top" -B "$build" -DUCT_FUZZ=ON -DBUILD_TESTING=OFF \
		-DCMAKE_BUILD_TYPE=RelWithDebInfo -DUCT_WERROR=ON >/dev/null
	cmake --build "$build" --target uct_fuzz -j"${UCT_FUZZ_JOBS:-2}" >"$build/fuzz-build.log" 2>&1 ||
		{ tail -40 "$build/fuzz-build.log" >&2; echo "the fuzz build failed" >&2; exit 3; }
	rm -rf "$build/seeds"
	"$build/tests/fuzz/uct-fuzz-seeds" "$build/seeds"
fi
[ "$build_only" -eq 1 ] && exit 0

# Loaders write their input to files: on tmpfs when there is one. Each run
# gets its own directory, removed at the end whatever happens.
tmp_base=/tmp
[ -d /dev/shm ] && [ -w /dev/shm ] && tmp_base=/dev/shm
tmp=$(mktemp -d "$tmp_base/uct-fuzz-run.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:symbolize=1:allocator_may_return_null=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export TMPDIR=$tmp

# One target: bounded by -max_total_time, and by timeout(1) should the
# fuzzer itself hang. Prints one summary line; returns non-zero on a finding.
run_target() {
	local t=$1 exe=$build/tests/fuzz/fuzz_$1 work=$build/work/$1 log rc=0
	local seeds=() d
	[ -x "$exe" ] || { echo "$t: $exe is not built (run without --no-build)" >&2; return 3; }
	mkdir -p "$work/corpus"
	for d in "$top/tests/fuzz/corpus/$t" "$build/seeds/$t"; do
		[ -d "$d" ] && seeds+=("$d")
	done
	log=$work/fuzz.log
	timeout -k 10 $((seconds + 120)) "$exe" -max_total_time="$seconds" -timeout=10 \
		-rss_limit_mb=2048 -max_len=16384 -print_final_stats=1 \
		-artifact_prefix="$work/" "$work/corpus" "${seeds[@]}" >"$log" 2>&1 || rc=$?
	if [ "$rc" -ne 0 ] || grep -q -e "runtime error:" -e "ERROR: AddressSanitizer" \
		-e "ERROR: LeakSanitizer" "$log"; then
		echo "FAIL $t (exit $rc): the sanitizer report follows" >&2
		grep -a -E -A60 "runtime error:|ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|uct-fuzz:" \
			"$log" | head -100 >&2 || tail -60 "$log" >&2
		grep -a -o "Test unit written to .*" "$log" | sed "s/^Test unit written to /crash input: /" >&2 || true
		echo "full log: $log" >&2
		return 1
	fi
	printf '%-17s %s execs in %ss, cov %s, ft %s, corpus %s inputs\n' "$t" \
		"$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")" "$seconds" \
		"$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)" \
		"$(grep -o 'ft: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)" \
		"$(find "$work/corpus" -type f | wc -l)"
}

failed=0
for t in "${targets[@]}"; do
	run_target "$t" || failed=$((failed + 1))
done
echo "fuzz: ${#targets[@]} targets, $failed failed"
[ "$failed" -eq 0 ]
