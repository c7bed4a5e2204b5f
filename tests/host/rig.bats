#!/usr/bin/env bats
# The test VM rig (tests/vm/run), checked from the host. Every test boots a VM
# (about 5-10 s each under TCG), so checks share boots where they stay clear.
# shellcheck disable=SC2016,SC1003 # single-quoted code and \ are for the guest
# shellcheck disable=SC2154 # $stderr, $stderr_lines: set by run --separate-stderr

bats_require_minimum_version 1.5.0
bats_load_library bats-support
bats_load_library bats-assert

setup_file() {
	RIG=$(cd -- "$BATS_TEST_DIRNAME/../vm" && pwd)/run
	export RIG
}

@test "vm run: exit status 0, stdout, environment and odd arguments come through" {
	cd /
	run --separate-stderr "$RIG" --env 'RIG_VAR=a b "c"' -- bash -c '
		printf "[%s]\n" "$@"
		printf "var=[%s] cwd=%s guest=%s\n" "$RIG_VAR" "$PWD" "$VM_GUEST"
		echo to-stderr >&2
		echo hello >"$VM_SCRATCH/f" && echo "scratch=$(cat "$VM_SCRATCH/f")"
		true' _ 'a b' "it's" '"q"' '$HOME' '*' $'new\nline' '' '\'
	assert_success
	# the rig's one line on the kernel it boots, then the command's stderr
	assert_equal "${#stderr_lines[@]}" 2
	assert_regex "${stderr_lines[0]}" '^vm: booting [0-9]+\.[0-9]+\.[^ ]+ \(.+\)$'
	assert_equal "${stderr_lines[1]}" to-stderr
	assert_output "$(printf '[%s]\n' 'a b' "it's" '"q"' '$HOME' '*' $'new\nline' '' '\'
		printf 'var=[a b "c"] cwd=%s guest=1\n' "$(cd "$BATS_TEST_DIRNAME/../.." && pwd -P)"
		echo scratch=hello)"
}

@test "vm run: false exits 1; --scratch keeps the scratch directory" {
	local dir=$BATS_TEST_TMPDIR/scratch
	run --separate-stderr "$RIG" --scratch "$dir" -- sh -c 'echo kept >"$VM_SCRATCH/file"; false'
	assert_failure 1
	assert_output ""
	# stderr: only the rig's line on the kernel it boots
	assert_equal "${#stderr_lines[@]}" 1
	assert_equal "$(cat "$dir/file")" kept
}

@test "vm run: the command's exit status comes back (sh -c 'exit 7')" {
	run "$RIG" -- sh -c 'exit 7'
	assert_failure 7
}

@test "vm run: a WARNING in the kernel log fails a successful command with 125" {
	# This tests the scanner: the stock kernel offers root no clean way to
	# WARN, so the line is written into the kernel log through /dev/kmsg.
	run --separate-stderr "$RIG" -- sh -c \
		'echo "<4>WARNING: CPU: 0 PID: 1 at rig-test (from tests/host/rig.bats)" >/dev/kmsg; echo done'
	assert_failure 125
	assert_output 'done'
	assert_equal "$(grep -c '^vm: kernel log: .*WARNING: CPU: 0 PID: 1 at rig-test' <<<"$stderr")" 1
}

@test "vm run: a guest kernel panic ends the run with 125" {
	run --separate-stderr "$RIG" -- sh -c 'echo c >/proc/sysrq-trigger; sleep 10; echo survived'
	assert_failure 125
	refute_output --partial survived
	assert_equal "$(grep -c 'vm: the guest died' <<<"$stderr")" 1
	assert_equal "$(grep -c '^vm: kernel log: .*Kernel panic - not syncing: sysrq triggered crash' <<<"$stderr")" 1
}

@test "vm run: --timeout kills a guest that does not finish, with 124" {
	SECONDS=0
	run --separate-stderr "$RIG" --timeout 20 -- sleep 100
	assert_failure 124
	assert_equal "$(grep -c '^vm: timeout: ' <<<"$stderr")" 1
	assert [ "$SECONDS" -lt 60 ]
}

@test "vm run: the guest has slub_debug=FZPU unless --no-slub-debug" {
	run "$RIG" -- cat /proc/cmdline
	assert_success
	assert_output --partial " slub_debug=FZPU"
	run "$RIG" --no-slub-debug -- cat /proc/cmdline
	assert_success
	refute_output --partial "slub_debug"
}

@test "vm run: usage errors exit 2 without booting" {
	run "$RIG"
	assert_failure 2
	assert_output --partial "no COMMAND given"
	run "$RIG" --iommu bogus -- true
	assert_failure 2
	run "$RIG" --help
	assert_success
	assert_output --partial "Usage: tests/vm/run"
}
