// SPDX-License-Identifier: GPL-2.0
/*
 * vfio_pasid - the pool on Linux 6.12: the module's PASIDs in the kernel's
 * global PASID allocator (compat-6.12.h selects this file; pool-ioasid.c
 * is 6.1's)
 *
 * Copyright (C) 2026 The vfio-pasid authors
 *
 * 6.12 has one system-wide PASID namespace, the IDA behind
 * iommu_alloc_global_pasid() and iommu_free_global_pasid(), which host SVA
 * and idxd allocate from as well: a PASID the module hands out is in use by
 * nobody else on the host.  The allocator takes a device and gives the
 * lowest free PASID in [1, the device's max_pasids - 1]: no caller chooses
 * its PASID, and the device's PASID width (its PASID capability, capped by
 * its IOMMU's) bounds it.  It logs nothing when it refuses.
 *
 * The device (the anchor): the PCI device of the widest PASID width whose
 * driver is bound (to vfio-pci or any other), so that a VM gets the widest
 * range the host's IOMMU and devices can use.  dev->iommu, which the
 * allocator reads, lives from the device's IOMMU probe (before any driver
 * binds) to its removal (after its driver is unbound), so it is valid while
 * a driver is bound: the anchor is taken under the device's lock with its
 * driver bound, and dropped when the driver core announces the unbind, under
 * vp_anchor_sem, which every allocation holds for reading.  After the anchor
 * is dropped a work item looks for the next; until it has, allocations fail
 * with -ENOSPC.  Without any PASID-capable device every allocation fails
 * with -ENOSPC (a pool refusal).
 *
 * The range a VM asks for, within [pasid_min, pasid_max]: the allocator
 * gives the lowest free PASID.  One above the range means none is free in
 * it: -ENOSPC.  One below the range is held aside and the allocator asked
 * again, at most VP_POOL_SKIP times; then those held aside go back.  So a
 * range whose low end lies above more than VP_POOL_SKIP free PASIDs is
 * refused with -ENOSPC although it has free PASIDs, and the host is never
 * kept from more than VP_POOL_SKIP PASIDs at once, for no longer than one
 * allocation.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include "vfio_pasid.h"

#ifdef VP_COMPAT_POOL_GLOBAL

#include <linux/pci.h>
#include <linux/rwsem.h>
#include <linux/workqueue.h>

/* PASIDs below a VM's range held aside in one allocation, at most */
#define VP_POOL_SKIP	16

/* the anchor, referenced, and its max_pasids; under vp_anchor_sem */
static struct device *vp_anchor;
static u32 vp_anchor_max;
static DECLARE_RWSEM(vp_anchor_sem);

/* The PASIDs @dev may use; @dev locked, its driver bound */
static u32 vp_dev_max_pasids(struct device *dev)
{
	device_lock_assert(dev);
	if (!dev->driver || !dev->iommu || !dev->iommu->iommu_dev)
		return 0;
	return dev->iommu->max_pasids;
}

/* Make @dev the anchor if it is wider; @dev locked */
static void vp_anchor_offer(struct device *dev)
{
	u32 max = vp_dev_max_pasids(dev);
	struct device *old = NULL;
	bool taken = false;

	/* a width of one PASID is PASID 0 alone, which is nobody's */
	if (max < 2)
		return;
	down_write(&vp_anchor_sem);
	if (max > vp_anchor_max) {
		old = vp_anchor;
		vp_anchor = get_device(dev);
		vp_anchor_max = max;
		taken = true;
	}
	up_write(&vp_anchor_sem);
	put_device(old);
	if (taken)
		pr_info("PASIDs below %u, as %s allows\n", max, dev_name(dev));
}

static int vp_anchor_scan_one(struct device *dev, void *arg)
{
	device_lock(dev);
	vp_anchor_offer(dev);
	device_unlock(dev);
	return 0;
}

static void vp_anchor_scan(struct work_struct *work)
{
	bus_for_each_dev(&pci_bus_type, NULL, NULL, vp_anchor_scan_one);
}

static DECLARE_WORK(vp_anchor_work, vp_anchor_scan);

/* Drop the anchor if it is @dev (NULL: whichever); @dev locked */
static bool vp_anchor_drop(struct device *dev)
{
	struct device *old = NULL;

	down_write(&vp_anchor_sem);
	if (vp_anchor && (!dev || vp_anchor == dev)) {
		old = vp_anchor;
		vp_anchor = NULL;
		vp_anchor_max = 0;
	}
	up_write(&vp_anchor_sem);
	put_device(old);
	return old;
}

/*
 * The driver core calls this under the device's lock: after a driver bound,
 * and before a driver's remove() (and long before the IOMMU core frees
 * dev->iommu, at BUS_NOTIFY_REMOVED_DEVICE)
 */
static int vp_anchor_notify(struct notifier_block *nb, unsigned long action,
			    void *data)
{
	struct device *dev = data;

	switch (action) {
	case BUS_NOTIFY_BOUND_DRIVER:
		vp_anchor_offer(dev);
		break;
	case BUS_NOTIFY_UNBIND_DRIVER:
		if (vp_anchor_drop(dev))
			schedule_work(&vp_anchor_work);
		break;
	}
	return NOTIFY_DONE;
}

static struct notifier_block vp_anchor_nb = {
	.notifier_call = vp_anchor_notify,
};

int vp_pool_init(void)
{
	int ret;

	if (vp_fail("pool"))
		return -ENOMEM;
	/* first the notifier, so that no bind after the scan is missed */
	ret = bus_register_notifier(&pci_bus_type, &vp_anchor_nb);
	if (ret)
		return ret;
	vp_anchor_scan(NULL);
	if (!READ_ONCE(vp_anchor))
		pr_info("no PASID-capable device: no PASIDs until one is bound to a driver\n");
	return 0;
}

void vp_pool_exit(void)
{
	bus_unregister_notifier(&pci_bus_type, &vp_anchor_nb);
	cancel_work_sync(&vp_anchor_work);
	vp_anchor_drop(NULL);
}

/*
 * A PASID in [@min, @max], which must lie in [pasid_min, pasid_max], from
 * the allocator: 0 and *@pasid, or -ENOSPC when none is free.
 */
int vp_pool_alloc(u32 min, u32 max, u32 *pasid)
{
	ioasid_t skipped[VP_POOL_SKIP];
	unsigned int nskipped = 0;
	int ret = -ENOSPC;
	ioasid_t got;

	down_read(&vp_anchor_sem);
	while (vp_anchor) {
		got = iommu_alloc_global_pasid(vp_anchor);
		if (got == IOMMU_PASID_INVALID)
			break;
		if (got > max) {
			iommu_free_global_pasid(got);
			break;
		}
		if (got >= min) {
			*pasid = got;
			ret = 0;
			break;
		}
		if (nskipped == ARRAY_SIZE(skipped)) {
			iommu_free_global_pasid(got);
			break;
		}
		skipped[nskipped++] = got;
	}
	up_read(&vp_anchor_sem);
	while (nskipped)
		iommu_free_global_pasid(skipped[--nskipped]);
	return ret;
}

/* Give back a PASID vp_pool_alloc() gave */
void vp_pool_free(u32 pasid)
{
	iommu_free_global_pasid(pasid);
}

#endif /* VP_COMPAT_POOL_GLOBAL */
