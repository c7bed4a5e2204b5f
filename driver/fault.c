// SPDX-License-Identifier: GPL-2.0
/*
 * vfio_pasid - allocation-failure injection, in the test build only
 *
 * Copyright (C) 2026 The vfio-pasid authors
 *
 * Compiled in only in the test build (tests/testmod, VP_TEST_BUILD=y); the
 * module that is installed has none of this, and vp_fail() is constant
 * false there.
 *
 * Every allocation of the module, every call into an allocator that can
 * fail, and the emulated backend's programming of a device, is an injection
 * point named by a site ("vm", "ioasid", "bind-dev"...).  Writing N to the
 * parameter fail_nth arms the N-th point that the writing process (its
 * thread group) reaches from then on: that point fails as if memory ran
 * out, once, and fail_site names it.  Reading fail_nth tells how many
 * points are left before the failure: 0 once it has fired, or when nothing
 * is armed, more when the operation ended before reaching it.  Given at
 * load (insmod ... fail_nth=N), it arms the loading process: module init's
 * own allocations fail in turn.  fail_live
 * counts the objects of the module (VMs, groups, PASID states) alive, so a
 * test can tell a leak.  This is the pattern of the kernel's fail-nth
 * attribute, kept to the module and its test process.
 */
#include <linux/atomic.h>
#include <linux/moduleparam.h>
#include <linux/sched.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/sysfs.h>

#include "vfio_pasid.h"

static DEFINE_SPINLOCK(vp_fail_lock);
static atomic_t vp_fail_left = ATOMIC_INIT(0);
static pid_t vp_fail_tgid;		/* under vp_fail_lock */
static char vp_fail_site[32];		/* under vp_fail_lock */
static atomic_t vp_fail_live = ATOMIC_INIT(0);

bool vp_fail(const char *site)
{
	if (current->tgid != READ_ONCE(vp_fail_tgid))
		return false;
	if (atomic_dec_if_positive(&vp_fail_left) != 0)
		return false;
	spin_lock(&vp_fail_lock);
	strscpy(vp_fail_site, site, sizeof(vp_fail_site));
	spin_unlock(&vp_fail_lock);
	return true;
}

void vp_live_inc(const void *p)
{
	if (p)
		atomic_inc(&vp_fail_live);
}

void vp_live_dec(const void *p)
{
	if (p)
		WARN_ON_ONCE(atomic_dec_return(&vp_fail_live) < 0);
}

static int fail_nth_set(const char *val, const struct kernel_param *kp)
{
	int n, ret;

	ret = kstrtoint(val, 0, &n);
	if (ret)
		return ret;
	if (n < 0)
		return -EINVAL;
	spin_lock(&vp_fail_lock);
	WRITE_ONCE(vp_fail_tgid, current->tgid);
	vp_fail_site[0] = '\0';
	atomic_set(&vp_fail_left, n);
	spin_unlock(&vp_fail_lock);
	return 0;
}

static int fail_nth_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%d\n", atomic_read(&vp_fail_left));
}

static const struct kernel_param_ops fail_nth_ops = {
	.set = fail_nth_set,
	.get = fail_nth_get,
};

static int fail_site_get(char *buf, const struct kernel_param *kp)
{
	int ret;

	spin_lock(&vp_fail_lock);
	ret = sysfs_emit(buf, "%s\n", vp_fail_site);
	spin_unlock(&vp_fail_lock);
	return ret;
}

static const struct kernel_param_ops fail_site_ops = {
	.get = fail_site_get,
};

static int fail_live_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%d\n", atomic_read(&vp_fail_live));
}

static const struct kernel_param_ops fail_live_ops = {
	.get = fail_live_get,
};

module_param_cb(fail_nth, &fail_nth_ops, NULL, 0600);
MODULE_PARM_DESC(fail_nth, "test builds: fail the N-th injection point the writer reaches");
module_param_cb(fail_site, &fail_site_ops, NULL, 0400);
MODULE_PARM_DESC(fail_site, "test builds: the site of the last injected failure");
module_param_cb(fail_live, &fail_live_ops, NULL, 0400);
MODULE_PARM_DESC(fail_live, "test builds: objects of the module alive");
