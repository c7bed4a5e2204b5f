#!/usr/bin/env bats
# The policy file (SPEC 9.4): vfiopasidctl config show and config apply, and
# /etc/vfio-pasid.conf applied by the udev rule when the module loads.  The
# round trip of show and apply; every kind of bad line refused with its line
# and nothing changed; an unknown cgroup; a change the kernel refuses midway
# (no cgroup2 mounted; every allocation failure of the fault-injection
# build) undone; privileges; and the reboot-equivalent: module unload and
# load with udevd running the rule as installed, and the rule's command run
# by hand.  Each test mounts cgroup2 on /sys/fs/cgroup (the guest mounts
# none of its own) and works under /vp-conf; the guest's /etc is the host's,
# read-only, so the tests that write /etc/vfio-pasid.conf put an overlay on
# it for the test's time.

load helpers

CG=/sys/fs/cgroup
CONF=/etc/vfio-pasid.conf
RULE_IN=$PROJECT_DIR/packaging/udev/90-vfio-pasid-config.rules.in
FAIL_NTH=/sys/module/vfio_pasid/parameters/fail_nth

cg_mounted() {
	grep -q "^[^ ]* $CG cgroup2 " /proc/mounts
}

setup() {
	require_module
	module_load
	cg_mounted || mount -t cgroup2 none "$CG" || fail "cannot mount cgroup2 on $CG"
	mkdir -p "$CG/vp-conf/a" "$CG/vp-conf/b" "$CG/vp-conf/c"
	F=$BATS_TEST_TMPDIR/policy.conf
}

teardown() {
	stop_udevd
	etc_restore
	[[ -n ${USER_DIR:-} ]] && rm -rf "$USER_DIR"
	cg_mounted || mount -t cgroup2 none "$CG"
	teardown_module
	# the module is gone, and its limits with it: the cgroups can go
	[[ -d $CG/vp-conf ]] && find "$CG/vp-conf" -depth -type d -exec rmdir {} + 2>/dev/null
	return 0
}

teardown_file() {
	assert_module_gone
}

# policy: what 'config show' prints
policy() {
	"$CTL" config show || fail "config show failed"
}

# etc_writable: /etc/vfio-pasid.conf may be written for this test, and is
# gone at its start.  The guest's /etc is read-only: an overlay on it with a
# tmpfs upper layer (the kernel cannot load overlay itself: its modprobe
# helper runs in the initramfs, not in the host's root), or, without
# overlayfs, a copy of it on tmpfs mounted over it.  Where /etc is writable,
# the file there is saved and put back by etc_restore.
etc_writable() {
	if [[ -w /etc ]]; then
		ETC_SAVED=$BATS_TEST_TMPDIR/conf.saved
		if [[ -e $CONF ]]; then mv "$CONF" "$ETC_SAVED"; else rm -f "$ETC_SAVED"; fi
		return 0
	fi
	local d=$BATS_TEST_TMPDIR/etc
	mkdir -p "$d/upper" "$d/work" "$d/copy"
	modprobe overlay 2>/dev/null || true
	if ! mount -t overlay overlay -o "lowerdir=/etc,upperdir=$d/upper,workdir=$d/work" /etc 2>/dev/null; then
		cp -a /etc/. "$d/copy/" || fail "cannot copy /etc"
		mount --bind "$d/copy" /etc || fail "cannot make the read-only /etc writable"
	fi
	ETC_MOUNTED=1
	rm -f "$CONF"
}

etc_restore() {
	if [[ -n ${ETC_MOUNTED:-} ]]; then
		umount /etc 2>/dev/null || umount -l /etc
		ETC_MOUNTED=
	fi
	if [[ -n ${ETC_SAVED:-} ]]; then
		rm -f "$CONF"
		if [[ -e $ETC_SAVED ]]; then mv "$ETC_SAVED" "$CONF"; fi
		ETC_SAVED=
	fi
}

# systemd's tools ignore every request in a chroot ("Running in chroot,
# ignoring request."), and the guest runs the tests in one: tell them not to
udevadm() {
	SYSTEMD_IGNORE_CHROOT=1 command udevadm "$@"
}

# The rule as "make install" writes it, running the CLI of this tree
rule_text() {
	sed "s|@BINDIR@|$PROJECT_DIR/cli|g" "$RULE_IN"
}

# start_udevd: udevd with the rule in /run/udev/rules.d; returns 1 with
# UDEVD_WHY set when there is no udevd to be had.  The test VM runs none
# (its init starts only the test command), so this starts one for the test
# and stop_udevd ends it.
start_udevd() {
	mkdir -p /run/udev/rules.d
	rule_text >/run/udev/rules.d/90-vfio-pasid-config.rules
	if udevadm control --ping >/dev/null 2>&1; then
		udevadm control --reload || fail "udevadm control --reload failed"
		return 0
	fi
	local bin i
	for bin in /lib/systemd/systemd-udevd /usr/lib/systemd/systemd-udevd ""; do
		[[ -x $bin ]] && break
	done
	if [[ -z $bin ]]; then
		UDEVD_WHY="no udevd runs in the test VM and systemd-udevd is not installed"
		return 1
	fi
	SYSTEMD_IGNORE_CHROOT=1 SYSTEMD_LOG_TARGET=console SYSTEMD_LOG_LEVEL=debug \
		"$bin" >"$BATS_TEST_TMPDIR/udevd.log" 2>&1 3>&- &
	UDEVD_PID=$!
	for ((i = 0; i < 200; i++)); do
		udevadm control --ping >/dev/null 2>&1 && return 0
		kill -0 "$UDEVD_PID" 2>/dev/null || break
		sleep 0.05
	done
	UDEVD_WHY="no udevd runs in the test VM and $bin did not start: $(tail -n 3 "$BATS_TEST_TMPDIR/udevd.log" | tr '\n' ' ')"
	stop_udevd
	return 1
}

stop_udevd() {
	rm -f /run/udev/rules.d/90-vfio-pasid-config.rules
	[[ -n ${UDEVD_PID:-} ]] || return 0
	udevadm control --exit >/dev/null 2>&1 || kill "$UDEVD_PID" 2>/dev/null || true
	wait "$UDEVD_PID" 2>/dev/null || true
	UDEVD_PID=
}

# wait_policy EXPECTED: until 'config show' prints EXPECTED (20 s at most):
# udevd runs the rule in a worker of its own
wait_policy() {
	local i
	for ((i = 0; i < 100; i++)); do
		[[ $("$CTL" config show 2>/dev/null) == "$1" ]] && return 0
		sleep 0.2
	done
	if [[ -s $BATS_TEST_TMPDIR/udevd.log ]]; then
		grep -E 'vfio|Process' "$BATS_TEST_TMPDIR/udevd.log" | tail -n 30 | sed 's/^/# udevd: /' >&3
	fi
	fail "the policy in force is not the file's after 20 s: $("$CTL" config show 2>&1)"
}

# The policy most tests start from
set_policy() {
	"$CTL" quota default 64 >/dev/null || fail "cannot set the default quota"
	"$CTL" limit set /vp-conf 100 >/dev/null || fail "cannot set a limit"
	"$CTL" limit set /vp-conf/a 10 >/dev/null || fail "cannot set a limit"
}

@test "config show: the default quota and every limit, as a file and as JSON; applying it changes nothing" {
	ctl config show
	assert_output "default_quota 1000"
	ctl -j config show
	assert_output '{"config":{"default_quota":1000,"limits":[]}}'
	mkdir "$CG/vp-conf/with blank"
	ctl quota default 64
	ctl limit set /vp-conf 100
	ctl limit set /vp-conf/a/ 10
	ctl limit set "/vp-conf/with blank" 3
	ctl config show
	assert_output "$(printf '%s\n' 'default_quota 64' 'limit /vp-conf 100' \
		'limit /vp-conf/a 10' 'limit /vp-conf/with\040blank 3')"
	ctl -j config show
	assert_output '{"config":{"default_quota":64,"limits":[{"cgroup":"/vp-conf","max":100},{"cgroup":"/vp-conf/a","max":10},{"cgroup":"/vp-conf/with blank","max":3}]}}'
	# its own output back: the same policy, and not one change made
	"$CTL" config show >"$F"
	start_monitor -j
	ctl config apply "$F"
	assert_output "$(cat "$F")"
	ctl -j config apply "$F"
	assert_output '{"config":{"default_quota":64,"limits":[{"cgroup":"/vp-conf","max":100},{"cgroup":"/vp-conf/a","max":10},{"cgroup":"/vp-conf/with blank","max":3}]}}'
	sleep 0.5
	run monitor_lines
	assert_output ""
	# a change is one event per setting that differs
	sed -i 's|^limit /vp-conf/a 10$|limit /vp-conf/a 11|' "$F"
	ctl config apply "$F"
	wait_monitor_lines 1
	sleep 0.3
	run monitor_lines
	assert_equal "${#lines[@]}" 1
	assert_line --partial '"event":"limit_set"'
	assert_line --partial '"cgroup":"/vp-conf/a"'
}

@test "config apply: the file is the whole policy; --keep keeps the limits it does not list" {
	set_policy
	ctl limit set /vp-conf/b 3
	cat >"$F" <<-'EOF'
		# the policy of the test
		default_quota 0x20	# hexadecimal, as the CLI takes it

		limit /vp-conf 50
		  limit //vp-conf//c/ 5
	EOF
	ctl config apply "$F"
	# in the kernel's order (the cgroups' ids); a and b deleted
	assert_output "$(printf '%s\n' 'default_quota 32' 'limit /vp-conf 50' 'limit /vp-conf/c 5')"
	assert_equal "$(policy)" "$output"
	ctl -j limit list
	jq_is '[.limits[].cgroup] | join(" ")' "/vp-conf /vp-conf/c"
	# --keep: a limit set by hand stays
	ctl limit set /vp-conf/b 3
	ctl -j config apply --keep "$F"
	assert_output '{"config":{"default_quota":32,"limits":[{"cgroup":"/vp-conf","max":50},{"cgroup":"/vp-conf/b","max":3},{"cgroup":"/vp-conf/c","max":5}]}}'
	# an empty file: no limit, the default quota as it is
	: >"$F"
	ctl config apply "$F"
	assert_output "default_quota 32"
	# usage
	ctl 2 config apply "$F" "$F"
	assert_stderr_contains "config apply: unexpected argument"
	ctl 1 config apply "$BATS_TEST_TMPDIR/missing.conf"
	assert_stderr "vfiopasidctl: config apply: $BATS_TEST_TMPDIR/missing.conf: no such file or directory: nothing changed"
}

@test "config apply: every kind of bad line is refused with FILE:LINE, exit 2, and nothing changes" {
	set_policy
	local before bad msg
	before=$(policy)
	# each bad line comes third, after two good changes
	while IFS='|' read -r bad msg; do
		printf 'default_quota 7\nlimit /vp-conf/b 1\n%s\n' "$bad" >"$F"
		ctl 2 config apply "$F"
		assert_stderr "vfiopasidctl: config apply: $F:3: $msg: nothing changed"
		assert_output ""
		assert_equal "$(policy)" "$before"
	done <<-'EOF'
		limits /vp-conf/c 5|unknown keyword 'limits' (the keywords are default_quota and limit)
		Limit /vp-conf/c 5|unknown keyword 'Limit' (the keywords are default_quota and limit)
		limit /vp-conf/c|limit needs a cgroup and a number: limit CGROUP N
		limit /vp-conf/c 5 6|unexpected '6' after limit CGROUP N (a comment starts with '#')
		limit /vp-conf/c five|'five' is not a limit (a number of PASIDs, decimal or 0x hexadecimal)
		limit /vp-conf/c -1|'-1' is not a limit (a number of PASIDs, decimal or 0x hexadecimal)
		limit /vp-conf/c 1048576|'1048576' is above the largest limit, 1048575 PASIDs
		limit vp-conf/c 5|'vp-conf/c' is not a cgroup path: give it from the cgroup2 root, starting with '/', without '.' or '..'
		limit /vp-conf/../c 5|'/vp-conf/../c' is not a cgroup path: give it from the cgroup2 root, starting with '/', without '.' or '..'
		limit /vp-conf/\000 5|'/vp-conf/\000': an escape is a backslash and three octal digits, \001 to \377
		limit /vp-conf/b/ 2|a limit on /vp-conf/b is given again (first on line 2)
		default_quota|default_quota needs a number: default_quota N
		default_quota 8|default_quota is given again (first on line 1)
		default_quota 8 # ok, but twice|default_quota is given again (first on line 1)
		default_quota 0x|'0x' is not a quota (a number of PASIDs, decimal or 0x hexadecimal)
		default_quota 4294967296|'4294967296' is above 4294967295
	EOF
	# a control character: a file written with DOS line ends
	printf 'default_quota 7\r\n' >"$F"
	ctl 2 config apply "$F"
	assert_stderr "vfiopasidctl: config apply: $F:1: a control character (0x0d): write the file with Unix line ends: nothing changed"
	assert_equal "$(policy)" "$before"
}

@test "config apply: a quota above the pool, an unknown cgroup or a file as cgroup: exit 1, the line, nothing changed" {
	set_policy
	local before size
	before=$(policy)
	size=$("$CTL" -j status | jq .status.pool.size)
	printf 'limit /vp-conf/b 1\ndefault_quota %s\n' $((size + 1)) >"$F"
	ctl 1 config apply "$F"
	assert_stderr "vfiopasidctl: config apply: $F:2: default_quota $((size + 1)) is above the pool size $size: nothing changed"
	assert_equal "$(policy)" "$before"
	printf 'default_quota 7\nlimit /vp-conf/b 1\n\nlimit /vp-conf/nope 5\n' >"$F"
	ctl 1 config apply "$F"
	assert_stderr "vfiopasidctl: config apply: $F:4: limit /vp-conf/nope 5: no cgroup v2 directory at this path (no such file or directory): nothing changed"
	assert_equal "$(policy)" "$before"
	printf 'limit /vp-conf/cgroup.procs 5\n' >"$F"
	ctl 1 config apply "$F"
	assert_stderr "vfiopasidctl: config apply: $F:1: limit /vp-conf/cgroup.procs 5: no cgroup v2 directory at this path (no such file or directory): nothing changed"
	assert_equal "$(policy)" "$before"
}

@test "config apply: a change the kernel refuses midway (no cgroup2 mounted) undoes the ones before it and names the line" {
	set_policy
	local before
	before=$(policy)
	umount "$CG"
	! cg_mounted || fail "cgroup2 is still mounted on $CG"
	# the limits are still there, and their cgroups
	assert_equal "$(policy)" "$before"
	printf 'default_quota 7\nlimit /vp-conf 100\nlimit /vp-conf/b 1\n' >"$F"
	ctl 1 config apply "$F"
	assert_stderr "vfiopasidctl: config apply: $F:3: limit /vp-conf/b 1: cgroup v2 is not mounted on this host (operation not supported): nothing changed (the change before it was undone)"
	assert_equal "$(policy)" "$before"
	# deletions need no mount: a file that only deletes goes through
	printf 'default_quota 64\nlimit /vp-conf 100\n' >"$F"
	ctl config apply "$F"
	assert_output "$(printf '%s\n' 'default_quota 64' 'limit /vp-conf 100')"
}

# shellcheck disable=SC2154 # stderr, stderr_lines: set by run
@test "config apply: every allocation failure midway undoes everything, or the file is in force (the test build's fault injection)" {
	module_load
	set_policy
	local before=$BATS_TEST_TMPDIR/before.conf want n left undone=0 failed=0
	"$CTL" config show >"$before"
	# every kind of change: the quota, a limit changed, two new (their
	# cgroups' nodes allocated), one deleted
	printf 'default_quota 7\nlimit /vp-conf 90\nlimit /vp-conf/b 1\nlimit /vp-conf/c 2\n' >"$F"
	want=$(printf '%s\n' 'default_quota 7' 'limit /vp-conf 90' 'limit /vp-conf/b 1' 'limit /vp-conf/c 2')
	for ((n = 1; n <= 80; n++)); do
		# the N-th injection point the CLI's process reaches fails
		# shellcheck disable=SC2016 # the script's own arguments
		run --separate-stderr sh -c 'echo "$1" >"$2" && shift 2 && exec "$@"' _ \
			"$n" "$FAIL_NTH" "$CTL" config apply "$F"
		left=$(cat "$FAIL_NTH")
		echo "0" >"$FAIL_NTH"
		if [[ $status -eq 0 ]]; then
			[[ -z $stderr ]] || fail "point $n: succeeded but said: $stderr"
			assert_equal "$(policy)" "$want"
		elif [[ $stderr == *": applied, but reading the policy in force back failed: "* ]]; then
			assert_equal "$status" 1
			assert_equal "$(policy)" "$want"
		else
			[[ $status -eq 1 ]] || fail "point $n: exit status $status: $stderr"
			[[ ${#stderr_lines[@]} -eq 1 && $stderr == "vfiopasidctl: config apply: "*": nothing changed"* ]] ||
				fail "point $n: not one line saying nothing changed: $stderr"
			[[ $stderr == *"cannot allocate memory"* ]] || fail "point $n: not the allocation failure: $stderr"
			assert_equal "$(policy)" "$(cat "$before")"
			failed=$((failed + 1))
			[[ $stderr == *"undone)" ]] && undone=$((undone + 1))
		fi
		# the point was never reached: every one has been tried
		[[ $left -gt 0 ]] && break
		# back to where the next try starts
		"$CTL" config apply "$before" >/dev/null || fail "point $n: cannot go back to the first policy"
		assert_equal "$(policy)" "$(cat "$before")"
	done
	[[ $left -gt 0 ]] || fail "80 injection points, and more to come"
	echo "# $((n - 1)) injection points: $failed refusals, $undone of them after changes that were undone" >&3
	[[ $failed -ge 3 && $undone -ge 2 ]] ||
		fail "expected refusals midway: $failed refusals, $undone with changes undone"
	assert_equal "$(policy)" "$want"
}

@test "config: show is open to every user; apply that changes something needs CAP_NET_ADMIN (exit 4, nothing changed)" {
	set_policy
	local before
	before=$(policy)
	USER_DIR=$(mktemp -d /tmp/vp-conf.XXXXXX)
	chmod 0755 "$USER_DIR"
	F=$USER_DIR/policy.conf
	ctl_as_nobody config show
	assert_output "$before"
	printf 'default_quota 7\nlimit /vp-conf/b 1\n' >"$F"
	chmod 0644 "$F"
	ctl_as_nobody 4 config apply "$F"
	assert_stderr "vfiopasidctl: config apply: $F:1: default_quota 7: operation not permitted: nothing changed: run as root (changes need CAP_NET_ADMIN)"
	assert_equal "$(policy)" "$before"
	# what is in force already needs nothing
	printf '%s\n' "$before" >"$F"
	ctl_as_nobody config apply "$F"
	assert_output "$before"
	# a file it cannot read
	chmod 0600 "$F"
	ctl_as_nobody 4 config apply "$F"
	assert_stderr "vfiopasidctl: config apply: $F: permission denied: nothing changed"
}

@test "config apply without FILE: /etc/vfio-pasid.conf, and without it nothing changes (exit 0, nothing on stderr)" {
	etc_writable
	set_policy
	local before
	before=$(policy)
	ctl config apply
	assert_output "$before"
	ctl -j config apply
	jq_is .config.default_quota 64
	printf 'default_quota 9\n' >"$CONF"
	ctl config apply --keep
	assert_output "$(printf '%s\n' 'default_quota 9' 'limit /vp-conf 100' 'limit /vp-conf/a 10')"
	printf 'default_quota 9\nbad\n' >"$CONF"
	ctl 2 config apply
	assert_stderr "vfiopasidctl: config apply: $CONF:2: unknown keyword 'bad' (the keywords are default_quota and limit): nothing changed"
	# without the module: exit 3, whatever the file says
	rm "$CONF"
	module_unload
	ctl 3 config apply
	assert_stderr "$NOT_LOADED_MSG"
	ctl 3 config show
}

# The policy of the reboot tests, and what config show prints of it
write_conf() {
	mkdir -p "$CG/vp-conf/with blank"
	cat >"$CONF" <<-'EOF'
		# /etc/vfio-pasid.conf of the test
		default_quota 77
		limit /vp-conf 50            # every VM of the test together
		limit /vp-conf/a 10
		limit /vp-conf/with\040blank 3
	EOF
	CONF_SHOWN=$(printf '%s\n' 'default_quota 77' 'limit /vp-conf 50' \
		'limit /vp-conf/a 10' 'limit /vp-conf/with\040blank 3')
}

@test "reboot-equivalent: module unload and load, udevd runs the rule as installed, every setting of /etc/vfio-pasid.conf is in force" {
	etc_writable
	write_conf
	start_udevd || skip "$UDEVD_WHY (the next test runs the rule's command by hand)"
	ctl config apply
	assert_output "$CONF_SHOWN"
	ctl module unload
	# the suite's way of loading it; the rule runs on the module's add event
	module_load
	udevadm settle --timeout=60 || fail "udevadm settle timed out"
	wait_policy "$CONF_SHOWN"
	# at boot, coldplug sends the add event again for a module loaded before
	# udevd (from the initramfs): the same rule puts the policy back
	ctl limit del /vp-conf/a
	ctl quota default 5
	udevadm trigger --type=subsystems --action=add --subsystem-match=module \
		--sysname-match=vfio_pasid || fail "udevadm trigger failed"
	udevadm settle --timeout=60 || fail "udevadm settle timed out"
	wait_policy "$CONF_SHOWN"
	# without the file the rule changes nothing, and fails nothing
	rm "$CONF"
	ctl module unload
	module_load
	udevadm settle --timeout=60 || fail "udevadm settle timed out"
	ctl config show
	assert_output "default_quota 1000"
	run grep -E "vfiopasidctl config apply'? failed" "$BATS_TEST_TMPDIR/udevd.log"
	assert_failure
}

@test "reboot-equivalent: module unload and load, then the command the udev rule runs: every setting in force again" {
	etc_writable
	write_conf
	ctl config apply
	ctl module unload
	module_load
	# the module forgot
	ctl config show
	assert_output "default_quota 1000"
	# the rule's own command, as "make install" writes it for this tree
	local cmd
	cmd=$(rule_text | sed -n 's/.*RUN+="\([^"]*\)".*/\1/p')
	[[ $cmd == "$PROJECT_DIR/cli/vfiopasidctl config apply" ]] || fail "the rule runs '$cmd'"
	# shellcheck disable=SC2086 # the command's words, as udev splits them
	run --separate-stderr $cmd
	assert_success
	assert_equal "$stderr" ""
	ctl config show
	assert_output "$CONF_SHOWN"
}
