#!/usr/bin/env bats
# vfiopasidctl caps, hold --group, and what vm show, pasid list and status
# show of groups, devices and bindings.  Uses edu device 3 only (0 and 1
# belong to the ioctl tests, 2 to the mdev tests) and, for a group that is
# not viable, the chipset's SMBus function (which shares its group).

load helpers

# The QEMU VT-d unit of the default guest (tests/vm/run --iommu intel)
QEMU_CAP=d2008c222f0686
QEMU_ECAP=490080f00f4a
NATIVE_REASON="the native backend cannot nest: this kernel has no API to bind guest first-level page tables (Linux 5.18 removed it)"
SMBUS=0000:00:1f.3
LPC=0000:00:1f.0
LPC_BOUND=

setup() {
	require_module
	[[ ${VM_IOMMU:-intel} == intel ]] || skip "needs the default Intel guest (booted with --iommu ${VM_IOMMU:-})"
	module_unload
	EDU_BDF=$(vm_vfio_bind --list | sed -n 4p)
	[[ -n $EDU_BDF ]] || skip "no edu device 3"
}

teardown() {
	kill_holders
	vm_vfio_bind --unbind --edu 3 >/dev/null 2>&1 || true
	if [[ -e /sys/bus/pci/devices/$SMBUS/driver_override &&
		$(<"/sys/bus/pci/devices/$SMBUS/driver_override") == vfio-pci ]]; then
		vm_vfio_bind --unbind "$SMBUS" >/dev/null 2>&1 || true
	fi
	if [[ -n $LPC_BOUND ]]; then
		echo "$LPC" >/sys/bus/pci/drivers/lpc_ich/unbind 2>/dev/null || true
		modprobe -r lpc_ich 2>/dev/null || true
	fi
	teardown_module
}

teardown_file() {
	assert_module_gone
}

# bind_edu3: edu device 3 to vfio-pci; sets GROUP
bind_edu3() {
	GROUP=$(vm_vfio_bind --edu 3) || fail "cannot bind edu device 3 to vfio-pci"
}

@test "caps without the module: dmar0 decoded, PASID yes, nesting no (NEST, FLTS); exit 0" {
	ctl caps
	assert_line "module: not loaded (run 'vfiopasidctl module load')"
	assert_line "unit dmar0: Intel VT-d, version 1:0, at fed90000"
	assert_line --regexp "^  cap $QEMU_CAP: .*CM.*; address width 48, SAGAW 39 48, 65536 domains\$"
	assert_line --regexp "^  ecap $QEMU_ECAP: .*PASID SMTS SLTS; 1-bit PASIDs\$"
	assert_line "  PASID: yes"
	assert_line "  nesting: no — ECAP.NEST (bit 26) and ECAP.FLTS (bit 47) are clear"
	assert_line --partial "  note: ECAP.PRS (bit 29) is clear"
	refute_output --partial "VFIO container"
	ctl -j caps
	assert_equal "${#lines[@]}" 1
	jq_is '.caps | keys_unsorted | join(",")' module,uapi_version,backend,backend_nesting,container,vm,groups,units
	jq_is '.caps.module' "not loaded"
	jq_is '[.caps.uapi_version, .caps.backend, .caps.backend_nesting, .caps.container, .caps.vm] | tojson' '[null,null,null,null,null]'
	jq_is '.caps.groups | tojson' '[]'
	jq_is '[.caps.units[].name] | join(",")' dmar0
	jq_is '.caps.units[0] | keys_unsorted | join(",")' \
		name,type,version,address,registers,bits,address_width,pasid_bits,sagaw,domains,domains_used,pasid,nesting,notes,error
	jq_is '.caps.units[0].type' intel-vtd
	jq_is '.caps.units[0].registers | tojson' "{\"cap\":\"$QEMU_CAP\",\"ecap\":\"$QEMU_ECAP\"}"
	jq_is '.caps.units[0].bits.ecap | join(" ")' "QI IR PT SRS PASID SMTS SLTS"
	jq_is '.caps.units[0] | [.address_width, .pasid_bits, .domains] | tojson' '[48,1,65536]'
	jq_is '.caps.units[0].sagaw | tojson' '[39,48]'
	jq_is '.caps.units[0].pasid | tojson' '{"usable":true,"missing":[],"reason":null}'
	jq_is '.caps.units[0].nesting.usable' false
	jq_is '.caps.units[0].nesting.missing | join(",")' ECAP.NEST,ECAP.FLTS
	jq_is '.caps.units[0].nesting.reason' "ECAP.NEST (bit 26) and ECAP.FLTS (bit 47) are clear"
	jq_is '.caps.units[0].error' null
	ctl -p caps
	assert [ "${#lines[@]}" -gt 20 ]
	jq_is '.caps.units[0].name' dmar0
}

@test "caps needs no privilege and no VFIO group" {
	ctl_as_nobody -j caps
	jq_is '.caps.units[0].pasid.usable' true
	module_load
	ctl_as_nobody -j caps
	jq_is '.caps.module' live
	jq_is '.caps.uapi_version' 1
	jq_is '.caps.backend' emulated
}

@test "caps with the module: uAPI version, backend and its nesting; no VM is made" {
	module_load backend=native
	ctl caps
	assert_line "module: live"
	assert_line "uAPI version: 1"
	assert_line "backend: native"
	assert_line "backend nesting: no — $NATIVE_REASON"
	assert_line "  PASID: yes"
	ctl -j caps
	jq_is '.caps.module' live
	jq_is '.caps.uapi_version' 1
	jq_is '.caps.backend' native
	jq_is '.caps.backend_nesting | tojson' "{\"available\":false,\"reason\":\"$NATIVE_REASON\"}"
	jq_is '[.caps.container, .caps.vm] | tojson' '[null,null]'
	module_load backend=emulated
	ctl -j caps
	jq_is '.caps.backend' emulated
	jq_is '.caps.backend_nesting | tojson' '{"available":true,"pasid_format":"intel-vtd","addr_width":48,"pasid_bits":20}'
	ctl caps
	assert_line "backend nesting: yes (format intel-vtd, address width 48, 20-bit PASIDs)"
	ctl -j reclaimed
	jq_is '.reclaimed | length' 0
	ctl -j status
	jq_is '.status.totals.allocated' 0
}

@test "caps --group N: a real container (type1v2), the group attached, no nesting with backend native" {
	module_load backend=native
	bind_edu3
	ctl -j caps --group "$GROUP"
	assert_equal "${#lines[@]}" 1
	jq_is '.caps.uapi_version' 1
	jq_is '.caps.container | keys_unsorted | join(",")' \
		path,api_version,iommu_types,extensions,iommu_type,iova_page_sizes,iova_ranges,dma_mappings_available,migration
	jq_is '.caps.container.path' /dev/vfio/vfio
	jq_is '.caps.container.api_version' 0
	jq_is '.caps.container.iommu_types | index("type1v2") != null' true
	jq_is '.caps.container.iommu_types | index("type1") != null' true
	jq_is '.caps.container.iommu_type' type1v2
	jq_is '.caps.container.iova_page_sizes[0]' 4096
	jq_is '[.caps.container.iova_page_sizes[] | select(. == 2097152)] | length' 1
	jq_is '.caps.container.iova_ranges | length > 0' true
	jq_is '.caps.container.iova_ranges[0] | keys_unsorted | join(",")' start,end
	jq_is '[.caps.container.iova_ranges[] | .start < .end] | all' true
	jq_is '.caps.container.dma_mappings_available > 0' true
	jq_is '.caps.vm | keys_unsorted | join(",")' device,vm_id,quota,count,groups,nesting
	jq_is '.caps.vm.vm_id | type' number
	jq_is '.caps.vm.groups | tojson' "[$GROUP]"
	jq_is '.caps.vm.nesting | tojson' "{\"available\":false,\"reason\":\"$NATIVE_REASON\"}"
	jq_is '.caps.groups | length' 1
	jq_is '.caps.groups[0] | keys_unsorted | join(",")' group,path,viable,attached,units,devices,pasid,nesting
	jq_is '.caps.groups[0] | [.group, .path, .viable, .attached] | tojson' "[$GROUP,\"/dev/vfio/$GROUP\",true,true]"
	jq_is '.caps.groups[0].units | tojson' '["dmar0"]'
	jq_is '.caps.groups[0].devices | length' 1
	jq_is '.caps.groups[0].devices[0] | keys_unsorted | join(",")' \
		device,bus,driver,parent,iommu_unit,iommu_backed,pci_pasid_width,pci_pasid_exec,pci_pasid_priv,pci_ats,pci_pri,binds
	jq_is '.caps.groups[0].devices[0] | [.device, .bus, .driver, .parent, .iommu_unit, .iommu_backed] | tojson' \
		"[\"$EDU_BDF\",\"pci\",\"vfio-pci\",null,\"dmar0\",true]"
	jq_is '.caps.groups[0].devices[0] | [.pci_pasid_width, .pci_ats, .pci_pri, .binds] | tojson' '[0,false,false,0]'
	jq_is '.caps.groups[0].pasid | tojson' "{\"usable\":false,\"reason\":\"$EDU_BDF has no PCI PASID capability\"}"
	jq_is '.caps.groups[0].nesting | tojson' "{\"usable\":false,\"reason\":\"$NATIVE_REASON\"}"
	jq_is '[.caps.units[].name] | join(",")' dmar0
	jq_is '.caps.units[0].pasid.usable' true

	ctl caps --group "$GROUP"
	assert_line "VFIO container /dev/vfio/vfio: API version 0"
	assert_line --regexp '^  IOMMU types: type1 type1v2'
	assert_line "  IOMMU type set: type1v2"
	assert_line --regexp '^  IOVA page sizes: 4K .*2M'
	assert_line --regexp '^  IOVA ranges: 0x0-0x[0-9a-f]+'
	assert_line --regexp '^  DMA mappings available: [1-9][0-9]*$'
	assert_line --regexp "^VM [0-9]+ on /dev/vfio-pasid: quota 1000, 0 PASIDs held, groups $GROUP attached\$"
	assert_line "  nesting: no — $NATIVE_REASON"
	assert_line "group $GROUP (/dev/vfio/$GROUP): viable yes, attached yes, units dmar0"
	assert_line "  device $EDU_BDF: pci, driver vfio-pci, unit dmar0, IOMMU-backed yes, PCI PASID none, ATS no, PRI no, binds 0"
	assert_line "  PASID: no — $EDU_BDF has no PCI PASID capability"
	assert_line "unit dmar0: Intel VT-d, version 1:0, at fed90000"
	# caps's VM ended with it; the group is free again
	ctl -j status
	jq_is '.status.vm_count' 0
	ctl caps --group "$GROUP"
}

@test "caps --group N with backend emulated: the nesting capability" {
	module_load backend=emulated
	bind_edu3
	ctl -j caps --group "$GROUP"
	jq_is '.caps.vm.nesting | tojson' \
		'{"available":true,"version":1,"pasid_format":"intel-vtd","features":["bind_pgtbl","cache_invld"],"addr_width":48,"pasid_bits":20,"reason":null}'
	jq_is '.caps.groups[0].nesting | tojson' '{"usable":true,"reason":null}'
	jq_is '.caps.groups[0].pasid.usable' false
	ctl caps --group "$GROUP"
	assert_line "  nesting: yes (format intel-vtd, features bind_pgtbl cache_invld, address width 48, 20-bit PASIDs)"
	assert_line "  nesting: yes"
}

@test "caps --group: a group that does not exist, or is not bound to vfio: exit 1, in words" {
	module_load
	ctl 1 caps --group 9999
	assert_stderr "vfiopasidctl: caps: VFIO group 9999: /dev/vfio/9999 does not exist: there is no IOMMU group 9999"
	assert_output ""
	vm_vfio_bind --unbind --edu 3
	local group
	group=$(vm_iommu_group "$EDU_BDF")
	ctl 1 caps --group "$group"
	assert_stderr "vfiopasidctl: caps: VFIO group $group: /dev/vfio/$group does not exist: IOMMU group $group is not bound to vfio ($EDU_BDF has no driver): bind a device of that group to vfio-pci"
	assert_output ""
	ctl -j status
	jq_is '.status.vm_count' 0
}

# shellcheck disable=SC2154 # stderr: set by run
@test "caps --group: a group that is not viable: exit 1, naming the devices in the way" {
	# the chipset group: the SMBus function on vfio-pci, the LPC bridge
	# on lpc_ich (the guest loads no driver for it by itself)
	[[ -e /sys/bus/pci/devices/$SMBUS && -e /sys/bus/pci/devices/$LPC ]] || skip "no $SMBUS and $LPC"
	local group
	group=$(vm_iommu_group "$SMBUS")
	[[ $(vm_iommu_group "$LPC") == "$group" ]] || skip "$SMBUS and $LPC are not in one group"
	[[ ! -e /sys/bus/pci/devices/$LPC/driver ]] || skip "$LPC already has a driver"
	modprobe lpc_ich || skip "no lpc_ich module"
	LPC_BOUND=1
	[[ -e /sys/bus/pci/devices/$LPC/driver ]] || skip "lpc_ich did not take $LPC"
	module_load
	vm_vfio_bind "$SMBUS" >/dev/null || fail "cannot bind $SMBUS to vfio-pci"
	ctl 1 caps --group "$group"
	[[ $stderr == "vfiopasidctl: caps: VFIO group $group is not viable: every device of IOMMU group $group must be bound to vfio-pci or to no driver, and these are not: "*"$LPC (driver lpc_ich)"* ]] ||
		fail "unexpected message: $stderr"
	assert_output ""
	ctl -j status
	jq_is '.status.vm_count' 0
}

@test "caps --group: no module exit 3; no permission exit 4; no device node exit 3; busy exit 1" {
	bind_edu3
	ctl 3 caps --group "$GROUP"
	assert_stderr "$NOT_LOADED_MSG"
	module_load
	ctl_as_nobody 4 caps --group "$GROUP"
	assert_stderr "vfiopasidctl: caps: VFIO group $GROUP: /dev/vfio/$GROUP: permission denied: run as root, or get read-write access to it"
	ctl 3 -d /nonexistent/vfio-pasid caps --group "$GROUP"
	assert_stderr "vfiopasidctl: caps: /nonexistent/vfio-pasid: device missing: is it the vfio_pasid device node (see -d)?"
	# a VFIO group is opened by one process at a time
	start_hold -n 1 --group "$GROUP"
	ctl 1 caps --group "$GROUP"
	assert_stderr "vfiopasidctl: caps: VFIO group $GROUP: /dev/vfio/$GROUP is busy: another process has it open (a VFIO group is opened by one process at a time)"
}

@test "caps: usage errors exit 2" {
	ctl 2 caps --group
	ctl 2 caps --group x
	assert_stderr_contains "--group 'x' is not a number"
	ctl 2 caps --group 3 --group 3
	assert_stderr_contains "--group 3 is given twice"
	ctl 2 caps 3
	ctl 2 caps --bogus
}

@test "hold --group N: attached before allocating; vm list, vm show and caps see it" {
	module_load
	bind_edu3
	start_hold -n 2 --group "$GROUP"
	ctl -j vm list
	jq_is ".vms[] | select(.vm_id == $HOLD_VM) | .group_count" 1
	ctl -j vm show "$HOLD_VM"
	jq_is '.vm.group_count' 1
	jq_is '.vm.devices | length' 1
	jq_is '.vm.devices[0] | keys_unsorted | join(",")' \
		group,device,bus,parent,iommu_unit,iommu_backed,pci_pasid_width,pci_pasid_exec,pci_pasid_priv,pci_ats,pci_pri,binds
	jq_is '.vm.devices[0] | [.group, .device, .bus, .parent, .iommu_unit, .iommu_backed, .pci_pasid_width, .binds] | tojson' \
		"[$GROUP,\"$EDU_BDF\",\"pci\",null,\"dmar0\",true,0,0]"
	jq_is '.vm.pasids | length' 2
	ctl vm show "$HOLD_VM"
	assert_line --regexp '^group_count: +1$'
	assert_line 'devices:'
	assert_line --regexp '^  GROUP +DEVICE +BUS +PARENT +IOMMU_UNIT +IOMMU_BACKED +PCI_PASID_WIDTH +PCI_PASID_EXEC +PCI_PASID_PRIV +PCI_ATS +PCI_PRI +BINDS$'
	assert_line --regexp "^ +$GROUP +$EDU_BDF +pci +- +dmar0 +yes +0 +no +no +no +no +0\$"
	ctl vm list
	assert_line --regexp "^ *$HOLD_VM +$HOLD_PID +vfiopasidctl +1000 +2 +0 +1 +/\$"
	kill_holders
	# the group is let go with the VM
	ctl caps --group "$GROUP"
}

@test "hold --group: failures are one line with the right status" {
	module_load
	bind_edu3
	# a group opens once: giving it twice is a usage error, as for caps
	ctl 2 hold --group "$GROUP" --group "$GROUP" </dev/null
	assert_stderr_contains "--group $GROUP is given twice"
	assert_output ""
	# another process (this shell) has the group open
	local busy
	exec {busy}<>"/dev/vfio/$GROUP"
	ctl 1 hold --group "$GROUP" </dev/null
	assert_stderr "vfiopasidctl: hold: VFIO group $GROUP: /dev/vfio/$GROUP is busy: another process has it open (a VFIO group is opened by one process at a time)"
	assert_output ""
	exec {busy}>&-
	ctl_as_nobody 4 hold --group "$GROUP" </dev/null
	vm_vfio_bind --unbind --edu 3
	ctl 1 hold --group "$GROUP" </dev/null
	assert_stderr_contains "is not bound to vfio ($EDU_BDF has no driver)"
	ctl -j status
	jq_is '.status.vm_count' 0
	jq_is '.status.totals.allocated' 0
}

# binder GROUP: a VM made by hand (python, the raw ioctls): puts GROUP into
# a container and attaches it,
# allocates two PASIDs, binds the first (gpasid 7, 48 bits, VT-d flags
# SRE|WPE), passes one IOTLB (PASID) and one device-TLB (ADDR)
# invalidation for it, prints "VM PASID1 PASID2" and waits.  Sets
# BINDER_PID, BINDER_VM, BINDER_P1, BINDER_P2.
binder() {
	local py=/usr/bin/python3 out=$BATS_TEST_TMPDIR/binder.out i
	[[ -x $py ]] || skip "no $py"
	cat >"$BATS_TEST_TMPDIR/binder.py" <<'EOF'
import fcntl, os, struct, sys, time
T = 0x3B << 8
REQ, BIND, INV, ATTACH, INFO = T | 122, T | 125, T | 126, T | 127, T | 129
dev = os.open("/dev/vfio-pasid", os.O_RDWR)
grp = os.open("/dev/vfio/" + sys.argv[1], os.O_RDWR)
# into a container first, as a VMM does (VFIO_GROUP_SET_CONTAINER)
fcntl.ioctl(grp, T | 104, struct.pack("i", os.open("/dev/vfio/vfio", os.O_RDWR)))
fcntl.ioctl(dev, ATTACH, struct.pack("<IIi", 12, 0, grp))
def alloc():
    b = bytearray(struct.pack("<IIIII", 20, 1, 1, 0xFFFFF, 0))
    fcntl.ioctl(dev, REQ, b, True)
    return struct.unpack_from("<I", b, 16)[0]
p1, p2 = alloc(), alloc()
data = struct.pack("<IIIIQQQQ8xQII", 72, 1, 1, 48, 1, 0x1000, p1, 7, 1 | 64, 0, 0)
fcntl.ioctl(dev, BIND, struct.pack("<II", 8 + len(data), 1) + data)
def inv(cache, granu, granu_info):
    info = struct.pack("<IIBB6x", 56, 1, cache, granu) + granu_info.ljust(40, b"\0")
    fcntl.ioctl(dev, INV, struct.pack("<II", 8 + len(info), 0) + info)
inv(1, 1, struct.pack("<IIQ", 1, 0, p1))
inv(2, 2, struct.pack("<IIQQQQ", 1, 0, p1, 0, 4096, 1))
b = bytearray(struct.pack("<IIIIII", 24, 0, 0, 0, 0, 0))
fcntl.ioctl(dev, INFO, b, True)
print(struct.unpack_from("<I", b, 8)[0], p1, p2, flush=True)
time.sleep(600)
EOF
	"$py" "$BATS_TEST_TMPDIR/binder.py" "$1" >"$out" 2>"$out.err" 3>&- &
	BINDER_PID=$!
	HOLDER_PIDS+=("$BINDER_PID")
	for ((i = 0; i < 200; i++)); do
		[[ -s $out ]] && break
		kill -0 "$BINDER_PID" 2>/dev/null || fail "the binder ended: $(cat "$out.err")"
		sleep 0.05
	done
	read -r BINDER_VM BINDER_P1 BINDER_P2 <"$out" || fail "the binder printed nothing"
}

@test "pasid list, vm show and status show a binding and its invalidations" {
	module_load backend=emulated
	bind_edu3
	binder "$GROUP"
	ctl -j pasid list "$BINDER_VM"
	jq_is ".pasids[] | select(.pasid == $BINDER_P1) | [.bound, .gpasid, .addr_width, .devices, .inv_iotlb, .inv_dev_iotlb, .bind_flags, .vtd_flags] | tojson" \
		'[true,7,48,1,1,1,1,65]'
	jq_is ".pasids[] | select(.pasid == $BINDER_P2) | [.bound, .gpasid, .addr_width, .devices, .inv_iotlb, .inv_dev_iotlb, .bind_flags, .vtd_flags] | tojson" \
		'[false,null,null,null,0,0,null,null]'
	ctl pasid list "$BINDER_VM"
	assert_line --regexp "^ *$BINDER_P1 +$BINDER_VM +yes +7 +48 +1 +1 +1\$"
	assert_line --regexp "^ *$BINDER_P2 +$BINDER_VM +no +- +- +- +0 +0\$"
	ctl -j vm show "$BINDER_VM"
	jq_is '[.vm.count, .vm.bound_count, .vm.group_count] | tojson' '[2,1,1]'
	jq_is '.vm.devices[0] | [.device, .binds] | tojson' "[\"$EDU_BDF\",1]"
	jq_is '[.vm.pasids[] | select(.bound)] | length' 1
	ctl -j status
	jq_is '.status.pool.bound' 1
	jq_is '.status.totals | [.binds, .unbinds, .invalidations, .inv_iotlb_pasid, .inv_iotlb_addr, .inv_dev_iotlb_addr] | tojson' \
		'[1,0,2,1,0,1]'
	ctl status
	assert_line --regexp '^  bound: +1$'
	assert_line --regexp '^  unbinds: +0$'
	assert_line --regexp '^  inv_dev_iotlb_addr: +1$'
	kill_holders
	ctl -j status
	jq_is '.status.pool.bound' 0
	jq_is '.status.totals | [.binds, .unbinds] | tojson' '[1,1]'
	ctl -j reclaimed --vm "$BINDER_VM"
	jq_is '[.reclaimed[] | select(.bound)] | length' 1
}

# complete WORDS...: what the bash completion offers after "vfiopasidctl WORDS"
complete_words() {
	# shellcheck source=completions/vfiopasidctl.bash
	source "$PROJECT_DIR/completions/vfiopasidctl.bash"
	COMP_LINE="vfiopasidctl $*"
	COMP_POINT=${#COMP_LINE}
	COMPREPLY=()
	_vfiopasidctl
	printf '%s\n' "${COMPREPLY[@]}"
}

@test "completion: caps and its --group, with the group numbers of /dev/vfio" {
	bind_edu3
	run complete_words "ca"
	assert_output caps
	run complete_words "caps --"
	assert_line --index 0 -- --group
	run complete_words "caps --group "
	assert_line "$GROUP"
	refute_line vfio
	run complete_words "hold --group "
	assert_line "$GROUP"
	run complete_words "help c"
	assert_output "$(printf '%s\n' caps config)"
	run complete_words "help ca"
	assert_output caps
}

@test "zsh completion: caps --group and hold --group offer the groups of /dev/vfio" {
	bind_edu3
	run zsh_complete "vfiopasidctl caps --group="
	assert_success
	assert_line "$GROUP"
	refute_line vfio
	run zsh_complete "vfiopasidctl hold --group="
	assert_line "$GROUP"
}
