#!/usr/bin/env bats
# vfiopasidctl monitor

load helpers

# The monitor's line N (1-based) since start_monitor, as $output for jq_is
monitor_line() {
	output=$(monitor_lines | sed -n "${1}p")
}

# start_follower: "vfiopasidctl monitor --follow" in the background, the
# module loaded or not, without poking it; every line it prints counts
# (monitor_lines, wait_monitor_lines)
start_follower() {
	MONITOR_OUT=$BATS_TEST_TMPDIR/follow.out
	MONITOR_SKIP=0
	"$CTL" monitor --follow >"$MONITOR_OUT" 2>"$MONITOR_OUT.err" 3>&- &
	MONITOR_PID=$!
	BG_MONITORS+=("$MONITOR_PID")
}

# bg_monitor FILE [OPTIONS]: one more "vfiopasidctl monitor OPTIONS" in the
# background, writing to FILE (FILE.err); sets BG_PID
bg_monitor() {
	local out=$1
	shift
	"$CTL" monitor "$@" >"$out" 2>"$out.err" 3>&- &
	BG_PID=$!
	BG_MONITORS+=("$BG_PID")
}

# The module of the tests, loaded and unloaded with the CLI itself: the
# helpers' module_load and module_unload end the monitors first
ctl_load() {
	ctl module load --file "$TEST_KO" backend=emulated
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

@test "monitor --follow -j: across unload and load, says so, joins again, events before and after arrive" {
	start_monitor -j --follow
	local pid=$MONITOR_PID
	ctl quota default 5
	start_hold -n 1
	kill_holders
	wait_monitor_lines 4
	ctl module unload
	wait_monitor_lines 5
	ctl_load
	wait_monitor_lines 6
	start_hold -n 2
	local vm=$HOLD_VM
	kill_holders
	wait_monitor_lines 10
	# every line is one JSON object
	monitor_lines | jq -e -s 'map(type == "object") | all' >/dev/null
	run bash -c "tail -n +$((MONITOR_SKIP + 1)) '$MONITOR_OUT' | jq -c '.event'"
	assert_output "$(printf '"%s"\n' quota vm_new reclaim vm_del module_unloaded module_loaded vm_new reclaim reclaim vm_del)"
	monitor_line 5
	jq_is 'keys_unsorted | join(",")' event,time
	jq_is '.time | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\\.[0-9]{9}Z$")' true
	monitor_line 6
	jq_is 'keys_unsorted | join(",")' event,time
	jq_is '.event' module_loaded
	monitor_line 7
	jq_is '.vm_id' "$vm"
	monitor_line 10
	jq_is '.reclaimed' 2
	# it runs on, and ends as ever
	kill -0 "$pid"
	assert_equal "$(cat "$MONITOR_OUT.err")" ""
	kill -TERM "$pid"
	local rc=0
	wait "$pid" || rc=$?
	assert_equal "$rc" 0
}

@test "monitor --follow in text: started without the module it waits without a line; two reloads" {
	module_unload
	start_follower
	sleep 1
	kill -0 "$MONITOR_PID" || fail "monitor --follow ended: $(cat "$MONITOR_OUT.err")"
	assert_equal "$(monitor_lines)" ""
	ctl_load
	wait_monitor_lines 1
	ctl quota default 9
	wait_monitor_lines 2
	ctl module unload
	wait_monitor_lines 3
	ctl_load
	wait_monitor_lines 4
	ctl quota default 8
	wait_monitor_lines 5
	run monitor_lines
	assert_equal "${#lines[@]}" 5
	local t='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{9}Z'
	assert_line --index 0 --regexp "^$t module_loaded\$"
	assert_line --index 1 --regexp "^$t quota default=yes old_quota=1000 quota=9\$"
	assert_line --index 2 --regexp "^$t module_unloaded\$"
	assert_line --index 3 --regexp "^$t module_loaded\$"
	assert_line --index 4 --regexp "^$t quota default=yes old_quota=1000 quota=8\$"
	kill -INT "$MONITOR_PID"
	local rc=0
	wait "$MONITOR_PID" || rc=$?
	assert_equal "$rc" 0
	assert_equal "$(cat "$MONITOR_OUT.err")" ""
}

@test "monitor: events the kernel drops are reported as 'lost' (JSON and text), and monitoring goes on" {
	# a receive buffer of the default size whatever the host tuned, so
	# that 2000 reclaims overflow it
	local rmem
	rmem=$(cat /proc/sys/net/core/rmem_max)
	echo 212992 >/proc/sys/net/core/rmem_max
	module_load default_quota=2000
	local text=$BATS_TEST_TMPDIR/text.out i
	bg_monitor "$text"
	local tpid=$BG_PID
	start_monitor -j
	echo "$rmem" >/proc/sys/net/core/rmem_max
	for ((i = 0; i < 100; i++)); do
		grep -q ' quota ' "$text" && break
		sleep 0.05
	done
	start_hold -n 2000
	kill -STOP "$MONITOR_PID" "$tpid"
	kill_holders
	kill -CONT "$MONITOR_PID" "$tpid"
	for ((i = 0; i < 200; i++)); do
		grep -q '"event":"lost"' "$MONITOR_OUT" && grep -q ' lost$' "$text" && break
		sleep 0.05
	done
	output=$(monitor_lines | grep '"event":"lost"' | head -n 1)
	[[ -n $output ]] || fail "no lost event in JSON: $(monitor_lines | tail -n 3)"
	jq_is 'keys_unsorted | join(",")' event,time
	grep -Eq '^[0-9-]+T[0-9:.]+Z lost$' "$text" || fail "no lost line in text: $(tail -n 3 "$text")"
	# fewer reclaims than PASIDs made it; the monitors go on
	(($(monitor_lines | grep -c '"event":"reclaim"') < 2000))
	ctl quota default 5
	for ((i = 0; i < 200; i++)); do
		monitor_lines | grep -q '"event":"quota".*"quota":5}' &&
			grep -q ' quota default=yes old_quota=2000 quota=5$' "$text" && break
		sleep 0.05
	done
	monitor_lines | grep -q '"event":"quota".*"quota":5}' || fail "the JSON monitor stopped: $(monitor_lines | tail -n 3)"
	grep -q ' quota default=yes old_quota=2000 quota=5$' "$text" || fail "the text monitor stopped: $(tail -n 3 "$text")"
	kill -0 "$MONITOR_PID"
	kill -0 "$tpid"
	assert_equal "$(cat "$MONITOR_OUT.err" "$text.err")" ""
}

@test "monitor --follow | head -n 1, SIGPIPE ignored as for a service: once the reader is gone it ends with status 0, quietly" {
	local out=$BATS_TEST_TMPDIR/pipe.out err=$BATS_TEST_TMPDIR/pipe.err
	local rcf=$BATS_TEST_TMPDIR/pipe.rc i
	# shellcheck disable=SC2016 # expanded by the inner shell
	bash -c 'trap "" PIPE; "$1" -j monitor --follow 2>"$2"; echo $? >"$3"' \
		_ "$CTL" "$err" "$rcf" 3>&- | head -n 1 >"$out" 3>&- &
	local pid=$!
	for ((i = 0; i < 100; i++)); do
		[[ -s $rcf ]] && break
		ctl quota default $((100 + i))
		sleep 0.1
	done
	wait "$pid"
	[[ -s $rcf ]] || fail "the monitor did not end"
	assert_equal "$(cat "$rcf")" 0
	assert_equal "$(cat "$err")" ""
	output=$(cat "$out")
	jq_is '.event' quota
	assert_equal "$(wc -l <"$out")" 1
	# without --follow, and SIGPIPE as a shell leaves it, the same
	rm -f "$rcf"
	# shellcheck disable=SC2016
	bash -c '"$1" monitor 2>"$2"; echo $? >"$3"' _ "$CTL" "$err" "$rcf" 3>&- |
		head -n 1 >"$out" 3>&- &
	pid=$!
	for ((i = 0; i < 100; i++)); do
		[[ -s $rcf ]] && break
		ctl quota default $((200 + i))
		sleep 0.1
	done
	wait "$pid"
	assert_equal "$(cat "$rcf")" 0
	assert_equal "$(cat "$err")" ""
}

@test "monitor --follow: without CAP_NET_ADMIN exit 4; usage errors exit 2" {
	ctl_as_nobody 4 monitor --follow
	assert_stderr "vfiopasidctl: monitor: joining the multicast group 'monitor': operation not permitted: run as root (the monitor's events name the processes of every user: it needs CAP_NET_ADMIN)"
	assert_output ""
	ctl 2 monitor --follow extra
	ctl 2 monitor --follow=yes
}
