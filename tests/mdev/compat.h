/* SPDX-License-Identifier: GPL-2.0 */
/*
 * compat.h - the kernel-version differences of vp_mdev_test (Linux 6.1.x
 * and 6.12.x, as vfio_pasid)
 *
 * Copyright (C) 2026 The vfio-pasid authors
 *
 *  - VP_MDEV_VFIO_RELEASE: the vfio_device_ops release of an mdev's VFIO
 *    device.  6.1 requires one and has it free the device
 *    (vfio_free_device()); 6.12 frees the device itself, after an optional
 *    release, and has no vfio_free_device().
 */
#ifndef _VP_MDEV_TEST_COMPAT_H
#define _VP_MDEV_TEST_COMPAT_H

#include <linux/version.h>
#include <linux/vfio.h>

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 1, 0) && \
	LINUX_VERSION_CODE < KERNEL_VERSION(6, 2, 0)
#define VP_MDEV_VFIO_RELEASE	vfio_free_device
#elif LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0) && \
	LINUX_VERSION_CODE < KERNEL_VERSION(6, 13, 0)
#define VP_MDEV_VFIO_RELEASE	NULL
#else
#error "vp_mdev_test supports Linux 6.1.x and 6.12.x only"
#endif

#endif /* _VP_MDEV_TEST_COMPAT_H */
