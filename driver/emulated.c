// SPDX-License-Identifier: GPL-2.0
/*
 * vfio_pasid - the emulated backend, in the test build only
 *
 * Copyright (C) 2026 The vfio-pasid authors
 *
 * A software model of a VT-d-format nesting IOMMU, for the tests of the
 * nesting uAPI on hosts whose kernel cannot nest (6.1 removed the API that
 * bound guest first-level page tables).  nest.c validates a bind as the
 * VT-d driver did and keeps the binding table (struct vp_pasid); this model
 * counts the PASIDs bound per device and programs no DMA translation, so a
 * module with it tells a VMM that a guest's page tables are in use when
 * nothing translates.  It is therefore built only into the test build
 * (tests/testmod, VP_TEST_BUILD=y), which carries the kernel's test-module
 * mark: loading it taints the kernel with TAINT_TEST.  The module that is
 * installed has the native backend only and refuses backend=emulated.
 */
#include <linux/module.h>

#include "vfio_pasid.h"

/*
 * Per device, how many PASIDs are bound.  A device whose binds cannot reach
 * an IOMMU (an mdev whose parent has no IOMMU group) refuses.
 */
static int vp_emu_bind_dev(struct vp_dev *d, u32 pasid,
			   const struct vp_pasid *st)
{
	if (!d->backed)
		return -EOPNOTSUPP;
	/* programming a device can fail: fault injection stands for that */
	if (vp_fail("bind-dev"))
		return -ENOMEM;
	d->binds++;
	return 0;
}

static void vp_emu_unbind_dev(struct vp_dev *d, u32 pasid)
{
	d->binds--;
}

static void vp_emu_invalidate_dev(struct vp_dev *d, u32 pasid, u8 cache,
				  u8 granularity)
{
	/* a model: there is no cache to flush; the VM and stats count it */
}

const struct vp_backend vp_emulated_backend = {
	.name		= "emulated",
	.nesting	= true,
	.format		= IOMMU_PASID_FORMAT_INTEL_VTD,
	.addr_width	= VP_VTD_FL_4LEVEL,
	.pasid_bits	= 20,
	.bind_dev	= vp_emu_bind_dev,
	.unbind_dev	= vp_emu_unbind_dev,
	.invalidate_dev	= vp_emu_invalidate_dev,
};

/* the kernel's mark of a test module: TAINT_TEST when it loads */
MODULE_INFO(test, "Y");
