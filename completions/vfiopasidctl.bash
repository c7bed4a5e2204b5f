# bash completion for vfiopasidctl(8)                        -*- shell-script -*-
# shellcheck shell=bash
#
# Commands, subcommands and options; VM ids and pid:PID from the running
# system ("vfiopasidctl -j vm list"), VFIO groups from /dev/vfio/[0-9]* for
# "caps --group" and "hold --group", module parameters for "module load",
# cgroup v2 paths (from the cgroup2 mount) for "limit set" and "limit del",
# files for "metrics --output", policy files for "config apply".

# VM ids and pid:PID of the running VMs
_vfiopasidctl_vms() {
	local json
	json=$("$1" -j vm list 2>/dev/null) || return 0
	grep -o '"vm_id":[0-9]*' <<<"$json" | cut -d: -f2
	grep -o '"pid":[0-9]*' <<<"$json" | sed 's/^"pid":/pid:/'
}

# Cgroup v2 paths from the cgroup2 root: "/", then the directories one level
# below the one $cur is in ("/ma" -> "/machine.slice", "/machine.slice/" ->
# its children)
_vfiopasidctl_cgroups() {
	local mnt="" m t d base
	while read -r _ m t _; do
		if [[ $t == cgroup2 ]]; then
			mnt=$m
			break
		fi
	done </proc/mounts
	[[ -n $mnt ]] || return 0
	printf '/\n'
	base=${cur%/*}
	for d in "$mnt$base"/*/; do
		[[ -d $d ]] || continue
		d=${d%/}
		printf '%s\n' "${d#"$mnt"}"
	done
}

_vfiopasidctl_groups() {
	local g
	for g in /dev/vfio/[0-9]*; do
		[[ -e $g ]] && printf '%s\n' "${g##*/}"
	done
}

# Reply with the words of $1 that start with $cur.  readline replaces only
# the text after the last ':' or '=' of the word, so that prefix is cut off.
_vfiopasidctl_reply() {
	local w pre=""
	[[ $cur == *[:=]* ]] && pre=${cur%"${cur##*[:=]}"}
	COMPREPLY=()
	for w in $1; do
		[[ $w == "$cur"* ]] && COMPREPLY+=("${w#"$pre"}")
	done
}

_vfiopasidctl_files() {
	compopt -o filenames 2>/dev/null
	if [[ -n ${1:-} ]]; then
		mapfile -t COMPREPLY < <(compgen -d -- "$cur"; compgen -f -X "!*.$1" -- "$cur")
	else
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
	fi
}

_vfiopasidctl() {
	# The words up to the cursor, split at blanks only (COMP_WORDBREAKS
	# would split "pid:12" and "backend=native"); no bash-completion needed
	local line=${COMP_LINE:0:COMP_POINT} cur prev cword
	local -a words
	read -ra words <<<"$line"
	if [[ $line == *[[:blank:]] || ${#words[@]} -eq 0 ]]; then
		words+=("")
	fi
	cword=$((${#words[@]} - 1))
	cur=${words[cword]}
	prev=""
	((cword > 0)) && prev=${words[cword - 1]}

	local prog=${words[0]} i cmd="" sub="" cmd_at=0
	local global_opts="-j --json -p --pretty -d --device -V --version --help --usage"
	local out_opts="-j --json -p --pretty --help --usage"

	# find the command word, skipping the global options
	for ((i = 1; i < cword; i++)); do
		case ${words[i]} in
		-d | --device) ((i++)) ;;
		-*) ;;
		*)
			cmd=${words[i]}
			cmd_at=$i
			break
			;;
		esac
	done

	if [[ -z $cmd ]]; then
		case $prev in
		-d | --device)
			_vfiopasidctl_files
			return
			;;
		esac
		if [[ $cur == -* ]]; then
			mapfile -t COMPREPLY < <(compgen -W "$global_opts" -- "$cur")
		else
			mapfile -t COMPREPLY < <(compgen -W "status caps vm quota pasid limit config reclaimed metrics monitor hold module help" -- "$cur")
		fi
		return
	fi

	# the subcommand of a group, and the arguments after it
	local -a args=()
	case $cmd in
	vm | quota | pasid | limit | config | module)
		if ((cword == cmd_at + 1)); then
			case $cmd in
			vm) mapfile -t COMPREPLY < <(compgen -W "list show help" -- "$cur") ;;
			limit) mapfile -t COMPREPLY < <(compgen -W "set del list help" -- "$cur") ;;
			config) mapfile -t COMPREPLY < <(compgen -W "show apply help" -- "$cur") ;;
			quota) mapfile -t COMPREPLY < <(compgen -W "get set default help" -- "$cur") ;;
			pasid) mapfile -t COMPREPLY < <(compgen -W "list help" -- "$cur") ;;
			module) mapfile -t COMPREPLY < <(compgen -W "show load unload help" -- "$cur") ;;
			esac
			return
		fi
		sub=${words[cmd_at + 1]}
		for ((i = cmd_at + 2; i < cword; i++)); do
			[[ ${words[i]} == -* ]] || args+=("${words[i]}")
		done
		;;
	esac

	case $cmd in
	help)
		if ((cword == cmd_at + 1)); then
			mapfile -t COMPREPLY < <(compgen -W "status caps vm quota pasid limit config reclaimed metrics monitor hold module" -- "$cur")
		fi
		return
		;;
	status)
		mapfile -t COMPREPLY < <(compgen -W "$out_opts" -- "$cur")
		return
		;;
	monitor)
		mapfile -t COMPREPLY < <(compgen -W "-f --follow $out_opts" -- "$cur")
		return
		;;
	caps)
		if [[ $prev == --group ]]; then
			mapfile -t COMPREPLY < <(compgen -W "$(_vfiopasidctl_groups)" -- "$cur")
			return
		fi
		mapfile -t COMPREPLY < <(compgen -W "--group $out_opts" -- "$cur")
		return
		;;
	metrics)
		case $prev in
		-o | --output)
			_vfiopasidctl_files
			return
			;;
		esac
		mapfile -t COMPREPLY < <(compgen -W "-o --output $out_opts" -- "$cur")
		return
		;;
	reclaimed)
		if [[ $prev == --vm ]]; then
			_vfiopasidctl_reply "$(_vfiopasidctl_vms "$prog")"
			return
		fi
		mapfile -t COMPREPLY < <(compgen -W "--vm --clear $out_opts" -- "$cur")
		return
		;;
	hold)
		for ((i = cmd_at + 1; i < cword; i++)); do
			if [[ ${words[i]} == -- ]]; then
				if ((cword == i + 1)); then
					mapfile -t COMPREPLY < <(compgen -c -- "$cur")
				else
					_vfiopasidctl_files
				fi
				return
			fi
		done
		case $prev in
		-n | --count | --min | --max) return ;;
		--group)
			mapfile -t COMPREPLY < <(compgen -W "$(_vfiopasidctl_groups)" -- "$cur")
			return
			;;
		esac
		mapfile -t COMPREPLY < <(compgen -W "-n --count --min --max --group -- $out_opts" -- "$cur")
		return
		;;
	esac

	if [[ $cur == -* ]]; then
		local opts=$out_opts
		[[ $cmd/$sub == module/load ]] && opts="--file $opts"
		[[ $cmd/$sub == config/apply ]] && opts="--keep $opts"
		mapfile -t COMPREPLY < <(compgen -W "$opts" -- "$cur")
		return
	fi

	case $cmd/$sub in
	vm/show | quota/get | quota/set | pasid/list)
		if ((${#args[@]} == 0)); then
			_vfiopasidctl_reply "$(_vfiopasidctl_vms "$prog")"
		fi
		;;
	limit/set | limit/del)
		if ((${#args[@]} == 0)); then
			_vfiopasidctl_reply "$(_vfiopasidctl_cgroups)"
		fi
		;;
	config/apply)
		if ((${#args[@]} == 0)); then
			_vfiopasidctl_files
		fi
		;;
	module/load)
		case $prev in
		-f | --file)
			_vfiopasidctl_files ko
			return
			;;
		esac
		case $cur in
		backend=*)
			_vfiopasidctl_reply "backend=native backend=emulated"
			;;
		*=*) ;;
		*)
			_vfiopasidctl_reply "default_quota= pasid_min= pasid_max= reclaim_log_size= backend="
			compopt -o nospace 2>/dev/null
			;;
		esac
		;;
	esac
} &&
	complete -F _vfiopasidctl vfiopasidctl
