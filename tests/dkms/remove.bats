#!/usr/bin/env bats
# The DKMS round trip, part 3 of 3, on the host: CHANGES THE SYSTEM.
# make dkms-uninstall removes what install.bats installed: the module from
# DKMS and from the kernel's tree, and the source from /usr/src.  Passes too
# when nothing was installed.  Needs root.  About 2 s.
# shellcheck disable=SC2154 # $output, $status, $lines: set by run

bats_require_minimum_version 1.5.0
bats_load_library bats-support
bats_load_library bats-assert

setup_file() {
	TOP=$(cd -- "$BATS_TEST_DIRNAME/../.." && pwd)
	# the kernel install.bats installed for, the test VM's
	local kernel
	kernel=$(compgen -G '/boot/vmlinuz-6.1*' | sort -V | tail -n 1) || {
		echo "no /boot/vmlinuz-6.1*: run 'make deps'" >&2
		return 1
	}
	KVER=${kernel#/boot/vmlinuz-}
	VERSION=$(make -s --no-print-directory -C "$TOP" print-version)
	export TOP KVER VERSION
}

@test "make dkms-uninstall: nothing of vfio-pasid is left in DKMS, the kernel's tree or /usr/src" {
	[[ $(id -u) -eq 0 ]] || fail "the DKMS round trip changes the system: run it as root"
	command -v dkms >/dev/null || fail "dkms is missing: run 'make deps'"
	run make -s --no-print-directory -C "$TOP" dkms-uninstall
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
	run make -s --no-print-directory -C "$TOP" dkms-uninstall
	assert_success
}
