#!/usr/bin/env bats
# The module as DKMS built and installed it on the host (tests/dkms/install.bats,
# "make dkms-install"), which the guest sees through the host's read-only
# /lib/modules: modprobe loads it, /dev/vfio-pasid appears, rmmod unloads it.
#
# Part 2 of the DKMS round trip that make check runs: only with VP_DKMS=1
# (tests/vm/run --env VP_DKMS=1), set once the host install is done.  With
# it, a missing DKMS module is a failure, not a skip.

load helpers

setup() {
	# (bats 1.8.2 cannot skip from setup_file)
	[[ ${VP_DKMS:-} == 1 ]] ||
		skip "needs the module installed with DKMS on the host first: run it through make check (which sets VP_DKMS=1)"
	vm_require_guest
	DKMS_KO=/lib/modules/$(uname -r)/updates/dkms/vfio_pasid.ko
	VERSION=$(sed -n 's/^#define[[:space:]]*VP_VERSION[[:space:]]*"\(.*\)".*/\1/p' \
		"$PROJECT_DIR/driver/vfio_pasid.h")
	[[ -f $DKMS_KO ]] ||
		fail "no $DKMS_KO: the host's DKMS install for $(uname -r) is missing (tests/dkms/install.bats)"
	module_unload
}

teardown() {
	module_unload
}

@test "modinfo finds the DKMS-built module of this version for the running kernel" {
	run modinfo -n vfio_pasid
	assert_success
	assert_output "$DKMS_KO"
	run modinfo -F version vfio_pasid
	assert_output "$VERSION"
	run modinfo -F vermagic vfio_pasid
	assert_output --regexp "^$(uname -r) "
}

@test "modprobe loads the DKMS-built module, /dev/vfio-pasid appears, rmmod unloads it" {
	run modprobe vfio_pasid
	assert_success
	assert_output ""
	assert_equal "$(cat /sys/module/vfio_pasid/initstate)" live
	assert_equal "$(cat /sys/module/vfio_pasid/version)" "$VERSION"
	assert_equal "$(cat /sys/module/vfio_pasid/srcversion)" "$(modinfo -F srcversion "$DKMS_KO")"
	# the defaults: the modprobe.d example, if installed, sets nothing
	assert_equal "$(cat /sys/module/vfio_pasid/parameters/backend)" native
	assert_equal "$(cat /sys/module/vfio_pasid/parameters/default_quota)" 1000
	local i
	for ((i = 0; i < 40; i++)); do
		[[ -c /dev/vfio-pasid ]] && break
		sleep 0.05
	done
	assert [ -c /dev/vfio-pasid ]
	# it works: a VM of its own, one PASID, reclaimed
	start_hold -n 1
	assert [ -n "$HOLD_PASIDS" ]
	kill_holders
	assert_balanced
	run rmmod vfio_pasid
	assert_success
	refute module_loaded
	refute [ -e /dev/vfio-pasid ]
}

@test "vfiopasidctl module load without --file loads the DKMS-built module, which has no emulated backend" {
	ctl module load
	ctl -j module show
	jq_is '.module.state' live
	jq_is '.module.path' "$DKMS_KO"
	jq_is '.module.version' "$VERSION"
	jq_is '.module.parameters.backend' native
	jq_is '.module.taint | test("N")' false
	ctl module unload
	refute module_loaded
	# the installed module is never the test build
	refute [ "$(modinfo -F test "$DKMS_KO")" ]
	ctl 1 module load backend=emulated
	assert_stderr "vfiopasidctl: module load: backend=emulated is in the test build only (tests/testmod/vfio_pasid.ko, made by 'make tests'): the installed module has backend=native only"
	run modprobe vfio_pasid backend=emulated
	assert_failure
	refute module_loaded
}
