#!/usr/bin/env bats
# vfiopasidctl status, help, and what every command says without the module

load helpers

setup() {
	require_module
	module_unload
}

teardown() {
	teardown_module
}

teardown_file() {
	assert_module_gone
}

@test "status without the module: exit 0, says not loaded (text and JSON)" {
	ctl status
	assert_line --regexp '^module: +not loaded$'
	assert_line --regexp '^device: +/dev/vfio-pasid$'
	assert_line --regexp '^device_present: +no$'
	ctl -j status
	assert_output '{"status":{"module":"not loaded","device":"/dev/vfio-pasid","device_present":false}}'
}

@test "status -j with the module: every documented key, as numbers" {
	module_load
	ctl -j status
	assert_equal "${#lines[@]}" 1
	jq_is '.status.module' live
	jq_is '.status.version | test("^[0-9]+\\.[0-9]+\\.[0-9]+")' true
	# the test build's (emulated) also has its fault injection's three
	jq_is '.status.parameters | keys_unsorted | join(",")' \
		default_quota,pasid_min,pasid_max,reclaim_log_size,backend,fail_live,fail_nth,fail_site
	jq_is '.status.parameters.default_quota' 1000
	jq_is '.status.parameters.pasid_min' 1
	jq_is '.status.parameters.pasid_max' 1048575
	jq_is '.status.parameters.reclaim_log_size' 1024
	jq_is '.status.parameters.backend' emulated
	jq_is '.status.device' /dev/vfio-pasid
	jq_is '.status.device_present' true
	jq_is '.status.uapi_version' 1
	jq_is '.status.backend' emulated
	jq_is '.status.nesting | tojson' '{"available":true,"pasid_format":"intel-vtd","addr_width":48,"pasid_bits":20}'
	jq_is '.status.pool | tojson' '{"min":1,"max":1048575,"size":1048575,"in_use":0,"bound":0}'
	jq_is '.status.vm_count' 0
	jq_is '.status.default_quota' 1000
	jq_is '.status.quota_committed' 0
	jq_is '.status.quota_overcommitted' false
	jq_is '.status.totals | tojson' \
		'{"allocated":0,"freed":0,"reclaimed":0,"quota_refusals":0,"pool_refusals":0,"limit_refusals":0,"binds":0,"unbinds":0,"invalidations":0,"inv_iotlb_pasid":0,"inv_iotlb_addr":0,"inv_dev_iotlb_addr":0}'
	jq_is '.status.reclaim_log | tojson' '{"size":1024,"count":0,"dropped":0}'
	# numbers are JSON numbers, never strings (fail_site is one)
	jq_is '[.status | .. | scalars | select(type == "string")] | length' 7
}

@test "status text, -j and -p show the same values" {
	module_load
	ctl -j status
	local json=$output
	ctl status
	local text=$output key value
	# every scalar of the JSON appears as "key: value" in the text
	while IFS=$'\t' read -r key value; do
		case $value in
		true) value=yes ;;
		false) value=no ;;
		esac
		grep -qE "^ *${key}: +${value}\$" <<<"$text" ||
			fail "text lacks '$key: $value': $text"
	done < <(jq -r '.status | .. | objects | to_entries[] | select(.value | scalars) | [.key, (.value | tostring)] | @tsv' <<<"$json")
	ctl -p status
	assert [ "${#lines[@]}" -gt 10 ]
	assert_line --regexp '^  "status": \{$'
	assert_equal "$(jq -S . <<<"$output")" "$(jq -S . <<<"$json")"
	ctl status --pretty
	assert_equal "$(jq -S . <<<"$output")" "$(jq -S . <<<"$json")"
}

@test "status with the native backend (the installed build): no nesting, with the reason; the documented parameters only" {
	module_load backend=native
	ctl -j status
	jq_is '.status.backend' native
	# the installed build: the documented parameters, no test one
	jq_is '.status.parameters | keys_unsorted | join(",")' \
		default_quota,pasid_min,pasid_max,reclaim_log_size,backend
	jq_is '.status.nesting.available' false
	jq_is '.status.nesting.reason | test("native backend cannot nest")' true
	ctl status
	assert_line --regexp '^  available: +no$'
}

@test "status follows the module's parameters" {
	module_load default_quota=7 pasid_min=100 pasid_max=199 reclaim_log_size=16
	ctl -j status
	jq_is '.status.pool | tojson' '{"min":100,"max":199,"size":100,"in_use":0,"bound":0}'
	jq_is '.status.default_quota' 7
	jq_is '.status.reclaim_log.size' 16
	jq_is '.status.parameters.pasid_min' 100
}

@test "status counts VMs and committed quota, flags over-commitment" {
	module_load pasid_min=1 pasid_max=10 default_quota=8
	start_opener
	ctl -j status
	jq_is '.status.vm_count' 1
	jq_is '.status.quota_committed' 8
	jq_is '.status.quota_overcommitted' false
	start_opener
	ctl -j status
	jq_is '.status.vm_count' 2
	jq_is '.status.quota_committed' 16
	jq_is '.status.quota_overcommitted' true
	kill_holders
	ctl -j status
	jq_is '.status.vm_count' 0
	jq_is '.status.quota_committed' 0
}

@test "status -d PATH reports that device node; unprivileged users get it all" {
	module_load
	ctl -d /nonexistent -j status
	jq_is '.status.device' /nonexistent
	jq_is '.status.device_present' false
	jq_is '.status.module' live
	ctl -d /dev/null/missing status
	assert_line --regexp '^device_present: +no$'
	ctl --device=/dev/vfio-pasid -j status
	jq_is '.status.device_present' true
	ctl_as_nobody -j status
	jq_is '.status.module' live
	jq_is '.status.pool.size' 1048575
	ctl_as_nobody status
}

@test "help, --help, --version and --usage work; usage errors exit 2 with one line" {
	ctl help
	assert_output --partial "Commands:"
	assert_output --partial "module load"
	ctl --help
	assert_output --partial "Usage: vfiopasidctl [OPTION...] COMMAND"
	ctl -V
	assert_output --regexp '^vfiopasidctl [0-9]+\.[0-9]+'
	ctl --usage
	ctl help quota
	assert_output --partial "quota set VM N"
	ctl quota set --help
	assert_output --partial "Usage: vfiopasidctl quota set"
	ctl 2
	assert_stderr_contains "no command given"
	ctl 2 bogus
	ctl 2 stat
	assert_stderr_contains "unknown command 'stat'"
	ctl 2 --bogus status
	ctl 2 -d
	ctl 2 vm lis
	ctl 2 help nope
	ctl 2 status extra
	assert_stderr "vfiopasidctl: status: unexpected argument 'extra' (try 'vfiopasidctl status --help')"
	ctl 2 status --bogus
}

@test "without the module every command that needs it exits 3 with the sentence" {
	local -a cmds=(
		"vm list" "vm show 1" "vm show pid:1"
		"quota get 1" "quota set 1 5" "quota default" "quota default 5"
		"pasid list" "pasid list 1" "reclaimed" "reclaimed --vm 1"
		"reclaimed --clear" "monitor" "hold" "hold -n 1 -- true"
	)
	local c
	for c in "${cmds[@]}"; do
		# shellcheck disable=SC2086 # split the command into words
		ctl 3 $c
		assert_stderr "$NOT_LOADED_MSG"
		# shellcheck disable=SC2086
		ctl 3 -j $c
		assert_output ""
	done
}
