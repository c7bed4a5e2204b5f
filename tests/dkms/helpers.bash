# shellcheck shell=bash
# tests/dkms/helpers.bash - loaded by the DKMS round trip (install.bats,
# remove.bats), which CHANGES THE SYSTEM.

load ../host/helpers

# dkms_setup_file: exports TOP, KVER, the kernel the test VM boots
# (tests/vm/run's default, the newest /boot/vmlinuz-6.1*), for which the
# round trip installs and removes the module, and VERSION, the project's
dkms_setup_file() {
	local kernel
	kernel=$(compgen -G '/boot/vmlinuz-6.1*' | sort -V | tail -n 1) || {
		echo "no /boot/vmlinuz-6.1*: run 'make deps'" >&2
		return 1
	}
	KVER=${kernel#/boot/vmlinuz-}
	VERSION=$(top_make print-version)
	export TOP KVER VERSION
}

# require_root_dkms WHAT: fails the test unless it runs as root with dkms
# at hand; WHAT says what the round trip does to the system
require_root_dkms() {
	[[ $(id -u) -eq 0 ]] || fail "the DKMS round trip $1: run it as root"
	command -v dkms >/dev/null || fail "dkms is missing: run 'make deps'"
}
