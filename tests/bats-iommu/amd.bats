#!/usr/bin/env bats
# caps on QEMU's AMD-Vi unit (tests/vm/run --iommu amd): ivhd0 decoded
# from cap 1f03000f and Linux 6.1's features "EFR2:EFR" 0:29d3.
# Run by tests/check in a boot of its own; uses edu device 3 only.

load helpers

setup() {
	iommu_setup amd
}

teardown() {
	teardown_edu3
}

@test "amd: ivhd0 decoded from features 0:29d3 (EFR 29d3: GT, PPR): PASID and nesting yes" {
	ctl caps
	assert_line "unit ivhd0: AMD-Vi"
	assert_line "  cap 1f03000f: IOTLBSup HtTunnel NpCache EFRSup CapExt"
	assert_line --regexp '^  features 0:29d3 \(efr2:efr\): EFR 29d3: PREFETCH PPR GT IA GA HE; EFR2 0; .*1-bit PASIDs$'
	assert_line "  PASID: yes"
	assert_line "  nesting: yes"
	ctl -j caps
	jq_is '[.caps.units[].name] | join(",")' ivhd0
	jq_is '.caps.units[0].type' amd-vi
	jq_is '.caps.units[0].registers | tojson' '{"cap":"1f03000f","features":"0:29d3","efr":"29d3","efr2":"0"}'
	jq_is '.caps.units[0].features_order' efr2:efr
	jq_is '.caps.units[0].bits.efr | join(" ")' "PREFETCH PPR GT IA GA HE"
	jq_is '.caps.units[0].pasid_bits' 1
	jq_is '.caps.units[0].address_width' 64
	jq_is '.caps.units[0].pasid.usable' true
	jq_is '.caps.units[0].nesting.usable' true
	jq_is '.caps.units[0].error' null
}

@test "amd: caps --group: the group's device is behind ivhd0" {
	module_load
	bind_edu3
	ctl -j caps --group "$GROUP"
	jq_is '.caps.container.iommu_type' type1v2
	jq_is '.caps.groups[0].units | tojson' '["ivhd0"]'
	jq_is '.caps.groups[0].devices[0] | [.device, .iommu_unit] | tojson' "[\"$BDF\",\"ivhd0\"]"
	jq_is '.caps.groups[0].pasid.reason' "$BDF has no PCI PASID capability"
	jq_is '[.caps.units[].name] | join(",")' ivhd0
}
