#!/usr/bin/env bats
# The test VM itself: what the rest of the in-VM suite relies on.

load helpers

setup() {
	vm_require_guest
}

@test "rig: the guest has the IOMMU it was booted with" {
	case ${VM_IOMMU:-intel} in
	intel | intel-nopasid) assert [ -d /sys/class/iommu/dmar0 ] ;;
	amd) assert [ -d /sys/class/iommu/ivhd0 ] ;;
	none) skip "booted with --iommu none" ;;
	esac
}

@test "rig: the Intel IOMMU runs in scalable mode with PASID" {
	[[ ${VM_IOMMU:-intel} == intel ]] || skip "booted with --iommu $VM_IOMMU"
	local ecap
	ecap=$((0x$(cat /sys/class/iommu/dmar0/intel-iommu/ecap)))
	# ECAP.PASID is bit 40, ECAP.SMTS (scalable mode translation) bit 43
	assert [ $(((ecap >> 40) & 1)) -eq 1 ]
	assert [ $(((ecap >> 43) & 1)) -eq 1 ]
}

@test "rig: at least 4 edu devices, each in an IOMMU group of its own" {
	[[ ${VM_IOMMU:-intel} != none ]] || skip "booted with --iommu none"
	run vm_vfio_bind --list
	assert_success
	local -a bdfs groups
	mapfile -t bdfs <<<"$output"
	assert [ "${#bdfs[@]}" -ge 4 ]
	local bdf
	for bdf in "${bdfs[@]}"; do
		groups+=("$(vm_iommu_group "$bdf")")
		# alone in its group
		assert_equal "$(find "/sys/kernel/iommu_groups/${groups[-1]}/devices" -mindepth 1 -maxdepth 1 | wc -l)" 1
	done
	assert_equal "$(printf '%s\n' "${groups[@]}" | sort -u | wc -l)" "${#bdfs[@]}"
}

@test "rig: VM_SCRATCH is a writable directory" {
	assert [ -n "$VM_SCRATCH" ]
	assert [ -d "$VM_SCRATCH" ]
	local f=$VM_SCRATCH/rig.$$
	echo "scratch works" >"$f"
	assert_equal "$(cat "$f")" "scratch works"
	rm -f "$f"
}

@test "rig: the kernel runs with slub_debug" {
	run cat /proc/cmdline
	assert_output --regexp '(^| )slub_debug=FZPU( |$)'
}

@test "rig: vfio-bind binds an edu device to vfio-pci and gives it back" {
	[[ ${VM_IOMMU:-intel} != none ]] || skip "booted with --iommu none"
	local bdf group
	bdf=$(vm_vfio_bind --list | sed -n 1p)

	run vm_vfio_bind --edu 0
	assert_success
	assert_output --regexp '^[0-9]+$'
	group=$output
	assert_equal "$group" "$(vm_iommu_group "$bdf")"
	assert [ -c "/dev/vfio/$group" ]
	assert_equal "$(basename "$(readlink "/sys/bus/pci/devices/$bdf/driver")")" vfio-pci

	# binding again is a no-op that prints the same group
	run vm_vfio_bind "$bdf"
	assert_success
	assert_output "$group"

	run vm_vfio_bind --unbind --edu 0
	assert_success
	assert [ ! -e "/sys/bus/pci/devices/$bdf/driver" ]
	assert [ ! -e "/dev/vfio/$group" ]
}

@test "rig: vfio-bind refuses what it cannot do" {
	run vm_vfio_bind --edu 99
	assert_failure 1
	assert_output --partial "no edu device number 99"

	run vm_vfio_bind 0000:ff:1f.7
	assert_failure 1
	assert_output --partial "no PCI device"

	run vm_vfio_bind --bogus
	assert_failure 2
}
