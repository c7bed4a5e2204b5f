# shellcheck shell=bash
# tests/dkms/helpers.bash - loaded by the DKMS round trip (install.bats,
# remove.bats), which CHANGES THE SYSTEM.

load ../host/helpers

# dkms_setup_file: exports TOP, KVER, the kernel the test VM boots
# (tests/vm/run's default: KVER from the environment, as make exports it,
# else the kernel scripts/kernel chooses, the one make builds for), for
# which the round trip installs and removes the module, and VERSION, the
# project's
dkms_setup_file() {
	local image
	image=$("$TOP/scripts/kernel" image ${KVER:+--kver "$KVER"}) || {
		echo "no kernel for the test VM (scripts/kernel says why above)" >&2
		return 1
	}
	KVER=${image##*/vmlinuz-}
	echo "# DKMS round trip for $KVER ($image)" >&3
	VERSION=$(top_make print-version)
	export TOP KVER VERSION
}

# require_root_dkms WHAT: fails the test unless it runs as root with dkms
# at hand; WHAT says what the round trip does to the system
require_root_dkms() {
	[[ $(id -u) -eq 0 ]] || fail "the DKMS round trip $1: run it as root"
	command -v dkms >/dev/null || fail "dkms is missing: run 'make deps'"
}
