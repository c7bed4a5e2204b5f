#!/usr/bin/env bats
# vfiopasidctl pasid list [VM]

load helpers

@test "pasid list with no PASID: a header, and an empty list in JSON" {
	ctl pasid list
	assert_output "PASID  VM_ID  BOUND  GPASID  ADDR_WIDTH  DEVICES  INV_IOTLB  INV_DEV_IOTLB"
	ctl -j pasid list
	assert_output '{"pasids":[]}'
}

@test "pasid list shows every VM's PASIDs (text and JSON)" {
	start_hold -n 2
	local vm1=$HOLD_VM p1=$HOLD_PASIDS
	start_hold -n 3
	local vm2=$HOLD_VM p2=$HOLD_PASIDS
	start_hold -n 0
	ctl pasid list
	assert_equal "${#lines[@]}" 6
	local p
	for p in $p1; do
		assert_line --regexp "^ *$p +$vm1 +no +- +- +- +0 +0\$"
	done
	for p in $p2; do
		assert_line --regexp "^ *$p +$vm2 +no +- +- +- +0 +0\$"
	done
	ctl -j pasid list
	assert_equal "${#lines[@]}" 1
	jq_is '.pasids | length' 5
	jq_is '.pasids[0] | keys_unsorted | join(",")' pasid,vm_id,bound,gpasid,addr_width,devices,inv_iotlb,inv_dev_iotlb,bind_flags,vtd_flags
	jq_is "[.pasids[] | select(.vm_id == $vm1) | .pasid] | join(\" \")" "$p1"
	jq_is '.pasids[0].bound' false
	jq_is '.pasids[0].gpasid' null
	jq_is '.pasids[0].addr_width' null
	jq_is '.pasids[0].devices' null
	jq_is '.pasids[0].inv_iotlb | type' number
	jq_is '.pasids[0].inv_dev_iotlb | type' number
	ctl_as_nobody -j pasid list
	jq_is '.pasids | length' 0
}

@test "pasid list VM and pid:PID show one VM's PASIDs; a list of one stays a list" {
	start_hold -n 2
	local vm1=$HOLD_VM pid1=$HOLD_PID p1=$HOLD_PASIDS
	start_hold -n 1
	ctl -j pasid list "$vm1"
	jq_is '[.pasids[].pasid] | join(" ")' "$p1"
	jq_is '[.pasids[].vm_id] | unique | join(",")' "$vm1"
	ctl -j pasid list "pid:$pid1"
	jq_is '[.pasids[].pasid] | join(" ")' "$p1"
	ctl -j pasid list "$HOLD_VM"
	jq_is '.pasids | type' array
	jq_is '[.pasids[].pasid] | join(" ")' "$HOLD_PASIDS"
}

@test "pasid list of an unknown VM: exit 1, nothing on stdout" {
	ctl 1 pasid list 4242
	assert_stderr_contains "vfiopasidctl: pasid list: VM 4242: "
	assert_output ""
	ctl 1 -j pasid list pid:1
	assert_stderr_contains "vfiopasidctl: pasid list: the VM of pid 1: "
	assert_output ""
}

# shellcheck disable=SC2154 # stderr_lines: set by run
@test "pasid list streams a big dump in flat memory (100000 PASIDs)" {
	module_load default_quota=1048575
	start_hold -n 100000
	run --separate-stderr /usr/bin/time -f '%M' "$CTL" -j pasid list
	assert_success
	local rss=${stderr_lines[-1]}
	jq_is '.pasids | length' 100000
	jq_is '[.pasids[].vm_id] | unique | join(",")' "$HOLD_VM"
	jq_is '[.pasids[].pasid] | unique | length' 100000
	# a whole object tree of 100000 PASIDs would take well over 100 MB
	assert [ "$rss" -lt 20000 ]
	run --separate-stderr /usr/bin/time -f '%M' "$CTL" pasid list
	assert_success
	assert_equal "${#lines[@]}" 100001
	assert [ "${stderr_lines[-1]}" -lt 20000 ]
}

# shellcheck disable=SC2154 # stderr: set by run
@test "pasid list while VMs come and go: printed whole, then it says the list may be torn, exit 1" {
	module_load default_quota=1048575
	start_hold -n 100000
	# a loop of VMs that come and go, while the long dump is read
	local stop=$BATS_TEST_TMPDIR/stop churn i
	(while [[ ! -e $stop ]]; do "$CTL" hold -n 1 </dev/null >/dev/null 2>&1; done) 3>&- &
	churn=$!
	local torn=0
	for ((i = 0; i < 3 && !torn; i++)); do
		run --separate-stderr "$CTL" -j pasid list
		if ((status == 1)); then
			torn=1
			assert_equal "$stderr" "vfiopasidctl: pasid list: the list changed while it was read (VMs, groups or limits came or went), so it may miss or repeat entries: run the command again (resource temporarily unavailable)"
			# what came is still one whole JSON document
			jq -e '.pasids | length >= 100000' <<<"$output" >/dev/null ||
				fail "the torn list is not a whole document"
		else
			assert_success
		fi
	done
	touch "$stop"
	wait "$churn"
	((torn)) || fail "three dumps of 100000 PASIDs while VMs came and went: none was flagged"
	# quiet again: whole, exit 0
	ctl -j pasid list
	jq_is '.pasids | length' 100000
}

@test "pasid: usage errors exit 2" {
	ctl 2 pasid
	ctl 2 pasid lis
	ctl 2 pasid list x
	assert_stderr_contains "'x' is not a VM"
	ctl 2 pasid list pid:x
	ctl 2 pasid list 1 2
	ctl 2 pasid list --bogus
}
