/* SPDX-License-Identifier: GPL-2.0 */
/*
 * compat.h - the kernel's PASID allocator, as vp_bench_floor calls it, on
 * Linux 6.1.x and 6.12.x (vfio_pasid's kernels): every version difference
 * of the floor module
 *
 * Copyright (C) 2026 The vfio-pasid authors
 *
 * The same calls on both, each the allocator vfio_pasid's pool uses there:
 *  - floor_pasid_init() / floor_pasid_exit(): at load and unload;
 *  - floor_pasid_begin() / floor_pasid_end(): around a loop of the calls
 *    below (not timed);
 *  - floor_pasid_alloc(min, max, &pasid): true and a PASID in [min, max],
 *    or false when none is free;
 *  - floor_pasid_free(pasid).
 *
 * 6.1: ioasid_alloc()/ioasid_free() in a set of the module's, which
 * allocate in the range asked.
 *
 * 6.12: iommu_alloc_global_pasid()/iommu_free_global_pasid(), the global
 * allocator.  It takes a device and gives the lowest free PASID below the
 * device's dev->iommu->max_pasids; the device is the one vfio_pasid would
 * take (driver/pool-global.c): the PCI device of the widest PASID width
 * whose driver is bound.  It is chosen at load, which fails without one (in
 * the test VM: load tests/pasidw/vp_pasid_width.ko on a spare edu device
 * first).  When its driver unbinds, the module lets it go (dev->iommu goes
 * with the device) and allocates nothing more until reloaded.  A PASID
 * outside [min, max] is given back and counts as none free: the floor times
 * the allocator alone, without vfio_pasid's skipping of PASIDs below the
 * range (the benchmark asks from 1 up, where nothing is skipped).
 */
#ifndef _VP_BENCH_FLOOR_COMPAT_H
#define _VP_BENCH_FLOOR_COMPAT_H

#include <linux/version.h>

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 1, 0) && \
	LINUX_VERSION_CODE < KERNEL_VERSION(6, 2, 0)

#include <linux/ioasid.h>

static DECLARE_IOASID_SET(floor_set);

static inline int floor_pasid_init(void)
{
	return 0;
}

static inline void floor_pasid_exit(void)
{
}

static inline void floor_pasid_begin(void)
{
}

static inline void floor_pasid_end(void)
{
}

static inline bool floor_pasid_alloc(u32 min, u32 max, u32 *pasid)
{
	ioasid_t got = ioasid_alloc(&floor_set, min, max, NULL);

	if (!pasid_valid(got))
		return false;
	*pasid = got;
	return true;
}

static inline void floor_pasid_free(u32 pasid)
{
	ioasid_free(pasid);
}

#elif LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0) && \
	LINUX_VERSION_CODE < KERNEL_VERSION(6, 13, 0)

#include <linux/iommu.h>
#include <linux/pci.h>
#include <linux/rwsem.h>

/* the device, referenced, and its width; under floor_dev_sem */
static struct device *floor_dev;
static u32 floor_dev_max;
static DECLARE_RWSEM(floor_dev_sem);

/*
 * Take @dev if it is wider: its PASID width is read, and the device taken,
 * under its lock with its driver bound, so that dev->iommu lives (the lock
 * order is the driver core's: the device's lock, then floor_dev_sem)
 */
static int floor_dev_scan_one(struct device *dev, void *arg)
{
	struct device *old = NULL;
	u32 max = 0;

	device_lock(dev);
	if (dev->driver && dev->iommu && dev->iommu->iommu_dev)
		max = dev->iommu->max_pasids;
	down_write(&floor_dev_sem);
	/* a width of one PASID is PASID 0 alone, which is nobody's */
	if (max >= 2 && max > floor_dev_max) {
		old = floor_dev;
		floor_dev = get_device(dev);
		floor_dev_max = max;
	}
	up_write(&floor_dev_sem);
	device_unlock(dev);
	put_device(old);
	return 0;
}

/* Under the device's lock, before its driver's remove() */
static int floor_dev_notify(struct notifier_block *nb, unsigned long action,
			    void *data)
{
	struct device *old = NULL;

	if (action != BUS_NOTIFY_UNBIND_DRIVER)
		return NOTIFY_DONE;
	down_write(&floor_dev_sem);
	if (floor_dev == data) {
		old = floor_dev;
		floor_dev = NULL;
		floor_dev_max = 0;
	}
	up_write(&floor_dev_sem);
	if (old) {
		dev_warn(old, "unbound: vp_bench_floor allocates no more PASIDs\n");
		put_device(old);
	}
	return NOTIFY_DONE;
}

static struct notifier_block floor_dev_nb = {
	.notifier_call = floor_dev_notify,
};

static inline int floor_pasid_init(void)
{
	int ret;

	/* first the notifier, so that no unbind after the scan is missed */
	ret = bus_register_notifier(&pci_bus_type, &floor_dev_nb);
	if (ret)
		return ret;
	bus_for_each_dev(&pci_bus_type, NULL, NULL, floor_dev_scan_one);
	if (!READ_ONCE(floor_dev)) {
		pr_err("no PCI device with a PASID width is bound to a driver\n");
		bus_unregister_notifier(&pci_bus_type, &floor_dev_nb);
		return -ENODEV;
	}
	down_read(&floor_dev_sem);
	if (floor_dev)
		dev_info(floor_dev, "vp_bench_floor allocates PASIDs below %u\n",
			 floor_dev_max);
	up_read(&floor_dev_sem);
	return 0;
}

static inline void floor_pasid_exit(void)
{
	bus_unregister_notifier(&pci_bus_type, &floor_dev_nb);
	put_device(floor_dev);
	floor_dev = NULL;
}

static inline void floor_pasid_begin(void)
{
	down_read(&floor_dev_sem);
}

static inline void floor_pasid_end(void)
{
	up_read(&floor_dev_sem);
}

/* Between floor_pasid_begin() and floor_pasid_end() */
static inline bool floor_pasid_alloc(u32 min, u32 max, u32 *pasid)
{
	ioasid_t got;

	if (!floor_dev)
		return false;
	got = iommu_alloc_global_pasid(floor_dev);
	if (got == IOMMU_PASID_INVALID)
		return false;
	if (got < min || got > max) {
		iommu_free_global_pasid(got);
		return false;
	}
	*pasid = got;
	return true;
}

/* No device needed: the allocator's IDA is global */
static inline void floor_pasid_free(u32 pasid)
{
	iommu_free_global_pasid(pasid);
}

#else
#error "vp_bench_floor supports Linux 6.1.x and 6.12.x only"
#endif

#endif /* _VP_BENCH_FLOOR_COMPAT_H */
