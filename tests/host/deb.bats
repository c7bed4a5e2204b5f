#!/usr/bin/env bats
# make deb: the Debian packages build from the tree and hold what they should.
# Builds once, into a temporary directory (the tree's build/deb is left
# alone), in about 10 s; lintian adds about 5 s.
# shellcheck disable=SC2154 # $output, $status, $lines: set by run

load helpers

setup_file() {
	VERSION=$(top_make print-version)
	ARCH=$(dpkg --print-architecture)
	DEBS=$BATS_FILE_TMPDIR/deb
	export TOP VERSION ARCH DEBS
	# the build's output is the first test's to show
	top_make deb DEBDIR="$DEBS" >"$BATS_FILE_TMPDIR/deb.log" 2>&1
	echo $? >"$BATS_FILE_TMPDIR/deb.status"
}

# deb NAME: the path of package NAME's .deb, which must exist
deb() {
	local f
	f=$(compgen -G "$DEBS/$1_${VERSION}-*_*.deb") ||
		fail "no $1 package in $DEBS (make deb failed: see the first test)"
	echo "$f"
}

# files NAME: "mode path" of each file and link of package NAME, less what
# debhelper adds to every package (/usr/share/doc: changelog, copyright;
# /usr/share/lintian: the overrides)
files() {
	dpkg-deb -c "$(deb "$1")" | awk '$1 !~ /^d/ { sub(/^\.\//, "", $6); print substr($1, 2), $6 }' |
		grep -v -E ' usr/share/(doc|lintian)/' | sort -k 2
}

@test "make deb builds vfio-pasid-dkms, vfiopasidctl and vfio-pasid-dev" {
	run cat "$BATS_FILE_TMPDIR/deb.log"
	[[ $(cat "$BATS_FILE_TMPDIR/deb.status") -eq 0 ]] || fail "make deb failed: $output"
	# the CLI's unit tests ran during the build, and passed
	assert_line --regexp '^[0-9]+ passed, 0 failed$'
	run bash -c 'cd "$1" && ls -1 *.deb' _ "$DEBS"
	assert_success
	assert_equal "$output" "$(printf '%s\n' \
		"vfio-pasid-dev_${VERSION}-1_all.deb" \
		"vfio-pasid-dkms_${VERSION}-1_all.deb" \
		"vfiopasidctl-dbgsym_${VERSION}-1_${ARCH}.deb" \
		"vfiopasidctl_${VERSION}-1_${ARCH}.deb")"
}

@test "vfio-pasid-dkms: the module source under /usr/src, registered with DKMS; the udev rules and modprobe.d example" {
	local expected f
	expected=$(dkms_src_files | sed "s|^|rw-r--r-- usr/src/vfio-pasid-$VERSION/|")
	expected=$(printf '%s\n' "$expected" \
		'rw-r--r-- etc/modprobe.d/vfio-pasid.conf' \
		'rw-r--r-- lib/udev/rules.d/60-vfio-pasid.rules' \
		'rw-r--r-- lib/udev/rules.d/90-vfio-pasid-config.rules' | sort -k 2)
	assert_equal "$(files vfio-pasid-dkms)" "$expected"
	f=$(deb vfio-pasid-dkms)
	run dpkg-deb -f "$f" Architecture Depends
	assert_line "Architecture: all"
	assert_line --regexp '^Depends: .*\bdkms\b'
	# dh_dkms: the maintainer scripts add, build and remove the module
	dpkg-deb -e "$f" "$BATS_TEST_TMPDIR/ctl"
	run cat "$BATS_TEST_TMPDIR/ctl/postinst"
	assert_line "DKMS_NAME=vfio-pasid"
	assert_line "DKMS_VERSION=$VERSION"
	assert_output --partial /usr/lib/dkms/common.postinst
	run cat "$BATS_TEST_TMPDIR/ctl/prerm"
	assert_output --partial "dkms remove -m \$DKMS_NAME -v \$DKMS_VERSION --all"
	run cat "$BATS_TEST_TMPDIR/ctl/conffiles"
	assert_output /etc/modprobe.d/vfio-pasid.conf
	# the files are the tree's
	dpkg-deb -x "$f" "$BATS_TEST_TMPDIR/x"
	cmp "$TOP/dkms.conf" "$BATS_TEST_TMPDIR/x/usr/src/vfio-pasid-$VERSION/dkms.conf"
	cmp "$TOP/driver/main.c" "$BATS_TEST_TMPDIR/x/usr/src/vfio-pasid-$VERSION/driver/main.c"
	cmp "$TOP/packaging/udev/60-vfio-pasid.rules" "$BATS_TEST_TMPDIR/x/lib/udev/rules.d/60-vfio-pasid.rules"
	# the config rule runs the packaged CLI
	sed 's|@BINDIR@|/usr/bin|g' "$TOP/packaging/udev/90-vfio-pasid-config.rules.in" |
		cmp - "$BATS_TEST_TMPDIR/x/lib/udev/rules.d/90-vfio-pasid-config.rules"
}

@test "vfiopasidctl: the program, its manual pages and the completions; it runs" {
	assert_equal "$(files vfiopasidctl)" "$(printf '%s\n' \
		'rwxr-xr-x usr/bin/vfiopasidctl' \
		'rw-r--r-- usr/share/bash-completion/completions/vfiopasidctl' \
		'rw-r--r-- usr/share/man/man4/vfio_pasid.4.gz' \
		'rw-r--r-- usr/share/man/man5/vfio-pasid.conf.5.gz' \
		'rw-r--r-- usr/share/man/man8/vfiopasidctl.8.gz' \
		'rw-r--r-- usr/share/zsh/vendor-completions/_vfiopasidctl')"
	local f
	f=$(deb vfiopasidctl)
	run dpkg-deb -f "$f" Architecture Depends
	assert_line "Architecture: $ARCH"
	assert_line --regexp '^Depends: .*libnl-genl-3-200.*'
	assert_line --regexp '^Depends: .*libkmod2.*'
	assert_line --regexp '^Depends: .*libjson-c5.*'
	dpkg-deb -x "$f" "$BATS_TEST_TMPDIR/x"
	run "$BATS_TEST_TMPDIR/x/usr/bin/vfiopasidctl" --version
	assert_success
	assert_output "vfiopasidctl $VERSION"
	# built with Debian's hardening flags: full RELRO, bind now
	run readelf -d "$BATS_TEST_TMPDIR/x/usr/bin/vfiopasidctl"
	assert_output --partial BIND_NOW
}

@test "vfio-pasid-dev: the uAPI headers, arch all" {
	assert_equal "$(files vfio-pasid-dev)" "$(printf '%s\n' \
		'rw-r--r-- usr/include/linux/vfio_pasid.h' \
		'rw-r--r-- usr/include/linux/vfio_pasid_netlink.h')"
	run dpkg-deb -f "$(deb vfio-pasid-dev)" Architecture Multi-Arch
	assert_line "Architecture: all"
	assert_line "Multi-Arch: foreign"
}

@test "lintian: no error or warning (make deb-lint)" {
	command -v lintian >/dev/null || fail "lintian is missing: run 'make deps'"
	run top_make deb-lint DEBDIR="$DEBS"
	assert_success
	refute_line --regexp '^[EW]: '
}
