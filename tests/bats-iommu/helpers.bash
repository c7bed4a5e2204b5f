# shellcheck shell=bash
# tests/bats-iommu/helpers.bash - loaded by the files of tests/bats-iommu
# (load helpers): caps on the rig's other IOMMUs, a boot of its own each.

load ../bats/helpers

# iommu_setup KIND: every test's setup: the module built, the guest booted
# with tests/vm/run --iommu KIND (else the test is skipped), no module loaded
iommu_setup() {
	require_module
	[[ ${VM_IOMMU:-} == "$1" ]] || skip "needs tests/vm/run --iommu $1"
	module_unload
}

# bind_edu3: binds edu device 3 to vfio-pci; sets GROUP (its VFIO group)
# and BDF (its PCI address)
# shellcheck disable=SC2034 # GROUP, BDF: for the bats files
bind_edu3() {
	GROUP=$(vm_vfio_bind --edu 3) || fail "cannot bind edu device 3"
	BDF=$(vm_vfio_bind --list | sed -n 4p)
}

# teardown_edu3: the teardown of a file whose tests bind edu device 3: ends
# what holds it, gives it back, then teardown_module
teardown_edu3() {
	kill_holders
	vm_vfio_bind --unbind --edu 3 >/dev/null 2>&1 || true
	teardown_module
}

teardown_file() {
	assert_module_gone
}
