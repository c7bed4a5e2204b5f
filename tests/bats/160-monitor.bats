#!/usr/bin/env bats
# vfiopasidctl monitor

load helpers

# The monitor's line N (1-based) since start_monitor, as $output for jq_is
monitor_line() {
	output=$(monitor_lines | sed -n "${1}p")
}

@test "monitor -j: a VM's life, one JSON object per line" {
	start_monitor -j
	start_hold -n 2
	local vm=$HOLD_VM pid=$HOLD_PID
	wait_monitor_lines 1
	monitor_line 1
	jq_is '.event' vm_new
	jq_is 'keys_unsorted | join(",")' event,time,vm_id,pid,comm,quota
	jq_is '.vm_id' "$vm"
	jq_is '.pid' "$pid"
	jq_is '.comm' vfiopasidctl
	jq_is '.quota' 1000
	jq_is '.time | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\\.[0-9]{9}Z$")' true
	kill_holders
	wait_monitor_lines 4
	monitor_line 2
	jq_is '.event' reclaim
	jq_is 'keys_unsorted | join(",")' event,time,seq,vm_id,pid,comm,pasid,bound
	jq_is '.vm_id' "$vm"
	jq_is '.bound' false
	monitor_line 3
	jq_is '.event' reclaim
	monitor_line 4
	jq_is '.event' vm_del
	jq_is 'keys_unsorted | join(",")' event,time,vm_id,pid,comm,reclaimed
	jq_is '.vm_id' "$vm"
	jq_is '.reclaimed' 2
	# every line is a JSON document of its own
	monitor_lines | jq -e . >/dev/null
}

@test "monitor -j: quota changes, of a VM and of the default" {
	start_hold -n 1
	start_monitor -j
	ctl quota set "$HOLD_VM" 5
	ctl quota default 9
	wait_monitor_lines 2
	monitor_line 1
	jq_is '.event' quota
	jq_is '.default' false
	jq_is '.vm_id' "$HOLD_VM"
	jq_is '.old_quota' 1000
	jq_is '.quota' 5
	monitor_line 2
	jq_is '.event' quota
	jq_is '.default' true
	jq_is 'has("vm_id")' false
	jq_is '.old_quota' 1000
	jq_is '.quota' 9
}

@test "monitor in text: one line per event, time first, key=value" {
	start_monitor
	start_hold -n 1
	local vm=$HOLD_VM pid=$HOLD_PID
	kill_holders
	wait_monitor_lines 3
	run monitor_lines
	assert_line --index 0 --regexp "^[0-9-]+T[0-9:.]+Z vm_new vm_id=$vm pid=$pid comm=vfiopasidctl quota=1000\$"
	assert_line --index 1 --regexp "^[0-9-]+T[0-9:.]+Z reclaim seq=[0-9]+ vm_id=$vm pid=$pid comm=vfiopasidctl pasid=[0-9]+ bound=no\$"
	assert_line --index 2 --regexp "^[0-9-]+T[0-9:.]+Z vm_del vm_id=$vm pid=$pid comm=vfiopasidctl reclaimed=1\$"
}

@test "monitor -p: indented JSON documents" {
	start_monitor -p
	ctl quota default 3
	wait_monitor_lines 7
	run bash -c "tail -n +$((MONITOR_SKIP + 1)) '$MONITOR_OUT' | jq -s -c '.[0] | [.event, .default, .quota]'"
	assert_output '["quota",true,3]'
}

@test "monitor ends with status 0 on SIGINT and on SIGTERM; usage errors exit 2" {
	start_monitor -j
	kill -INT "$MONITOR_PID"
	local rc=0
	wait "$MONITOR_PID" || rc=$?
	assert_equal "$rc" 0
	start_monitor -j
	kill -TERM "$MONITOR_PID"
	rc=0
	wait "$MONITOR_PID" || rc=$?
	assert_equal "$rc" 0
	assert_equal "$(cat "$MONITOR_OUT.err")" ""
	ctl 2 monitor extra
	ctl 2 monitor --bogus
}

@test "monitor works for a user with CAP_NET_ADMIN, not for others" {
	local out=$BATS_TEST_TMPDIR/nobody.out i
	ctl_as_nobody 4 -j monitor
	assert_stderr_contains "operation not permitted"
	setpriv --reuid=nobody --regid=nogroup --clear-groups \
		--inh-caps=+net_admin --ambient-caps=+net_admin -- \
		"$CTL" -j monitor >"$out" 2>&1 3>&- &
	BG_MONITORS+=("$!")
	for ((i = 0; i < 100; i++)); do
		ctl quota default 11
		ctl quota default 12
		grep -q '"quota":12' "$out" && break
		sleep 0.1
	done
	run cat "$out"
	assert_output --partial '"event":"quota"'
}

@test "monitor ends with status 3 when the module is unloaded" {
	start_monitor -j
	local pid=$MONITOR_PID
	ctl module unload
	local rc=0
	wait "$pid" || rc=$?
	assert_equal "$rc" 3
	assert_equal "$(cat "$MONITOR_OUT.err")" "vfiopasidctl: monitor: the module was unloaded"
}
