#!/usr/bin/env bats
# caps without an IOMMU (tests/vm/run --iommu none): no unit, no group,
# still exit 0.  Run by tests/check in a boot of its own.

load helpers

setup() {
	iommu_setup none
}

teardown() {
	teardown_module
}

@test "none: caps finds no IOMMU unit and exits 0, with the module or without" {
	ctl caps
	assert_line "IOMMU units: none"
	ctl -j caps
	jq_is '.caps.units | tojson' '[]'
	jq_is '.caps.groups | tojson' '[]'
	module_load
	ctl -j caps
	jq_is '.caps.units | tojson' '[]'
	jq_is '.caps.module' live
	jq_is '.caps.uapi_version' 1
}

@test "none: caps --group of a group that cannot exist: exit 1, in words" {
	module_load
	ctl 1 caps --group 0
	assert_stderr "vfiopasidctl: caps: VFIO group 0: /dev/vfio/0 does not exist: there is no IOMMU group 0"
	assert_output ""
}
