# shellcheck shell=bash
# tests/tally.bash - sourced by tests/check and tests/debug/check: counts
# the TAP results of each part of a run and prints the closing line
# "N passed, M failed, K skipped".
#
# A part's output holds one or more TAP streams one after the other, each
# with its plan line "1..N" before its tests or after them. A skipped test ("ok N ... # skip
# REASON", any case) is not a pass: it is counted apart and listed with its
# reason. A stream whose plan does not match the tests it ran (a program
# that died or bailed out half way, a test run twice), or tests without a
# plan, is one failure. A
# part that exits non-zero without any of these is one failure too.

passed=0
failed=0
skipped=0

# tap_count LOG: "PASSED FAILED SKIPPED BAD_PLANS"; skips and bad plans
# described on stdout before it, one line each ("skipped: ...", "plan: ...")
tap_count() {
	awk '
	# a stream ends: its plan must match what ran, and tests need a plan
	function close_stream() {
		if (planned >= 0 && ran != planned)
			report(sprintf("%d tests planned (line %d), %d ran", planned, plan_line, ran))
		else if (planned < 0 && ran > 0)
			report(sprintf("%d tests ran without a plan (up to line %d)", ran, NR))
		planned = -1; ran = 0; bail = ""
	}
	function report(what) {
		bad++
		printf "plan: %s%s\n", what, bail != "" ? "; " bail : ""
	}
	BEGIN { planned = -1; ran = 0; bad = 0; passed = 0; failed = 0; skipped = 0; bail = "" }
	/^1\.\.[0-9]+/ {
		n = substr($1, 4) + 0
		if (planned < 0 && ran > 0) {
			# a plan after its tests
			if (ran != n)
				report(sprintf("%d tests planned (line %d, after them), %d ran", n, NR, ran))
			planned = -1; ran = 0; bail = ""
		} else {
			close_stream()
			planned = n; plan_line = NR
		}
		next
	}
	/^Bail out!/ { bail = $0; next }
	/^(not )?ok [0-9]+/ {
		# a plan given first, complete: what follows is another stream
		if (planned >= 0 && ran == planned)
			close_stream()
		ran++
	}
	/^not ok [0-9]+/ { failed++; next }
	/^ok [0-9]+/ {
		if (tolower($0) ~ /# skip/) {
			skipped++
			reason = $0
			sub(/^ok [0-9]+ (- )?/, "", reason)
			printf "skipped: %s\n", reason
		} else {
			passed++
		}
		next
	}
	END { close_stream(); printf "%d %d %d %d\n", passed, failed, skipped, bad }
	' "$1"
}

# tally NAME LOG STATUS: adds the results of part NAME (its output in LOG,
# its exit status STATUS) to the totals and says what they were
tally() {
	local name=$1 log=$2 status=$3 out counts ok notok skip bad
	out=$(tap_count "$log")
	counts=$(tail -n 1 <<<"$out")
	read -r ok notok skip bad <<<"$counts"
	grep -v -x -F -- "$counts" <<<"$out" | sed "s/^/== $name: /"
	passed=$((passed + ok))
	failed=$((failed + notok + bad))
	skipped=$((skipped + skip))
	if [ "$status" -ne 0 ] && [ "$notok" -eq 0 ] && [ "$bad" -eq 0 ]; then
		echo "== $name: exited $status with no failed test: counted as one failure"
		failed=$((failed + 1))
	fi
	echo "== $name: $ok passed, $((notok + bad)) failed, $skip skipped (exit $status)"
}

# tally_end: the closing line; its status is the run's
tally_end() {
	echo
	echo "$passed passed, $failed failed, $skipped skipped"
	[ "$failed" -eq 0 ]
}
