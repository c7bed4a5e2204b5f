#!/usr/bin/env bats
# vfiopasidctl quota get VM | quota set VM N | quota default [N]

load helpers

@test "quota get: quota and count (text and JSON, by id and pid); unknown VM: exit 1" {
	start_hold -n 3
	ctl quota get "$HOLD_VM"
	assert_line --regexp "^vm_id: +$HOLD_VM\$"
	assert_line --regexp '^quota: +1000$'
	assert_line --regexp '^count: +3$'
	ctl -j quota get "$HOLD_VM"
	assert_output "{\"quota\":{\"vm_id\":$HOLD_VM,\"quota\":1000,\"count\":3}}"
	ctl -j quota get "pid:$HOLD_PID"
	assert_output "{\"quota\":{\"vm_id\":$HOLD_VM,\"quota\":1000,\"count\":3}}"
	ctl_as_nobody 1 -j quota get "$HOLD_VM"
	assert_stderr_contains "quota get: VM $HOLD_VM: "
	ctl 1 quota get 4242
	assert_stderr_contains "quota get: VM 4242: "
	ctl 1 quota get pid:1
	assert_stderr_contains "quota get: the VM of pid 1: "
}

@test "quota set changes the quota and prints it" {
	start_hold -n 3
	ctl quota set "$HOLD_VM" 5
	assert_line --regexp '^quota: +5$'
	ctl -j quota get "$HOLD_VM"
	jq_is '.quota.quota' 5
	ctl -j quota set "pid:$HOLD_PID" 3
	assert_output "{\"quota\":{\"vm_id\":$HOLD_VM,\"quota\":3,\"count\":3}}"
	assert_one_object
	ctl -j vm list
	jq_is '.vms[0].quota' 3
	ctl -p quota set "$HOLD_VM" 4
	assert_one_object
	jq_is '.quota.quota' 4
}

@test "quota set below the VM's count: exit 1, names both numbers" {
	start_hold -n 5
	ctl 1 quota set "$HOLD_VM" 3
	assert_stderr "vfiopasidctl: quota set: quota 3 is below the 5 PASIDs VM $HOLD_VM holds"
	ctl 1 -j quota set "pid:$HOLD_PID" 0
	assert_stderr "vfiopasidctl: quota set: quota 0 is below the 5 PASIDs VM $HOLD_VM holds"
	# a failure prints nothing on standard output, JSON or not
	assert_output ""
	ctl -j quota get "$HOLD_VM"
	jq_is '.quota.quota' 1000
}

@test "quota set above the pool size: exit 1, names the pool size" {
	module_load pasid_min=1 pasid_max=100 default_quota=100
	start_hold -n 1
	ctl 1 quota set "$HOLD_VM" 101
	assert_stderr "vfiopasidctl: quota set: quota 101 is above the pool size 100"
	ctl 1 quota set "$HOLD_VM" 2000000
	assert_stderr "vfiopasidctl: quota set: quota 2000000 is above the pool size 100"
	ctl quota set "$HOLD_VM" 100
}

@test "quota set: unknown VM exit 1; unprivileged user exit 4" {
	ctl 1 quota set 4242 5
	assert_stderr_contains "quota set: VM 4242: "
	ctl 1 quota set pid:1 5
	assert_stderr_contains "quota set: the VM of pid 1: "
	start_hold -n 1
	ctl_as_nobody 4 quota set "$HOLD_VM" 5
	assert_stderr "vfiopasidctl: quota set: VM $HOLD_VM: operation not permitted: run as root (changes need CAP_NET_ADMIN)"
	ctl -j quota get "$HOLD_VM"
	jq_is '.quota.quota' 1000
}

@test "quota default shows the default quota, and N sets it for new VMs only" {
	ctl quota default
	assert_output "default_quota: 1000"
	ctl -j quota default
	assert_output '{"default_quota":1000}'
	ctl_as_nobody -j quota default
	assert_output '{"default_quota":1000}'
	start_hold -n 1
	local old=$HOLD_VM
	ctl -j quota default 7
	assert_output '{"default_quota":7}'
	assert_equal "$(cat /sys/module/vfio_pasid/parameters/default_quota)" 7
	start_hold -n 1
	ctl -j quota get "$HOLD_VM"
	jq_is '.quota.quota' 7
	ctl -j quota get "$old"
	jq_is '.quota.quota' 1000
	ctl -j status
	jq_is '.status.default_quota' 7
}

@test "quota default N: above the pool size exit 1; unprivileged user exit 4" {
	module_load pasid_min=1 pasid_max=100 default_quota=100
	ctl 1 quota default 101
	assert_stderr "vfiopasidctl: quota default: quota 101 is above the pool size 100"
	ctl 1 -j quota default 2000000
	assert_output ""
	ctl -j quota default 100
	assert_one_object
	ctl_as_nobody 4 quota default 5
	assert_stderr "vfiopasidctl: quota default: 5: operation not permitted: run as root (changes need CAP_NET_ADMIN)"
	ctl -j quota default
	assert_output '{"default_quota":100}'
}

@test "quota: usage errors exit 2" {
	ctl 2 quota
	ctl 2 quota gett 1
	ctl 2 quota get
	ctl 2 quota get x
	ctl 2 quota get 1 2
	ctl 2 quota set
	ctl 2 quota set 1
	assert_stderr_contains "missing the quota N"
	ctl 2 quota set 1 x
	assert_stderr_contains "'x' is not a quota"
	ctl 2 quota set 1 -5
	ctl 2 quota set 1 4294967296
	ctl 2 quota set x 5
	ctl 2 quota set 1 5 6
	ctl 2 quota default x
	ctl 2 quota default 1 2
}
