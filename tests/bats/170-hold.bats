#!/usr/bin/env bats
# vfiopasidctl hold

load helpers

@test "hold -n 3: VM id on line 1, the PASIDs on line 2, held while it runs" {
	start_hold -n 3
	assert [ "$HOLD_VM" -ge 1 ]
	[[ $HOLD_PASIDS =~ ^[0-9]+\ [0-9]+\ [0-9]+$ ]] || fail "line 2 is '$HOLD_PASIDS'"
	ctl -j vm show "$HOLD_VM"
	jq_is '.vm.pid' "$HOLD_PID"
	jq_is '[.vm.pasids[].pasid] | join(" ")' "$HOLD_PASIDS"
	ctl -j status
	jq_is '.status.pool.in_use' 3
	jq_is '.status.vm_count' 1
}

@test "hold: one PASID by default, none with -n 0; -j prints one JSON line" {
	ctl hold </dev/null
	assert_equal "${#lines[@]}" 2
	assert_line --index 1 --regexp '^[0-9]+$'
	# $output loses trailing newlines: look at the bytes
	"$CTL" hold -n 0 </dev/null >"$BATS_TEST_TMPDIR/out"
	assert_equal "$(wc -l <"$BATS_TEST_TMPDIR/out")" 2
	assert_equal "$(sed -n 1p "$BATS_TEST_TMPDIR/out")" "$(grep -E '^[0-9]+$' "$BATS_TEST_TMPDIR/out")"
	assert_equal "$(sed -n 2p "$BATS_TEST_TMPDIR/out")" ""
	ctl -j hold -n 2 </dev/null
	assert_equal "${#lines[@]}" 1
	jq_is '.hold | keys_unsorted | join(",")' vm_id,pasids
	jq_is '.hold.vm_id | type' number
	jq_is '.hold.pasids | length' 2
	jq_is '[.hold.pasids[] | type] | unique | join(",")' number
	ctl -j hold -n 1 </dev/null
	jq_is '.hold.pasids | type' array
	ctl -j hold -n 0 </dev/null
	jq_is '.hold.pasids | tojson' '[]'
}

@test "hold ends at the end of standard input with status 0; its VM is reclaimed" {
	ctl hold -n 2 </dev/null
	local vm=${lines[0]}
	ctl -j status
	jq_is '.status.vm_count' 0
	jq_is '.status.pool.in_use' 0
	ctl -j reclaimed --vm "$vm"
	jq_is '.reclaimed | length' 2
}

@test "hold ends with status 0 on SIGINT and on SIGTERM" {
	local sig fifo=$BATS_TEST_TMPDIR/in out=$BATS_TEST_TMPDIR/out pid w i rc
	mkfifo "$fifo"
	for sig in INT TERM; do
		"$CTL" hold -n 1 <"$fifo" >"$out" 3>&- &
		pid=$!
		exec {w}>"$fifo"
		for ((i = 0; i < 200; i++)); do
			[[ $(wc -l <"$out") -ge 2 ]] && break
			sleep 0.05
		done
		ctl -j status
		jq_is '.status.vm_count' 1
		kill -"$sig" "$pid"
		rc=0
		wait "$pid" || rc=$?
		exec {w}>&-
		assert_equal "$rc" 0
	done
	ctl -j status
	jq_is '.status.vm_count' 0
}

@test "hold killed with SIGKILL: the kernel reclaims its VM" {
	start_hold -n 4
	local vm=$HOLD_VM i
	kill -KILL "$HOLD_PID"
	wait "$HOLD_PID" || true
	for ((i = 0; i < 100; i++)); do
		run "$CTL" -j status
		[[ $(jq .status.vm_count <<<"$output") -eq 0 ]] && break
		sleep 0.05
	done
	ctl -j status
	jq_is '.status.pool.in_use' 0
	ctl -j reclaimed --vm "$vm"
	jq_is '.reclaimed | length' 4
}

@test "hold -- COMMAND: runs it while the VM lives, without the device, exits with its status" {
	# shellcheck disable=SC2016 # expanded by sh
	ctl hold -n 2 -- sh -c 'exec "$0" -j vm list' "$CTL"
	assert_equal "${#lines[@]}" 3
	local vm=${lines[0]}
	assert_equal "$(jq -c '[.vms[] | [.vm_id, .count]]' <<<"${lines[2]}")" "[[$vm,2]]"
	ctl -j status
	jq_is '.status.vm_count' 0
	# shellcheck disable=SC2016 # expanded by sh
	ctl hold -n 1 -- sh -c 'ls -l /proc/$$/fd/'
	refute_output --partial vfio-pasid
	# COMMAND's status is hold's, with nothing added on stderr
	run -7 --separate-stderr "$CTL" hold -- sh -c 'exit 7'
	assert_stderr ""
	ctl hold -- true
	ctl hold -n 1 echo -n "done"
	assert_line --index 2 "done"
}

@test "hold -- COMMAND: killed by a signal gives 128+signal, not found 127" {
	run -143 "$CTL" hold -- sh -c 'kill -TERM $$'
	run -127 --separate-stderr "$CTL" hold -- /nonexistent/command
	assert_stderr "vfiopasidctl: hold: cannot run '/nonexistent/command': no such file or directory"
}

@test "hold --min/--max: PASIDs from that range, which must lie in the module's" {
	ctl -j hold --min 100 --max 102 -n 3 </dev/null
	jq_is '.hold.pasids | sort | join(" ")' "100 101 102"
	ctl -j hold --min=0x200 --max=0x2ff -n 2 </dev/null
	jq_is '[.hold.pasids[] | select(. >= 512 and . <= 767)] | length' 2
	module_load pasid_min=10 pasid_max=20 default_quota=11
	ctl 1 hold --min 5 </dev/null
	assert_stderr "vfiopasidctl: hold: allocating PASIDs in 5-20: invalid range: it must lie within the module's pasid_min-pasid_max"
	ctl 1 hold --max 21 </dev/null
	ctl -j hold -n 2 </dev/null
	jq_is '[.hold.pasids[] | select(. >= 10 and . <= 20)] | length' 2
}

# shellcheck disable=SC2154 # stderr: set by run
@test "hold beyond its quota: exit 1, says the quota is used up" {
	ctl quota default 2
	ctl 1 hold -n 3 </dev/null
	[[ $stderr =~ ^vfiopasidctl:\ hold:\ allocating\ PASID\ 3\ of\ 3:\ the\ quota\ of\ VM\ ([0-9]+)\ is\ used\ up\ \(it\ holds\ 2\ of\ 2\):\ raise\ it\ with\ \'vfiopasidctl\ quota\ set\ ([0-9]+)\ N\'$ ]] ||
		fail "unexpected message: $stderr"
	assert_equal "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}"
	assert_output ""
	ctl -j status
	jq_is '.status.totals.quota_refusals' 1
}

@test "hold beyond the pool: exit 1, says the pool is exhausted" {
	module_load pasid_min=1 pasid_max=10 default_quota=10
	start_hold -n 6
	ctl 1 hold -n 5 </dev/null
	assert_stderr "vfiopasidctl: hold: allocating PASID 5 of 5: the PASID pool is exhausted: no PASID is free in 1-10"
	ctl -j status
	jq_is '.status.totals.pool_refusals' 1
	jq_is '.status.pool.in_use' 6
}

@test "hold: unprivileged exit 4; missing device node exit 3; missing group exit 1" {
	ctl_as_nobody 4 hold </dev/null
	assert_stderr "vfiopasidctl: hold: /dev/vfio-pasid: permission denied: run as root, or get read-write access to the device"
	ctl 3 -d /nonexistent/vfio-pasid hold </dev/null
	assert_stderr_contains "/nonexistent/vfio-pasid"
	ctl 1 hold --group 9999 </dev/null
	assert_stderr "vfiopasidctl: hold: VFIO group 9999: /dev/vfio/9999 does not exist: there is no IOMMU group 9999"
}

# shellcheck disable=SC2154 # stderr_lines: set by run
@test "hold --group N: attaches a real VFIO group, or says why not" {
	[[ ${VM_IOMMU:-intel} != none ]] || skip "booted with --iommu none"
	local group
	group=$(vm_vfio_bind --edu 0) || skip "no edu device to bind to vfio-pci"
	run --separate-stderr "$CTL" hold -n 1 --group "$group" </dev/null
	vm_vfio_bind --unbind --edu 0 >/dev/null 2>&1 || true
	if [[ $status -eq 0 ]]; then
		assert_equal "${#lines[@]}" 2
	else
		assert_equal "$status" 1
		assert_equal "${#stderr_lines[@]}" 1
		assert_stderr_contains "vfiopasidctl: hold: attaching VFIO group $group: "
	fi
}

@test "hold: usage errors exit 2" {
	ctl 2 hold -n x
	assert_stderr_contains "--count 'x' is not a number"
	ctl 2 hold -n -1
	ctl 2 hold -n
	ctl 2 hold --min x
	ctl 2 hold --max 4294967296
	ctl 2 hold --min 5 --max 4
	assert_stderr_contains "--min 5 is above --max 4"
	ctl 2 hold --group
	ctl 2 hold --group x
	ctl 2 hold --bogus
	ctl 2 hold -- ''
}
