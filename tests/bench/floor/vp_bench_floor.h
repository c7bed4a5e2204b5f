/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * vp_bench_floor - the benchmark's floor: the kernel's PASID allocator
 * called directly, timed in the kernel: ioasid_alloc/ioasid_free on Linux
 * 6.1, iommu_alloc_global_pasid/iommu_free_global_pasid on 6.12 (on the
 * device vfio_pasid would take; see compat.h)
 *
 * Copyright (C) 2026 The vfio-pasid authors
 *
 * Test-only: tests/bench/bench loads it beside vfio_pasid.  Its device,
 * /dev/vp-bench-floor, takes one ioctl, VP_FLOOR_RUN, whose struct
 * vp_floor_req names an operation and a count; the module does it and
 * writes back how many it did and how long they took (ktime_get_ns()
 * around the loop).  PASIDs it allocates are its own until freed or until
 * the module is removed.  Alloc+free runs without the module's lock, so
 * that callers on several CPUs measure the allocator's own scaling.
 */
#ifndef _VP_BENCH_FLOOR_H
#define _VP_BENCH_FLOOR_H

#include <linux/ioctl.h>
#include <linux/types.h>

enum vp_floor_op {
	VP_FLOOR_ALLOC_FREE = 1,	/* @count times: alloc in [min, max], free it */
	VP_FLOOR_ALLOC,		/* allocate @count in [min, max], keep them */
	VP_FLOOR_FREE,		/* free @count kept ones (0: all), picked at random */
	VP_FLOOR_FREE_ORDER,	/* free @count kept ones (0: all), in PASID order */
};

/**
 * struct vp_floor_req - VP_FLOOR_RUN
 * @op: enum vp_floor_op
 * @count: how many
 * @min: lowest PASID to allocate
 * @max: highest PASID to allocate
 * @done: written: how many were done (an allocation may fail: pool full)
 * @held: written: PASIDs kept after the operation
 * @ns: written: nanoseconds the operation took
 */
struct vp_floor_req {
	__u32	op;
	__u32	count;
	__u32	min;
	__u32	max;
	__u32	done;
	__u32	held;
	__u64	ns;
};

#define VP_FLOOR_RUN	_IOWR('P', 0x70, struct vp_floor_req)

/* PASIDs the module can keep */
#define VP_FLOOR_MAX_HELD	0x100000

#endif /* _VP_BENCH_FLOOR_H */
