#!/usr/bin/env bats
# The mdev rig: tests/vm/mdev and its module tests/mdev/vp_mdev_test.ko give
# mediated devices, each in a VFIO group of its own, on an IOMMU-backed
# parent (edu device 2) or on a parent with no IOMMU group.  Uses edu device
# 2 only (0 and 1 are for vfio-pci tests, 3 for others); every test ends with
# the module unloaded and edu 2 unbound.

load helpers

MDEV=$PROJECT_DIR/tests/vm/mdev
MDEV_KO=$PROJECT_DIR/tests/mdev/vp_mdev_test.ko
MDEV_MODULE=vp_mdev_test
MDEV_TYPE=vp_mdev_test-1
VIRTUAL_PARENT=/sys/devices/platform/vp_mdev_virtual
UUID_RE='[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'

setup() {
	vm_require_guest
	[[ -f $MDEV_KO ]] || skip "tests/mdev/vp_mdev_test.ko is not built (make tests)"
	EDU2=$(vm_vfio_bind --list | sed -n 3p)
	[[ -n $EDU2 ]] || skip "the guest has no edu device 2"
}

teardown() {
	"$MDEV" unload || fail "mdev unload failed"
}

teardown_file() {
	"$MDEV" unload
	edu2=$(vm_vfio_bind --list | sed -n 3p)
	[[ -z $edu2 || ! -e /sys/bus/pci/devices/$edu2/driver ]]
}

require_iommu() {
	[[ ${VM_IOMMU:-intel} != none ]] || skip "booted with --iommu none"
}

# mdev_create ARGS: "mdev create ARGS", checked; sets UUID and GROUP
mdev_create() {
	run "$MDEV" create "$@"
	assert_success
	assert_output --regexp "^$UUID_RE [0-9]+\$"
	UUID=${output% *}
	GROUP=${output#* }
}

# mdev_create_both: an mdev on edu 2 (sets EDU_UUID and EDU_GROUP), then one
# on the parent with no IOMMU group (sets UUID and GROUP)
mdev_create_both() {
	mdev_create --edu 2
	EDU_UUID=$UUID
	EDU_GROUP=$GROUP
	mdev_create --virtual
}

# The devices of IOMMU group $1, one a line
group_devices() {
	find "/sys/kernel/iommu_groups/$1/devices" -mindepth 1 -maxdepth 1 -printf '%f\n'
}

# The sysfs directory of the mdev's parent device
mdev_parent() {
	local path
	path=$(readlink -f "/sys/bus/mdev/devices/$1") || return 1
	echo "${path%/*}"
}

# assert_vfio_usable GROUP UUID: the group opens, and vfio_use gets through
# all of its steps
assert_vfio_usable() {
	local fd
	exec {fd}<>"/dev/vfio/$1"
	assert [ -c "/proc/$BASHPID/fd/$fd" ]
	exec {fd}>&-
	run vfio_use "$1" "$2"
	assert_success
	assert_output "$(printf '%s\n' viable set_container set_iommu device_fd)"
}

# vfio_use GROUP UUID: opens the group, checks it is viable, sets a container
# and type1v2 on it and opens the device: prints what worked
vfio_use() {
	local py=/usr/bin/python3
	[[ -x $py ]] || skip "no $py"
	"$py" - "$1" "$2" <<'EOF'
import fcntl, os, struct, sys

VFIO_SET_IOMMU = 0x3B66             # _IO(';', 100 + 2)
VFIO_GROUP_GET_STATUS = 0x3B67      # _IO(';', 100 + 3)
VFIO_GROUP_SET_CONTAINER = 0x3B68   # _IO(';', 100 + 4)
VFIO_GROUP_GET_DEVICE_FD = 0x3B6A   # _IO(';', 100 + 6)
VFIO_TYPE1v2_IOMMU = 3
VIABLE = 1 << 0

group, uuid = sys.argv[1], sys.argv[2]
g = os.open("/dev/vfio/" + group, os.O_RDWR)
status = bytearray(struct.pack("II", 8, 0))
fcntl.ioctl(g, VFIO_GROUP_GET_STATUS, status)
if struct.unpack("II", status)[1] & VIABLE:
    print("viable")
c = os.open("/dev/vfio/vfio", os.O_RDWR)
fcntl.ioctl(g, VFIO_GROUP_SET_CONTAINER, struct.pack("i", c))
print("set_container")
fcntl.ioctl(c, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU)
print("set_iommu")
d = fcntl.ioctl(g, VFIO_GROUP_GET_DEVICE_FD, bytearray(uuid.encode() + b"\0"))
print("device_fd" if d >= 0 else "no device fd")
os.close(d)
os.close(c)
os.close(g)
EOF
}

@test "mdev: create --edu 2: an mdev in a group of its own, under edu 2, which has its own group" {
	require_iommu
	mdev_create --edu 2
	assert [ -c "/dev/vfio/$GROUP" ]
	# the group holds the mdev and nothing else
	assert_equal "$(group_devices "$GROUP")" "$UUID"
	assert_equal "$(basename "$(readlink "/sys/bus/mdev/devices/$UUID/iommu_group")")" "$GROUP"
	assert_equal "$(basename "$(readlink "/sys/bus/mdev/devices/$UUID/mdev_type")")" "$MDEV_TYPE"
	# its parent is edu 2, bound to vp_mdev_test, alone in another group
	local parent pgroup
	parent=$(mdev_parent "$UUID")
	assert_equal "$parent" "$(readlink -f "/sys/bus/pci/devices/$EDU2")"
	assert_equal "$(basename "$(readlink "$parent/driver")")" "$MDEV_MODULE"
	assert [ -L "$parent/iommu_group" ]
	pgroup=$(vm_iommu_group "$EDU2")
	assert [ "$pgroup" != "$GROUP" ]
	assert_equal "$(group_devices "$pgroup")" "$EDU2"
	assert [ -d "$parent/mdev_supported_types/$MDEV_TYPE/devices/$UUID" ]

	run "$MDEV" list
	assert_success
	assert_output "$UUID $GROUP $EDU2"
}

@test "mdev: create --virtual: an mdev in a group of its own, whose parent has no IOMMU group" {
	mdev_create --virtual
	assert [ -c "/dev/vfio/$GROUP" ]
	assert_equal "$(group_devices "$GROUP")" "$UUID"
	local parent
	parent=$(mdev_parent "$UUID")
	assert_equal "$parent" "$VIRTUAL_PARENT"
	assert [ ! -e "$parent/iommu_group" ]
	# a platform device, bound to the module's platform driver
	assert_equal "$(readlink -f "$parent/subsystem")" /sys/bus/platform
	assert_equal "$(basename "$(readlink "$parent/driver")")" "$MDEV_MODULE"
	assert [ -d "$parent/mdev_supported_types/$MDEV_TYPE/devices/$UUID" ]

	run "$MDEV" list
	assert_success
	assert_output "$UUID $GROUP vp_mdev_virtual"
}

@test "mdev: every mdev gets a group of its own, on either parent" {
	require_iommu
	local -a uuids groups
	local i
	for i in 1 2; do
		mdev_create_both
		uuids+=("$EDU_UUID" "$UUID")
		groups+=("$EDU_GROUP" "$GROUP")
	done
	assert_equal "$(printf '%s\n' "${uuids[@]}" | sort -u | wc -l)" 4
	assert_equal "$(printf '%s\n' "${groups[@]}" | sort -u | wc -l)" 4
	for i in 0 1 2 3; do
		assert_equal "$(group_devices "${groups[i]}")" "${uuids[i]}"
	done
	run "$MDEV" list
	assert_success
	assert_equal "${#lines[@]}" 4
}

@test "mdev: the group opens; a container, type1v2 and the device fd work on it" {
	require_iommu
	mdev_create_both
	assert_vfio_usable "$EDU_GROUP" "$EDU_UUID"
	assert_vfio_usable "$GROUP" "$UUID"
}

@test "mdev: remove takes the mdev and its group away, and only that one" {
	require_iommu
	mdev_create_both

	run "$MDEV" remove "$EDU_UUID"
	assert_success
	assert_output ""
	assert [ ! -e "/sys/bus/mdev/devices/$EDU_UUID" ]
	assert [ ! -e "/dev/vfio/$EDU_GROUP" ]
	assert [ ! -e "/sys/kernel/iommu_groups/$EDU_GROUP" ]
	# edu 2 stays a parent, the other mdev stays
	assert_equal "$(basename "$(readlink "/sys/bus/pci/devices/$EDU2/driver")")" "$MDEV_MODULE"
	run "$MDEV" list
	assert_success
	assert_output "$UUID $GROUP vp_mdev_virtual"

	run "$MDEV" remove "$UUID"
	assert_success
	assert [ ! -e "/dev/vfio/$GROUP" ]
	run "$MDEV" list
	assert_success
	assert_output ""

	run "$MDEV" remove "$UUID"
	assert_failure 1
	assert_output "mdev: no mdev $UUID"
}

@test "mdev: unload leaves nothing behind" {
	require_iommu
	mdev_create_both

	run "$MDEV" unload
	assert_success
	assert_output ""
	assert [ ! -d "/sys/module/$MDEV_MODULE" ]
	assert [ ! -e "/sys/bus/mdev/devices/$EDU_UUID" ]
	assert [ ! -e "/sys/bus/mdev/devices/$UUID" ]
	assert [ ! -e "/dev/vfio/$EDU_GROUP" ]
	assert [ ! -e "/dev/vfio/$GROUP" ]
	assert [ ! -e "/sys/kernel/iommu_groups/$EDU_GROUP" ]
	assert [ ! -e "/sys/kernel/iommu_groups/$GROUP" ]
	assert [ ! -e "$VIRTUAL_PARENT" ]
	assert [ ! -e "/sys/bus/pci/devices/$EDU2/driver" ]
	assert [ ! -e "/sys/bus/pci/devices/$EDU2/mdev_supported_types" ]
	assert_equal "$(cat "/sys/bus/pci/devices/$EDU2/driver_override")" "(null)"
	# edu 2 is back in its group, alone
	assert_equal "$(group_devices "$(vm_iommu_group "$EDU2")")" "$EDU2"

	# again: nothing to do
	run "$MDEV" unload
	assert_success
	run "$MDEV" list
	assert_success
	assert_output ""
}

@test "mdev: vfio-bind --driver vp_mdev_test binds edu 2 and gives it back" {
	require_iommu
	local m
	for m in vfio mdev; do modprobe "$m"; done
	insmod "$MDEV_KO"

	run vm_vfio_bind --driver "$MDEV_MODULE" --edu 2
	assert_success
	assert_output "$(vm_iommu_group "$EDU2")"
	assert_equal "$(basename "$(readlink "/sys/bus/pci/devices/$EDU2/driver")")" "$MDEV_MODULE"
	assert_equal "$(cat "/sys/bus/pci/devices/$EDU2/driver_override")" "$MDEV_MODULE"
	assert [ -d "/sys/bus/pci/devices/$EDU2/mdev_supported_types/$MDEV_TYPE" ]

	# again: a no-op that prints the same group
	run vm_vfio_bind --driver "$MDEV_MODULE" "$EDU2"
	assert_success
	assert_output "$(vm_iommu_group "$EDU2")"

	# --unbind of another driver leaves it alone
	run vm_vfio_bind --unbind --edu 2
	assert_success
	assert_equal "$(basename "$(readlink "/sys/bus/pci/devices/$EDU2/driver")")" "$MDEV_MODULE"

	run vm_vfio_bind --unbind --driver "$MDEV_MODULE" --edu 2
	assert_success
	assert [ ! -e "/sys/bus/pci/devices/$EDU2/driver" ]
	assert_equal "$(cat "/sys/bus/pci/devices/$EDU2/driver_override")" "(null)"

	run vm_vfio_bind --driver no_such_driver --edu 2
	assert_failure 1
	assert_output --partial "no PCI driver no_such_driver"
	run vm_vfio_bind --driver
	assert_failure 2
}

@test "mdev: usage errors exit 2, failures exit 1" {
	run "$MDEV"
	assert_failure 2
	run "$MDEV" --bogus
	assert_failure 2
	run "$MDEV" create
	assert_failure 2
	run "$MDEV" create --edu
	assert_failure 2
	run "$MDEV" create --edu x
	assert_failure 2
	run "$MDEV" create --virtual 1
	assert_failure 2
	run "$MDEV" remove not-a-uuid
	assert_failure 2
	run "$MDEV" list extra
	assert_failure 2

	run "$MDEV" create --edu 99
	assert_failure 1
	assert_output --partial "no edu device number 99"
	run "$MDEV" remove 00000000-0000-0000-0000-000000000000
	assert_failure 1
	assert_output "mdev: no mdev 00000000-0000-0000-0000-000000000000"
	run "$MDEV" --help
	assert_success
	assert_output --partial "Usage: mdev create --edu N | --virtual"
}
