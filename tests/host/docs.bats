#!/usr/bin/env bats
# The manual pages and completions against the code: every command, option,
# exit status, ioctl, netlink command, module parameter and errno the code
# has is written down, the pages are lint-clean, the zsh completion parses.
# Runs on the host, needs the CLI built (make cli).
# shellcheck disable=SC2154 # $output, $status, $lines: set by run

bats_require_minimum_version 1.5.0
bats_load_library bats-support
bats_load_library bats-assert

setup_file() {
	TOP=$(cd -- "$BATS_TEST_DIRNAME/../.." && pwd)
	CTL=$TOP/cli/vfiopasidctl
	HDR=$TOP/driver/include/uapi/linux/vfio_pasid.h
	NLHDR=$TOP/driver/include/uapi/linux/vfio_pasid_netlink.h
	# the pages as a reader sees them: no roff escapes, no line-end hyphens
	TEXT8=$BATS_FILE_TMPDIR/vfiopasidctl.8.txt
	TEXT4=$BATS_FILE_TMPDIR/vfio_pasid.4.txt
	MANWIDTH=400 mandoc -T ascii -O width=400 "$TOP/man/vfiopasidctl.8" | col -b >"$TEXT8"
	MANWIDTH=400 mandoc -T ascii -O width=400 "$TOP/man/vfio_pasid.4" | col -b >"$TEXT4"
	TEXT5=$BATS_FILE_TMPDIR/vfio-pasid.conf.5.txt
	MANWIDTH=400 mandoc -T ascii -O width=400 "$TOP/man/vfio-pasid.conf.5" | col -b >"$TEXT5"
	export TOP CTL HDR NLHDR TEXT8 TEXT4 TEXT5
	[[ -x $CTL ]] || {
		echo "cli/vfiopasidctl is not built: run 'make cli'" >&2
		return 1
	}
}

# missing FILE WORD...: prints the WORDs that FILE does not contain
missing() {
	local file=$1 w
	shift
	for w in "$@"; do
		grep -qF -- "$w" "$file" || echo "$w"
	done
}

# The commands of "vfiopasidctl --help", as "vm show", "status"...
help_commands() {
	"$CTL" --help | sed -n '/^Commands:/,/^$/p' |
		sed -n 's/^  \([a-z]\+\( [a-z]\+\)\?\)\( .*\)\?$/\1/p' |
		sed 's/ \([A-Z[].*\)//'
}

# The long options of one command's --help (argp's "      --name" lines)
help_options() {
	"$@" --help | grep -oE '^ +(-[a-zA-Z?], )?--[a-z][a-z-]*' |
		grep -oE -- '--[a-z][a-z-]*'
}

@test "the man pages are mandoc -Tlint clean" {
	run mandoc -T lint -W warning "$TOP/man/vfiopasidctl.8" "$TOP/man/vfio_pasid.4" \
		"$TOP/man/vfio-pasid.conf.5"
	assert_success
	assert_output ""
}

@test "vfiopasidctl(8) names every command and subcommand of --help" {
	run help_commands
	assert_success
	# the list itself is sound: the ten commands, the subcommands of four
	assert_line "status"
	assert_line "vm show"
	assert_line "module load"
	[[ ${#lines[@]} -ge 14 ]] || fail "only ${#lines[@]} commands parsed from --help"
	local -a cmds=("${lines[@]}")
	run missing "$TEXT8" "${cmds[@]}"
	assert_output ""
}

@test "vfiopasidctl(8) names every option of every command" {
	local c opts=()
	mapfile -t -O "${#opts[@]}" opts < <(help_options "$CTL")
	for c in status caps monitor metrics hold reclaimed "vm list" "vm show" \
		"quota get" "quota set" "quota default" "pasid list" \
		"module show" "module load" "module unload" "limit set" "limit del" \
		"limit list" "config show" "config apply"; do
		# shellcheck disable=SC2086 # the command's words
		mapfile -t -O "${#opts[@]}" opts < <(help_options "$CTL" $c)
	done
	# each command has --json and --help at least: the parse worked
	[[ ${#opts[@]} -ge 40 ]] || fail "only ${#opts[@]} options parsed"
	mapfile -t opts < <(printf '%s\n' "${opts[@]}" | sort -u)
	run missing "$TEXT8" "${opts[@]}"
	assert_output ""
}

@test "vfiopasidctl(8) gives every exit status, and --help the same" {
	run sed -n '/^EXIT STATUS/,/^[A-Z]/p' "$TEXT8"
	local s
	for s in 0 1 2 3 4; do
		assert_line --regexp "^ +$s( |$)"
	done
	run "$CTL" --help
	assert_output --partial "Exit status: 0 success, 1 the operation failed, 2 usage error, 3 module not"
}

@test "vfio_pasid(4) names every ioctl of the uAPI header" {
	local -a ioctls
	mapfile -t ioctls < <(sed -n 's/^#define[[:space:]]\+\([A-Z_0-9]\+\)[[:space:]]\+_IO(.*/\1/p' "$HDR")
	[[ ${#ioctls[@]} -eq 8 ]] || fail "expected 8 ioctls in the header, found ${#ioctls[@]}"
	run missing "$TEXT4" "${ioctls[@]}"
	assert_output ""
}

@test "vfio_pasid(4) names every netlink command" {
	local -a cmds
	mapfile -t cmds < <(grep -oE 'VFIO_PASID_CMD_[A-Z_]+' "$NLHDR" |
		grep -vE '_(UNSPEC|MAX)$' | sort -u)
	[[ ${#cmds[@]} -eq 18 ]] || fail "expected 18 commands in the header, found ${#cmds[@]}"
	run missing "$TEXT4" "${cmds[@]}"
	assert_output ""
}

@test "vfio_pasid(4) names every module parameter, with the module's own list" {
	local -a params
	mapfile -t params < <(grep -oE 'module_param(_named|_cb)?\([a-z_]+' "$TOP/driver/main.c" |
		sed 's/.*(//' | sort -u)
	assert_equal "${params[*]}" "backend default_quota pasid_max pasid_min reclaim_log_size"
	run missing "$TEXT4" "${params[@]}"
	assert_output ""
	run missing "$TEXT8" "${params[@]}"
	assert_output ""
}

@test "vfio_pasid(4) lists every errno of the uAPI header in ERRORS" {
	local -a errnos
	mapfile -t errnos < <(grep -oE '^ \* E[A-Z0-9]+ ' "$HDR" | tr -d ' *' | sort -u)
	[[ ${#errnos[@]} -ge 10 ]] || fail "only ${#errnos[@]} errnos in the header"
	sed -n '/^ERRORS/,/^SEE ALSO/p' "$TEXT4" >"$BATS_TEST_TMPDIR/errors"
	run missing "$BATS_TEST_TMPDIR/errors" "${errnos[@]}"
	assert_output ""
}

@test "the completions: bash parses, zsh parses, both name every command" {
	run bash -n "$TOP/completions/vfiopasidctl.bash"
	assert_success
	if command -v zsh >/dev/null; then
		run zsh -n "$TOP/completions/_vfiopasidctl"
		assert_success
	fi
	local c
	for c in status caps vm quota pasid limit config reclaimed monitor hold module help; do
		grep -qw -- "$c" "$TOP/completions/vfiopasidctl.bash" || fail "bash completion lacks $c"
		grep -qw -- "$c" "$TOP/completions/_vfiopasidctl" || fail "zsh completion lacks $c"
	done
}

@test "vfio-pasid.conf(5): the keywords, the file, the rule and the commands that read it" {
	run missing "$TEXT5" default_quota "limit CGROUP N" /etc/vfio-pasid.conf \
		90-vfio-pasid-config.rules "config apply" "config show" --keep \
		"nothing changed"
	assert_output ""
	# the keywords the parser knows are the page's
	run grep -c -E '"(default_quota|limit)"' "$TOP/cli/conf.c"
	assert_output 2
	run missing "$TEXT8" vfio-pasid.conf /etc/vfio-pasid.conf
	assert_output ""
}
