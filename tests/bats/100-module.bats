#!/usr/bin/env bats
# vfiopasidctl module load | unload | show, through libkmod
#
# Under TCG every @test costs seconds of bats overhead: related checks share
# a test.

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

@test "module load --file loads the module quietly; unload unloads it" {
	ctl module load --file "$TEST_KO" backend=emulated
	assert_output ""
	assert_equal "$(cat /sys/module/vfio_pasid/initstate)" live
	assert [ -c /dev/vfio-pasid ]
	ctl module unload
	assert_output ""
	refute module_loaded
	refute [ -e /dev/vfio-pasid ]
}

@test "module load and unload with -j: one JSON object, the module as module show has it; failures print nothing" {
	ctl -j module load --file "$TEST_KO" backend=emulated default_quota=7
	assert_one_object
	jq_is '.module | keys_unsorted | join(",")' name,state,version,refcount,holders,size,taint,path,parameters
	jq_is '.module.name' vfio_pasid
	jq_is '.module.state' live
	jq_is '.module.refcount' 0
	jq_is '.module.parameters.default_quota' 7
	jq_is '.module.parameters.backend' emulated
	ctl 1 -j module load --file "$TEST_KO" backend=emulated
	assert_output ""
	ctl -p module unload
	assert_one_object
	jq_is '.module | keys_unsorted | join(",")' name,state,path
	jq_is '.module.state' "not loaded"
	refute module_loaded
	ctl 3 -j module unload
	assert_output ""
	ctl 2 -j module load --file "$MODULE_KO" no_such_param=1
	assert_output ""
	ctl_as_nobody 4 -j module load --file "$TEST_KO" backend=emulated
	assert_output ""
	refute module_loaded
}

@test "module load passes every PARAM=VALUE; without any, the defaults" {
	ctl module load --file "$TEST_KO" backend=emulated default_quota=7 \
		pasid_min=100 pasid_max=0x1ff reclaim_log_size=16
	assert_equal "$(cat /sys/module/vfio_pasid/parameters/default_quota)" 7
	assert_equal "$(cat /sys/module/vfio_pasid/parameters/pasid_min)" 100
	assert_equal "$(cat /sys/module/vfio_pasid/parameters/pasid_max)" 511
	assert_equal "$(cat /sys/module/vfio_pasid/parameters/reclaim_log_size)" 16
	assert_equal "$(cat /sys/module/vfio_pasid/parameters/backend)" emulated
	ctl module unload
	ctl module load --file "$MODULE_KO"
	assert_equal "$(cat /sys/module/vfio_pasid/parameters/backend)" native
	assert_equal "$(cat /sys/module/vfio_pasid/parameters/default_quota)" 1000
}

@test "module load when already loaded: exit 1, 'module already loaded'" {
	module_load
	ctl 1 module load --file "$TEST_KO" backend=emulated
	assert_stderr "vfiopasidctl: module load: module already loaded"
	assert module_loaded
}

@test "module load: bad arguments are refused before the kernel sees them" {
	ctl 2 module load --file "$MODULE_KO" no_such_param=1
	assert_stderr_contains "invalid parameter 'no_such_param'"
	assert_stderr_contains "default_quota"
	ctl 2 module load --file "$MODULE_KO" backend
	assert_stderr_contains "'backend' is not PARAM=VALUE"
	ctl 2 module load --file "$MODULE_KO" =1
	ctl 2 module load --file "$TEST_KO" 'backend="emulated"'
	ctl 2 module load --file
	ctl 2 module load --bogus
	ctl 1 module load --file /nonexistent/vfio_pasid.ko
	assert_stderr "vfiopasidctl: module load: /nonexistent/vfio_pasid.ko: no such file or directory"
	ctl 1 module load --file "$PROJECT_DIR/tests/bats/helpers.bash"
	assert_stderr_contains "is not a kernel module file"
	refute module_loaded
}

@test "module load with a value the module refuses: exit 1, 'invalid parameter'" {
	ctl 1 module load --file "$MODULE_KO" backend=bogus
	assert_stderr_contains "invalid parameter"
	refute module_loaded
	ctl 1 module load --file "$MODULE_KO" default_quota=many
	assert_stderr_contains "invalid parameter"
	ctl 1 module load --file "$MODULE_KO" pasid_min=10 pasid_max=5
	assert_stderr_contains "invalid parameter"
	refute module_loaded
}

@test "module load without --file uses the installed module, or says it is not installed" {
	if modinfo vfio_pasid >/dev/null 2>&1; then
		ctl module load backend=native
		assert module_loaded
	else
		ctl 1 module load backend=emulated
		assert_stderr "vfiopasidctl: module load: module vfio_pasid is not installed for the running kernel $(uname -r): install it, or give the file with --file PATH"
	fi
}

@test "the installed build has no emulated backend: the CLI and the kernel refuse it, nothing loads; only the test build taints (TAINT_TEST)" {
	local taint
	refute [ "$(modinfo -F test "$MODULE_KO")" ]
	assert_equal "$(modinfo -F test "$TEST_KO")" Y
	# the CLI says why before the kernel sees it
	ctl 1 module load --file "$MODULE_KO" backend=emulated
	assert_stderr "vfiopasidctl: module load: backend=emulated is in the test build only (tests/testmod/vfio_pasid.ko, made by 'make tests'): $MODULE_KO has backend=native only"
	refute module_loaded
	# the kernel refuses it too, with its reason in the log
	local mark="vfio-pasid test: refusal $$ $RANDOM"
	echo "$mark" >/dev/kmsg
	run insmod "$MODULE_KO" backend=emulated
	assert_failure
	assert_output --partial "Invalid parameters"
	refute module_loaded
	run bash -c "dmesg | sed -n '/$mark/,\$p'"
	assert_output --partial "vfio_pasid: backend=emulated programs no IOMMU and is in the test build only"
	# the installed build loads native and carries no test mark
	ctl -j module load --file "$MODULE_KO"
	jq_is '.module.parameters.backend' native
	jq_is '.module.taint | test("N")' false
	ctl module unload
	# the test build carries the test mark: TAINT_TEST (bit 18), module flag N
	ctl -j module load --file "$TEST_KO" backend=emulated
	jq_is '.module.taint | test("N")' true
	taint=$(cat /proc/sys/kernel/tainted)
	assert [ $((taint >> 18 & 1)) -eq 1 ]
	run dmesg
	assert_output --partial "(test build) loaded"
}

@test "module load and unload as an unprivileged user: exit 4" {
	ctl_as_nobody 4 module load --file "$TEST_KO" backend=emulated
	assert_stderr_contains "permission denied"
	refute module_loaded
	module_load
	ctl_as_nobody 4 module unload
	assert_stderr_contains "permission denied"
	assert module_loaded
}

@test "module unload: exit 3 when not loaded, exit 1 while a descriptor is open" {
	ctl 3 module unload
	assert_stderr "vfiopasidctl: module unload: module not loaded"
	module_load
	start_opener
	ctl 1 module unload
	assert_stderr "vfiopasidctl: module unload: module is in use: close every /dev/vfio-pasid descriptor first"
	assert module_loaded
	kill_holders
	ctl module unload
	refute module_loaded
}

@test "module show, loaded: state, version, refcount, holders, parameters" {
	module_load default_quota=9
	ctl module show
	assert_line --regexp '^name: +vfio_pasid$'
	assert_line --regexp '^state: +live$'
	assert_line --regexp '^version: +[0-9]+\.[0-9]+'
	assert_line --regexp '^refcount: +0$'
	assert_line --regexp '^parameters:$'
	assert_line --regexp '^  default_quota: +9$'
	assert_line --regexp '^  backend: +emulated$'
	ctl -j module show
	jq_is '.module.name' vfio_pasid
	jq_is '.module.state' live
	jq_is '.module.version | test("^[0-9]+\\.[0-9]+")' true
	jq_is '.module.refcount' 0
	jq_is '.module.holders | type' array
	jq_is '.module.size | type' number
	jq_is '.module.parameters.default_quota' 9
	jq_is '.module.parameters.default_quota | type' number
	jq_is '.module.parameters.pasid_min' 1
	jq_is '.module.parameters.pasid_max' 1048575
	jq_is '.module.parameters.reclaim_log_size' 1024
	jq_is '.module.parameters.backend' emulated
	jq_is '.module | has("path")' true
	# open descriptors count as references
	start_opener
	ctl -j module show
	jq_is '.module.refcount' 1
}

@test "module show, not loaded: exit 0, state not loaded; usage errors exit 2" {
	ctl module show
	assert_line --regexp '^state: +not loaded$'
	ctl -j module show
	jq_is '.module.state' "not loaded"
	jq_is '.module | has("version")' false
	ctl 2 module
	ctl 2 module frob
	ctl 2 module loa
	ctl 2 module unload now
	ctl 2 module show everything
}
