#!/usr/bin/env bats
# Privileges: a user given access to /dev/vfio-pasid acts as a VM and reads
# everything; every change through netlink needs CAP_NET_ADMIN, raising its
# own quota through the ioctl CAP_SYS_RESOURCE; a user without access to
# the node is refused.  Users are nobody, with setpriv; "a member" is nobody
# with the node's group as a supplementary group.

load helpers

NODE=/dev/vfio-pasid
ACCESS_GROUP=users
TOOL=$PROJECT_DIR/tests/ioctl/vp-tool

# as_member ARGS...: ARGS as nobody with $ACCESS_GROUP, extra setpriv
# options in $CAPS (an array)
CAPS=()
as_member() {
	setpriv --reuid=nobody --regid=nogroup --groups="$ACCESS_GROUP" \
		"${CAPS[@]}" -- "$@"
}

# The CLI run as a member, with CAPS: a script for CTL
member_ctl() {
	local w=$BATS_TEST_TMPDIR/ctl-member
	{
		echo '#!/bin/sh'
		printf 'exec setpriv --reuid=nobody --regid=nogroup --groups=%s' "$ACCESS_GROUP"
		printf ' %q' "${CAPS[@]}" -- "$ROOT_CTL"
		echo ' "$@"'
	} >"$w"
	chmod 0755 "$w"
	echo "$w"
}

# ctl_member [STATUS] ARGS...: ctl, as a member with CAPS
ctl_member() {
	CTL=$(member_ctl)
	ctl "$@"
	CTL=$ROOT_CTL
}

# start_hold_member [HOLD OPTIONS]: start_hold, as a member with CAPS
start_hold_member() {
	CTL=$(member_ctl)
	start_hold "$@"
	CTL=$ROOT_CTL
}

setup() {
	require_module
	[[ -x $TOOL ]] || skip "tests/ioctl/vp-tool is not built"
	module_load
	ROOT_CTL=$CTL
	NODE_OWNER=$(stat -c %u:%g "$NODE")
	NODE_MODE=$(stat -c %a "$NODE")
	chgrp "$ACCESS_GROUP" "$NODE"
	chmod 0660 "$NODE"
}

teardown() {
	CTL=$ROOT_CTL
	if [[ -e $NODE ]]; then
		chown "$NODE_OWNER" "$NODE"
		chmod "$NODE_MODE" "$NODE"
		assert_equal "$(stat -c %u:%g:%a "$NODE")" "$NODE_OWNER:$NODE_MODE"
	fi
	teardown_module
}

teardown_file() {
	assert_module_gone
}

@test "a user with access to the node holds a VM, and every read works" {
	start_hold_member -n 2
	# it is nobody's VM
	assert_equal "$(stat -c %u "/proc/$HOLD_PID")" 65534
	ctl_member status
	ctl_member -j status
	jq_is '.status.vm_count' 1
	ctl_member vm list
	assert_line --regexp "^ *$HOLD_VM +$HOLD_PID +vfiopasidctl +1000 +2 +0 +0 +/\$"
	ctl_member vm show "$HOLD_VM"
	ctl_member vm show "pid:$HOLD_PID"
	ctl_member quota get "$HOLD_VM"
	ctl_member quota default
	ctl_member pasid list
	ctl_member pasid list "$HOLD_VM"
	local p
	for p in $HOLD_PASIDS; do
		assert_line --regexp "^ *$p +$HOLD_VM "
	done
	ctl_member -j vm list
	jq_is '.vms[0].count' 2
	ctl_member -j quota get "$HOLD_VM"
	jq_is '.quota.count' 2
	ctl_member -j pasid list
	jq_is '.pasids | length' 2
	kill_holders
	ctl_member -j reclaimed
	jq_is '.reclaimed | length' 2
	jq_is ".reclaimed[0].vm_id" "$HOLD_VM"
	ctl_member reclaimed --vm "$HOLD_VM"
	ctl_member -j status
	jq_is '.status.vm_count' 0
}

@test "a user with access: SET_PASID_QUOTA lowers its own quota, raising is EPERM" {
	run as_member "$TOOL" quota 10 2000 5 10 0 1048576
	assert_success
	assert_line --index 0 --regexp '^vm [0-9]+ quota 1000$'
	assert_line --index 1 'set 10: returned 10, quota 10'
	assert_line --index 2 'set 2000: EPERM, quota 10'
	assert_line --index 3 'set 5: returned 5, quota 5'
	assert_line --index 4 'set 10: EPERM, quota 5'
	assert_line --index 5 'set 0: returned 0, quota 0'
	# above the pool is EINVAL, whoever asks
	assert_line --index 6 'set 1048576: EINVAL, quota 0'
	# CAP_NET_ADMIN is not the capability that raises it
	CAPS=(--inh-caps=+net_admin --ambient-caps=+net_admin)
	run as_member "$TOOL" quota 10 2000
	assert_success
	assert_line --index 1 'set 10: returned 10, quota 10'
	assert_line --index 2 'set 2000: EPERM, quota 10'
}

@test "a user with CAP_SYS_RESOURCE raises its own quota through the ioctl" {
	CAPS=(--inh-caps=+sys_resource --ambient-caps=+sys_resource)
	run as_member "$TOOL" quota 10 2000 1048575 1048576
	assert_success
	assert_line --index 1 'set 10: returned 10, quota 10'
	assert_line --index 2 'set 2000: returned 2000, quota 2000'
	assert_line --index 3 'set 1048575: returned 1048575, quota 1048575'
	assert_line --index 4 'set 1048576: EINVAL, quota 1048575'
}

@test "netlink changes without CAP_NET_ADMIN: exit 4, one line, nothing changes" {
	start_hold -n 1
	local vm=$HOLD_VM
	# a reclaim record to keep
	kill_holders
	start_hold_member -n 1
	ctl_member 4 quota set "$HOLD_VM" 5
	assert_stderr "vfiopasidctl: quota set: VM $HOLD_VM: operation not permitted: run as root (changes need CAP_NET_ADMIN)"
	ctl_member 4 quota set "pid:$HOLD_PID" 5
	assert_stderr_contains "operation not permitted"
	ctl_member 4 quota default 7
	assert_stderr_contains "operation not permitted: run as root (changes need CAP_NET_ADMIN)"
	ctl_member 4 reclaimed --clear
	assert_stderr_contains "operation not permitted: run as root (changes need CAP_NET_ADMIN)"
	# bad input is still a usage error, not a permission one
	ctl_member 2 quota default many
	ctl_member 2 quota set "$HOLD_VM" -1
	# and without access to the node either
	ctl_as_nobody 4 quota set "$HOLD_VM" 5
	ctl_as_nobody 4 quota default 7
	ctl_as_nobody 4 reclaimed --clear
	ctl -j quota get "$HOLD_VM"
	jq_is '.quota.quota' 1000
	ctl -j quota default
	jq_is '.default_quota' 1000
	ctl -j reclaimed --vm "$vm"
	jq_is '.reclaimed | length' 1
}

@test "an operator with CAP_NET_ADMIN changes quotas and clears the reclaim log" {
	start_hold -n 1
	local vm=$HOLD_VM
	kill_holders
	start_hold -n 3
	CAPS=(--inh-caps=+net_admin --ambient-caps=+net_admin)
	ctl_member quota set "$HOLD_VM" 5
	ctl_member 1 quota set "$HOLD_VM" 2
	assert_stderr_contains "is below the 3 PASIDs VM $HOLD_VM holds"
	ctl_member quota default 7
	ctl_member reclaimed --clear
	ctl -j quota get "$HOLD_VM"
	jq_is '.quota.quota' 5
	ctl -j quota default
	jq_is '.default_quota' 7
	ctl -j reclaimed --vm "$vm"
	jq_is '.reclaimed | length' 0
}

@test "a user without access to the node: hold and the ioctls are refused (exit 4); reads work" {
	ctl_as_nobody 4 hold -n 1
	assert_stderr "vfiopasidctl: hold: $NODE: permission denied: run as root, or get read-write access to the device"
	run setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$TOOL" quota 5
	assert_equal "$status" 3
	assert_output "vp-tool: open $NODE: EACCES"
	# a member of another group, or read-only access, is no better
	chmod 0640 "$NODE"
	ctl_member 4 hold -n 1
	assert_stderr_contains "permission denied"
	ctl_as_nobody status
	ctl_as_nobody -j status
	jq_is '.status.vm_count' 0
	ctl_as_nobody -j vm list
	jq_is '.vms | length' 0
	ctl_as_nobody quota default
	ctl_as_nobody reclaimed
	ctl -j status
	jq_is '.status.vm_count' 0
}

@test "reads without CAP_NET_ADMIN show only the caller's own VMs; totals stay open" {
	start_hold -n 2
	local root_vm=$HOLD_VM root_pid=$HOLD_PID
	start_hold_member -n 1
	local own_vm=$HOLD_VM own_pid=$HOLD_PID
	# root sees both
	ctl -j vm list
	jq_is '.vms | length' 2
	ctl -j pasid list
	jq_is '.pasids | length' 3
	# nobody sees its own, by id, by pid and in every list
	ctl_member -j vm list
	jq_is '.vms | length' 1
	jq_is '.vms[0].vm_id' "$own_vm"
	ctl_member -j pasid list
	jq_is '.pasids | length' 1
	jq_is '.pasids[0].vm_id' "$own_vm"
	ctl_member -j vm show "pid:$own_pid"
	jq_is '.vm.vm_id' "$own_vm"
	# root's VM does not exist for it, whichever way it asks
	ctl_member 1 vm show "$root_vm"
	assert_stderr "vfiopasidctl: vm show: VM $root_vm: no VM with this id (no such file or directory)"
	ctl_member 1 vm show "pid:$root_pid"
	assert_stderr_contains "no VM is owned by this pid"
	ctl_member 1 pasid list "$root_vm"
	assert_stderr_contains "no VM with this id"
	ctl_member 1 quota get "$root_vm"
	# the totals are not per user
	ctl_member -j status
	jq_is '.status.vm_count' 2
	jq_is '.status.pool.in_use' 3
	# the reclaim log: the same rule
	kill_holders
	ctl -j reclaimed
	jq_is '.reclaimed | length' 3
	ctl_member -j reclaimed
	jq_is '.reclaimed | length' 1
	jq_is '.reclaimed[0].vm_id' "$own_vm"
	ctl_member -j reclaimed --vm "$root_vm"
	jq_is '.reclaimed | length' 0
	# CAP_NET_ADMIN sees everything again
	CAPS=(--inh-caps=+net_admin --ambient-caps=+net_admin)
	ctl_member -j reclaimed
	jq_is '.reclaimed | length' 3
}

@test "monitor needs CAP_NET_ADMIN: exit 4, one line; with it, it runs" {
	ctl_member 4 monitor
	assert_stderr "vfiopasidctl: monitor: joining the multicast group 'monitor': operation not permitted: run as root (the monitor's events name the processes of every user: it needs CAP_NET_ADMIN)"
	ctl_as_nobody 4 -j monitor
	assert_stderr_contains "operation not permitted"
	# with the capability it starts, sees an event and ends at SIGINT
	CAPS=(--inh-caps=+net_admin --ambient-caps=+net_admin)
	local out=$BATS_TEST_TMPDIR/monitor.out
	"$(member_ctl)" -j monitor >"$out" 2>&1 &
	local mon=$!
	sleep 1
	start_hold -n 1
	kill_holders
	local i
	for ((i = 0; i < 50; i++)); do
		grep -q '"event":"vm_del"' "$out" && break
		sleep 0.1
	done
	kill -INT "$mon"
	wait "$mon" || true
	run cat "$out"
	assert_output --partial '"event":"vm_del"'
}

@test "pid:PID is read in the caller's pid namespace, and names a live creator" {
	command -v unshare >/dev/null || skip "unshare is not installed"
	local out=$BATS_TEST_TMPDIR/ns.out
	# inside a new pid namespace: hold's pid there is small; vm show pid:
	# of that number finds it, and reports the pid as the namespace sees it
	# shellcheck disable=SC2016 # expanded by the inner sh
	unshare --pid --fork --mount-proc -- sh -c '
		"$1" hold -n 1 -- sleep 60 >"$2.hold" &
		h=$!
		for i in $(seq 50); do [ -s "$2.hold" ] && break; sleep 0.1; done
		"$1" -j vm show "pid:$h" >"$2"
		echo "$h" >"$2.pid"
		"$1" -j vm list >"$2.list"
		kill "$h"; wait "$h" || true' sh "$CTL" "$out"
	local inner
	inner=$(cat "$out.pid")
	run jq -r '.vm.pid' "$out"
	assert_output "$inner"
	run jq -r '.vms[0].pid' "$out.list"
	assert_output "$inner"
	# the same number outside names another process, or none: never that VM
	start_hold -n 1
	ctl -j vm show "pid:$HOLD_PID"
	jq_is '.vm.vm_id' "$HOLD_VM"
	# a pid that is not a process's (a thread of it, or none)
	ctl 1 vm show "pid:4194303"
	assert_stderr_contains "no VM is owned by this pid"
}
