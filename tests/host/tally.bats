#!/usr/bin/env bats
# tests/tally.bash, the counting of make check and make check-debug: a skip
# is not a pass, a plan that does not match is a failure, a part that fails
# without a failed test is one failure.

bats_require_minimum_version 1.5.0
bats_load_library bats-support
bats_load_library bats-assert

setup() {
	# shellcheck source=tests/tally.bash
	. "$BATS_TEST_DIRNAME/../tally.bash"
	log=$BATS_TEST_TMPDIR/part.log
}

@test "tally: passes, failures and skips of several streams, each skip with its reason" {
	printf '%s\n' '1..3' 'ok 1 - a' 'ok 2 b # skip no device' 'not ok 3 - c' \
		'# a comment' '1..2' 'ok 1 - x' 'ok 2 - y # SKIP not root' >"$log"
	run tally part "$log" 1
	assert_success
	assert_line "== part: skipped: b # skip no device"
	assert_line "== part: skipped: y # SKIP not root"
	assert_line "== part: 2 passed, 1 failed, 2 skipped (exit 1)"
	tally part "$log" 1 >/dev/null
	assert_equal "$passed $failed $skipped" "2 1 2"
	run tally_end
	assert_failure
	assert_output --partial "2 passed, 1 failed, 2 skipped"
}

@test "tally: a plan that does not match the tests run is a failure" {
	printf '%s\n' '1..3' 'ok 1 - a' 'Bail out! the module is gone' '1..1' 'ok 1 - b' >"$log"
	run tally part "$log" 1
	assert_line "== part: plan: 3 tests planned (line 1), 1 ran; Bail out! the module is gone"
	assert_line "== part: 2 passed, 1 failed, 0 skipped (exit 1)"
	printf '%s\n' '1..1' 'ok 1 - a' 'ok 2 - a again' >"$log"
	run tally part "$log" 0
	assert_line "== part: 2 passed, 1 failed, 0 skipped (exit 0)"
}

@test "tally: a part that fails without a failed test is one failure; all passed ends 0" {
	printf '%s\n' '1..1' 'ok 1 - a' >"$log"
	tally part "$log" 125 >/dev/null
	assert_equal "$passed $failed $skipped" "1 1 0"
	passed=0 failed=0 skipped=0
	tally part "$log" 0 >/dev/null
	run tally_end
	assert_success
	assert_output --partial "1 passed, 0 failed, 0 skipped"
}

@test "tally: a plan may come after its tests; tests without a plan are a failure" {
	printf '%s\n' 'ok 1 - a' 'ok 2 - b' '1..2' '1..1' 'ok 1 - c' 'ok 1 - d' 'ok 2 - e' '1..2' >"$log"
	run tally part "$log" 0
	assert_line "== part: 5 passed, 0 failed, 0 skipped (exit 0)"
	printf '%s\n' 'ok 1 - a' 'ok 2 - b' '1..3' >"$log"
	run tally part "$log" 0
	assert_line --partial "== part: plan: 3 tests planned (line 3, after them), 2 ran"
	assert_line "== part: 2 passed, 1 failed, 0 skipped (exit 0)"
	printf '%s\n' '1..1' 'ok 1 - a' 'ok 2 - a again' >"$log"
	run tally part "$log" 0
	assert_line --partial "== part: plan: 1 tests ran without a plan"
	assert_line "== part: 2 passed, 1 failed, 0 skipped (exit 0)"
}
