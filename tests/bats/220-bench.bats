#!/usr/bin/env bats
# The benchmark (tests/bench/bench) at a small scale: every measurement
# runs, the results file has every number, the dumps are complete, the
# one-operation mode times what it says, bad options are refused, and
# nothing is left loaded or held.  A -q run is too small for its ratios
# to mean much: make bench measures them against their targets.

load helpers

BENCH=$PROJECT_DIR/tests/bench/bench

setup() {
	require_module
	[[ -x $BENCH ]] || skip "tests/bench/bench is not built"
	module_unload
}

teardown() {
	rmmod vp_bench_floor 2>/dev/null || true
	module_unload
}

# nothing of the benchmark left in the kernel
assert_nothing_loaded() {
	! module_loaded || fail "vfio_pasid is still loaded"
	[[ ! -d /sys/module/vp_bench_floor ]] || fail "vp_bench_floor is still loaded"
}

@test "bench -q: every measurement, every number in bench.json, the plot's data" {
	run "$BENCH" -q -o "$BATS_TEST_TMPDIR"
	assert_success
	assert_output --regexp $'\n[0-9]+ of 8 targets met\n'
	assert_output --partial "bench: done in"
	refute_output --partial "FAILED"
	local j=$BATS_TEST_TMPDIR/bench.json
	jq -e '
		.quick == true and .cpus >= 1 and
		.alloc_free_vs_floor.ioctl_alloc_free_ns > 0 and
		.alloc_free_vs_floor.floor_ns > 0 and
		.alloc_free_vs_floor.floor_ns == 2 * .alloc_free_vs_floor.null_ioctl_ns +
			.alloc_free_vs_floor.allocator_alloc_free_ns and
		(.scaling.levels | length >= 3) and
		all(.scaling.levels[]; .alloc_ns > 0 and .free_ns > 0 and
			.allocator_alloc_ns > 0 and .allocator_free_ns > 0) and
		.reclaim.pasids == .scaling.levels[-1].outstanding and
		.reclaim.reclaim_ms > 0 and .reclaim.allocator_frees_ms > 0 and
		.memory.total_bytes_per_pasid > 0 and
		.pasid_dump.complete and .pasid_dump.entries == .pasid_dump.pasids and
		all(.pasid_dump.cli[]; .entries == .count) and
		.vm_dump.complete and .vm_dump.entries == .vm_dump.vms and
		all(.vm_dump.cli[]; .entries == .count) and
		(.concurrency.measured == false or
		 .concurrency.alloc_free_per_s_2cpu > 0) and
		.cgroup_limits.levels == 8 and
		.cgroup_limits.limited_alloc_free_ns > 0 and
		.cgroup_limits.unlimited_alloc_free_ns > 0 and
		.cgroup_limits.root_cgroup_alloc_free_ns > 0 and
		.cgroup_limits.target == 1.2 and
		([.. | objects | select(has("target")) | .met | type] |
			length == 8 and all(. == "boolean"))
	' "$j" >/dev/null || fail "bench.json lacks a number: $(cat "$j")"
	# one line per level: outstanding and four positive costs
	run awk '!/^#/ { if (NF != 5 || $2 <= 0 || $5 <= 0) bad++; n++ }
		END { exit !(n >= 3 && !bad) }' "$BATS_TEST_TMPDIR/bench-scaling.dat"
	assert_success
	assert_nothing_loaded
}

@test "bench -P: one operation timed, the module idle after" {
	run "$BENCH" -P pairs:2000
	assert_success
	assert_output --regexp '^# 2000 alloc\+free pairs: [0-9]+ ns each$'
	run "$BENCH" -P reclaim:500
	assert_success
	[[ $(grep -c '^# reclaim of 500 PASIDs: [0-9.]* ms$' <<<"$output") == 3 ]] ||
		fail "expected three reclaims: $output"
	assert_nothing_loaded
}

@test "bench: bad options exit 2, a loaded module exits 1; nothing changes" {
	for p in bogus:5 pairs:0 pairs reclaim:x :3; do
		run "$BENCH" -P "$p"
		assert_failure 2
		assert_output --partial "bench: -P: expected pairs:N, churn:N or reclaim:N"
	done
	run "$BENCH" -x
	assert_failure 2
	run "$BENCH" extra
	assert_failure 2
	assert_nothing_loaded
	module_load
	run "$BENCH" -q
	assert_failure 1
	assert_output "bench: vfio_pasid is loaded: unload it first"
	run "$CTL" -j status
	assert_success
	jq_is '.status.vm_count' 0
}
