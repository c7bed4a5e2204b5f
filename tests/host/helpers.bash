# shellcheck shell=bash
# tests/host/helpers.bash - loaded by the tests that build and install on the
# host: the packaging tests (deb.bats, install.bats) and the DKMS round trip
# (tests/dkms/).

bats_require_minimum_version 1.5.0
bats_load_library bats-support
bats_load_library bats-assert

# The project's top directory
TOP=$(cd -- "$BATS_TEST_DIRNAME/../.." && pwd)

# top_make ARGS...: make, quiet, in the project's top directory
top_make() {
	make -s --no-print-directory -C "$TOP" "$@"
}

# dkms_src_files: what the DKMS source tree (make dkms-src) holds, relative
# to it, one a line: dkms.conf, the license and the driver's sources
dkms_src_files() {
	(cd "$TOP" && {
		printf '%s\n' dkms.conf COPYING
		git ls-files 'driver/Kbuild' 'driver/Makefile' 'driver/*.c' 'driver/*.h'
	})
}
