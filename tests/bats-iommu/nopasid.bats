#!/usr/bin/env bats
# caps on a VT-d unit in scalable mode without PASID support
# (tests/vm/run --iommu intel-nopasid): the verdicts name ECAP.PASID.
# Run by tests/check in a boot of its own; uses edu device 3 only.

load helpers

setup() {
	iommu_setup intel-nopasid
}

teardown() {
	teardown_edu3
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
	bind_edu3
	ctl caps --group "$GROUP"
	assert_line "  PASID: no — $BDF: IOMMU unit dmar0: ECAP.PASID (bit 40) is clear"
	ctl -j caps --group "$GROUP"
	jq_is '.caps.groups[0].units | tojson' '["dmar0"]'
	jq_is '.caps.groups[0].pasid.reason' "$BDF: IOMMU unit dmar0: ECAP.PASID (bit 40) is clear"
	jq_is '.caps.vm.nesting.available' true
}
