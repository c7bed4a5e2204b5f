#!/bin/bash
bats --tap tests/bats/110-status.bats tests/bats/175-mdev-rig.bats tests/bats/185-completion.bats tests/bats/190-man-examples.bats tests/bats/200-privilege.bats tests/bats/210-module-life.bats tests/bats/220-bench.bats tests/bats/230-limit.bats tests/bats/240-metrics.bats tests/bats/250-config.bats 2>&1 | grep -v "^ok "
tests/ioctl/nesting_test 2>&1 | grep -E "^not ok|^# [0-9]+ of|Bail"
tests/ioctl/scale_test 2>&1 | grep -E "^not ok|^# [0-9]+ of|Bail"
tests/fuzz/fuzz --seconds 30 --seed 5 2>&1 | tail -2
