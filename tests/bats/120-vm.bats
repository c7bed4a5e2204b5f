#!/usr/bin/env bats
# vfiopasidctl vm list | vm show VM

load helpers

@test "vm list with no VM: a header, and an empty list in JSON" {
	ctl vm list
	assert_output "VM_ID  PID  COMM  QUOTA  COUNT  BOUND_COUNT  GROUP_COUNT  CGROUP"
	ctl -j vm list
	assert_output '{"vms":[]}'
}

@test "vm list: id, pid, comm, quota, count, bound count (text, -j, -p)" {
	start_hold -n 3
	local vm1=$HOLD_VM pid1=$HOLD_PID
	start_hold -n 0
	local vm2=$HOLD_VM pid2=$HOLD_PID
	ctl vm list
	assert_equal "${#lines[@]}" 3
	assert_line --index 0 --regexp '^VM_ID +PID +COMM +QUOTA +COUNT +BOUND_COUNT +GROUP_COUNT +CGROUP$'
	# the guest's processes are in the root cgroup
	assert_line --regexp "^ *$vm1 +$pid1 +vfiopasidctl +1000 +3 +0 +0 +/\$"
	assert_line --regexp "^ *$vm2 +$pid2 +vfiopasidctl +1000 +0 +0 +0 +/\$"
	ctl -j vm list
	assert_equal "${#lines[@]}" 1
	jq_is '.vms | length' 2
	jq_is '.vms[0] | keys_unsorted | join(",")' vm_id,pid,comm,quota,count,bound_count,group_count,cgroup
	jq_is ".vms[] | select(.vm_id == $vm1) | [.pid, .comm, .quota, .count, .bound_count] | tojson" \
		"[$pid1,\"vfiopasidctl\",1000,3,0]"
	jq_is '[.vms[0][] | type] | join(",")' number,number,string,number,number,number,number,string
	ctl -p vm list
	assert [ "${#lines[@]}" -gt 10 ]
	jq_is '.vms | length' 2
}

@test "vm list follows VMs coming and going; other users do not see them" {
	start_hold -n 1
	start_hold -n 1
	ctl -j vm list
	jq_is '.vms | length' 2
	ctl_as_nobody -j vm list
	jq_is '.vms | length' 0
	kill_holders
	ctl -j vm list
	jq_is '.vms | length' 0
}

@test "vm show ID: the VM, then its PASIDs (text and JSON)" {
	start_hold -n 3
	ctl vm show "$HOLD_VM"
	assert_line --regexp "^vm_id: +$HOLD_VM\$"
	assert_line --regexp "^pid: +$HOLD_PID\$"
	assert_line --regexp '^comm: +vfiopasidctl$'
	assert_line --regexp '^quota: +1000$'
	assert_line --regexp '^count: +3$'
	assert_line --regexp '^bound_count: +0$'
	assert_line --regexp '^group_count: +0$'
	assert_line --regexp '^cgroup: +/$'
	assert_line --regexp '^devices: +-$'
	assert_line 'pasids:'
	assert_line --regexp '^  PASID +VM_ID +BOUND +GPASID +ADDR_WIDTH +DEVICES +INV_IOTLB +INV_DEV_IOTLB$'
	local p
	for p in $HOLD_PASIDS; do
		assert_line --regexp "^ +$p +$HOLD_VM +no +- +- +- +0 +0\$"
	done
	ctl -j vm show "$HOLD_VM"
	assert_equal "${#lines[@]}" 1
	jq_is '.vm | keys_unsorted | join(",")' vm_id,pid,comm,quota,count,bound_count,group_count,cgroup,devices,pasids
	jq_is '.vm.devices | tojson' '[]'
	jq_is '.vm.vm_id' "$HOLD_VM"
	jq_is '.vm.count' 3
	jq_is '[.vm.pasids[].pasid] | join(" ")' "$HOLD_PASIDS"
	jq_is '.vm.pasids[0] | keys_unsorted | join(",")' pasid,vm_id,bound,gpasid,addr_width,devices,inv_iotlb,inv_dev_iotlb,bind_flags,vtd_flags
	jq_is '[.vm.pasids[].bound] | unique | join(",")' false
	jq_is '[.vm.pasids[].vm_id] | unique | join(",")' "$HOLD_VM"
}

@test "vm show pid:PID is the same VM; lists stay lists when empty or of one" {
	start_hold -n 2
	ctl -j vm show "$HOLD_VM"
	local by_id=$output
	ctl -j vm show "pid:$HOLD_PID"
	assert_equal "$output" "$by_id"
	start_hold -n 0
	ctl -j vm show "$HOLD_VM"
	jq_is '.vm.pasids | type' array
	jq_is '.vm.pasids | length' 0
	start_hold -n 1
	ctl -j vm show "$HOLD_VM"
	jq_is '.vm.pasids | type' array
	jq_is '.vm.pasids | length' 1
	ctl_as_nobody 1 -j vm show "$HOLD_VM"
	assert_stderr "vfiopasidctl: vm show: VM $HOLD_VM: no VM with this id (no such file or directory)"
}

@test "vm show of an unknown or ended VM: exit 1, in words, nothing on stdout" {
	ctl 1 vm show 4242
	assert_stderr_contains "vfiopasidctl: vm show: VM 4242: "
	assert_output ""
	ctl 1 -j vm show pid:1
	assert_stderr_contains "vfiopasidctl: vm show: the VM of pid 1: "
	assert_output ""
	start_hold -n 1
	local vm=$HOLD_VM
	kill_holders
	ctl 1 vm show "$vm"
}

@test "vm: usage errors exit 2" {
	ctl 2 vm
	ctl 2 vm lst
	ctl 2 vm list extra
	ctl 2 vm show
	assert_stderr_contains "missing VM"
	ctl 2 vm show abc
	assert_stderr_contains "'abc' is not a VM"
	ctl 2 vm show pid:
	ctl 2 vm show pid:x
	ctl 2 vm show 0
	ctl 2 vm show -1
	ctl 2 vm show 1 2
	ctl 2 vm show --bogus 1
}
