#!/usr/bin/env bats
# vfiopasidctl reclaimed [--vm VM] | reclaimed --clear

load helpers

@test "reclaimed with an empty log: a header, and an empty list in JSON" {
	ctl reclaimed
	assert_output "SEQ  TIME  VM_ID  PID  COMM  PASID  BOUND"
	ctl -j reclaimed
	assert_output '{"reclaimed":[]}'
}

@test "a VM that ends leaves one record per PASID (JSON and text)" {
	start_hold -n 3
	local vm=$HOLD_VM pid=$HOLD_PID pasids=$HOLD_PASIDS
	local before after
	before=$(date +%s)
	kill_holders
	after=$(date +%s)
	ctl -j reclaimed
	jq_is '.reclaimed | length' 3
	jq_is '.reclaimed[0] | keys_unsorted | join(",")' seq,time,vm_id,pid,comm,pasid,bound
	jq_is '[.reclaimed[].vm_id] | unique | join(",")' "$vm"
	jq_is '[.reclaimed[].pid] | unique | join(",")' "$pid"
	jq_is '[.reclaimed[].comm] | unique | join(",")' vfiopasidctl
	jq_is '[.reclaimed[].pasid] | sort | join(" ")' "$(tr ' ' '\n' <<<"$pasids" | sort -n | paste -sd ' ')"
	jq_is '[.reclaimed[].bound] | unique | join(",")' false
	jq_is '[.reclaimed[].seq | type] | unique | join(",")' number
	jq_is '[.reclaimed[].seq] == ([.reclaimed[].seq] | sort)' true
	# times are RFC 3339 in UTC with nanoseconds, and now
	jq_is '[.reclaimed[].time | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{9}Z$")] | all' true
	local t
	t=$(date -d "$(jq -r '.reclaimed[0].time' <<<"$output")" +%s)
	assert [ "$t" -ge $((before - 1)) ]
	assert [ "$t" -le $((after + 1)) ]
	ctl reclaimed
	assert_equal "${#lines[@]}" 4
	assert_line --index 0 --regexp '^SEQ +TIME +VM_ID +PID +COMM +PASID +BOUND$'
	assert_line --index 1 --regexp "^ *[0-9]+ +[0-9-]+T[0-9:]+\\.[0-9]{9}Z +$vm +$pid +vfiopasidctl +[0-9]+ +no\$"
	ctl_as_nobody -j reclaimed
	jq_is '.reclaimed | length' 0
}

@test "a VM killed with SIGKILL is reclaimed too" {
	start_hold -n 2
	local vm=$HOLD_VM i
	kill -KILL "$HOLD_PID"
	wait "$HOLD_PID" || true
	for ((i = 0; i < 100; i++)); do
		run "$CTL" -j reclaimed --vm "$vm"
		[[ $(jq '.reclaimed | length' <<<"$output") -eq 2 ]] && break
		sleep 0.05
	done
	ctl -j reclaimed --vm "$vm"
	jq_is '.reclaimed | length' 2
	ctl -j status
	jq_is '.status.pool.in_use' 0
	jq_is '.status.totals.reclaimed' 2
}

@test "reclaimed --vm ID and --vm pid:PID keep one VM's records" {
	start_hold -n 2
	local vm1=$HOLD_VM pid1=$HOLD_PID
	start_hold -n 3
	local vm2=$HOLD_VM pid2=$HOLD_PID
	kill_holders
	ctl -j reclaimed
	jq_is '.reclaimed | length' 5
	ctl -j reclaimed --vm "$vm1"
	jq_is '.reclaimed | length' 2
	jq_is '[.reclaimed[].vm_id] | unique | join(",")' "$vm1"
	ctl -j reclaimed --vm "pid:$pid2"
	jq_is '.reclaimed | length' 3
	jq_is '[.reclaimed[].vm_id] | unique | join(",")' "$vm2"
	ctl -j reclaimed --vm "pid:$pid1"
	jq_is '[.reclaimed[].pid] | unique | join(",")' "$pid1"
	ctl -j reclaimed --vm=4242
	assert_output '{"reclaimed":[]}'
}

@test "reclaimed --clear empties the log quietly, with -j the log afterwards; unprivileged: exit 4, the log stays" {
	start_hold -n 2
	kill_holders
	ctl_as_nobody 4 reclaimed --clear
	assert_stderr "vfiopasidctl: reclaimed --clear: operation not permitted: run as root (changes need CAP_NET_ADMIN)"
	ctl_as_nobody 4 -j reclaimed --clear
	assert_output ""
	ctl -j reclaimed
	jq_is '.reclaimed | length' 2
	ctl reclaimed --clear
	assert_output ""
	ctl -j reclaimed
	assert_output '{"reclaimed":[]}'
	ctl -j status
	jq_is '.status.reclaim_log.count' 0
	ctl -j reclaimed --clear
	assert_output '{"reclaim_log":{"size":1024,"count":0,"dropped":0}}'
	assert_one_object
}

@test "the log keeps the newest reclaim_log_size records and counts the dropped" {
	module_load reclaim_log_size=4
	start_hold -n 6
	kill_holders
	ctl -j reclaimed
	jq_is '.reclaimed | length' 4
	ctl -j status
	jq_is '.status.reclaim_log | tojson' '{"size":4,"count":4,"dropped":2}'
	# the clear keeps the count of the dropped
	ctl -p reclaimed --clear
	assert_one_object
	jq_is '.reclaim_log | tojson' '{"size":4,"count":0,"dropped":2}'
}

@test "reclaimed: usage errors exit 2" {
	ctl 2 reclaimed --clear --vm 1
	assert_stderr_contains "--clear empties the whole log"
	ctl 2 reclaimed --vm
	ctl 2 reclaimed --vm x
	assert_stderr_contains "'x' is not a VM"
	ctl 2 reclaimed extra
	ctl 2 reclaimed --bogus
}
