// SPDX-License-Identifier: GPL-2.0
/*
 * vp_bench_floor - the benchmark's floor: the kernel's PASID allocator
 * called directly, timed in the kernel (see vp_bench_floor.h; compat.h
 * has the allocator of each kernel)
 *
 * Copyright (C) 2026 The vfio-pasid authors
 *
 * The loops call cond_resched() once per VP_FLOOR_BATCH PASIDs, as
 * vfio_pasid's reclaim does.  Random picks come from a xorshift generator
 * with a fixed seed: each load of the module frees in the same order.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/ktime.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/uaccess.h>

#include "compat.h"
#include "vp_bench_floor.h"

#define VP_FLOOR_BATCH	64

static DEFINE_MUTEX(floor_lock);
static u32 *floor_held;		/* PASIDs kept, in no order */
static u32 floor_nheld;
static u32 floor_rand = 2463534242U;

static u32 floor_next_rand(void)
{
	floor_rand ^= floor_rand << 13;
	floor_rand ^= floor_rand >> 17;
	floor_rand ^= floor_rand << 5;
	return floor_rand;
}

static int floor_cmp(const void *a, const void *b)
{
	u32 x = *(const u32 *)a, y = *(const u32 *)b;

	return x < y ? -1 : x > y;
}

static void floor_alloc_free(struct vp_floor_req *req)
{
	u32 pasid;

	for (req->done = 0; req->done < req->count; req->done++) {
		if (!floor_pasid_alloc(req->min, req->max, &pasid))
			break;
		floor_pasid_free(pasid);
		if (!(req->done % VP_FLOOR_BATCH))
			cond_resched();
	}
}

static void floor_alloc(struct vp_floor_req *req)
{
	u32 pasid;

	for (req->done = 0; req->done < req->count; req->done++) {
		if (floor_nheld == VP_FLOOR_MAX_HELD)
			break;
		if (!floor_pasid_alloc(req->min, req->max, &pasid))
			break;
		floor_held[floor_nheld++] = pasid;
		if (!(req->done % VP_FLOOR_BATCH))
			cond_resched();
	}
}

/* Free @req->count kept PASIDs (all when 0), picked at random */
static void floor_free_random(struct vp_floor_req *req)
{
	u32 n = req->count ? min(req->count, floor_nheld) : floor_nheld;
	u32 i;

	for (req->done = 0; req->done < n; req->done++) {
		i = floor_next_rand() % floor_nheld;
		floor_pasid_free(floor_held[i]);
		floor_held[i] = floor_held[--floor_nheld];
		if (!(req->done % VP_FLOOR_BATCH))
			cond_resched();
	}
}

/* Free the @req->count lowest kept PASIDs (all when 0), lowest first */
static void floor_free_order(struct vp_floor_req *req)
{
	u32 n = req->count ? min(req->count, floor_nheld) : floor_nheld;

	for (req->done = 0; req->done < n; req->done++) {
		floor_pasid_free(floor_held[req->done]);
		if (!(req->done % VP_FLOOR_BATCH))
			cond_resched();
	}
	memmove(floor_held, floor_held + n, (floor_nheld - n) * sizeof(u32));
	floor_nheld -= n;
}

static long floor_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct vp_floor_req __user *ureq = (void __user *)arg;
	struct vp_floor_req req;
	u64 start;

	if (cmd != VP_FLOOR_RUN)
		return -ENOTTY;
	if (copy_from_user(&req, ureq, sizeof(req)))
		return -EFAULT;
	if (req.op == VP_FLOOR_ALLOC_FREE || req.op == VP_FLOOR_ALLOC) {
		if (req.min > req.max)
			return -EINVAL;
	} else if (req.op != VP_FLOOR_FREE && req.op != VP_FLOOR_FREE_ORDER) {
		return -EINVAL;
	}

	/* alloc+free keeps nothing: callers on several CPUs run side by side */
	if (req.op == VP_FLOOR_ALLOC_FREE) {
		floor_pasid_begin();
		start = ktime_get_ns();
		floor_alloc_free(&req);
		req.ns = ktime_get_ns() - start;
		floor_pasid_end();
		req.held = READ_ONCE(floor_nheld);
		return copy_to_user(ureq, &req, sizeof(req)) ? -EFAULT : 0;
	}

	mutex_lock(&floor_lock);
	if (req.op == VP_FLOOR_FREE_ORDER)	/* the sort is not timed */
		sort(floor_held, floor_nheld, sizeof(u32), floor_cmp, NULL);
	floor_pasid_begin();
	start = ktime_get_ns();
	switch (req.op) {
	case VP_FLOOR_ALLOC:
		floor_alloc(&req);
		break;
	case VP_FLOOR_FREE:
		floor_free_random(&req);
		break;
	default:
		floor_free_order(&req);
		break;
	}
	req.ns = ktime_get_ns() - start;
	floor_pasid_end();
	req.held = floor_nheld;
	mutex_unlock(&floor_lock);

	return copy_to_user(ureq, &req, sizeof(req)) ? -EFAULT : 0;
}

static const struct file_operations floor_fops = {
	.owner		= THIS_MODULE,
	.unlocked_ioctl	= floor_ioctl,
	.llseek		= noop_llseek,
};

static struct miscdevice floor_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "vp-bench-floor",
	.fops	= &floor_fops,
	.mode	= 0600,
};

static int __init floor_init(void)
{
	int ret;

	floor_held = kvmalloc_array(VP_FLOOR_MAX_HELD, sizeof(u32), GFP_KERNEL);
	if (!floor_held)
		return -ENOMEM;
	ret = floor_pasid_init();
	if (ret)
		goto out_held;
	ret = misc_register(&floor_misc);
	if (ret)
		goto out_pasid;
	return 0;

out_pasid:
	floor_pasid_exit();
out_held:
	kvfree(floor_held);
	return ret;
}

static void __exit floor_exit(void)
{
	misc_deregister(&floor_misc);
	while (floor_nheld)
		floor_pasid_free(floor_held[--floor_nheld]);
	kvfree(floor_held);
	floor_pasid_exit();
}

module_init(floor_init);
module_exit(floor_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("vfio-pasid benchmark floor: the PASID allocator called directly");
