/* SPDX-License-Identifier: GPL-2.0 */
/*
 * compat.h - the kernel-version differences of vp_pasid_width (Linux 6.1.x
 * and 6.12.x, as vfio_pasid)
 *
 * Copyright (C) 2026 The vfio-pasid authors
 *
 *  - vp_compat_unsupported(): why the module cannot work on this kernel,
 *    or NULL;
 *  - vp_compat_max_pasids(dev): where the IOMMU core keeps @dev's PASID
 *    width, or NULL when @dev has no IOMMU.
 *
 * 6.12 keeps the width in dev->iommu->max_pasids (set when the IOMMU probes
 * the device) and its global PASID allocator allocates below it.  6.1
 * keeps none: struct dev_iommu has no max_pasids, and its ioasid allocator
 * takes a range, not a device, so nothing needs faking there.
 */
#ifndef _VP_PASID_WIDTH_COMPAT_H
#define _VP_PASID_WIDTH_COMPAT_H

#include <linux/device.h>
#include <linux/iommu.h>
#include <linux/version.h>

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 1, 0) && \
	LINUX_VERSION_CODE < KERNEL_VERSION(6, 2, 0)

static inline const char *vp_compat_unsupported(void)
{
	return "Linux 6.1 has no PASID width per device (ioasid needs none): for 6.12 only";
}

static inline u32 *vp_compat_max_pasids(struct device *dev)
{
	return NULL;
}

#elif LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0) && \
	LINUX_VERSION_CODE < KERNEL_VERSION(6, 13, 0)

static inline const char *vp_compat_unsupported(void)
{
	return NULL;
}

/* @dev locked: dev->iommu lives from the IOMMU's probe to its removal */
static inline u32 *vp_compat_max_pasids(struct device *dev)
{
	device_lock_assert(dev);
	if (!dev->iommu || !dev->iommu->iommu_dev)
		return NULL;
	return &dev->iommu->max_pasids;
}

#else
#error "vp_pasid_width supports Linux 6.1.x and 6.12.x only"
#endif

#endif /* _VP_PASID_WIDTH_COMPAT_H */
