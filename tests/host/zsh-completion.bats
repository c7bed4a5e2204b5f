#!/usr/bin/env bats
# The zsh completion (completions/_vfiopasidctl) through zsh's own completion
# system, as a TAB at the end of a command line gets it (tests/zsh-complete
# drives an interactive zsh on a pseudo-terminal): commands, subcommands,
# options and module parameters.  What comes from the running system (VM
# ids, pid:PID, VFIO groups) is tested in the VM (tests/bats/185-completion.bats).

load helpers

setup_file() {
	command -v zsh >/dev/null || skip "zsh is not installed: run 'make deps'"
}

# zoffers LINE: what zsh offers after "vfiopasidctl LINE", sorted
zoffers() {
	"$TOP/tests/zsh-complete" "$TOP/completions" "vfiopasidctl $1" | sort
}

# The options every command takes
OUT_OPTS=(-j --json -p --pretty '-\?' --help --usage)

@test "zsh completion: the commands" {
	run zoffers ""
	assert_success
	assert_output "$(printf '%s\n' caps config help hold limit metrics module monitor pasid quota reclaimed status vm)"
	run zoffers "m"
	assert_output "$(printf '%s\n' metrics module monitor)"
	run zoffers "help q"
	assert_output quota
	run zoffers "help co"
	assert_output config
}

@test "zsh completion: the global options" {
	run zoffers "-"
	local o
	for o in -j --json -p --pretty -d --device -V --version --help --usage; do
		assert_line -- "$o"
	done
	run zoffers "-j st"
	assert_output status
}

@test "zsh completion: the subcommands of vm, quota, pasid and module" {
	run zoffers "vm "
	assert_output "$(printf '%s\n' list show)"
	run zoffers "quota "
	assert_output "$(printf '%s\n' default get set)"
	run zoffers "pasid "
	assert_output list
	run zoffers "module "
	assert_output "$(printf '%s\n' load show unload)"
	run zoffers "module u"
	assert_output unload
	run zoffers "config "
	assert_output "$(printf '%s\n' apply show)"
}

@test "zsh completion: the options of each command" {
	local o
	run zoffers "hold -"
	for o in -n --count --min --max --group "${OUT_OPTS[@]}"; do
		assert_line -- "$o"
	done
	run zoffers "reclaimed --"
	for o in --vm --clear --json --pretty --help --usage; do
		assert_line -- "$o"
	done
	# --vm and --clear exclude each other
	run zoffers "reclaimed --clear --"
	refute_line -- --vm
	run zoffers "caps --"
	for o in --group --json --pretty; do
		assert_line -- "$o"
	done
	run zoffers "status --"
	assert_output "$(printf '%s\n' --help --json --pretty --usage)"
	run zoffers "config show --"
	assert_output "$(printf '%s\n' --help --json --pretty --usage)"
	run zoffers "config apply --"
	assert_output "$(printf '%s\n' --help --json --keep --pretty --usage)"
}

@test "zsh completion: config apply completes a file" {
	run zoffers "config apply $TOP/packaging/udev/90-"
	assert_output 90-vfio-pasid-config.rules.in
}

@test "zsh completion: module load's parameters and backends" {
	run zoffers "module load "
	assert_output "$(printf '%s\n' backend= default_quota= pasid_max= pasid_min= reclaim_log_size=)"
	run zoffers "module load backend="
	assert_output "$(printf '%s\n' emulated native)"
	run zoffers "module load -"
	assert_line -- -f
	assert_line -- --file
}
