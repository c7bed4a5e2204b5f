#!/usr/bin/env bats
# PASID limits per cgroup v2: vfiopasidctl limit set/del/list, the cgroup of
# each VM, the hierarchy, the bypass a quota per VM cannot stop (children
# that open the device, pass the descriptor on with SCM_RIGHTS and exit),
# cgroups removed under live VMs, privileges and bad arguments.  The guest
# mounts no cgroup2 of its own: each test mounts it on /sys/fs/cgroup and
# works under /vp-test.

load helpers

CG=/sys/fs/cgroup
TOOL=$PROJECT_DIR/tests/ioctl/vp-tool
NODE=/dev/vfio-pasid

cg_mounted() {
	grep -q "^[^ ]* $CG cgroup2 " /proc/mounts
}

setup() {
	require_module
	[[ -x $TOOL ]] || skip "tests/ioctl/vp-tool is not built"
	module_load
	cg_mounted || mount -t cgroup2 none "$CG" || fail "cannot mount cgroup2 on $CG"
	mkdir -p "$CG/vp-test"
	ROOT_CTL=$CTL
}

# Every process left in the test's cgroups goes back to the root, then the
# cgroups go, deepest first
cg_clean() {
	local d p
	[[ -d $CG/vp-test ]] || return 0
	while read -r d; do
		while read -r p; do
			echo "$p" >"$CG/cgroup.procs" 2>/dev/null || true
		done <"$d/cgroup.procs"
	done < <(find "$CG/vp-test" -type d)
	find "$CG/vp-test" -depth -type d -exec rmdir {} + 2>/dev/null || true
}

teardown() {
	CTL=$ROOT_CTL
	exec 7>&-
	kill_holders
	if [[ -n ${FLOOD_PID:-} ]]; then
		kill "$FLOOD_PID" 2>/dev/null || true
		wait "$FLOOD_PID" 2>/dev/null || true
	fi
	[[ -n ${NODE_STAT:-} && -e $NODE ]] && chown "${NODE_STAT%:*}" "$NODE" &&
		chmod "${NODE_STAT##*:}" "$NODE"
	cg_mounted || mount -t cgroup2 none "$CG"
	cg_clean
	[[ -n ${USER_DIR:-} ]] && rm -rf "$USER_DIR"
	teardown_module
}

teardown_file() {
	assert_module_gone
}

# in_cg CGROUP: a script that runs its arguments in cgroup CGROUP (a path
# from the root), moved there before it execs them
in_cg() {
	local w=$BATS_TEST_TMPDIR/in-cg.${1//\//_}
	{
		echo '#!/bin/sh'
		printf 'echo $$ >%q/cgroup.procs || exit 99\n' "$CG$1"
		echo 'exec "$@"'
	} >"$w"
	chmod 0755 "$w"
	echo "$w"
}

# ctl_in_cg CGROUP: a script that runs the CLI in CGROUP
ctl_in_cg() {
	local w=$BATS_TEST_TMPDIR/ctl-in.${1//\//_}
	printf '#!/bin/sh\nexec %q %q "$@"\n' "$(in_cg "$1")" "$ROOT_CTL" >"$w"
	chmod 0755 "$w"
	echo "$w"
}

# ctl_in CGROUP [STATUS] ARGS...: ctl, run in CGROUP
ctl_in() {
	CTL=$(ctl_in_cg "$1")
	shift
	ctl "$@"
	CTL=$ROOT_CTL
}

# start_hold_in CGROUP [HOLD OPTIONS]: start_hold, its VM created in CGROUP
start_hold_in() {
	CTL=$(ctl_in_cg "$1")
	shift
	start_hold "$@"
	CTL=$ROOT_CTL
}

# limit_of CGROUP FIELD: a field of CGROUP's limit in 'limit list -j', or
# "none" without one
limit_of() {
	"$ROOT_CTL" -j limit list |
		jq -r --arg c "$1" --arg f "$2" \
			'[.limits[] | select(.cgroup == $c)][0][$f] // "none"'
}

stat_of() {
	"$ROOT_CTL" -j status | jq -r ".status | $1"
}

@test "limit set, list and del: the JSON of SPEC 9.2 and the table" {
	ctl -j limit list
	assert_output '{"limits":[]}'
	ctl -j limit set /vp-test 7
	assert_output '{"limit":{"cgroup":"/vp-test","max":7,"used":0,"vms":0}}'
	ctl limit set / 1000
	assert_line --index 0 --regexp '^cgroup: +/$'
	ctl -j limit list
	# in the order the cgroups were made: the root first
	assert_output '{"limits":[{"cgroup":"/","max":1000,"used":0,"vms":0},{"cgroup":"/vp-test","max":7,"used":0,"vms":0}]}'
	ctl limit list
	assert_line --index 0 --regexp '^CGROUP +MAX +USED +VMS$'
	assert_line --index 2 --regexp '^/vp-test +7 +0 +0$'
	# a trailing slash names the same cgroup; a change replaces the limit
	ctl -j limit set /vp-test/ 8
	jq_is '.limit.max' 8
	[[ $(limit_of /vp-test max) == 8 ]]
	ctl limit del /vp-test
	assert_output ''
	# with -j: the cgroup as it is now, without a limit
	ctl -j limit del //
	assert_output '{"limit":{"cgroup":"/","max":null,"used":null,"vms":null}}'
	assert_one_object
	ctl -j limit list
	assert_output '{"limits":[]}'
	ctl 1 -j limit del /vp-test
	assert_stderr 'vfiopasidctl: limit del: /vp-test: no limit is set on this cgroup (no such file or directory)'
	assert_output ''
	ctl -j limit set /vp-test 5
	ctl -j limit del /vp-test//
	assert_output '{"limit":{"cgroup":"/vp-test","max":null,"used":null,"vms":null}}'
}

@test "every VM is charged to its creator's cgroup: vm list, vm show, the limit's use" {
	mkdir "$CG/vp-test/a"
	ctl limit set /vp-test 10
	start_hold_in /vp-test/a -n 3
	ctl -j vm list
	jq_is '.vms[0].cgroup' /vp-test/a
	ctl vm list
	assert_line --index 0 --regexp ' CGROUP$'
	assert_line --index 1 --regexp ' /vp-test/a$'
	ctl -j vm show "$HOLD_VM"
	jq_is '.vm.cgroup' /vp-test/a
	ctl -j limit list
	assert_output '{"limits":[{"cgroup":"/vp-test","max":10,"used":3,"vms":1}]}'
	# a VM of the root cgroup counts on no limit below the root
	start_hold -n 2
	[[ $(limit_of /vp-test used) == 3 ]]
	[[ $(stat_of .pool.in_use) == 5 ]]
	kill_holders
	ctl -j limit list
	assert_output '{"limits":[{"cgroup":"/vp-test","max":10,"used":0,"vms":0}]}'
}

@test "hierarchy: a child under its parent's limit, and a child's own limit" {
	mkdir -p "$CG/vp-test/a" "$CG/vp-test/b"
	ctl limit set /vp-test 5
	# the child's limit is above its parent's: the parent's holds
	ctl limit set /vp-test/a 10
	start_hold_in /vp-test/a -n 5
	ctl_in /vp-test/b 1 hold -n 1
	assert_stderr_contains "the PASID limit of cgroup /vp-test is used up (its VMs hold 5 of 5)"
	ctl_in /vp-test/a 1 hold -n 1
	assert_stderr_contains "the PASID limit of cgroup /vp-test is used up"
	[[ $(stat_of .totals.limit_refusals) == 2 ]]
	[[ $(stat_of .totals.quota_refusals) == 0 ]]
	[[ $(stat_of .totals.pool_refusals) == 0 ]]
	[[ $(stat_of .pool.in_use) == 5 ]]
	[[ $(limit_of /vp-test/a used) == 5 ]]
	kill_holders
	# a child's own limit below its parent's
	ctl limit set /vp-test/a 2
	ctl_in /vp-test/a 1 hold -n 3
	assert_stderr_contains "the PASID limit of cgroup /vp-test/a is used up (its VMs hold 2 of 2)"
	# its sibling is bound by the parent only
	ctl_in /vp-test/b hold -n 5 -- true
	[[ $(stat_of .totals.limit_refusals) == 3 ]]
	[[ $(stat_of .pool.in_use) == 0 ]]
	[[ $(limit_of /vp-test used) == 0 ]]
	[[ $(limit_of /vp-test/a vms) == 0 ]]
}

@test "a limit set below use refuses until use drops; deleting it lets allocations succeed again" {
	mkdir "$CG/vp-test/a"
	start_hold_in /vp-test/a -n 4
	local first=$HOLD_PID
	# VMs created before the limit count toward it
	ctl -j limit set /vp-test/a 2
	assert_output '{"limit":{"cgroup":"/vp-test/a","max":2,"used":4,"vms":1}}'
	ctl_in /vp-test/a 1 hold -n 1
	assert_stderr_contains "cgroup /vp-test/a is used up (its VMs hold 4 of 2)"
	kill "$first"
	wait "$first" 2>/dev/null || true
	[[ $(limit_of /vp-test/a used) == 0 ]]
	ctl_in /vp-test/a hold -n 2 -- true
	ctl_in /vp-test/a 1 hold -n 3
	ctl limit del /vp-test/a
	ctl_in /vp-test/a hold -n 3 -- true
	assert_line --index 1 --regexp '^[0-9]+ [0-9]+ [0-9]+$'
	[[ $(stat_of .totals.limit_refusals) == 2 ]]
}

@test "the bypass: processes and threads that fork, open, pass descriptors with SCM_RIGHTS and exit never hold more than the limit" {
	mkdir "$CG/vp-test/flood"
	ctl limit set /vp-test/flood 100
	local fifo=$BATS_TEST_TMPDIR/flood.in out=$BATS_TEST_TMPDIR/flood.out i
	mkfifo "$fifo"
	# 4 processes of 4 threads, 10 children each, each child up to 30 PASIDs
	"$(in_cg /vp-test/flood)" "$TOOL" flood 4 4 10 30 <"$fifo" >"$out" 3>&- &
	FLOOD_PID=$!
	exec 7>"$fifo"
	for ((i = 0; i < 1200; i++)); do
		[[ -s $out ]] && break
		# never above the limit, at any time we look
		local used
		used=$(stat_of .pool.in_use)
		((used <= 100)) || fail "$used PASIDs in use under a limit of 100"
		sleep 0.1
	done
	[[ -s $out ]] || fail "the flood did not finish"
	read -r _ vms _ pasids _ enospc <"$out"
	# every child made a VM that lives on in the receiver
	assert_equal "$vms" 160
	# the children's own counts, the module's and the limit's agree
	assert_equal "$pasids" 100
	[[ $(stat_of .pool.in_use) == 100 ]]
	[[ $(stat_of .vm_count) == 160 ]]
	[[ $(limit_of /vp-test/flood used) == 100 ]]
	[[ $(limit_of /vp-test/flood vms) == 160 ]]
	# at most three children got their 30: every other one was refused
	((enospc >= 157)) || fail "only $enospc children were refused"
	[[ $(stat_of .totals.limit_refusals) == "$enospc" ]]
	# the end of the receiver ends every VM: everything comes back
	exec 7>&-
	wait "$FLOOD_PID"
	FLOOD_PID=
	[[ $(stat_of .pool.in_use) == 0 ]]
	[[ $(stat_of .vm_count) == 0 ]]
	[[ $(limit_of /vp-test/flood used) == 0 ]]
	[[ $(limit_of /vp-test/flood vms) == 0 ]]
}

@test "an unprivileged member of group kvm in a cgroup limited to 100 PASIDs cannot hold more than 100, whatever it forks" {
	getent group kvm >/dev/null || skip "no group kvm"
	NODE_STAT=$(stat -c %u:%g:%a "$NODE")
	chgrp kvm "$NODE"
	chmod 0660 "$NODE"
	mkdir "$CG/vp-test/user"
	ctl limit set /vp-test/user 100
	# a directory the user can reach (the test's own is root's only)
	USER_DIR=$(mktemp -d /tmp/vp-limit.XXXXXX)
	chmod 0777 "$USER_DIR"
	local dir=$USER_DIR
	# the script: holds of 40 PASIDs, a flood of SCM_RIGHTS children, all
	# at once, all kept until its standard input ends
	cat >"$dir/script" <<-EOF
		#!/bin/bash
		# background commands read /dev/null unless told otherwise
		for i in 1 2 3 4 5; do
		    "$ROOT_CTL" hold -n 40 -- cat <&0 >"$dir/hold.\$i" 2>"$dir/hold.\$i.err" &
		done
		"$TOOL" flood 2 2 10 30 <&0 >"$dir/flood" 2>"$dir/flood.err" &
		wait
		echo done >"$dir/done"
	EOF
	chmod 0755 "$dir/script"
	local fifo=$dir/in i used max=0
	mkfifo -m 0666 "$fifo"
	"$(in_cg /vp-test/user)" setpriv --reuid=nobody --regid=nogroup --groups=kvm -- \
		"$dir/script" <"$fifo" 3>&- &
	FLOOD_PID=$!
	exec 7>"$fifo"
	for ((i = 0; i < 1200; i++)); do
		used=$(stat_of .pool.in_use)
		((used <= 100)) || fail "$used PASIDs in use under a limit of 100"
		((used > max)) && max=$used
		[[ -s $dir/flood ]] && break
		sleep 0.1
	done
	[[ -s $dir/flood ]] || fail "the flood did not finish: $(cat "$dir/flood.err")"
	# the user's VMs are nobody's, in the limited cgroup
	"$ROOT_CTL" -j vm list | jq -e '[.vms[] | select(.cgroup != "/vp-test/user")] == []' >/dev/null ||
		fail "a VM outside /vp-test/user"
	used=$(stat_of .pool.in_use)
	((used <= 100)) || fail "$used PASIDs in use under a limit of 100"
	[[ $(limit_of /vp-test/user used) == "$used" ]]
	# the limit was reached and refused the rest
	((max == 100 || used == 100)) || fail "the limit was never reached: at most $max in use"
	(($(stat_of .totals.limit_refusals) > 0)) || fail "no allocation was refused"
	# a refused hold said why
	grep -h 'PASID limit of cgroup /vp-test/user is used up' "$dir"/hold.*.err >/dev/null ||
		fail "no hold was refused by the limit: $(cat "$dir"/hold.*.err)"
	exec 7>&-
	wait "$FLOOD_PID" || true
	FLOOD_PID=
	[[ -s $dir/done ]] || fail "the script did not end"
	[[ $(stat_of .pool.in_use) == 0 ]]
	[[ $(stat_of .vm_count) == 0 ]]
	[[ $(limit_of /vp-test/user used) == 0 ]]
}

@test "an unprivileged limit set or del exits 4 and changes nothing" {
	ctl limit set /vp-test 9
	ctl_as_nobody 4 limit set /vp-test 1000
	assert_stderr_contains "run as root (changes need CAP_NET_ADMIN)"
	ctl_as_nobody 4 limit set / 1
	ctl_as_nobody 4 limit del /vp-test
	ctl -j limit list
	assert_output '{"limits":[{"cgroup":"/vp-test","max":9,"used":0,"vms":0}]}'
	# reads are open
	ctl_as_nobody -j limit list
	assert_output '{"limits":[{"cgroup":"/vp-test","max":9,"used":0,"vms":0}]}'
}

@test "a cgroup removed while a VM charged to it lives: the charge stays with the VM, then everything goes" {
	mkdir "$CG/vp-test/gone"
	ctl limit set /vp-test/gone 5
	ctl limit set /vp-test 50
	start_hold_in /vp-test/gone -n 2
	# the VM's process (and its child) move out: the charge stays
	local p
	for p in $HOLD_PID $(cat "/proc/$HOLD_PID/task/$HOLD_PID/children"); do
		echo "$p" >"$CG/cgroup.procs"
	done
	rmdir "$CG/vp-test/gone"
	ctl -j vm show "$HOLD_VM"
	jq_is '.vm.cgroup' /vp-test/gone
	ctl -j limit list
	assert_output '{"limits":[{"cgroup":"/vp-test","max":50,"used":2,"vms":1},{"cgroup":"/vp-test/gone","max":5,"used":2,"vms":1}]}'
	# the path names no cgroup now
	ctl 1 limit set /vp-test/gone 6
	assert_stderr 'vfiopasidctl: limit set: /vp-test/gone: no cgroup v2 directory at this path (no such file or directory)'
	start_monitor -j
	kill_holders
	# its limit went with the last VM under it, with an event
	ctl -j limit list
	assert_output '{"limits":[{"cgroup":"/vp-test","max":50,"used":0,"vms":0}]}'
	# two reclaims, vm_del, limit_del
	wait_monitor_lines 4
	monitor_lines | jq -e -s 'map(select(.event == "limit_del")) |
		length == 1 and .[0].cgroup == "/vp-test/gone" and .[0].max == 5' >/dev/null ||
		fail "no limit_del event for /vp-test/gone: $(monitor_lines)"
	# a cgroup made again at the same path is a new one, without a limit
	mkdir "$CG/vp-test/gone"
	[[ $(limit_of /vp-test/gone max) == none ]]
	ctl module unload
	run ! module_loaded
}

@test "monitor: limit_set and limit_del events, in JSON and in text" {
	start_monitor -j
	ctl limit set /vp-test 12
	ctl limit del /vp-test
	wait_monitor_lines 2
	output=$(monitor_lines | sed -n 1p)
	jq_is '.event' limit_set
	jq_is 'keys_unsorted | join(",")' event,time,cgroup,max,used,vms
	jq_is '.cgroup' /vp-test
	jq_is '.max' 12
	output=$(monitor_lines | sed -n 2p)
	jq_is '.event' limit_del
	jq_is '.max' 12
	kill_monitors
	start_monitor
	ctl limit set /vp-test 13
	wait_monitor_lines 1
	monitor_lines | grep -Eq ' limit_set cgroup=/vp-test max=13 used=0 vms=0$' ||
		fail "no limit_set line: $(monitor_lines)"
}

@test "bad paths and bad numbers: one line, exit 2; a path without a cgroup: exit 1" {
	ctl 2 limit set vp-test 5
	assert_stderr_contains "'vp-test' is not a cgroup path"
	ctl 2 limit set /vp-test/../x 5
	ctl 2 limit set /./vp-test 5
	ctl 2 limit set / abc
	assert_stderr_contains "'abc' is not a limit"
	ctl 2 limit set / -1
	ctl 2 limit set / 1048576
	assert_stderr_contains "'1048576' is above the largest limit, 1048575 PASIDs"
	ctl 2 limit set /
	ctl 2 limit set / 1 2
	ctl 2 limit del
	ctl 2 limit del x
	ctl 2 limit list extra
	ctl 2 limit set "/$(printf 'x%.0s' {1..4100})" 1
	ctl 1 -j limit set /no-such-cgroup 5
	assert_stderr 'vfiopasidctl: limit set: /no-such-cgroup: no cgroup v2 directory at this path (no such file or directory)'
	assert_output ''
	ctl 1 limit del /no-such-cgroup
	# a file is not a cgroup
	ctl 1 limit set /vp-test/cgroup.procs 5
	ctl -j limit list
	assert_output '{"limits":[]}'
	ctl limit set / 1048575
}

@test "without a cgroup2 mount limit set is refused with one line, exit 1; list and del still work" {
	ctl limit set / 3
	umount "$CG"
	ctl 1 limit set / 5
	assert_stderr 'vfiopasidctl: limit set: /: cgroup v2 is not mounted on this host (operation not supported)'
	ctl -j limit list
	assert_output '{"limits":[{"cgroup":"/","max":3,"used":0,"vms":0}]}'
	ctl limit del /
	ctl -j limit list
	assert_output '{"limits":[]}'
	mount -t cgroup2 none "$CG"
}

@test "the limit of a cgroup removed without VMs under it goes at the next list" {
	mkdir "$CG/vp-test/empty"
	ctl limit set /vp-test/empty 4
	rmdir "$CG/vp-test/empty"
	start_monitor -j
	ctl -j limit list
	assert_output '{"limits":[]}'
	wait_monitor_lines 1
	output=$(monitor_lines | sed -n 1p)
	jq_is '.event' limit_del
	jq_is '.cgroup' /vp-test/empty
}
