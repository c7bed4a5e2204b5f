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

#include <linux/version.h>

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

#endif /* _VFIO_PASID_COMPAT_H */
