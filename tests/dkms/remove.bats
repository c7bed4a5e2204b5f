#!/usr/bin/env bats
# The DKMS round trip, part 3 of 3, on the host: CHANGES THE SYSTEM.
# make dkms-uninstall removes what install.bats installed: the module from
# DKMS and from the kernel's tree, and the source from /usr/src.  Passes too
# when nothing was installed.  Needs root.  About 2 s.
# shellcheck disable=SC2154 # $output, $status, $lines: set by run

load helpers

setup_file() {
	dkms_setup_file || return 1
}

@test "make dkms-uninstall: nothing of vfio-pasid is left in DKMS, the kernel's tree or /usr/src" {
	require_root_dkms "changes the system"
	run top_make dkms-uninstall
	assert_success
	run dkms status -m vfio-pasid
	assert_success
	assert_output ""
	refute [ -e "/lib/modules/$KVER/updates/dkms/vfio_pasid.ko" ]
	refute [ -e "/usr/src/vfio-pasid-$VERSION" ]
	refute [ -e /var/lib/dkms/vfio-pasid ]
	run grep -c "^updates/dkms/vfio_pasid.ko:" "/lib/modules/$KVER/modules.dep"
	assert_output 0
	# again, with nothing to remove
	run top_make dkms-uninstall
	assert_success
}
