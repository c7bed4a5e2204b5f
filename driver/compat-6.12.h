/* SPDX-License-Identifier: GPL-2.0 */
/*
 * compat-6.12.h - Linux 6.12.x: selected by compat.h, included only there
 *
 * Copyright (C) 2026 The vfio-pasid authors
 */
#ifndef _VFIO_PASID_COMPAT_612_H
#define _VFIO_PASID_COMPAT_612_H

#include <linux/pci.h>
#include <linux/platform_device.h>

#if !IS_ENABLED(CONFIG_VFIO_GROUP)
#error "vfio_pasid needs CONFIG_VFIO_GROUP (VFIO group files)"
#endif

#if !IS_ENABLED(CONFIG_PCI)
#error "vfio_pasid needs CONFIG_PCI (the devices that bound its PASIDs)"
#endif

/* PASIDs from the global PASID allocator: pool-global.c */
#define VP_COMPAT_POOL_GLOBAL

/* The attributes of a dump's request, parsed with the op's policy */
static inline struct nlattr **vp_compat_dump_attrs(struct netlink_callback *cb)
{
	return genl_info_dump(cb)->attrs;
}

/*
 * 6.12 has no iommu_group_get_by_id() (gone in 6.3), so the IOMMU group is
 * found through a device in it: a device of the PCI or platform bus, or a
 * mediated device below one.  A mediated device whose parent is on neither
 * bus is not found: its group is refused with -ENODEV.
 */
struct vp_compat_group_find {
	int			id;
	struct iommu_group	*group;
};

/* @dev is in IOMMU group number find->id: its group, referenced */
static inline int vp_compat_group_match(struct device *dev, void *arg)
{
	struct vp_compat_group_find *find = arg;
	struct iommu_group *group = iommu_group_get(dev);

	if (!group)
		return 0;
	if (iommu_group_id(group) == find->id) {
		find->group = group;
		return 1;
	}
	iommu_group_put(group);
	return 0;
}

/* The mediated devices below @dev ("mdev" bus: its type is not exported) */
static inline int vp_compat_group_match_mdev(struct device *dev, void *arg)
{
	if (!dev->bus || strcmp(dev->bus->name, "mdev"))
		return 0;
	return vp_compat_group_match(dev, arg);
}

static inline int vp_compat_group_match_tree(struct device *dev, void *arg)
{
	return vp_compat_group_match(dev, arg) ?:
	       device_for_each_child(dev, arg, vp_compat_group_match_mdev);
}

/* IOMMU group number @id, referenced, or NULL */
static inline struct iommu_group *vp_compat_group_get_by_id(int id)
{
	struct vp_compat_group_find find = { .id = id };

	if (!bus_for_each_dev(&pci_bus_type, NULL, &find,
			      vp_compat_group_match_tree))
		bus_for_each_dev(&platform_bus_type, NULL, &find,
				 vp_compat_group_match_tree);
	return find.group;
}

/* registered, yet no device found: an mdev the scan does not reach */
#define VP_COMPAT_GROUP_UNFOUND		(-ENODEV)

#endif /* _VFIO_PASID_COMPAT_612_H */
