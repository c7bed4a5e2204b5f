#!/usr/bin/env bats
# The bash completion, as readline would call it: commands, subcommands and
# options, and the VM ids and pid:PID of the running system; zsh's, through
# its completion system (tests/zsh-complete), for the VM ids.  (The VFIO
# group numbers of "caps --group" are in 180-caps.bats, which binds a group.)

load helpers

# offers LINE: what the completion offers for the command line LINE, the
# cursor at its end; LINE starts after the program, which is $CTL (the
# completion runs it to list VMs); zoffers does the same with zsh
offers() {
	# shellcheck source=completions/vfiopasidctl.bash
	source "$PROJECT_DIR/completions/vfiopasidctl.bash"
	COMP_LINE="$CTL $1"
	COMP_POINT=${#COMP_LINE}
	COMPREPLY=()
	_vfiopasidctl
	printf '%s\n' "${COMPREPLY[@]}" | sort
}

@test "completion: the commands, and the global options" {
	run offers ""
	assert_output "$(printf '%s\n' caps config help hold limit metrics module monitor pasid quota reclaimed status vm)"
	run offers "m"
	assert_output "$(printf '%s\n' metrics module monitor)"
	run offers "c"
	assert_output "$(printf '%s\n' caps config)"
	run offers "-"
	assert_line --json
	assert_line --pretty
	assert_line --device
	assert_line --version
	assert_line --help
	run offers "-j st"
	assert_output status
	run offers "--device /dev/vfio-pa"
	assert_output /dev/vfio-pasid
	run offers "help q"
	assert_output quota
}

@test "completion: the subcommands of vm, quota, pasid, config and module" {
	run offers "vm "
	assert_output "$(printf '%s\n' help list show)"
	run offers "quota "
	assert_output "$(printf '%s\n' default get help set)"
	run offers "pasid "
	assert_output "$(printf '%s\n' help list)"
	run offers "module "
	assert_output "$(printf '%s\n' help load show unload)"
	run offers "module u"
	assert_output unload
	run offers "config "
	assert_output "$(printf '%s\n' apply help show)"
	run offers "help co"
	assert_output config
}

@test "completion: the options of each command" {
	run offers "hold -"
	local o
	for o in -n --count --min --max --group --json --help; do
		assert_line -- "$o"
	done
	run offers "reclaimed --"
	for o in --vm --clear --json --pretty; do
		assert_line -- "$o"
	done
	run offers "status --"
	assert_line --json
	refute_line --group
	refute_line --follow
	run offers "monitor -"
	for o in -f --follow --json --pretty; do
		assert_line -- "$o"
	done
	run offers "monitor --f"
	assert_output --follow
	run offers "module load --f"
	assert_output --file
	run offers "vm list --p"
	assert_output --pretty
	run offers "metrics -"
	for o in -o --output --json --pretty --help; do
		assert_line -- "$o"
	done
	run offers "metrics --output COPY"
	assert_output COPYING
	run offers "config apply --"
	assert_output "$(printf '%s\n' --help --json --keep --pretty --usage)"
	run offers "config show --"
	refute_line --keep
}

@test "completion: config apply completes one policy file, config show none" {
	run offers "config apply packaging/udev/90-"
	assert_output packaging/udev/90-vfio-pasid-config.rules.in
	run offers "config apply --keep packaging/udev/90-"
	assert_output packaging/udev/90-vfio-pasid-config.rules.in
	run offers "config apply COPYING "
	assert_output ""
	run offers "config show "
	assert_output ""
}

@test "completion: VM ids and pid:PID of the running VMs" {
	run offers "vm show "
	assert_output ""
	start_hold -n 1
	local vm1=$HOLD_VM pid1=$HOLD_PID
	start_hold -n 1
	local vm2=$HOLD_VM pid2=$HOLD_PID
	run offers "vm show "
	assert_output "$(printf '%s\n' "$vm1" "$vm2" "pid:$pid1" "pid:$pid2" | sort)"
	run offers "quota set "
	assert_line "$vm2"
	assert_line "pid:$pid2"
	# the second argument of quota set is a number: nothing offered
	run offers "quota set $vm1 "
	assert_output ""
	run offers "pasid list "
	assert_line "$vm1"
	run offers "reclaimed --vm "
	assert_line "pid:$pid1"
	# readline replaces only what follows the ':' of pid:
	run offers "vm show pid:$pid2"
	assert_output "$pid2"
	# a VM that ends is no longer offered
	kill "$pid2"
	wait "$pid2" 2>/dev/null || true
	run offers "vm show "
	refute_line "$vm2"
	refute_line "pid:$pid2"
	assert_line "$vm1"
}

# zoffers LINE: what zsh's completion offers after "$CTL LINE", sorted
zoffers() {
	zsh_complete "$CTL $1"
}

@test "zsh completion: VM ids and pid:PID of the running VMs" {
	run zoffers "vm show "
	assert_success
	assert_output ""
	start_hold -n 1
	local vm1=$HOLD_VM pid1=$HOLD_PID
	start_hold -n 1
	local vm2=$HOLD_VM pid2=$HOLD_PID
	run zoffers "vm show "
	assert_output "$(printf '%s\n' "$vm1" "$vm2" "pid:$pid1" "pid:$pid2" | sort)"
	run zoffers "quota get "
	assert_line "$vm2"
	assert_line "pid:$pid2"
	run zoffers "pasid list "
	assert_line "$vm1"
	run zoffers "reclaimed --vm="
	assert_line "pid:$pid1"
	kill "$pid2"
	wait "$pid2" 2>/dev/null || true
	run zoffers "vm show "
	refute_line "$vm2"
	assert_line "$vm1"
}

# A cgroup2 mount (the guest has none of its own) with /vp-comp/a and
# /vp-comp/b under its root
cg_setup() {
	CG_MNT=/sys/fs/cgroup
	grep -q " $CG_MNT cgroup2 " /proc/mounts || mount -t cgroup2 none "$CG_MNT" ||
		fail "cannot mount cgroup2"
	mkdir -p "$CG_MNT/vp-comp/a" "$CG_MNT/vp-comp/b"
}

cg_teardown() {
	rmdir "$CG_MNT/vp-comp/a" "$CG_MNT/vp-comp/b" "$CG_MNT/vp-comp" 2>/dev/null || true
}

@test "completion: cgroup paths for limit set and limit del" {
	cg_setup
	run offers "limit "
	assert_output "$(printf '%s\n' del help list set)"
	run offers "limit set /vp-c"
	assert_output /vp-comp
	run offers "limit set /vp-comp/"
	assert_output "$(printf '%s\n' /vp-comp/a /vp-comp/b)"
	run offers "limit del /vp-comp/b"
	assert_output /vp-comp/b
	run offers "limit set "
	assert_line /
	assert_line /vp-comp
	# the limit itself, and list, take no path
	run offers "limit set /vp-comp "
	assert_output ""
	run offers "limit list "
	assert_output ""
	cg_teardown
}

@test "zsh completion: cgroup paths for limit set and limit del" {
	cg_setup
	run zoffers "limit "
	assert_output "$(printf '%s\n' del list set)"
	run zoffers "limit set /vp-comp/"
	assert_output "$(printf '%s\n' /vp-comp/a /vp-comp/b)"
	run zoffers "limit del /vp-c"
	assert_line /vp-comp
	cg_teardown
}

@test "completion: no VM is offered, and nothing printed, without the module" {
	module_unload
	run offers "vm show "
	assert_success
	assert_output ""
}

@test "completion: module parameters of module load, and the backends" {
	run offers "module load "
	assert_output "$(printf '%s\n' backend= default_quota= pasid_max= pasid_min= reclaim_log_size=)"
	run offers "module load backend="
	assert_output "$(printf '%s\n' emulated native)"
	run offers "module load backend=em"
	assert_output emulated
	run offers "module load --file driver/vfio_pasid."
	assert_output driver/vfio_pasid.ko
}

@test "completion: hold -- completes a command, then its files" {
	run offers "hold -n 2 -- slee"
	assert_line sleep
	run offers "hold -- sleep COPY"
	assert_output COPYING
}
