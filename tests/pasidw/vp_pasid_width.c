// SPDX-License-Identifier: GPL-2.0
/*
 * vp_pasid_width - TEST ONLY: gives one spare edu device of the test VM a
 * fake PASID width, so that Linux 6.12's global PASID allocator has a
 * device to allocate against.  Never install it; it taints the kernel
 * (TAINT_TEST).
 *
 * Copyright (C) 2026 The vfio-pasid authors
 *
 * What it fakes, and why.  On 6.12, vfio_pasid's PASIDs come from
 * iommu_alloc_global_pasid(dev), which allocates in [1, max - 1], max being
 * dev->iommu->max_pasids: the IOMMU core's record of how many PASIDs the
 * device may use, the smaller of its PCI PASID capability and its IOMMU's
 * width, computed once when the IOMMU probes the device
 * (drivers/iommu/iommu.c:371-386, 436; line numbers of Debian's 6.12.95).
 * In the test VM no device has one: QEMU's edu device has no PASID
 * capability (max_pasids 0), and QEMU's emulated VT-d would cap any device
 * at 2 PASIDs anyway (ECAP.PSS 0, drivers/iommu/intel/dmar.c:1130).  This
 * module is a PCI driver with no ID table; bound through driver_override
 * (tests/vm/vfio-bind --driver vp_pasid_width), its probe() overwrites that
 * device's dev->iommu->max_pasids with the module parameter max_pasids
 * (default 1 << 20, the PCI maximum) and its remove() puts the old value
 * back.  The device's PASID width is therefore the one thing not real.
 *
 * The allocator exercised is still the kernel's own: the same
 * iommu_alloc_global_pasid()/iommu_free_global_pasid() and the same
 * system-wide IDA (iommu.c:3461-3486) that host SVA and idxd allocate
 * from; the device only bounds the range.  vfio_pasid takes the device as
 * its anchor by its ordinary rule (the widest PCI device whose driver is
 * bound, driver/pool-global.c) when the driver core announces the bind,
 * after probe() has set the width; and it drops it when the core announces
 * the unbind, before remove() restores it.
 *
 * Who else reads dev->iommu->max_pasids in 6.12 (all of them checked):
 *  - iommu_attach_device_pasid() and the group's set/remove_dev_pasid
 *    (iommu.c:3344-3378, 3416-3417): with a width, attaching a domain to
 *    one of the device's PASIDs would reach VT-d's set_dev_pasid
 *    (intel/iommu.c:4353), which does not look at the device's PASID
 *    support, and the device's PASID table, sized at probe from its PCI
 *    capability (intel/pasid.c:57-59), has only its minimum of entries (a
 *    PASID beyond them WARNs, intel/pasid.c:138).  Only the device's owner
 *    attaches: its driver, this module, which never does, or vfio-pci and
 *    iommufd, which are not bound to it (and Debian's 6.12 is built
 *    without iommufd).
 *  - SVA, iommu_alloc_mm_data() (iommu-sva.c:30): reached only through
 *    iommu_sva_bind_device() by the device's driver; VT-d also refuses SVA
 *    to a device whose PASID is not enabled (intel/iommu.c:4122).
 *  - iommufd's IOMMU_GET_HW_INFO (iommufd/device.c:1375), which takes a
 *    width as "PASID enabled": not built on Debian's 6.12, and the device
 *    is not bound to VFIO.
 *  - VT-d itself reads none of it: whether the device does PASIDs
 *    (info->pasid_supported, pasid_enabled) is decided at probe from its
 *    PCI capability (intel/iommu.c:3958-3962, 4001-4003) and stays "no".
 *    AMD-Vi keeps a copy of its own (amd/iommu.c:2441), also set at probe.
 * So nothing but the allocators' bound changes, and the device, which has
 * no PASID capability, never sends a PASID-tagged request.  A device that
 * has one is refused: its real width stays.
 *
 * Linux 6.1 keeps no width per device (its ioasid allocator takes a range):
 * the module builds there but refuses to load (compat.h).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bits.h>
#include <linux/device.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/pci.h>
#include <linux/pci-ats.h>
#include <linux/slab.h>

#include "compat.h"

/* the most a PCI PASID capability offers: 20 bits */
#define VP_PASIDW_MAX	BIT(20)

static unsigned int max_pasids = VP_PASIDW_MAX;
module_param(max_pasids, uint, 0444);
MODULE_PARM_DESC(max_pasids,
		 "the PASID width (dev->iommu->max_pasids) to give the device, 2 to 1048576 (default 1048576)");

/* one bound device: where its width is kept, and what it was */
struct vp_pasidw {
	u32	*max;
	u32	old;
};

/* under the device's lock, before the driver core announces the bind */
static int vp_pasidw_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	u32 *max = vp_compat_max_pasids(&pdev->dev);
	struct vp_pasidw *w;

	if (!max) {
		pci_err(pdev, "no IOMMU: no PASID width to set\n");
		return -ENODEV;
	}
	if (pci_max_pasids(pdev) > 0) {
		pci_err(pdev, "has a PASID capability: its width is real, not replaced\n");
		return -EINVAL;
	}
	w = devm_kzalloc(&pdev->dev, sizeof(*w), GFP_KERNEL);
	if (!w)
		return -ENOMEM;
	w->max = max;
	w->old = *max;
	WRITE_ONCE(*max, max_pasids);
	pci_set_drvdata(pdev, w);
	pci_info(pdev, "TEST ONLY: PASID width %u (was %u), for the global PASID allocator\n",
		 max_pasids, w->old);
	return 0;
}

/* under the device's lock, after the unbind is announced; dev->iommu lives */
static void vp_pasidw_remove(struct pci_dev *pdev)
{
	struct vp_pasidw *w = pci_get_drvdata(pdev);

	WRITE_ONCE(*w->max, w->old);
	pci_info(pdev, "PASID width %u again\n", w->old);
}

/* Empty: the driver binds only through driver_override. */
static const struct pci_device_id vp_pasidw_ids[] = {
	{ }
};

static struct pci_driver vp_pasidw_driver = {
	.name = KBUILD_MODNAME,
	.id_table = vp_pasidw_ids,
	.probe = vp_pasidw_probe,
	.remove = vp_pasidw_remove,
};

static int __init vp_pasidw_init(void)
{
	const char *why = vp_compat_unsupported();

	if (why) {
		pr_err("%s\n", why);
		return -EOPNOTSUPP;
	}
	if (max_pasids < 2 || max_pasids > VP_PASIDW_MAX) {
		pr_err("max_pasids=%u: expected 2 to %lu\n", max_pasids,
		       VP_PASIDW_MAX);
		return -EINVAL;
	}
	return pci_register_driver(&vp_pasidw_driver);
}

static void __exit vp_pasidw_exit(void)
{
	pci_unregister_driver(&vp_pasidw_driver);
}

module_init(vp_pasidw_init);
module_exit(vp_pasidw_exit);

/* the kernel's mark of a test module: TAINT_TEST when it loads */
MODULE_INFO(test, "Y");
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("TEST ONLY: a fake PASID width for a device without PASIDs, for vfio-pasid's tests on 6.12");
MODULE_AUTHOR("The vfio-pasid authors");
