# shellcheck shell=bash
# tests/vm/lib.bash - helpers for bats files that run inside the test VM.
#
# Source it from a bats file (or from tests/bats/helpers.bash):
#   source "$BATS_TEST_DIRNAME/../vm/lib.bash"

VM_RIG_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)

# Skip the calling test unless it runs inside the test VM (tests/vm/run sets VM_GUEST=1).
vm_require_guest() {
	[[ ${VM_GUEST:-} == 1 ]] || skip "runs only inside the test VM (tests/vm/run)"
}

# vm_vfio_bind BDF|--edu N: bind to vfio-pci, print the IOMMU group number.
# Also --unbind and --list; see tests/vm/vfio-bind --help.
vm_vfio_bind() {
	"$VM_RIG_DIR/vfio-bind" "$@"
}

# The IOMMU group number of a PCI device (BDF as in /sys/bus/pci/devices).
vm_iommu_group() {
	basename -- "$(readlink -- "/sys/bus/pci/devices/$1/iommu_group")"
}
