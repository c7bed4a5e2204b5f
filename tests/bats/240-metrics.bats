#!/usr/bin/env bats
# vfiopasidctl metrics: the Prometheus text format, parsed with Debian's
# python3-prometheus-client (tests/bats/metrics-parse, which also checks the
# lines: HELP and TYPE per family, counters ending in _total); its values
# against status -j, vm list -j and limit list -j; per-VM series that come
# and go with the VMs; label escaping; -j; --output's atomic replacement;
# without the module; usage errors.

load helpers

PARSE=$PROJECT_DIR/tests/bats/metrics-parse
CG=/sys/fs/cgroup
ROOT_CTL=$CTL

setup() {
	require_module
	/usr/bin/python3 -c 'import prometheus_client' 2>/dev/null ||
		fail "python3-prometheus-client is not installed: run 'make deps'"
	module_load reclaim_log_size=4
}

teardown() {
	CTL=$ROOT_CTL
	kill_holders
	cg_clean
	teardown_module
}

# parse_metrics [OPTIONS]: ctl OPTIONS metrics, checked and parsed: sets
# $TEXT (the exposition) and $PARSED (metrics-parse's JSON)
parse_metrics() {
	ctl "$@" metrics
	# run took the last newline off
	TEXT=$output$'\n'
	PARSED=$("$PARSE" <<<"$output") || fail "metrics-parse refused the text: $TEXT"
}

# val NAME [LABELS]: the value of the sample of family NAME whose labels are
# the JSON object LABELS (default {}), "none" without one
val() {
	jq -r --arg n "$1" --argjson l "${2:-{\}}" \
		'[.[$n].samples[] | select(.labels == $l) | .value][0] // "none"' <<<"$PARSED"
}

# samples NAME: the samples of family NAME, one compact JSON object a line,
# sorted
samples() {
	jq -c --arg n "$1" '.[$n].samples[]' <<<"$PARSED" | sort
}

stat_of() {
	"$CTL" -j status | jq -r ".status | $1"
}

# --- cgroups: the guest mounts no cgroup2 of its own ----------------------------

cg_mount() {
	grep -q "^[^ ]* $CG cgroup2 " /proc/mounts || mount -t cgroup2 none "$CG" ||
		fail "cannot mount cgroup2 on $CG"
}

# The processes left in /vp-metrics go back to the root, then the cgroups go
cg_clean() {
	local d p
	[[ -d $CG/vp-metrics ]] || return 0
	while read -r d; do
		while read -r p; do
			echo "$p" >"$CG/cgroup.procs" 2>/dev/null || true
		done <"$d/cgroup.procs"
	done < <(find "$CG/vp-metrics" -type d)
	find "$CG/vp-metrics" -depth -type d -exec rmdir {} + 2>/dev/null || true
}

# ctl_in_cg CGROUP: a script that runs the CLI in CGROUP (a path from the
# root), moved there before it execs it
ctl_in_cg() {
	local w=$BATS_TEST_TMPDIR/ctl-in.${1//\//_}
	{
		echo '#!/bin/sh'
		printf 'echo $$ >%q/cgroup.procs || exit 99\n' "$CG$1"
		printf 'exec %q "$@"\n' "$ROOT_CTL"
	} >"$w"
	chmod 0755 "$w"
	echo "$w"
}

# --- the tests ------------------------------------------------------------------

@test "metrics: HELP and TYPE per family, counters end in _total; the values are status -j's" {
	# a quota refusal (2 PASIDs reclaimed), a pool refusal (1), 6 more
	# reclaimed: 9 records into a log of 4, 5 dropped; 5 PASIDs held
	ctl quota default 2
	ctl 1 hold -n 3
	ctl quota default 1000
	ctl 1 hold -n 2 --min 5 --max 5
	ctl hold -n 6 -- true
	start_hold -n 3
	start_hold -n 2

	parse_metrics
	# every family, in a fixed order
	run jq -r 'to_entries[] | "\(.key) \(.value.type)"' <<<"$PARSED"
	assert_output "vfio_pasid_module_info gauge
vfio_pasid_pool_size gauge
vfio_pasid_pool_in_use gauge
vfio_pasid_pool_bound gauge
vfio_pasid_vms gauge
vfio_pasid_default_quota gauge
vfio_pasid_allocated_total counter
vfio_pasid_freed_total counter
vfio_pasid_reclaimed_total counter
vfio_pasid_refusals_total counter
vfio_pasid_binds_total counter
vfio_pasid_unbinds_total counter
vfio_pasid_invalidations_total counter
vfio_pasid_cache_invalidations_total counter
vfio_pasid_reclaim_log_size gauge
vfio_pasid_reclaim_log_records gauge
vfio_pasid_reclaim_log_dropped_total counter
vfio_pasid_vm_pasids gauge
vfio_pasid_vm_bound_pasids gauge
vfio_pasid_vm_quota gauge
vfio_pasid_vm_groups gauge
vfio_pasid_cgroup_limit gauge
vfio_pasid_cgroup_pasids gauge
vfio_pasid_cgroup_vms gauge"
	jq -e 'all(.[]; .help | length > 10)' <<<"$PARSED" >/dev/null ||
		fail "a family without a help text: $PARSED"

	local status
	status=$("$CTL" -j status)
	local -A want=(
		[vfio_pasid_pool_size]=.pool.size
		[vfio_pasid_pool_in_use]=.pool.in_use
		[vfio_pasid_pool_bound]=.pool.bound
		[vfio_pasid_vms]=.vm_count
		[vfio_pasid_default_quota]=.default_quota
		[vfio_pasid_allocated_total]=.totals.allocated
		[vfio_pasid_freed_total]=.totals.freed
		[vfio_pasid_reclaimed_total]=.totals.reclaimed
		[vfio_pasid_binds_total]=.totals.binds
		[vfio_pasid_unbinds_total]=.totals.unbinds
		[vfio_pasid_invalidations_total]=.totals.invalidations
		[vfio_pasid_reclaim_log_size]=.reclaim_log.size
		[vfio_pasid_reclaim_log_records]=.reclaim_log.count
		[vfio_pasid_reclaim_log_dropped_total]=.reclaim_log.dropped
	)
	local name
	for name in "${!want[@]}"; do
		assert_equal "$name $(val "$name")" "$name $(jq -r ".status${want[$name]}" <<<"$status")"
		# one sample, without labels
		assert_equal "$name $(samples "$name" | wc -l)" "$name 1"
	done
	local reason
	for reason in quota limit pool; do
		assert_equal "refusals $reason: $(val vfio_pasid_refusals_total "{\"reason\":\"$reason\"}")" \
			"refusals $reason: $(jq -r ".status.totals.${reason}_refusals" <<<"$status")"
	done
	assert_equal "$(samples vfio_pasid_refusals_total | wc -l)" 3
	assert_equal "$(val vfio_pasid_cache_invalidations_total '{"cache":"iotlb","granularity":"pasid"}')" \
		"$(jq -r .status.totals.inv_iotlb_pasid <<<"$status")"
	assert_equal "$(val vfio_pasid_cache_invalidations_total '{"cache":"iotlb","granularity":"addr"}')" \
		"$(jq -r .status.totals.inv_iotlb_addr <<<"$status")"
	assert_equal "$(val vfio_pasid_cache_invalidations_total '{"cache":"dev_iotlb","granularity":"addr"}')" \
		"$(jq -r .status.totals.inv_dev_iotlb_addr <<<"$status")"
	assert_equal "$(val vfio_pasid_module_info "$(jq -c '{version: .status.version, backend: .status.backend}' <<<"$status")")" 1

	# and the numbers are the ones the test made
	assert_equal "$(val vfio_pasid_refusals_total '{"reason":"quota"}')" 1
	assert_equal "$(val vfio_pasid_refusals_total '{"reason":"pool"}')" 1
	assert_equal "$(val vfio_pasid_refusals_total '{"reason":"limit"}')" 0
	assert_equal "$(val vfio_pasid_pool_in_use)" 5
	assert_equal "$(val vfio_pasid_vms)" 2
	assert_equal "$(val vfio_pasid_allocated_total)" 14
	assert_equal "$(val vfio_pasid_freed_total)" 0
	assert_equal "$(val vfio_pasid_reclaimed_total)" 9
	assert_equal "$(val vfio_pasid_reclaim_log_records)" 4
	assert_equal "$(val vfio_pasid_reclaim_log_dropped_total)" 5
	assert_equal "$(val vfio_pasid_pool_size)" 1048575
}

@test "metrics: per-VM series (vm_id, pid, comm) are vm list -j's, and come and go with the VMs" {
	parse_metrics
	assert_equal "$(samples vfio_pasid_vm_pasids)" ""
	start_hold -n 3
	local vm1=$HOLD_VM pid1=$HOLD_PID
	start_hold -n 1
	local vm2=$HOLD_VM pid2=$HOLD_PID
	ctl quota set "$vm2" 7

	parse_metrics
	local vms
	vms=$("$CTL" -j vm list)
	# the same VMs, labels and values as vm list -j
	local name key
	for name in vfio_pasid_vm_pasids:count vfio_pasid_vm_bound_pasids:bound_count \
		vfio_pasid_vm_quota:quota vfio_pasid_vm_groups:group_count; do
		key=${name#*:}
		name=${name%:*}
		assert_equal "$name: $(samples "$name")" \
			"$name: $(jq -c --arg k "$key" '.vms[] | {labels: {vm_id: (.vm_id | tostring), pid: (.pid | tostring), comm}, value: .[$k]}' <<<"$vms" | sort)"
	done
	assert_equal "$(val vfio_pasid_vm_pasids "{\"vm_id\":\"$vm1\",\"pid\":\"$pid1\",\"comm\":\"vfiopasidctl\"}")" 3
	assert_equal "$(val vfio_pasid_vm_quota "{\"vm_id\":\"$vm2\",\"pid\":\"$pid2\",\"comm\":\"vfiopasidctl\"}")" 7
	# the labels of a VM series are exactly these
	jq -e '.vfio_pasid_vm_pasids.samples | all(.labels | keys == ["comm","pid","vm_id"])' \
		<<<"$PARSED" >/dev/null || fail "per-VM labels: $PARSED"

	# a VM that ends takes its series with it
	kill "$pid1"
	wait "$pid1" 2>/dev/null || true
	parse_metrics
	local name2
	for name2 in vfio_pasid_vm_pasids vfio_pasid_vm_bound_pasids vfio_pasid_vm_quota vfio_pasid_vm_groups; do
		assert_equal "$name2 $(samples "$name2" | jq -r .labels.vm_id)" "$name2 $vm2"
	done
	assert_equal "$(val vfio_pasid_vms)" 1
	kill_holders
	parse_metrics
	assert_equal "$(samples vfio_pasid_vm_pasids)$(samples vfio_pasid_vm_quota)" ""
	# the families stay, without samples
	assert_output --partial "# TYPE vfio_pasid_vm_pasids gauge"
}

@test "metrics: a command name with a quote, a backslash and a newline is escaped in its label" {
	# a VM's comm is the name its process was started by: a symlink's
	local name=$'v"p\\x\ny'
	mkdir "$BATS_TEST_TMPDIR/bin"
	ln -s "$CTL" "$BATS_TEST_TMPDIR/bin/$name"
	CTL=$BATS_TEST_TMPDIR/bin/$name
	start_hold -n 2
	CTL=$ROOT_CTL
	ctl -j vm list
	jq_is '.vms[0].comm | tojson' '"v\"p\\x\ny"'

	parse_metrics
	# the text: \" \\ and \n, nothing raw
	grep -qF "vfio_pasid_vm_pasids{vm_id=\"$HOLD_VM\",pid=\"$HOLD_PID\",comm=\"v\\\"p\\\\x\\ny\"} 2" <<<"$TEXT" ||
		fail "no escaped series in: $TEXT"
	# the parser gives the name back as the kernel has it
	run jq -c '.vfio_pasid_vm_pasids.samples[0].labels.comm' <<<"$PARSED"
	assert_output "$("$CTL" -j vm list | jq -c '.vms[0].comm')"
	assert_equal "$(val vfio_pasid_vm_pasids "$("$CTL" -j vm list | jq -c '.vms[0] | {vm_id: (.vm_id | tostring), pid: (.pid | tostring), comm}')")" 2
}

@test "metrics: per-cgroup series are limit list -j's; a limit refusal counts under reason=\"limit\"" {
	cg_mount
	mkdir -p "$CG/vp-metrics/a"
	ctl limit set /vp-metrics 3
	ctl limit set /vp-metrics/a 100
	CTL=$(ctl_in_cg /vp-metrics/a)
	start_hold -n 2
	ctl 1 hold -n 2
	CTL=$ROOT_CTL

	parse_metrics
	local limits name key
	limits=$("$CTL" -j limit list)
	for name in vfio_pasid_cgroup_limit:max vfio_pasid_cgroup_pasids:used vfio_pasid_cgroup_vms:vms; do
		key=${name#*:}
		name=${name%:*}
		assert_equal "$name: $(samples "$name")" \
			"$name: $(jq -c --arg k "$key" '.limits[] | {labels: {cgroup}, value: .[$k]}' <<<"$limits" | sort)"
	done
	assert_equal "$(val vfio_pasid_cgroup_limit '{"cgroup":"/vp-metrics"}')" 3
	assert_equal "$(val vfio_pasid_cgroup_pasids '{"cgroup":"/vp-metrics"}')" 2
	assert_equal "$(val vfio_pasid_cgroup_vms '{"cgroup":"/vp-metrics/a"}')" 1
	assert_equal "$(val vfio_pasid_refusals_total '{"reason":"limit"}')" 1
	assert_equal "$(val vfio_pasid_refusals_total '{"reason":"limit"}')" "$(stat_of .totals.limit_refusals)"
	assert_equal "$(val vfio_pasid_refusals_total '{"reason":"quota"}')" 0

	# a deleted limit takes its series with it
	ctl limit del /vp-metrics
	parse_metrics
	assert_equal "$(samples vfio_pasid_cgroup_limit | jq -r .labels.cgroup)" /vp-metrics/a
	ctl limit del /vp-metrics/a
	parse_metrics
	assert_equal "$(samples vfio_pasid_cgroup_limit)$(samples vfio_pasid_cgroup_pasids)" ""
}

@test "metrics -j: the same families, types, help and values as the text" {
	start_hold -n 2
	parse_metrics
	ctl -j metrics
	assert_equal "${#lines[@]}" 1
	jq_is '.metrics | length' "$(jq length <<<"$PARSED")"
	# labels are typed in JSON (vm_id and pid are numbers), strings in text
	jq_is '.metrics[] | select(.name == "vfio_pasid_vm_pasids") | .samples[0].labels.vm_id | type' number
	local from_json
	from_json=$(jq -S '.metrics | map({key: .name, value: {type, help,
		samples: [.samples[] | {labels: (.labels | map_values(tostring)), value}]}}) | from_entries' <<<"$output")
	assert_equal "$from_json" "$(jq -S . <<<"$PARSED")"
	ctl -p metrics
	assert [ "${#lines[@]}" -gt 20 ]
	assert_equal "$(jq -S '.metrics | map({key: .name, value: {type, help,
		samples: [.samples[] | {labels: (.labels | map_values(tostring)), value}]}}) | from_entries' <<<"$output")" "$from_json"
}

@test "metrics --output FILE: replaced whole (new file, mode 0644, no temporary left), nothing on stdout" {
	local dir=$BATS_TEST_TMPDIR/textfile file
	file=$dir/vfio_pasid.prom
	mkdir "$dir"
	echo old >"$file"
	chmod 0600 "$file"
	local inode
	inode=$(stat -c %i "$file")
	start_hold -n 2

	ctl metrics --output "$file"
	assert_output ""
	assert_equal "$(stat -c %a "$file")" 644
	[[ $(stat -c %i "$file") != "$inode" ]] || fail "the file was written in place, not replaced"
	assert_equal "$(ls -A "$dir")" vfio_pasid.prom
	# what it holds is what metrics prints, to the byte
	ctl metrics
	assert_equal "$(cat "$file")" "$output"
	[[ $(tail -c 1 "$file" | od -An -c | tr -d ' ') == '\n' ]] || fail "the file does not end with a newline"
	PARSED=$("$PARSE" <"$file") || fail "metrics-parse refused the file"
	assert_equal "$(val vfio_pasid_pool_in_use)" 2

	# -o, and -j into the file
	ctl -j metrics -o "$file"
	jq -e '.metrics | length > 20' "$file" >/dev/null || fail "no JSON in the file: $(cat "$file")"

	# a reader never sees half a file while it is rewritten
	ctl metrics --output "$file"
	local i ok=0 last
	(
		for ((i = 0; i < 15; i++)); do
			"$ROOT_CTL" metrics --output "$file" || exit 1
		done
	) 3>&- &
	local writer=$!
	while kill -0 "$writer" 2>/dev/null; do
		last=$(tail -n 1 "$file")
		[[ $last == "# TYPE vfio_pasid_cgroup_vms gauge" ]] ||
			fail "a reader saw a partial file, ending: $last"
		ok=$((ok + 1))
	done
	wait "$writer" || fail "a writer failed"
	echo "# $ok reads while the file was rewritten" >&3
	assert_equal "$(ls -A "$dir")" vfio_pasid.prom
}

@test "metrics --output: a missing directory or a directory in the way fails with one line, leaving nothing" {
	local dir=$BATS_TEST_TMPDIR/textfile
	mkdir -p "$dir/in-the-way.prom"
	ctl 1 metrics --output "$dir/missing/vfio_pasid.prom"
	assert_output ""
	assert_stderr "vfiopasidctl: metrics: --output $dir/missing/vfio_pasid.prom: cannot create a temporary file in its directory: no such file or directory"
	ctl 1 metrics --output "$dir/in-the-way.prom"
	assert_stderr "vfiopasidctl: metrics: --output $dir/in-the-way.prom: cannot rename the temporary file over it: is a directory"
	assert_equal "$(ls -A "$dir")" in-the-way.prom
	assert_equal "$(ls -A "$dir/in-the-way.prom")" ""
}

@test "metrics without CAP_NET_ADMIN: only the caller's VMs have series, the totals are everyone's" {
	start_hold -n 3
	CTL=setpriv
	parse_metrics --reuid=nobody --regid=nogroup --clear-groups -- "$ROOT_CTL"
	CTL=$ROOT_CTL
	assert_equal "$(samples vfio_pasid_vm_pasids)" ""
	assert_equal "$(val vfio_pasid_vms)" 1
	assert_equal "$(val vfio_pasid_pool_in_use)" 3
	assert_equal "$(val vfio_pasid_allocated_total)" 3
}

@test "metrics without the module: exit 3 with one line; --output leaves the file as it was" {
	module_unload
	ctl 3 metrics
	assert_output ""
	assert_stderr "$NOT_LOADED_MSG"
	ctl 3 -j metrics
	assert_stderr "$NOT_LOADED_MSG"
	local file=$BATS_TEST_TMPDIR/vfio_pasid.prom
	echo old >"$file"
	ctl 3 metrics --output "$file"
	assert_stderr "$NOT_LOADED_MSG"
	assert_equal "$(cat "$file")" old
	assert_equal "$(find "$BATS_TEST_TMPDIR" -maxdepth 1 -name '*vfio_pasid*' | wc -l)" 1
}

@test "metrics usage errors: exit 2 with one line, with or without the module" {
	ctl 2 metrics extra
	assert_stderr "vfiopasidctl: metrics: unexpected argument 'extra' (try 'vfiopasidctl metrics --help')"
	ctl 2 metrics --output
	assert_stderr_contains "metrics: option '--output' requires an argument"
	ctl 2 metrics --output ''
	assert_stderr "vfiopasidctl: metrics: --output needs a file name (try 'vfiopasidctl metrics --help')"
	ctl 2 metrics --bogus
	module_unload
	ctl 2 metrics extra
	ctl metrics --help
	assert_line --partial "Prometheus text exposition format"
	assert_line --partial -- "--output=FILE"
	ctl help metrics
	assert_line --partial -- "--output=FILE"
}
