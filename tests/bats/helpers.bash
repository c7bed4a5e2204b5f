# shellcheck shell=bash
# tests/bats/helpers.bash - loaded by every file of the in-VM bats suite (load helpers).

# bats-support and bats-assert find each of their parts with $(dirname ...).
# Every exec costs about 50 ms in the TCG guest and bats loads the libraries
# again for each test, so a pure-bash stand-in does that job while they load.
# shellcheck disable=SC2317 # called by the libraries as they load
dirname() {
	local p=${1%/}
	if [[ $p == */* ]]; then p=${p%/*}; else p=.; fi
	printf '%s\n' "${p:-/}"
}
bats_load_library bats-support
bats_load_library bats-assert
unset -f dirname

PROJECT_DIR=$(cd -- "$BATS_TEST_DIRNAME/../.." && pwd)

# shellcheck source=tests/vm/lib.bash
source "$PROJECT_DIR/tests/vm/lib.bash"

# --- vfiopasidctl and the module (CLI bats files, 1xx) ------------------------
#
# Like podman's run_podman: "ctl [STATUS] ARGS..." runs the CLI, checks its
# exit status (default 0) in one step and checks the error contract: on
# failure exactly one line "vfiopasidctl: ..." on stderr, on success none.
# $output and $lines are stdout, $stderr and $stderr_lines stderr.

bats_require_minimum_version 1.5.0

CTL=${VFIOPASIDCTL:-$PROJECT_DIR/cli/vfiopasidctl}
# the module that is installed (native backend only), and the test build
# (tests/testmod: the emulated backend and fault injection, TAINT_TEST)
MODULE_KO=${VFIO_PASID_KO:-$PROJECT_DIR/driver/vfio_pasid.ko}
TEST_KO=${VFIO_PASID_TEST_KO:-$PROJECT_DIR/tests/testmod/vfio_pasid.ko}
# shellcheck disable=SC2034 # used by the bats files
NOT_LOADED_MSG="vfiopasidctl: module not loaded: run 'vfiopasidctl module load'"

# shellcheck disable=SC2154 # status, output, stderr, stderr_lines: set by run
ctl() {
	local expected=0
	if [[ ${1:-} =~ ^[0-9]+$ ]]; then
		expected=$1
		shift
	fi
	run --separate-stderr "$CTL" "$@"
	if [[ $status -ne $expected ]]; then
		printf '# vfiopasidctl %s\n# exit status %d, expected %d\n# stdout: %s\n# stderr: %s\n' \
			"$*" "$status" "$expected" "$output" "$stderr" >&3
		fail "vfiopasidctl $*: exit status $status, expected $expected"
	fi
	if [[ $expected -eq 0 ]]; then
		[[ -z $stderr ]] || fail "vfiopasidctl $*: succeeded but wrote to stderr: $stderr"
	else
		[[ ${#stderr_lines[@]} -eq 1 ]] ||
			fail "vfiopasidctl $*: ${#stderr_lines[@]} lines on stderr, expected 1: $stderr"
		[[ ${stderr_lines[0]} == "vfiopasidctl: "* ]] ||
			fail "vfiopasidctl $*: stderr does not start with 'vfiopasidctl: ': $stderr"
	fi
}

# ctl_as_nobody [STATUS] ARGS...: the same, without any privilege
ctl_as_nobody() {
	local expected=0
	if [[ ${1:-} =~ ^[0-9]+$ ]]; then
		expected=$1
		shift
	fi
	local saved=$CTL
	CTL=setpriv
	ctl "$expected" --reuid=nobody --regid=nogroup --clear-groups -- "$saved" "$@"
	CTL=$saved
}

# zsh_complete LINE: what zsh's completion system offers for the command
# line LINE, sorted (tests/zsh-complete).  Its dump is made by the first call
# of a run, which takes about a minute in the TCG guest; later calls load it.
zsh_complete() {
	command -v zsh >/dev/null || fail "zsh is not installed: run 'make deps'"
	ZSH_COMPLETE_DUMP=$BATS_RUN_TMPDIR/zcompdump ZSH_COMPLETE_TIMEOUT=300 \
		"$PROJECT_DIR/tests/zsh-complete" "$PROJECT_DIR/completions" "$1" | sort
}

# assert_one_object: $output is exactly one JSON document, an object
# shellcheck disable=SC2154 # output: set by run
assert_one_object() {
	jq -e -s 'length == 1 and (.[0] | type == "object")' <<<"$output" >/dev/null ||
		fail "not one JSON object: $output"
}

# assert_stderr_contains TEXT
# shellcheck disable=SC2154 # stderr: set by run
assert_stderr_contains() {
	[[ $stderr == *"$1"* ]] || fail "stderr does not contain '$1': $stderr"
}

# assert_stderr TEXT: stderr is exactly TEXT
# shellcheck disable=SC2154 # stderr: set by run
assert_stderr() {
	[[ $stderr == "$1" ]] || fail "stderr is '$stderr', expected '$1'"
}

# jq_is EXPR EXPECTED: evaluate EXPR on $output, compare with EXPECTED
# shellcheck disable=SC2154 # output: set by run
jq_is() {
	local got
	got=$(jq -r "$1" <<<"$output") || fail "jq '$1' failed on: $output"
	[[ $got == "$2" ]] || fail "jq '$1': got '$got', expected '$2' in: $output"
}

module_loaded() {
	[[ -d /sys/module/vfio_pasid ]]
}

# Skip unless inside the test VM with the module built
require_module() {
	vm_require_guest
	[[ -f $MODULE_KO ]] || skip "driver/vfio_pasid.ko is not built"
	[[ -f $TEST_KO ]] || skip "tests/testmod/vfio_pasid.ko is not built: run 'make tests'"
}

# module_load [PARAM=VALUE]...: a fresh module, backend=emulated unless
# given: the test build for the emulated backend, the installed build else
# shellcheck disable=SC2120 # the bats files pass parameters
module_load() {
	module_unload
	local args=("$@") ko=$MODULE_KO
	[[ " ${args[*]} " == *" backend="* ]] || args+=(backend=emulated)
	[[ " ${args[*]} " != *" backend=emulated "* ]] || ko=$TEST_KO
	"$CTL" module load --file "$ko" "${args[@]}" ||
		fail "could not load $ko ${args[*]}"
}

# assert_balanced: nothing lost or leaked: no VM left, no PASID in use, and
# allocated = freed + reclaimed.  Call it once the test's VMs are gone.
assert_balanced() {
	local s
	s=$("$CTL" -j status) || fail "status failed"
	jq -e '.status | .vm_count == 0 and .pool.in_use == 0 and
		.totals.allocated == .totals.freed + .totals.reclaimed' \
		<<<"$s" >/dev/null || fail "not balanced after the test: $s"
}

# teardown_module: every test's teardown: ends the test's background
# processes, checks the balance while the module is loaded, unloads it
teardown_module() {
	kill_holders
	kill_monitors
	if module_loaded; then
		assert_balanced
	fi
	module_unload
}

# Unload, whatever state it is in; never fails.  Ends the background
# processes of the test first.
module_unload() {
	kill_holders
	kill_monitors
	module_loaded || return 0
	"$CTL" module unload 2>/dev/null || rmmod vfio_pasid 2>/dev/null || true
}

# Background processes started by a test: holders of the device (killed by
# kill_holders) and monitors (killed by kill_monitors)
HOLDER_PIDS=()
BG_MONITORS=()

# start_opener: a background process that holds /dev/vfio-pasid open (its own
# VM); prints nothing, sets OPENER_PID
start_opener() {
	sleep 600 9<>/dev/vfio-pasid 3>&- &
	OPENER_PID=$!
	HOLDER_PIDS+=("$OPENER_PID")
	# the open happens before sleep runs: wait until it shows
	local i
	for ((i = 0; i < 100; i++)); do
		[[ -e /proc/$OPENER_PID/fd/9 ]] && return 0
		sleep 0.05
	done
	fail "the opener did not open /dev/vfio-pasid"
}

# start_hold [HOLD OPTIONS]: "vfiopasidctl hold OPTIONS -- sleep 600" in the
# background; waits for its two lines.  Sets HOLD_PID (the VM's pid),
# HOLD_VM (its id) and HOLD_PASIDS (its PASIDs, separated by spaces).
HOLD_SEQ=0
# shellcheck disable=SC2034 # HOLD_VM, HOLD_PASIDS: for the bats files
start_hold() {
	local out=$BATS_TEST_TMPDIR/hold.$((++HOLD_SEQ)) i
	"$CTL" hold "$@" -- sleep 600 >"$out" 2>"$out.err" 3>&- &
	HOLD_PID=$!
	HOLDER_PIDS+=("$HOLD_PID")
	for ((i = 0; i < 400; i++)); do
		[[ $(wc -l <"$out") -ge 2 ]] && break
		kill -0 "$HOLD_PID" 2>/dev/null ||
			fail "hold $* ended early: $(cat "$out.err")"
		sleep 0.05
	done
	[[ $(wc -l <"$out") -ge 2 ]] || fail "hold $* printed nothing"
	HOLD_VM=$(sed -n 1p "$out")
	HOLD_PASIDS=$(sed -n 2p "$out")
}

# start_monitor [OPTIONS]: "vfiopasidctl monitor OPTIONS" (-j, -p,
# --follow) in the background, writing to $MONITOR_OUT; returns once it
# demonstrably receives events (it is poked with default-quota changes until
# they show).  The lines it printed so far are not part of the test:
# monitor_lines prints the ones after.
start_monitor() {
	MONITOR_OUT=$BATS_TEST_TMPDIR/monitor.out
	"$CTL" monitor "$@" >"$MONITOR_OUT" 2>"$MONITOR_OUT.err" 3>&- &
	MONITOR_PID=$!
	BG_MONITORS+=("$MONITOR_PID")
	local q i
	q=$("$CTL" -j quota default | jq .default_quota)
	for ((i = 0; i < 100; i++)); do
		"$CTL" quota default $((q + 1)) >/dev/null
		"$CTL" quota default "$q" >/dev/null
		sleep 0.1
		# the last line is the change back: everything before is out
		if tail -n 2 "$MONITOR_OUT" | tr -d ' \n' | grep -Eq "(\"quota\":$q\}|quota=$q)\$"; then
			MONITOR_SKIP=$(wc -l <"$MONITOR_OUT")
			return 0
		fi
		kill -0 "$MONITOR_PID" 2>/dev/null ||
			fail "monitor ended early: $(cat "$MONITOR_OUT.err")"
	done
	fail "monitor does not receive events"
}

# The monitor's lines since start_monitor returned
monitor_lines() {
	tail -n +$((MONITOR_SKIP + 1)) "$MONITOR_OUT"
}

# wait_monitor_lines N: until the monitor printed N lines (10 s at most)
wait_monitor_lines() {
	local i
	for ((i = 0; i < 200; i++)); do
		[[ $(monitor_lines | wc -l) -ge $1 ]] && return 0
		sleep 0.05
	done
	fail "monitor printed $(monitor_lines | wc -l) lines, expected $1: $(monitor_lines)"
}

kill_holders() {
	local pid
	for pid in "${HOLDER_PIDS[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in "${HOLDER_PIDS[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	HOLDER_PIDS=()
}

kill_monitors() {
	local pid
	for pid in "${BG_MONITORS[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in "${BG_MONITORS[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	BG_MONITORS=()
}

# Every CLI file ends with the system as it found it: no module
assert_module_gone() {
	module_unload
	if lsmod | grep -q '^vfio_pasid '; then
		fail "vfio_pasid is still loaded"
	fi
}

# The fixture of most files, which they get by defining none of their own:
# the module loaded for each test, everything checked and torn down after
# it, nothing left once the file is done.
setup() {
	require_module
	# shellcheck disable=SC2119 # no parameters: the defaults
	module_load
}

teardown() {
	teardown_module
}

teardown_file() {
	assert_module_gone
}
