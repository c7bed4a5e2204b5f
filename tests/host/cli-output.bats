#!/usr/bin/env bats
# shellcheck disable=SC2154 # stderr: set by run --separate-stderr
# The CLI's standard output: a write that fails is told in one line with its
# errno in words and exit 1, on every way out (a command, --help, help); a
# reader that goes away with SIGPIPE ignored is not an error.  Runs on the
# host: none of it needs the module.

bats_require_minimum_version 1.5.0
bats_load_library bats-support
bats_load_library bats-assert

setup() {
	CTL=$BATS_TEST_DIRNAME/../../cli/vfiopasidctl
	[[ -x $CTL ]] || skip "cli/vfiopasidctl is not built (make cli)"
	[[ -w /dev/full ]] || skip "no /dev/full"
}

@test "output to a full device: exit 1, one line with the errno in words" {
	local what
	for what in "status" "-j status" "--help" "help" "help quota" "module show"; do
		# shellcheck disable=SC2086 # the words of $what are arguments
		run --separate-stderr "$CTL" $what
		assert_success
		[[ -n $output ]] || fail "'$what' printed nothing"
		# shellcheck disable=SC2086
		run --separate-stderr bash -c '"$@" >/dev/full' sh "$CTL" $what
		assert_equal "$status" 1
		assert_equal "$stderr" "vfiopasidctl: writing the output: no space left on device"
	done
}

@test "a usage error keeps its status when the output is full too" {
	run --separate-stderr bash -c '"$@" >/dev/full' sh "$CTL" quota set 1 -5
	assert_equal "$status" 2
	assert_equal "$stderr" "vfiopasidctl: quota set: '-5': negative numbers are not taken (try 'vfiopasidctl quota set --help')"
}

@test "a reader that goes away, SIGPIPE ignored: exit 0, nothing said" {
	# the reader is gone before the CLI writes a byte
	# shellcheck disable=SC2016 # expanded by the inner bash
	run --separate-stderr bash -c 'trap "" PIPE; { sleep 0.3; "$1" status; } | true
		echo "${PIPESTATUS[0]}"' sh "$CTL"
	assert_success
	assert_output 0
	assert_equal "$stderr" ""
}
