#!/usr/bin/env bats
# Which kernel make builds for and the test VM boots (scripts/kernel, SPEC
# 9.1), in fake trees: VP_KERNEL_ROOT stands in for /, VP_RUNNING_KVER for
# uname -r.  Runs on the host and writes only into temporary directories.
# About 2 s.
# shellcheck disable=SC2154 # $output, $status, $lines: set by run

load helpers

setup() {
	# make check exports its own choice; these tests make theirs
	unset KVER KDIR VP_KVER_WHY
	KERNEL=$TOP/scripts/kernel
	VP_KERNEL_ROOT=$BATS_TEST_TMPDIR/root
	VP_RUNNING_KVER=6.18.44-fc-v1147
	mkdir -p "$VP_KERNEL_ROOT/lib/modules" "$VP_KERNEL_ROOT/usr/src" "$VP_KERNEL_ROOT/boot"
	export KERNEL VP_KERNEL_ROOT VP_RUNNING_KVER
}

# headers KVER...: headers of each, as Debian installs them (a build link
# in /lib/modules to /usr/src/linux-headers-KVER, relative in the fake tree)
headers() {
	local k
	for k; do
		mkdir -p "$VP_KERNEL_ROOT/usr/src/linux-headers-$k" "$VP_KERNEL_ROOT/lib/modules/$k"
		ln -sfn "../../../usr/src/linux-headers-$k" "$VP_KERNEL_ROOT/lib/modules/$k/build"
	done
}

# image KVER...: /boot/vmlinuz-KVER of each
image() {
	local k
	for k; do
		: >"$VP_KERNEL_ROOT/boot/vmlinuz-$k"
	done
}

@test "kernel: the running kernel, when it is supported and has headers" {
	headers 6.1.0-57-amd64 6.12.95+deb12-amd64
	VP_RUNNING_KVER=6.1.0-57-amd64 run --separate-stderr "$KERNEL" build --why
	assert_success
	assert_equal "${lines[*]}" "6.1.0-57-amd64 the running kernel"
	VP_RUNNING_KVER=6.12.95+deb12-amd64 run "$KERNEL" build
	assert_output 6.12.95+deb12-amd64
	# the debug lane's self-built kernel too, when it runs
	headers 6.1.192-vpdebug-5f4964b572
	VP_RUNNING_KVER=6.1.192-vpdebug-5f4964b572 run "$KERNEL" build
	assert_output 6.1.192-vpdebug-5f4964b572
}

@test "kernel: the running kernel unsupported: the newest supported kernel with headers" {
	headers 6.1.0-57-amd64 6.18.44-fc-v1147
	run --separate-stderr "$KERNEL" build --why
	assert_success
	assert_equal "${lines[0]}" 6.1.0-57-amd64
	assert_equal "${lines[1]}" "newest supported kernel with headers; the running 6.18.44-fc-v1147 is not supported"
	# supported, but without headers
	VP_RUNNING_KVER=6.12.9+deb12-amd64 run "$KERNEL" build --why
	assert_equal "${lines[0]}" 6.1.0-57-amd64
	assert_equal "${lines[1]}" "newest supported kernel with headers; the running 6.12.9+deb12-amd64 has no headers installed"
}

@test "kernel: 6.1 and 6.12 both installed: 6.12, or 6.1 with --series 6.1" {
	headers 6.1.0-57-amd64 6.1.0-9-amd64 6.12.95+deb12-amd64 6.12.38+deb12-amd64
	run "$KERNEL" build
	assert_output 6.12.95+deb12-amd64
	run "$KERNEL" build --series 6.1
	assert_output 6.1.0-57-amd64
	run "$KERNEL" build --series 6.12
	assert_output 6.12.95+deb12-amd64
	# headers in /usr/src only count as well
	rm "$VP_KERNEL_ROOT/lib/modules/6.12.95+deb12-amd64/build"
	run "$KERNEL" build
	assert_output 6.12.95+deb12-amd64
	# a running kernel of the other series does not bind --series
	VP_RUNNING_KVER=6.12.38+deb12-amd64 run "$KERNEL" build --series 6.1 --why
	assert_equal "${lines[0]}" 6.1.0-57-amd64
	assert_equal "${lines[1]}" "newest 6.1.x kernel with headers; the running 6.12.38+deb12-amd64 is not 6.1.x"
	run "$KERNEL" build --series 6.2
	assert_failure 2
	assert_output "scripts/kernel: --series: expected one of 6.1 6.12, not '6.2'"
}

@test "kernel: a newer kernel of an unsupported series, or a self-built one, is never chosen" {
	headers 6.1.0-57-amd64 6.13.2+deb12-amd64 6.19.1-amd64 7.0.0-1-amd64 6.120.0-1-amd64 \
		6.2.0-1-amd64 6.10.0-1-amd64 6.1.192-vpdebug-5f4964b572
	mkdir -p "$VP_KERNEL_ROOT/usr/src/linux-headers-6.13.5-1-amd64"
	run "$KERNEL" build
	assert_output 6.1.0-57-amd64
	run "$KERNEL" build --series 6.12
	assert_failure 1
}

@test "kernel: 6.1.0-57-amd64 and 6.12.95+deb12-amd64 are told apart by series, not prefix" {
	local k
	for k in 6.1.0-57-amd64 6.12.95+deb12-amd64 6.1.192-vpdebug-5f4964b572 6.12.0-rc7 6.1.158; do
		run "$KERNEL" supported "$k"
		assert_success
	done
	for k in 6.18.44-fc-v1147 6.13.0-1-amd64 6.10.0 6.120.0 16.1.0 16.12.0 6.1 6 '' 5.10.0-30-amd64; do
		run "$KERNEL" supported "$k"
		assert_failure 1
		assert_output ""
	done
	# 6.12.95 is newer than 6.1.0-57, though "6.1." sorts before "6.12"
	# only as a prefix; 6.1.0-57 is newer than 6.1.0-9 by number
	headers 6.12.95+deb12-amd64 6.1.0-57-amd64 6.1.0-9-amd64
	run "$KERNEL" build
	assert_output 6.12.95+deb12-amd64
	run "$KERNEL" build --series 6.1
	assert_output 6.1.0-57-amd64
	run "$KERNEL" kdir 6.1.0-57-amd64
	assert_output "$VP_KERNEL_ROOT/lib/modules/6.1.0-57-amd64/build"
	run "$KERNEL" kdir 6.12.1+deb12-amd64
	assert_output "$VP_KERNEL_ROOT/usr/src/linux-headers-6.12.1+deb12-amd64"
	run "$KERNEL" check 6.13.0-1-amd64
	assert_failure 1
	assert_output "scripts/kernel: 6.13.0-1-amd64 is not a supported kernel: vfio-pasid builds for Linux 6.1.x or 6.12.x only"
}

@test "kernel: no supported headers: one line saying what to install, status 1" {
	headers 6.18.44-fc-v1147 6.13.2+deb12-amd64
	run "$KERNEL" build
	assert_failure 1
	assert_equal "${#lines[@]}" 1
	assert_output "scripts/kernel: no headers of a 6.1.x or 6.12.x kernel are installed: install linux-headers-amd64 (make deps)"
	run "$KERNEL" build --series 6.12
	assert_failure 1
	assert_equal "${#lines[@]}" 1
	assert_output --partial "install linux-headers-amd64 from bookworm-backports"
	VP_RUNNING_KVER=6.1.0-57-amd64 run "$KERNEL" build
	assert_failure 1
	assert_output "scripts/kernel: no headers of a 6.1.x or 6.12.x kernel are installed: install linux-headers-6.1.0-57-amd64"
}

@test "kernel image: the rig boots the kernel make builds for, by series, never by glob" {
	image 6.1.0-57-amd64 6.12.95+deb12-amd64 6.19.1-amd64
	headers 6.1.0-57-amd64 6.12.95+deb12-amd64 6.19.1-amd64
	run --separate-stderr "$KERNEL" image --why
	assert_success
	assert_equal "${lines[0]}" "$VP_KERNEL_ROOT/boot/vmlinuz-6.12.95+deb12-amd64"
	assert_equal "${lines[1]}" "newest supported kernel with headers; the running 6.18.44-fc-v1147 is not supported"
	run "$KERNEL" image --series 6.1
	assert_output "$VP_KERNEL_ROOT/boot/vmlinuz-6.1.0-57-amd64"
	run "$KERNEL" image --kver 6.1.0-57-amd64
	assert_output "$VP_KERNEL_ROOT/boot/vmlinuz-6.1.0-57-amd64"
	VP_RUNNING_KVER=6.1.0-57-amd64 run "$KERNEL" image
	assert_output "$VP_KERNEL_ROOT/boot/vmlinuz-6.1.0-57-amd64"
	run "$KERNEL" image --kver 6.19.1-amd64
	assert_failure 1
	assert_output --partial "6.19.1-amd64 is not a supported kernel"
	run "$KERNEL" image --kver 6.12.1+deb12-amd64
	assert_failure 1
	assert_output "scripts/kernel: no $VP_KERNEL_ROOT/boot/vmlinuz-6.12.1+deb12-amd64: install linux-image-6.12.1+deb12-amd64"
	# the chosen kernel has headers but no image: say so, boot nothing else
	rm "$VP_KERNEL_ROOT/boot/vmlinuz-6.12.95+deb12-amd64"
	run "$KERNEL" image
	assert_failure 1
	assert_equal "${#lines[@]}" 1
	assert_output --partial "install linux-image-6.12.95+deb12-amd64"
	# no supported headers at all: the newest supported image still boots
	rm -r "$VP_KERNEL_ROOT/lib/modules" "$VP_KERNEL_ROOT/usr/src"
	image 6.12.95+deb12-amd64
	run "$KERNEL" image --why
	assert_equal "${lines[0]}" "$VP_KERNEL_ROOT/boot/vmlinuz-6.12.95+deb12-amd64"
	assert_equal "${lines[1]}" "newest supported kernel image; none has headers"
	rm "$VP_KERNEL_ROOT"/boot/*
	run "$KERNEL" image
	assert_failure 1
	assert_equal "${#lines[@]}" 1
}

@test "make print-kver, print-kdir: scripts/kernel's choice; KVER= and KDIR= override" {
	headers 6.1.0-57-amd64 6.12.95+deb12-amd64 6.19.1-amd64
	run top_make print-kver print-kdir
	assert_success
	assert_equal "${lines[0]}" 6.12.95+deb12-amd64
	assert_equal "${lines[1]}" "$VP_KERNEL_ROOT/lib/modules/6.12.95+deb12-amd64/build"
	VP_RUNNING_KVER=6.1.0-57-amd64 run top_make print-kver
	assert_output 6.1.0-57-amd64
	run top_make print-kver print-kdir KVER=6.1.0-57-amd64
	assert_equal "${lines[*]}" "6.1.0-57-amd64 $VP_KERNEL_ROOT/lib/modules/6.1.0-57-amd64/build"
	run top_make print-kver KDIR=/k KVER=6.1.0-1-amd64
	assert_output 6.1.0-1-amd64
	# KDIR= alone: the release the tree says
	mkdir -p "$BATS_TEST_TMPDIR/k/include/generated"
	echo '#define UTS_RELEASE "6.12.7+deb12-amd64"' >"$BATS_TEST_TMPDIR/k/include/generated/utsrelease.h"
	run top_make print-kver KDIR="$BATS_TEST_TMPDIR/k"
	assert_output 6.12.7+deb12-amd64
}

@test "make module: one line and no kbuild for an unsupported KVER, or without supported headers" {
	run top_make KVER=5.10.0-1-amd64 module
	assert_failure
	assert_equal "${#lines[@]}" 1
	assert_output --regexp '^Makefile:[0-9]+: \*\*\* scripts/kernel: 5\.10\.0-1-amd64 is not a supported kernel: vfio-pasid builds for Linux 6\.1\.x or 6\.12\.x only\.  Stop\.$'
	headers 6.19.1-amd64
	run top_make module
	assert_failure
	assert_equal "${#lines[@]}" 1
	assert_output --partial "no headers of a 6.1.x or 6.12.x kernel are installed: install linux-headers-amd64 (make deps)"
	# a supported KVER whose headers are missing
	run top_make KVER=6.12.1+deb12-amd64 module
	assert_failure
	assert_equal "${#lines[@]}" 1
	assert_output --partial "no kernel headers for 6.12.1+deb12-amd64"
	# the CLI builds without any kernel
	run top_make -n cli
	assert_success
}
