/* SPDX-License-Identifier: GPL-2.0 */
/*
 * compat.h - every kernel-version difference of vfio_pasid lives here
 *
 * Copyright (C) 2026 The vfio-pasid authors
 *
 * Supported: Linux 6.1.x (Debian bookworm).  The module needs the ioasid
 * allocator (removed in 6.3), the 6.1 generic netlink op layout (split ops
 * replaced it in 6.2) and VFIO's group file helpers.
 */
#ifndef _VFIO_PASID_COMPAT_H
#define _VFIO_PASID_COMPAT_H

#include <linux/cdev.h>
#include <linux/fs.h>
#include <linux/iommu.h>
#include <linux/kernel.h>
#include <linux/kobject.h>
#include <linux/module.h>
#include <linux/string.h>
#include <linux/version.h>
#include <linux/vfio.h>

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 1, 0)
#error "vfio_pasid needs Linux 6.1 or later"
#endif

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 2, 0)
/* 6.2 changed generic netlink ops; 6.3 removed the ioasid allocator */
#error "vfio_pasid supports Linux 6.1.x only"
#endif

#ifndef CONFIG_IOASID
#error "vfio_pasid needs CONFIG_IOASID (the system-wide PASID allocator)"
#endif

#if !IS_ENABLED(CONFIG_VFIO) || !IS_ENABLED(CONFIG_IOMMU_API)
#error "vfio_pasid needs CONFIG_VFIO and CONFIG_IOMMU_API"
#endif

/*
 * The IOMMU group of a VFIO group file, referenced; NULL when @file is not
 * one.  6.1's vfio_file_iommu_group() answers only on SPAPR, so the group
 * is found from the file's character device: vfio_file_is_group() vouches
 * for the file, the parent of its cdev is the group's device, named after
 * the IOMMU group ("N", or "noiommu-N").  The helper lives in the vfio
 * module, which need not be loaded: without it no VFIO group is open.
 */
static inline struct iommu_group *vp_compat_vfio_group(struct file *file)
{
	bool (*is_group)(struct file *file);
	struct inode *inode = file_inode(file);
	const char *name;
	bool ok;
	int id;

	is_group = symbol_get(vfio_file_is_group);
	if (!is_group)
		return NULL;
	ok = is_group(file);
	symbol_put(vfio_file_is_group);
	if (!ok || !inode->i_cdev || !inode->i_cdev->kobj.parent)
		return NULL;
	name = kobject_name(inode->i_cdev->kobj.parent);
	if (!name)
		return NULL;
	if (str_has_prefix(name, "noiommu-"))
		name += strlen("noiommu-");
	if (kstrtoint(name, 10, &id) || id < 0)
		return NULL;
	return iommu_group_get_by_id(id);
}

#endif /* _VFIO_PASID_COMPAT_H */
