#!/usr/bin/env bats
# The benchmark's host side: it refuses to run outside the test VM, and
# its plot script draws a PNG from a results file.

bats_load_library bats-support
bats_load_library bats-assert

setup() {
	PROJECT_DIR=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
}

@test "bench: refuses to run outside the test VM" {
	[[ -x $PROJECT_DIR/tests/bench/bench ]] || skip "tests/bench/bench is not built"
	VM_GUEST='' run env -u VM_GUEST "$PROJECT_DIR/tests/bench/bench" -q
	assert_failure 1
	assert_output "bench: run it in the test VM: tests/vm/run -- tests/bench/bench"
}

@test "plot.gp: bench-scaling.dat to bench-scaling.png" {
	command -v gnuplot >/dev/null || skip "gnuplot is not installed: run 'make deps'"
	cat >"$BATS_TEST_TMPDIR/bench-scaling.dat" <<-DAT
	# outstanding alloc_ns free_ns allocator_alloc_ns allocator_free_ns
	1000 2500.0 2400.0 800.0 600.0
	10000 2550.0 2450.0 810.0 610.0
	500000 2600.0 2500.0 830.0 640.0
	DAT
	run gnuplot -e "dir='$BATS_TEST_TMPDIR'" "$PROJECT_DIR/tests/bench/plot.gp"
	assert_success
	# the PNG signature, then the IHDR chunk: 900 x 560
	run od -An -tx1 -w24 -N24 "$BATS_TEST_TMPDIR/bench-scaling.png"
	assert_output " 89 50 4e 47 0d 0a 1a 0a 00 00 00 0d 49 48 44 52 00 00 03 84 00 00 02 30"
}
