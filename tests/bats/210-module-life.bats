#!/usr/bin/env bats
# The module's life: rmmod and "vfiopasidctl module unload" are refused
# while any descriptor of /dev/vfio-pasid is open, wherever it went (the
# opener, a child after the opener exited, another process over
# SCM_RIGHTS, a dup), and while a netlink dump is in flight; after the last
# close everything is returned (no VM, no binding, the whole pool), the
# module unloads and loads again.
#
# A dump in flight, as 6.1 does it: generic netlink takes a reference on
# the family's module when a dump starts (__netlink_dump_start) and drops
# it when the dump ends, or when its socket is destroyed.  A dump whose
# first part is all of it (nothing to dump) ends at once: it holds nothing.

load helpers

TOOL=$PROJECT_DIR/tests/ioctl/vp-tool
POOL=16
PARAMS=(pasid_min=1 "pasid_max=$POOL" "default_quota=$POOL")
IN_USE_MSG="vfiopasidctl: module unload: module is in use: close every /dev/vfio-pasid descriptor first"

setup() {
	require_module
	[[ -x $TOOL ]] || skip "tests/ioctl/vp-tool is not built"
	module_load "${PARAMS[@]}"
	ORPHANS=()
	BOUND_EDU=
}

teardown() {
	local pid
	for pid in "${ORPHANS[@]}"; do
		kill -KILL "$pid" 2>/dev/null || true
	done
	teardown_module
	if [[ -n $BOUND_EDU ]]; then
		vm_vfio_bind --unbind --edu 0 >/dev/null || true
	fi
}

teardown_file() {
	assert_module_gone
}

refcnt() {
	cat /sys/module/vfio_pasid/refcnt
}

# wait_refcnt N: the module's reference count becomes N (5 s at most)
wait_refcnt() {
	local i
	for ((i = 0; i < 100; i++)); do
		[[ $(refcnt) == "$1" ]] && return 0
		sleep 0.05
	done
	fail "refcnt is $(refcnt), expected $1"
}

# start_vp_hold N MODE [--group G]: "vp-tool hold" with CMD sleep 600 in
# the background.  Sets VP_VM, VP_HOLDER (the process with the
# descriptor) and VP_OPENER (the process that opened it).
start_vp_hold() {
	local out=$BATS_TEST_TMPDIR/vphold.$((++HOLD_SEQ)) i
	"$TOOL" hold "$@" -- sleep 600 >"$out" 2>"$out.err" 3>&- &
	VP_OPENER=$!
	for ((i = 0; i < 200; i++)); do
		[[ $(wc -l <"$out") -ge 3 ]] && break
		sleep 0.05
	done
	[[ $(wc -l <"$out") -ge 3 ]] || fail "vp-tool hold $*: $(cat "$out" "$out.err")"
	VP_VM=$(sed -n 's/^vm //p' "$out")
	VP_HOLDER=$(sed -n 's/^holder //p' "$out")
	ORPHANS+=("$VP_HOLDER")
	# the holder has the descriptor once it runs sleep
	for ((i = 0; i < 100; i++)); do
		[[ $(readlink "/proc/$VP_HOLDER/fd/9" 2>/dev/null) == /dev/vfio-pasid &&
			$(cat "/proc/$VP_HOLDER/comm") == sleep ]] && return 0
		sleep 0.05
	done
	fail "holder $VP_HOLDER has no /dev/vfio-pasid as descriptor 9"
}

# stop_pid PID: SIGKILL, and wait until it has no descriptor left
stop_pid() {
	local i
	kill -KILL "$1" 2>/dev/null || true
	for ((i = 0; i < 100; i++)); do
		[[ -e /proc/$1/fd/9 ]] || return 0
		sleep 0.05
	done
	fail "process $1 still has its descriptors"
}

# assert_unload_refused: rmmod and module unload refuse, the module stays
assert_unload_refused() {
	run rmmod vfio_pasid
	assert_failure
	assert_output --partial "in use"
	ctl 1 module unload
	assert_stderr "$IN_USE_MSG"
	assert module_loaded
	assert [ -c /dev/vfio-pasid ]
}

# assert_vm VM_ID PID COUNT BOUND: the only VM, as the admin API shows it
assert_vm() {
	ctl -j vm list
	jq_is '.vms | length' 1
	jq_is '.vms[0] | [.vm_id, .pid, .count, .bound_count] | join(" ")' "$1 $2 $3 $4"
}

# assert_returned: after the last close, the module holds nothing: no
# reference, no VM, no binding, balanced counters, the whole pool; it
# unloads, and loads again
assert_returned() {
	wait_refcnt 0
	ctl -j status
	jq_is '.status | [.vm_count, .pool.in_use, .pool.bound] | join(" ")' "0 0 0"
	jq_is '.status.totals | .allocated == .freed + .reclaimed and .binds == .unbinds' true
	# every PASID of the pool, once more
	start_hold -n "$POOL"
	assert_equal "$(tr ' ' '\n' <<<"$HOLD_PASIDS" | sort -n | paste -sd ' ')" "$(seq -s ' ' 1 "$POOL")"
	kill_holders
	wait_refcnt 0
	ctl module unload
	refute module_loaded
	refute [ -e /dev/vfio-pasid ]
	ctl module load --file "$TEST_KO" backend=emulated "${PARAMS[@]}"
	assert module_loaded
	ctl -j status
	jq_is '.status | [.vm_count, .pool.in_use, .pool.size] | join(" ")' "0 0 $POOL"
}

@test "held by its opener (hold, and an opener that exec'd): unload refused, then all returned" {
	start_hold -n 3
	assert_vm "$HOLD_VM" "$HOLD_PID" 3 0
	assert_equal "$(refcnt)" 1
	assert_unload_refused
	kill_holders
	assert_returned

	start_vp_hold 2 opener
	assert_equal "$VP_HOLDER" "$VP_OPENER"
	assert_vm "$VP_VM" "$VP_OPENER" 2 0
	assert_unload_refused
	stop_pid "$VP_HOLDER"
	assert_returned
}

@test "held by a child after the opener exited, bound on a group: unload refused, then all returned" {
	[[ ${VM_IOMMU:-intel} != none ]] || skip "booted with --iommu none"
	local group
	group=$(vm_vfio_bind --edu 0) || fail "vfio-bind --edu 0 failed"
	BOUND_EDU=1
	start_vp_hold 3 fork --group "$group"
	wait "$VP_OPENER" || fail "the opener failed"
	refute [ -d "/proc/$VP_OPENER" ]
	# the VM is still the opener's
	assert_vm "$VP_VM" "$VP_OPENER" 3 3
	ctl -j status
	jq_is '.status.pool.bound' 3
	assert_equal "$(refcnt)" 1
	assert_unload_refused
	# the VM holds the group's file: the group cannot be opened
	run bash -c "exec 8<>/dev/vfio/$group"
	assert_failure
	stop_pid "$VP_HOLDER"
	assert_returned
	# the group is free again
	run bash -c "exec 8<>/dev/vfio/$group"
	assert_success
}

@test "passed over SCM_RIGHTS, the sender gone: unload refused, then all returned" {
	start_vp_hold 2 scm
	wait "$VP_OPENER" || fail "the sender failed"
	refute [ -d "/proc/$VP_OPENER" ]
	assert [ "$VP_HOLDER" != "$VP_OPENER" ]
	assert_vm "$VP_VM" "$VP_OPENER" 2 0
	assert_equal "$(refcnt)" 1
	assert_unload_refused
	stop_pid "$VP_HOLDER"
	assert_returned
}

@test "held only through a dup: unload refused, then all returned" {
	start_vp_hold 2 dup
	assert_vm "$VP_VM" "$VP_OPENER" 2 0
	assert_equal "$(refcnt)" 1
	assert_unload_refused
	stop_pid "$VP_HOLDER"
	assert_returned
}

# start_dump WHAT: "vp-tool dump WHAT", reading nothing until $DUMP_FIFO is
# closed (exec {DUMP_W}>&-); sets DUMP_PID, DUMP_OUT
start_dump() {
	DUMP_FIFO=$BATS_TEST_TMPDIR/dump.fifo
	DUMP_OUT=$BATS_TEST_TMPDIR/dump.out
	rm -f "$DUMP_FIFO"
	mkfifo "$DUMP_FIFO"
	"$TOOL" dump "$@" <"$DUMP_FIFO" >"$DUMP_OUT" 2>&1 3>&- &
	DUMP_PID=$!
	ORPHANS+=("$DUMP_PID")
	exec {DUMP_W}>"$DUMP_FIFO"
	local i
	for ((i = 0; i < 100; i++)); do
		grep -qx started "$DUMP_OUT" && return 0
		sleep 0.05
	done
	fail "the dump did not start: $(cat "$DUMP_OUT")"
}

@test "a netlink dump in flight holds the module until it is read to its end" {
	start_hold -n 2
	start_dump pasid
	# the descriptor and the dump
	assert_equal "$(refcnt)" 2
	kill_holders
	wait_refcnt 1
	ctl -j vm list
	jq_is '.vms | length' 0
	assert_unload_refused
	# read to its end: the PASIDs it had in its first part, then done
	exec {DUMP_W}>&-
	wait "$DUMP_PID" || fail "the dump failed: $(cat "$DUMP_OUT")"
	run cat "$DUMP_OUT"
	assert_output $'started\nentries 2\ndone'
	assert_returned
}

@test "a netlink dump in flight whose socket closes unread lets the module go" {
	start_hold -n 2
	start_dump vm
	kill_holders
	wait_refcnt 1
	assert_unload_refused
	kill -KILL "$DUMP_PID"
	wait "$DUMP_PID" || true
	exec {DUMP_W}>&-
	assert_returned
}

@test "a netlink dump with nothing to dump ends at once: it holds nothing" {
	start_dump pasid
	assert_equal "$(refcnt)" 0
	ctl module unload
	refute module_loaded
	# its answer was queued before the module went
	exec {DUMP_W}>&-
	wait "$DUMP_PID" || fail "the dump failed: $(cat "$DUMP_OUT")"
	run cat "$DUMP_OUT"
	assert_output $'started\nentries 0\ndone'
	ctl module load --file "$TEST_KO" backend=emulated "${PARAMS[@]}"
	assert module_loaded
}
