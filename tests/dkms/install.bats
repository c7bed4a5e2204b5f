#!/usr/bin/env bats
# The DKMS round trip, part 1 of 3, on the host: CHANGES THE SYSTEM.
# make dkms-install adds, builds and installs vfio-pasid for the kernel the
# test VM boots, and leaves it installed: tests/bats/195-dkms.bats then loads
# it in the guest (VP_DKMS=1), and remove.bats takes it away again.  Needs
# root.  About 10 s.
# shellcheck disable=SC2154 # $output, $status, $lines: set by run

load helpers

setup_file() {
	dkms_setup_file || return 1
	MODULE=/lib/modules/$KVER/updates/dkms/vfio_pasid.ko
	export MODULE
}

setup() {
	require_root_dkms "installs into the system"
}

@test "make dkms-install: DKMS builds and installs vfio-pasid for the test VM's kernel" {
	run top_make dkms-install KVER="$KVER"
	assert_success
	run dkms status -m vfio-pasid -v "$VERSION" -k "$KVER"
	assert_success
	assert_output --regexp "^vfio-pasid/$VERSION, $KVER, [^:]+: installed"
	assert [ -f "$MODULE" ]
	# the kernel's module tools find it: depmod ran
	run modinfo -k "$KVER" -n vfio_pasid
	assert_output "$MODULE"
	run modinfo -k "$KVER" -F version vfio_pasid
	assert_output "$VERSION"
	run modinfo -F vermagic "$MODULE"
	assert_output --regexp "^$KVER "
	run grep -c "^updates/dkms/vfio_pasid.ko:" "/lib/modules/$KVER/modules.dep"
	assert_output 1
	# DKMS keeps its source where make dkms-src put it
	assert [ -f "/usr/src/vfio-pasid-$VERSION/dkms.conf" ]
	assert [ -f "/usr/src/vfio-pasid-$VERSION/driver/main.c" ]
}

@test "DKMS refuses to build for a kernel other than 6.1.x and 6.12.x, with status 77" {
	run dkms build -m vfio-pasid -v "$VERSION" -k 6.13.0-99-amd64
	assert_failure 77
	assert_output --partial BUILD_EXCLUSIVE
	# and the installed build is untouched
	run dkms status -m vfio-pasid -v "$VERSION"
	assert_output --regexp "^vfio-pasid/$VERSION, $KVER, [^:]+: installed$"
	assert [ -f "$MODULE" ]
}
