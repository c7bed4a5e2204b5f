/* SPDX-License-Identifier: GPL-2.0 */
/*
 * compat.h - every kernel-version difference of vfio_pasid lives here
 *
 * Copyright (C) 2026 The vfio-pasid authors
 *
 * Supported: Debian's Linux 6.1.x (bookworm) and 6.12.x (trixie, and
 * bookworm-backports).  This header refuses every other kernel and selects
 * the file of the one it is built for:
 *
 *  - compat-6.1.h: the ioasid allocator (removed in 6.3), 6.1's generic
 *    netlink dump info, VFIO groups found by IOMMU group number;
 *  - compat-6.12.h: the global PASID allocator (6.4), the split-ops dump
 *    info (6.2), VFIO groups found without iommu_group_get_by_id() (gone
 *    in 6.3).
 *
 * Each selects its PASID allocator, a whole file of its own:
 * VP_COMPAT_POOL_IOASID (pool-ioasid.c) or VP_COMPAT_POOL_GLOBAL
 * (pool-global.c); the other compiles to nothing.
 *
 * What each provides, under the same names:
 *  - vp_compat_dump_attrs(cb): the attributes of a dump's request;
 *  - vp_compat_group_get_by_id(id), VP_COMPAT_GROUP_UNFOUND: the lookup
 *    of an IOMMU group by number that vp_compat_vfio_group() (below, for
 *    both) uses, and its errno when it finds nothing;
 *  - fd_file(f): the file of a struct fd (6.12's spelling).
 */
#ifndef _VFIO_PASID_COMPAT_H
#define _VFIO_PASID_COMPAT_H

#include <linux/cdev.h>
#include <net/genetlink.h>
#include <linux/device.h>
#include <linux/err.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/iommu.h>
#include <linux/kernel.h>
#include <linux/kobject.h>
#include <linux/module.h>
#include <linux/string.h>
#include <linux/version.h>
#include <linux/vfio.h>

/* the monitor group is for admins: 6.1.y has the flag since 6.1.66 */
#ifndef GENL_MCAST_CAP_NET_ADMIN
#error "vfio_pasid needs GENL_MCAST_CAP_NET_ADMIN (Linux 6.1.66 or later)"
#endif

#if !IS_ENABLED(CONFIG_VFIO) || !IS_ENABLED(CONFIG_IOMMU_API)
#error "vfio_pasid needs CONFIG_VFIO and CONFIG_IOMMU_API"
#endif

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 1, 0) && \
	LINUX_VERSION_CODE < KERNEL_VERSION(6, 2, 0)
#include "compat-6.1.h"
#elif LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0) && \
	LINUX_VERSION_CODE < KERNEL_VERSION(6, 13, 0)
#include "compat-6.12.h"
#else
#error "vfio_pasid supports Linux 6.1.x and 6.12.x only"
#endif

/*
 * Whether @file is a VFIO group, and its IOMMU group, referenced.
 * vfio_file_iommu_group() answers only on SPAPR, so the group is found from
 * the file's character device: vfio_file_is_group() vouches for the file,
 * the parent of its cdev is the VFIO group's device, named after the IOMMU
 * group ("N", or "noiommu-N"), and the kernel's file selects how group
 * number N is looked up (vp_compat_group_get_by_id()).  The helper lives in
 * the vfio module, which need not be loaded: without it no VFIO group is
 * open.
 *
 * A descriptor outlives its group: when the group's last device goes, VFIO
 * deletes the group's device, then lets go of the IOMMU group, whose number
 * a new group may then take.  The number is therefore trusted only while
 * the group's device is still registered, checked after the lookup took its
 * reference (which keeps the number from being reused from then on).
 *
 * Returns the IOMMU group, or ERR_PTR(-EINVAL) when @file is not a VFIO
 * group, ERR_PTR(-ENODEV) when its group is gone, and
 * ERR_PTR(VP_COMPAT_GROUP_UNFOUND) when the lookup found nothing although
 * the group's device is registered.
 */
static inline bool vp_compat_is_vfio_group(struct file *file)
{
	bool (*is_group)(struct file *file);
	struct inode *inode = file_inode(file);
	bool ok;

	is_group = symbol_get(vfio_file_is_group);
	if (!is_group)
		return false;
	ok = is_group(file);
	symbol_put(vfio_file_is_group);
	return ok && inode->i_cdev && inode->i_cdev->kobj.parent;
}

static inline struct iommu_group *vp_compat_vfio_group(struct file *file)
{
	struct inode *inode = file_inode(file);
	struct iommu_group *group;
	struct device *gdev;
	const char *name;
	int id;

	if (!vp_compat_is_vfio_group(file))
		return ERR_PTR(-EINVAL);
	gdev = kobj_to_dev(inode->i_cdev->kobj.parent);
	name = dev_name(gdev);
	if (!name)
		return ERR_PTR(-EINVAL);
	if (str_has_prefix(name, "noiommu-"))
		name += strlen("noiommu-");
	if (kstrtoint(name, 10, &id) || id < 0)
		return ERR_PTR(-EINVAL);
	group = vp_compat_group_get_by_id(id);
	if (!device_is_registered(gdev)) {
		iommu_group_put(group);
		return ERR_PTR(-ENODEV);
	}
	return group ?: ERR_PTR(VP_COMPAT_GROUP_UNFOUND);
}

#endif /* _VFIO_PASID_COMPAT_H */
