#!/usr/bin/env bats
# make install and uninstall, the files they put down, the version every
# file names, and the source tree that DKMS builds from.  Runs on the host
# and writes only into temporary directories.  About 15 s (one module build).
# shellcheck disable=SC2154 # $output, $status, $lines: set by run

load helpers

setup_file() {
	KVER=$(top_make print-kver)
	KDIR=$(top_make print-kdir)
	# read here without make, so that a wrong print-version shows too
	VERSION=$(sed -n 's/^#define[[:space:]]*VP_VERSION[[:space:]]*"\(.*\)".*/\1/p' \
		"$TOP/driver/vfio_pasid.h")
	export TOP KVER KDIR VERSION
	[[ -n $KVER && -d $KDIR ]] || {
		echo "no kernel headers ('$KVER', '$KDIR'): run 'make deps'" >&2
		return 1
	}
	# install builds first; build now, so that no test pays for it
	top_make all >/dev/null
}

# What "make install DESTDIR=... PREFIX=/usr" puts down: mode, path
expected_install() {
	cat <<EOF
644 etc/modprobe.d/vfio-pasid.conf
644 lib/modules/$KVER/extra/vfio_pasid.ko
644 lib/udev/rules.d/60-vfio-pasid.rules
644 lib/udev/rules.d/90-vfio-pasid-config.rules
755 usr/bin/vfiopasidctl
644 usr/include/linux/vfio_pasid.h
644 usr/include/linux/vfio_pasid_netlink.h
644 usr/share/bash-completion/completions/vfiopasidctl
644 usr/share/man/man4/vfio_pasid.4
644 usr/share/man/man5/vfio-pasid.conf.5
644 usr/share/man/man8/vfiopasidctl.8
644 usr/share/zsh/vendor-completions/_vfiopasidctl
EOF
}

# list_files DIR: "mode path" of every file and link under DIR, sorted by path
list_files() {
	(cd "$1" && find . \( -type f -o -type l \) -printf '%m %P\n' | sort -k 2)
}

@test "make install DESTDIR PREFIX=/usr: every file in place, with its mode and content" {
	local d=$BATS_TEST_TMPDIR/root
	run top_make install DESTDIR="$d" PREFIX=/usr
	assert_success
	assert_equal "$(list_files "$d")" "$(expected_install)"
	cmp "$TOP/cli/vfiopasidctl" "$d/usr/bin/vfiopasidctl"
	cmp "$TOP/driver/vfio_pasid.ko" "$d/lib/modules/$KVER/extra/vfio_pasid.ko"
	cmp "$TOP/driver/include/uapi/linux/vfio_pasid.h" "$d/usr/include/linux/vfio_pasid.h"
	cmp "$TOP/man/vfio_pasid.4" "$d/usr/share/man/man4/vfio_pasid.4"
	cmp "$TOP/man/vfio-pasid.conf.5" "$d/usr/share/man/man5/vfio-pasid.conf.5"
	cmp "$TOP/completions/vfiopasidctl.bash" "$d/usr/share/bash-completion/completions/vfiopasidctl"
	cmp "$TOP/packaging/udev/60-vfio-pasid.rules" "$d/lib/udev/rules.d/60-vfio-pasid.rules"
	cmp "$TOP/packaging/modprobe.d/vfio-pasid.conf" "$d/etc/modprobe.d/vfio-pasid.conf"
	# the config rule runs the CLI installed beside it
	sed 's|@BINDIR@|/usr/bin|g' "$TOP/packaging/udev/90-vfio-pasid-config.rules.in" |
		cmp - "$d/lib/udev/rules.d/90-vfio-pasid-config.rules"
	# a staged tree: depmod is for the live system only
	refute [ -e "$d/lib/modules/$KVER/modules.dep" ]
	run "$d/usr/bin/vfiopasidctl" --version
	assert_success
	assert_output "vfiopasidctl $VERSION"
}

@test "make install: UDEVRULESDIR and PREFIX move what they name" {
	local d=$BATS_TEST_TMPDIR/root
	run top_make install DESTDIR="$d" \
		PREFIX=/opt/vp UDEVRULESDIR=/usr/lib/udev/rules.d
	assert_success
	assert [ -f "$d/usr/lib/udev/rules.d/60-vfio-pasid.rules" ]
	assert [ -x "$d/opt/vp/bin/vfiopasidctl" ]
	run grep -c 'RUN+="/opt/vp/bin/vfiopasidctl config apply"' \
		"$d/usr/lib/udev/rules.d/90-vfio-pasid-config.rules"
	assert_output 1
	assert [ -f "$d/opt/vp/share/man/man8/vfiopasidctl.8" ]
	refute [ -e "$d/lib/udev" ]
	refute [ -e "$d/usr/bin" ]
	run top_make uninstall DESTDIR="$d" \
		PREFIX=/opt/vp UDEVRULESDIR=/usr/lib/udev/rules.d
	assert_success
	assert_equal "$(list_files "$d")" ""
}

@test "make uninstall with the same variables leaves no file" {
	local d=$BATS_TEST_TMPDIR/root
	top_make install DESTDIR="$d" PREFIX=/usr >/dev/null
	# a file of somebody else's beside ours stays
	touch "$d/usr/bin/other"
	run top_make uninstall DESTDIR="$d" PREFIX=/usr
	assert_success
	assert_equal "$(list_files "$d")" "644 usr/bin/other"
	# nothing left to remove is no error
	run top_make uninstall DESTDIR="$d" PREFIX=/usr
	assert_success
}

# udev_rule_syntax FILE: each rule line is comma-separated KEY OP "VALUE"
# items, match keys compared (==, !=) and assignments assigned (=, +=, :=),
# as udev(7) has them.  bookworm's udevadm (252) has no "verify" to do it.
udev_rule_syntax() {
	local line item key op n=0
	local -a items
	while IFS= read -r line; do
		n=$((n + 1))
		[[ $line =~ ^[[:space:]]*(#|$) ]] && continue
		[[ $line != *\\ ]] || { echo "line $n: continuation lines are not checked"; return 1; }
		IFS=',' read -r -a items <<<"$line"
		for item in "${items[@]}"; do
			item=${item#"${item%%[![:space:]]*}"}
			item=${item%"${item##*[![:space:]]}"}
			[[ $item =~ ^([A-Z_]+)(\{[^}]*\})?(==|!=|\+=|-=|:=|=)\"[^\"]*\"$ ]] ||
				{ echo "line $n: '$item' is not KEY OP \"VALUE\""; return 1; }
			key=${BASH_REMATCH[1]} op=${BASH_REMATCH[3]}
			case $key in
			ACTION | DEVPATH | KERNEL | KERNELS | NAME | SUBSYSTEM | SUBSYSTEMS | DRIVER | DRIVERS | ATTR | ATTRS | ENV | TAG | TAGS | TEST | PROGRAM | RESULT)
				case $key:$op in
				NAME:= | ENV:= | TAG:= | TAG:+= | TAG:-= | ATTR:= | NAME:+= | NAME::=) ;;
				*:== | *:!=) ;;
				*) echo "line $n: $key takes == or !=, not $op"; return 1 ;;
				esac
				;;
			OWNER | GROUP | MODE | SYMLINK | RUN | OPTIONS | LABEL | GOTO | IMPORT | SECLABEL)
				case $op in
				= | += | -= | :=) ;;
				*) echo "line $n: $key is assigned (=, +=, :=), not compared with $op"; return 1 ;;
				esac
				;;
			*) echo "line $n: unknown key '$key'"; return 1 ;;
			esac
		done
	done <"$1"
}

@test "the udev rule: /dev/vfio-pasid for group kvm, mode 0660; valid rule syntax" {
	local rules=$TOP/packaging/udev/60-vfio-pasid.rules
	if udevadm verify --help >/dev/null 2>&1; then
		run udevadm verify "$rules"
		assert_success
	fi
	run udev_rule_syntax "$rules"
	assert_success
	# the checker catches what it is for
	printf 'KERNEL="vfio-pasid", GROUP="kvm"\n' >"$BATS_TEST_TMPDIR/bad.rules"
	run udev_rule_syntax "$BATS_TEST_TMPDIR/bad.rules"
	assert_failure
	assert_output --partial "KERNEL takes == or !="
	printf 'KERNEL=="vfio-pasid", GROUP==kvm\n' >"$BATS_TEST_TMPDIR/bad.rules"
	run udev_rule_syntax "$BATS_TEST_TMPDIR/bad.rules"
	assert_failure
	# one rule, and it says what it must
	mapfile -t lines < <(grep -v -E '^[[:space:]]*(#|$)' "$rules")
	assert_equal "${#lines[@]}" 1
	local rule=", ${lines[0]},"
	assert [ "${rule/, KERNEL==\"vfio-pasid\",/}" != "$rule" ]
	assert [ "${rule/, GROUP=\"kvm\",/}" != "$rule" ]
	assert [ "${rule/, MODE=\"0660\",/}" != "$rule" ]
	# the device the module registers has that name
	run grep -E '^[[:space:]]*\.name[[:space:]]*=[[:space:]]*"vfio-pasid",' "$TOP/driver/main.c"
	assert_success
}

@test "the modprobe.d example changes nothing and documents every module parameter" {
	local conf=$TOP/packaging/modprobe.d/vfio-pasid.conf
	# every line a comment
	run grep -c -v -E '^#' "$conf"
	assert_output 0
	run --separate-stderr modprobe -C "$conf" -c -S "$KVER"
	assert_success
	refute_line --partial vfio_pasid
	# every parameter of the built module is set in an "# options" line and
	# described in the comment before it; nothing else is set
	local params
	params=$(modinfo -F parm "$TOP/driver/vfio_pasid.ko" | cut -d: -f1 | sort)
	assert [ -n "$params" ]
	assert_equal "$(sed -n 's/^# options vfio_pasid //p' "$conf" | tr ' ' '\n' |
		cut -d= -f1 | sort)" "$params"
	local p
	for p in $params; do
		run grep -E "^# ([a-z_]+, )*${p}[,:] " "$conf"
		assert_success
	done
	# with the "# " removed, the options lines are what modprobe reads
	sed 's/^# options /options /' "$conf" >"$BATS_TEST_TMPDIR/on.conf"
	run --separate-stderr modprobe -C "$BATS_TEST_TMPDIR/on.conf" -c -S "$KVER"
	assert_success
	assert_line "options vfio_pasid default_quota=1000"
	assert_line "options vfio_pasid pasid_min=1 pasid_max=0xFFFFF"
	assert_line "options vfio_pasid backend=native"
}

@test "dkms.conf, debian/changelog, make and the built module agree with VP_VERSION" {
	assert [ -n "$VERSION" ]
	# dkms.conf is bash that DKMS sources
	run bash -c 'kernel_source_dir=/k; source "$1"; echo "$PACKAGE_NAME $PACKAGE_VERSION"' _ "$TOP/dkms.conf"
	assert_success
	assert_output "vfio-pasid $VERSION"
	run dpkg-parsechangelog -l "$TOP/debian/changelog" -S Version
	assert_success
	assert_equal "${output%-*}" "$VERSION"
	run top_make print-version
	assert_output "$VERSION"
	run top_make check-version
	assert_success
	run modinfo -F version "$TOP/driver/vfio_pasid.ko"
	assert_output "$VERSION"
	# check-version catches a dkms.conf or a changelog that disagrees
	local t=$BATS_TEST_TMPDIR/tree
	mkdir -p "$t/driver" "$t/debian"
	cp "$TOP/Makefile" "$TOP/dkms.conf" "$t/"
	cp "$TOP/driver/vfio_pasid.h" "$t/driver/"
	cp "$TOP/debian/changelog" "$t/debian/"
	run make -s --no-print-directory -C "$t" check-version
	assert_success
	sed -i 's/^PACKAGE_VERSION=.*/PACKAGE_VERSION="9.9.9"/' "$t/dkms.conf"
	run make -s --no-print-directory -C "$t" check-version
	assert_failure
	assert_output --partial "PACKAGE_VERSION is '9.9.9'"
	cp "$TOP/dkms.conf" "$t/"
	sed -i "1s/($VERSION-/(9.9.8-/" "$t/debian/changelog"
	run make -s --no-print-directory -C "$t" check-version
	assert_failure
	assert_output --partial "upstream version is '9.9.8'"
}

@test "dkms.conf: DKMS builds for Linux 6.1.x and 6.12.x with what compat.h needs, nothing else" {
	run bash -c 'kernel_source_dir=/k; source "$1"
		printf "%s\n" "${BUILT_MODULE_NAME[0]}" "${BUILT_MODULE_LOCATION[0]}" \
			"${MAKE[0]}" "$AUTOINSTALL"' _ "$TOP/dkms.conf"
	assert_success
	assert_equal "${lines[0]}" vfio_pasid
	assert_equal "${lines[1]}" driver/
	assert_equal "${lines[2]}" "make -C driver KDIR=/k modules"
	assert_equal "${lines[3]}" yes
	# the kernel guard, with the test DKMS makes ($kernelver =~ regex), and
	# the same answer as scripts/kernel, which chooses what make builds for
	local re cfg k
	re=$(bash -c 'source "$1"; echo "$BUILD_EXCLUSIVE_KERNEL"' _ "$TOP/dkms.conf")
	cfg=$(bash -c 'source "$1"; echo "$BUILD_EXCLUSIVE_CONFIG"' _ "$TOP/dkms.conf")
	for k in "$KVER" 6.1.0-57-amd64 6.1.0-10-cloud-amd64 6.1.158 6.1.0-rc7 6.1.192-vpdebug-5f4964b572 \
		6.12.95+deb12-amd64 6.12.38+deb13-amd64 6.12.0-rc7 6.12.1; do
		[[ $k =~ $re ]] || fail "BUILD_EXCLUSIVE_KERNEL '$re' refuses $k"
		"$TOP/scripts/kernel" supported "$k" || fail "scripts/kernel refuses $k"
	done
	for k in 6.13.0-1-amd64 6.18.44-fc-v1147 6.10.0 6.11.9 6.2.0-1-amd64 6.0.0-0.deb11.6-amd64 \
		5.10.0-30-amd64 16.1.0 16.12.0 6.120.0 6.10.12-amd64; do
		[[ ! $k =~ $re ]] || fail "BUILD_EXCLUSIVE_KERNEL '$re' admits $k"
		! "$TOP/scripts/kernel" supported "$k" || fail "scripts/kernel admits $k"
	done
	# every option compat.h insists on for both series, and the headers in
	# use have them; none that only one series needs (6.12 has no IOASID)
	for k in CONFIG_VFIO CONFIG_IOMMU_API; do
		[[ " $cfg " == *" $k "* ]] || fail "BUILD_EXCLUSIVE_CONFIG '$cfg' lacks $k"
		grep -q "$k" "$TOP/driver/compat.h" || fail "compat.h no longer names $k"
		grep -q -E "^$k=[ym]" "$KDIR/.config" || fail "$KDIR/.config: $k is not set"
	done
	for k in $cfg; do
		[[ $k == CONFIG_VFIO || $k == CONFIG_IOMMU_API ]] ||
			fail "BUILD_EXCLUSIVE_CONFIG names $k, which not every supported kernel needs"
	done
	# what one series needs is compat's own #error, in the file of that series
	grep -q CONFIG_IOASID "$TOP/driver/compat-6.1.h" || fail "compat-6.1.h no longer checks CONFIG_IOASID"
	grep -q CONFIG_VFIO_GROUP "$TOP/driver/compat-6.12.h" || fail "compat-6.12.h no longer checks CONFIG_VFIO_GROUP"
}

@test "make dkms-src DESTDIR: the DKMS tree, from which the module builds" {
	local d=$BATS_TEST_TMPDIR/root src
	src=$d/usr/src/vfio-pasid-$VERSION
	run top_make dkms-src DESTDIR="$d"
	assert_success
	# dkms.conf, the license and the driver's sources, and no build output
	local expected
	expected=$(dkms_src_files | sed 's/^/644 /' | sort -k 2)
	assert_equal "$(list_files "$src")" "$expected"
	assert_equal "$(ls -A "$d/usr/src")" "vfio-pasid-$VERSION"
	cmp "$TOP/dkms.conf" "$src/dkms.conf"
	# a second run replaces the tree: nothing stale stays
	touch "$src/driver/stale.c"
	run top_make dkms-src DESTDIR="$d"
	assert_success
	refute [ -e "$src/driver/stale.c" ]
	# the module builds from it, as DKMS builds it
	run make -C "$src/driver" KDIR="$KDIR"
	assert_success
	run modinfo -F version "$src/driver/vfio_pasid.ko"
	assert_output "$VERSION"
	run modinfo -F vermagic "$src/driver/vfio_pasid.ko"
	assert_output --regexp "^$KVER "
}

@test "the config rule: on the module's add event, runs 'vfiopasidctl config apply' of its PREFIX, if installed; valid rule syntax" {
	local d=$BATS_TEST_TMPDIR/root rules
	top_make install-config DESTDIR="$d" PREFIX=/usr
	rules=$d/lib/udev/rules.d/90-vfio-pasid-config.rules
	refute grep -q '@' "$rules"
	if udevadm verify --help >/dev/null 2>&1; then
		run udevadm verify "$rules"
		assert_success
	fi
	run udev_rule_syntax "$rules"
	assert_success
	mapfile -t lines < <(grep -v -E '^[[:space:]]*(#|$)' "$rules")
	assert_equal "${#lines[@]}" 1
	local rule=", ${lines[0]},"
	local item
	for item in 'ACTION=="add"' 'SUBSYSTEM=="module"' 'KERNEL=="vfio_pasid"' \
		'TEST=="/usr/bin/vfiopasidctl"' 'RUN+="/usr/bin/vfiopasidctl config apply"'; do
		[[ $rule == *", $item,"* ]] || fail "the rule lacks $item: ${lines[0]}"
	done
	# the module is called that: the name in /sys/module, the KERNEL of its event
	run grep -E '^obj-m := vfio_pasid\.o$' "$TOP/driver/Kbuild"
	assert_success
}
