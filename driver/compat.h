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
 *  - vp_compat_is_vfio_group(file), vp_compat_vfio_group(file): whether a
 *    file is a VFIO group, and its IOMMU group (see compat-6.1.h);
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

#endif /* _VFIO_PASID_COMPAT_H */
