#!/usr/bin/env bats
# caps on a VT-d unit in scalable mode without PASID support
# (tests/vm/run --iommu intel-nopasid): the verdicts name ECAP.PASID.
# Run by tests/check in a boot of its own; uses edu device 3 only.

load ../bats/helpers

setup() {
	require_module
	[[ ${VM_IOMMU:-} == intel-nopasid ]] || skip "needs tests/vm/run --iommu intel-nopasid"
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

@test "intel-nopasid: dmar0 has SMTS but not PASID: PASID no, naming ECAP.PASID (bit 40)" {
	ctl caps
	assert_line --regexp '^  ecap 480080f00f4a: .*SMTS SLTS; 1-bit PASIDs$'
	assert_line "  PASID: no — ECAP.PASID (bit 40) is clear"
	assert_line "  nesting: no — ECAP.PASID (bit 40), ECAP.NEST (bit 26) and ECAP.FLTS (bit 47) are clear"
	ctl -j caps
	jq_is '[.caps.units[].name] | join(",")' dmar0
	jq_is '.caps.units[0].registers.ecap' 480080f00f4a
	jq_is '.caps.units[0].bits.ecap | index("PASID")' null
	jq_is '.caps.units[0].bits.ecap | index("SMTS") != null' true
	jq_is '.caps.units[0].pasid | tojson' '{"usable":false,"missing":["ECAP.PASID"],"reason":"ECAP.PASID (bit 40) is clear"}'
	jq_is '.caps.units[0].nesting.missing | join(",")' ECAP.PASID,ECAP.NEST,ECAP.FLTS
}

@test "intel-nopasid: caps --group: the group's PASID verdict names the unit's missing bit" {
	module_load
	local group bdf
	group=$(vm_vfio_bind --edu 3) || fail "cannot bind edu device 3"
	bdf=$(vm_vfio_bind --list | sed -n 4p)
	ctl caps --group "$group"
	assert_line "  PASID: no — $bdf: IOMMU unit dmar0: ECAP.PASID (bit 40) is clear"
	ctl -j caps --group "$group"
	jq_is '.caps.groups[0].units | tojson' '["dmar0"]'
	jq_is '.caps.groups[0].pasid.reason' "$bdf: IOMMU unit dmar0: ECAP.PASID (bit 40) is clear"
	jq_is '.caps.vm.nesting.available' true
}
