/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * vfio_pasid_netlink.h - the generic netlink family "vfio_pasid"
 *
 * Copyright (C) 2026 The vfio-pasid authors
 *
 * The family is described in driver/vfio_pasid.yaml.  Reads are open to
 * every user; every change needs CAP_NET_ADMIN.
 *
 * Limits per cgroup v2 (LIMIT_*): every VM is charged to the cgroup of the
 * process that created it; a PASID it holds counts against that cgroup and
 * every ancestor.  An allocation that would take any of them over its
 * LIMIT_MAX fails with ENOSPC.  CGROUP is a path from the cgroup2 root
 * ("/machine.slice", "/" for the whole host).  LIMIT_SET and LIMIT_DEL
 * answer ENOENT for a path without a cgroup (or, for LIMIT_DEL and
 * LIMIT_GET, without a limit) and LIMIT_SET EOPNOTSUPP on a host with no
 * cgroup2 file system mounted.
 */
#ifndef _UAPI_LINUX_VFIO_PASID_NETLINK_H
#define _UAPI_LINUX_VFIO_PASID_NETLINK_H

#define VFIO_PASID_FAMILY_NAME		"vfio_pasid"
#define VFIO_PASID_FAMILY_VERSION	1
#define VFIO_PASID_MCGRP_MONITOR	"monitor"

enum vfio_pasid_cmd {
	VFIO_PASID_CMD_UNSPEC,
	VFIO_PASID_CMD_STATS_GET,		/* do */
	VFIO_PASID_CMD_VM_GET,			/* do (VM_ID) and dump */
	VFIO_PASID_CMD_PASID_GET,		/* dump, optional VM_ID */
	VFIO_PASID_CMD_QUOTA_SET,		/* do: VM_ID, QUOTA */
	VFIO_PASID_CMD_DEFAULT_QUOTA_GET,	/* do */
	VFIO_PASID_CMD_DEFAULT_QUOTA_SET,	/* do: DEFAULT_QUOTA */
	VFIO_PASID_CMD_RECLAIM_GET,		/* dump, optional VM_ID */
	VFIO_PASID_CMD_RECLAIM_CLEAR,		/* do */
	VFIO_PASID_CMD_VM_NEW_NTF,		/* monitor: VM created */
	VFIO_PASID_CMD_VM_DEL_NTF,		/* monitor: VM released */
	VFIO_PASID_CMD_QUOTA_NTF,		/* monitor: quota changed */
	VFIO_PASID_CMD_RECLAIM_NTF,		/* monitor: PASID reclaimed */
	VFIO_PASID_CMD_DEVICE_GET,		/* dump, optional VM_ID */
	VFIO_PASID_CMD_LIMIT_GET,		/* do (CGROUP) and dump */
	VFIO_PASID_CMD_LIMIT_SET,		/* do: CGROUP, LIMIT_MAX */
	VFIO_PASID_CMD_LIMIT_DEL,		/* do: CGROUP */
	VFIO_PASID_CMD_LIMIT_SET_NTF,		/* monitor: limit set */
	VFIO_PASID_CMD_LIMIT_DEL_NTF,		/* monitor: limit deleted */

	__VFIO_PASID_CMD_MAX,
	VFIO_PASID_CMD_MAX = __VFIO_PASID_CMD_MAX - 1
};

enum vfio_pasid_attr {
	VFIO_PASID_A_UNSPEC,
	VFIO_PASID_A_PAD,
	VFIO_PASID_A_VM_ID,		/* u32 */
	VFIO_PASID_A_PID,		/* u32 */
	VFIO_PASID_A_COMM,		/* string */
	VFIO_PASID_A_QUOTA,		/* u32 */
	VFIO_PASID_A_COUNT,		/* u32: PASIDs held */
	VFIO_PASID_A_BOUND_COUNT,	/* u32: PASIDs bound */
	VFIO_PASID_A_PASID,		/* u32 */
	VFIO_PASID_A_BOUND,		/* u8: 0 or 1 */
	VFIO_PASID_A_GPASID,		/* u32 */
	VFIO_PASID_A_ADDR_WIDTH,	/* u32 */
	VFIO_PASID_A_INV_IOTLB,		/* u64 */
	VFIO_PASID_A_INV_DEV_IOTLB,	/* u64 */
	VFIO_PASID_A_POOL_MIN,		/* u32 */
	VFIO_PASID_A_POOL_MAX,		/* u32 */
	VFIO_PASID_A_POOL_SIZE,		/* u32 */
	VFIO_PASID_A_IN_USE,		/* u32 */
	VFIO_PASID_A_VM_COUNT,		/* u32 */
	VFIO_PASID_A_ALLOCATED,		/* u64 */
	VFIO_PASID_A_FREED,		/* u64 */
	VFIO_PASID_A_RECLAIMED,		/* u64 */
	VFIO_PASID_A_QUOTA_REFUSALS,	/* u64 */
	VFIO_PASID_A_POOL_REFUSALS,	/* u64 */
	VFIO_PASID_A_BINDS,		/* u64 */
	VFIO_PASID_A_INVALIDATIONS,	/* u64 */
	VFIO_PASID_A_BACKEND,		/* string */
	VFIO_PASID_A_DEFAULT_QUOTA,	/* u32 */
	VFIO_PASID_A_TIME_NS,		/* u64: CLOCK_REALTIME, ns */
	VFIO_PASID_A_OLD_QUOTA,		/* u32 */
	VFIO_PASID_A_RECLAIM_LOG_SIZE,	/* u32 */
	VFIO_PASID_A_RECLAIM_LOG_COUNT,	/* u32: records in the log */
	VFIO_PASID_A_RECLAIM_LOG_DROPPED, /* u64: records overwritten */
	VFIO_PASID_A_SEQ,		/* u64: reclaim record number */
	VFIO_PASID_A_UAPI_VERSION,	/* u32 */
	VFIO_PASID_A_GROUP_COUNT,	/* u32: VFIO groups attached */
	VFIO_PASID_A_GROUP,		/* u32: IOMMU group number */
	VFIO_PASID_A_DEV_NAME,		/* string: the device, as in sysfs */
	VFIO_PASID_A_DEV_BUS,		/* string: its bus ("pci", "mdev") */
	VFIO_PASID_A_DEV_PARENT,	/* string: an mdev's parent device */
	VFIO_PASID_A_IOMMU_BACKED,	/* u8: binds reach a real IOMMU group */
	VFIO_PASID_A_IOMMU_UNIT,	/* string: "dmar0", "ivhd0"... */
	VFIO_PASID_A_PCI_PASID_WIDTH,	/* u32: PASID capability width, 0 none */
	VFIO_PASID_A_PCI_PASID_EXEC,	/* u8 */
	VFIO_PASID_A_PCI_PASID_PRIV,	/* u8 */
	VFIO_PASID_A_PCI_ATS,		/* u8 */
	VFIO_PASID_A_PCI_PRI,		/* u8 */
	VFIO_PASID_A_DEV_BINDS,		/* u32: PASIDs bound on this device */
	VFIO_PASID_A_DEVICES,		/* u32: devices a PASID is bound on */
	VFIO_PASID_A_BIND_FLAGS,	/* u64: IOMMU_SVA_GPASID_* of a bind */
	VFIO_PASID_A_VTD_FLAGS,		/* u64: IOMMU_SVA_VTD_GPASID_* */
	VFIO_PASID_A_UNBINDS,		/* u64 */
	VFIO_PASID_A_BOUND_TOTAL,	/* u32: PASIDs bound now, every VM */
	VFIO_PASID_A_INV_IOTLB_PASID,	/* u64: IOTLB, PASID granularity */
	VFIO_PASID_A_INV_IOTLB_ADDR,	/* u64: IOTLB, ADDR granularity */
	VFIO_PASID_A_INV_DEV_IOTLB_ADDR, /* u64: device IOTLB, ADDR */
	VFIO_PASID_A_NESTING,		/* u8: the backend can nest */
	VFIO_PASID_A_PASID_FORMAT,	/* u32: IOMMU_PASID_FORMAT_* when nesting */
	VFIO_PASID_A_NEST_ADDR_WIDTH,	/* u32: widest bind address width */
	VFIO_PASID_A_NEST_PASID_BITS,	/* u32 */
	VFIO_PASID_A_CGROUP,		/* string: a cgroup v2 path, from its root */
	VFIO_PASID_A_LIMIT_MAX,		/* u32: PASIDs a cgroup and its
					 * descendants may hold together
					 */
	VFIO_PASID_A_LIMIT_USED,	/* u32: PASIDs they hold */
	VFIO_PASID_A_LIMIT_VMS,		/* u32: VMs charged to them */
	VFIO_PASID_A_LIMIT_REFUSALS,	/* u64: allocations a limit refused */

	__VFIO_PASID_A_MAX,
	VFIO_PASID_A_MAX = __VFIO_PASID_A_MAX - 1
};

#endif /* _UAPI_LINUX_VFIO_PASID_NETLINK_H */
