/* SPDX-License-Identifier: GPL-2.0 */
/*
 * compat-6.1.h - Linux 6.1.x: selected by compat.h, included only there
 *
 * Copyright (C) 2026 The vfio-pasid authors
 */
#ifndef _VFIO_PASID_COMPAT_61_H
#define _VFIO_PASID_COMPAT_61_H

#ifndef CONFIG_IOASID
#error "vfio_pasid needs CONFIG_IOASID (the system-wide PASID allocator)"
#endif

/*
 * Whether @file is a VFIO group, and its IOMMU group, referenced.  6.1's
 * vfio_file_iommu_group() answers only on SPAPR, so the group is found from
 * the file's character device: vfio_file_is_group() vouches for the file,
 * the parent of its cdev is the VFIO group's device, named after the IOMMU
 * group ("N", or "noiommu-N").  The helper lives in the vfio module, which
 * need not be loaded: without it no VFIO group is open.
 *
 * A descriptor outlives its group: when the group's last device goes, VFIO
 * deletes the group's device, then lets go of the IOMMU group, whose number
 * a new group may then take.  The number is therefore trusted only while
 * the group's device is still registered, checked after the lookup took its
 * reference (which keeps the number from being reused from then on).
 *
 * Returns the IOMMU group, or ERR_PTR(-EINVAL) when @file is not a VFIO
 * group, ERR_PTR(-ENODEV) when its group is gone, ERR_PTR(-ENOMEM) when the
 * lookup could not allocate (the group exists, so nothing else fails it).
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
	group = iommu_group_get_by_id(id);
	if (!device_is_registered(gdev)) {
		iommu_group_put(group);
		return ERR_PTR(-ENODEV);
	}
	return group ?: ERR_PTR(-ENOMEM);
}

/* PASIDs from the ioasid allocator: pool-ioasid.c */
#define VP_COMPAT_POOL_IOASID

/* 6.12 spells it so (struct fd is one word there) */
#ifndef fd_file
#define fd_file(f)	((f).file)
#endif

/* The attributes of a dump's request, parsed with the op's policy */
static inline struct nlattr **vp_compat_dump_attrs(struct netlink_callback *cb)
{
	return genl_dumpit_info(cb)->attrs;
}

#endif /* _VFIO_PASID_COMPAT_61_H */
