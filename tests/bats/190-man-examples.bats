#!/usr/bin/env bats
# The EXAMPLES of vfiopasidctl(8) run: each command line of the section is
# taken from the page itself and run as written, with the page's placeholders
# (VM 1, process 4711, VFIO group 5, a minute of sleep) replaced by a live
# stand-in VM, edu device 3's group and a second.  Uses edu device 3 only.

load helpers

setup() {
	require_module
	# the limit examples need a cgroup2 mount (the guest has none of its own)
	grep -q " /sys/fs/cgroup cgroup2 " /proc/mounts || mount -t cgroup2 none /sys/fs/cgroup
	module_unload
}

teardown() {
	kill_holders
	vm_vfio_bind --unbind --edu 3 >/dev/null 2>&1 || true
	teardown_module
}

teardown_file() {
	assert_module_gone
}

# The example command lines of the page, as a reader types them
man_examples() {
	sed -n '/^\.SH EXAMPLES/,/^\.SH /p' "$PROJECT_DIR/man/vfiopasidctl.8" |
		grep '^vfiopasidctl ' | sed 's/\\-/-/g'
}

# run_example LINE: runs it from the project directory, with the page's
# placeholders replaced, the program being $CTL (a path without blanks);
# fails the test with the line when it does not exit 0
run_example() {
	local line=$1 cmd
	cmd=$(sed -e "s|^vfiopasidctl |$CTL |" \
		-e "s|pid:4711|pid:$HOLD_PID|g" \
		-e "s|--group 5|--group $GROUP|g" \
		-e "s|quota set 1 |quota set $HOLD_VM |" \
		-e "s|pasid list 1 |pasid list $HOLD_VM |" \
		-e "s|sleep 60|sleep 1|" <<<"$line")
	if [[ $line == *" monitor"* ]]; then
		# it prints events until interrupted: a second of it
		cmd="timeout -s INT 1 $cmd; rc=\$?; [ \$rc -eq 0 ] || [ \$rc -eq 124 ]"
	fi
	run bash -o pipefail -c "cd '$PROJECT_DIR' && $cmd"
	[[ $status -eq 0 ]] || fail "example '$line' ran as '$cmd' and exited $status: $output"
}

@test "vfiopasidctl(8): the page has its examples" {
	run man_examples
	assert_success
	[[ ${#lines[@]} -ge 12 ]] || fail "only ${#lines[@]} examples found"
	assert_line "vfiopasidctl module load --file driver/vfio_pasid.ko"
	assert_line "vfiopasidctl caps"
}

@test "vfiopasidctl(8): every example runs" {
	local line n=0
	GROUP=$(vm_vfio_bind --edu 3)
	[[ $GROUP =~ ^[0-9]+$ ]] || fail "edu device 3 gave no group: $GROUP"
	HOLD_PID=0 HOLD_VM=0
	while IFS= read -r line; do
		case $line in
		*"module load --file"*)
			module_unload
			run_example "$line"
			# the stand-in VM of the examples that need one
			start_hold -n 2
			;;
		*"module load "*)
			# the installed module: DKMS puts it there in make check
			if [[ ${VP_DKMS:-} != 1 ]]; then
				echo "# not run without an installed module (make check installs one): $line" >&3
				continue
			fi
			module_unload
			run_example "$line"
			module_unload
			;;
		*)
			run_example "$line"
			;;
		esac
		n=$((n + 1))
	done < <(man_examples)
	[[ $n -ge 11 ]] || fail "only $n examples ran"
	# what they did: quota set, and the stand-in VM still there
	ctl -j quota get "$HOLD_VM"
	jq_is '.quota.quota' 64
}
