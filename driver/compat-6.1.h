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
 * IOMMU group number @id, referenced, or NULL: the group exists (the VFIO
 * group's device is registered, which compat.h checks), so NULL means the
 * lookup could not allocate
 */
#define vp_compat_group_get_by_id(id)	iommu_group_get_by_id(id)
#define VP_COMPAT_GROUP_UNFOUND		(-ENOMEM)

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
