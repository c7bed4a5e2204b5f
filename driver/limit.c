// SPDX-License-Identifier: GPL-2.0
/*
 * vfio_pasid - PASID limits per cgroup v2
 *
 * Copyright (C) 2026 The vfio-pasid authors
 *
 * Every VM is charged, when it is created, to the cgroup v2 of the process
 * that created it; every PASID it holds counts against that cgroup and each
 * of its ancestors, up to the root.  A limit may be set on any cgroup: an
 * allocation that would take any cgroup on the path over its limit is
 * refused.  Limits are hierarchical, like the misc controller's max.
 *
 * The module keeps a node (struct vp_cg) for every cgroup that has a VM
 * charged at or below it, or a limit: a VM's node and every ancestor's node
 * exist while the VM lives, so a limit set later finds the PASIDs and VMs
 * already under its cgroup counted.  Nodes are found by cgroup id in
 * vp_cgs, only when a VM is created and by the admin API; the PASID paths
 * walk from the VM's node to the root, at most the depth of its cgroup,
 * with one atomic operation per level and no lock: the cost of a check
 * grows with neither the number of VMs nor the limits on other paths.
 *
 * Locks: vp_limit_lock (a mutex) protects vp_cgs and every node's refs,
 * vms and limited; it nests inside vp_lock (a VM is charged while the
 * registry creates it) and takes no lock of ours.  max is written under it
 * and read without it; used is atomic.  Limit events are sent under it, so
 * they arrive in the order of the changes.
 *
 * References: a node holds its cgroup (cgroup_get()) and its parent node;
 * a node is referenced by each of its child nodes, each VM charged to it
 * and its limit.  A cgroup removed (rmdir) while a VM charged to it lives
 * stays allocated, offline, until the node lets go of it.  A limit on a
 * removed cgroup stays in force for the VMs still under it and is deleted
 * (with an event) when the last of them ends, or by the next dump when
 * none is left.  No node is left at module exit but limits, which are
 * dropped there.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cgroup.h>
#include <linux/fs.h>
#include <linux/kernfs.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/string.h>
#include <linux/xarray.h>

#include "vfio_pasid.h"

/**
 * struct vp_cg - one cgroup as the module counts it
 * @cgrp: the cgroup, referenced
 * @parent: the node of its parent, referenced; NULL for the root
 * @refs: child nodes, VMs charged here and a set limit
 * @vms: VMs charged here or below
 * @limited: a limit is set; the limit holds a reference
 * @max: the limit, VP_NO_LIMIT when none; read without the lock
 * @used: PASIDs held by VMs charged here or below
 * @path: the cgroup's path from the cgroup2 root (cgroup v2 directories
 *        cannot be renamed)
 */
struct vp_cg {
	struct cgroup	*cgrp;
	struct vp_cg	*parent;
	unsigned int	refs;
	unsigned int	vms;
	bool		limited;
	u32		max;
	atomic_t	used;
	char		path[];
};

#define VP_NO_LIMIT	U32_MAX

/* The mark of limited nodes in vp_cgs */
#define VP_CG_LIMITED	XA_MARK_0

static DEFINE_MUTEX(vp_limit_lock);
/* cgroup id -> struct vp_cg; ids are u64, unsigned long on 64-bit */
static DEFINE_XARRAY(vp_cgs);

static bool vp_cg_online(const struct vp_cg *cg)
{
	return cg->cgrp->self.flags & CSS_ONLINE;
}

/* Drop a reference to @cg, and to its parents when that was the last */
static void vp_cg_put(struct vp_cg *cg)
{
	struct vp_cg *parent;

	lockdep_assert_held(&vp_limit_lock);
	while (cg && !--cg->refs) {
		parent = cg->parent;
		xa_erase(&vp_cgs, cgroup_id(cg->cgrp));
		cgroup_put(cg->cgrp);
		vp_free(cg);
		cg = parent;
	}
}

/* A new node for @cgrp under @parent (referenced here), one reference */
static struct vp_cg *vp_cg_new(struct cgroup *cgrp, struct vp_cg *parent)
{
	const char *name = cgrp->kn->name;
	size_t plen = parent && parent->parent ? strlen(parent->path) : 0;
	size_t len = parent ? plen + 1 + strlen(name) : 1;
	struct vp_cg *cg;
	int ret;

	cg = vp_zalloc(struct_size(cg, path, len + 1), "cgroup");
	if (!cg)
		return NULL;
	if (parent) {
		memcpy(cg->path, parent->path, plen);
		cg->path[plen] = '/';
		strscpy(cg->path + plen + 1, name, len - plen);
	} else {
		cg->path[0] = '/';
	}
	ret = vp_fail("cgroup-xa") ? -ENOMEM :
		xa_insert(&vp_cgs, cgroup_id(cgrp), cg, GFP_KERNEL);
	if (ret) {
		vp_free(cg);
		return NULL;
	}
	cgroup_get(cgrp);
	cg->cgrp = cgrp;
	cg->parent = parent;
	if (parent)
		parent->refs++;
	cg->refs = 1;
	cg->max = VP_NO_LIMIT;
	atomic_set(&cg->used, 0);
	return cg;
}

/*
 * The node of @cgrp with a reference taken, made with those of its
 * ancestors that have none yet (from the top down), or NULL when memory
 * ran out (nothing then changed).
 */
static struct vp_cg *vp_cg_get(struct cgroup *cgrp)
{
	struct vp_cg *cg = NULL, *made = NULL, *parent;
	int level;

	lockdep_assert_held(&vp_limit_lock);
	/* the deepest ancestor (or itself) that has a node */
	for (level = cgrp->level; level >= 0; level--) {
		cg = xa_load(&vp_cgs, cgroup_id(cgrp->ancestors[level]));
		if (cg)
			break;
	}
	if (cg && level == cgrp->level) {
		cg->refs++;
		return cg;
	}
	parent = cg;
	for (level++; level <= cgrp->level; level++) {
		cg = vp_cg_new(cgrp->ancestors[level], parent);
		if (!cg) {
			/* the nodes made so far hang from the last one */
			if (made)
				vp_cg_put(parent);
			return NULL;
		}
		/* a child holds its parent: drop the creation reference */
		if (made)
			parent->refs--;
		made = cg;
		parent = cg;
	}
	return cg;
}

/* The cgroup v2 of the calling process, referenced */
static struct cgroup *vp_current_cgroup(void)
{
	struct cgroup *cgrp;

	rcu_read_lock();
	/* a cgroup the task is migrating out of may be on its way out */
	do {
		cgrp = task_dfl_cgroup(current);
	} while (!cgroup_tryget(cgrp));
	rcu_read_unlock();
	return cgrp;
}

struct vp_cg *vp_cg_charge_vm(void)
{
	struct cgroup *cgrp = vp_current_cgroup();
	struct vp_cg *cg, *c;

	mutex_lock(&vp_limit_lock);
	cg = vp_cg_get(cgrp);
	for (c = cg; c; c = c->parent)
		c->vms++;
	mutex_unlock(&vp_limit_lock);
	cgroup_put(cgrp);
	return cg ? cg : ERR_PTR(-ENOMEM);
}

static void vp_limit_drop(struct vp_cg *cg);

void vp_cg_uncharge_vm(struct vp_cg *cg)
{
	struct vp_cg *c;

	mutex_lock(&vp_limit_lock);
	for (c = cg; c; c = c->parent) {
		c->vms--;
		WARN_ON_ONCE(!c->vms && atomic_read(&c->used));
	}
	/*
	 * The limits of removed cgroups that have no VM left go; the VM's
	 * reference holds every node of the chain until the put below.
	 */
	for (c = cg; c; c = c->parent)
		if (c->limited && !c->vms && !vp_cg_online(c))
			vp_limit_drop(c);
	vp_cg_put(cg);
	mutex_unlock(&vp_limit_lock);
}

const char *vp_cg_path(const struct vp_cg *cg)
{
	return cg->path;
}

bool vp_cg_try_charge(struct vp_cg *cg)
{
	struct vp_cg *c, *undo;
	u32 max;
	int cur;

	for (c = cg; c; c = c->parent) {
		max = READ_ONCE(c->max);
		if (max == VP_NO_LIMIT) {
			atomic_inc(&c->used);
			continue;
		}
		/* never above the limit, not even for a moment */
		cur = atomic_read(&c->used);
		do {
			if (cur >= max)
				goto refuse;
		} while (!atomic_try_cmpxchg(&c->used, &cur, cur + 1));
	}
	return true;

refuse:
	for (undo = cg; undo != c; undo = undo->parent)
		atomic_dec(&undo->used);
	return false;
}

void vp_cg_uncharge(struct vp_cg *cg, u32 n)
{
	for (; cg; cg = cg->parent)
		atomic_sub(n, &cg->used);
}

/* Whether a cgroup2 file system is mounted anywhere */
static void vp_sb_seen(struct super_block *sb, void *arg)
{
	*(bool *)arg = true;
}

static bool vp_cgroup2_mounted(void)
{
	struct file_system_type *fs = get_fs_type("cgroup2");
	bool seen = false;

	if (!fs)
		return false;
	iterate_supers_type(fs, vp_sb_seen, &seen);
	/* get_fs_type() took its module, if it has one (cgroup2 has none) */
	module_put(fs->owner);
	return seen;
}

/*
 * The cgroup at @path from the cgroup2 root of the caller's cgroup
 * namespace, referenced; ERR_PTR(-ENOENT) when there is no cgroup there
 */
static struct cgroup *vp_cgroup_at(const char *path)
{
	struct cgroup *cgrp;

	if (path[0] != '/')
		return ERR_PTR(-EINVAL);
	cgrp = cgroup_get_from_path(path);
	if (IS_ERR(cgrp))
		return ERR_PTR(-ENOENT);
	return cgrp;
}

static void vp_limit_info(const struct vp_cg *cg, struct vp_limit_info *li)
{
	li->path = cg->path;
	li->max = READ_ONCE(cg->max);
	li->used = atomic_read(&cg->used);
	li->vms = cg->vms;
}

/* Remove @cg's limit and say so; @cg must stay referenced by the caller */
static void vp_limit_drop(struct vp_cg *cg)
{
	struct vp_limit_info li;

	lockdep_assert_held(&vp_limit_lock);
	vp_limit_info(cg, &li);
	WRITE_ONCE(cg->max, VP_NO_LIMIT);
	cg->limited = false;
	xa_clear_mark(&vp_cgs, cgroup_id(cg->cgrp), VP_CG_LIMITED);
	vp_dump_changed();
	vp_nl_limit_event(false, &li);
	vp_cg_put(cg);
}

int vp_limit_set(const char *path, u32 max)
{
	struct vp_limit_info li;
	struct cgroup *cgrp;
	struct vp_cg *cg;
	int ret = 0;

	if (!vp_cgroup2_mounted())
		return -EOPNOTSUPP;
	cgrp = vp_cgroup_at(path);
	if (IS_ERR(cgrp))
		return PTR_ERR(cgrp);

	mutex_lock(&vp_limit_lock);
	cg = vp_cg_get(cgrp);
	if (!cg) {
		ret = -ENOMEM;
		goto out;
	}
	if (cg->limited) {
		/* the limit holds its reference already */
		vp_cg_put(cg);
	} else {
		cg->limited = true;
		xa_set_mark(&vp_cgs, cgroup_id(cgrp), VP_CG_LIMITED);
		vp_dump_changed();
	}
	WRITE_ONCE(cg->max, max);
	vp_limit_info(cg, &li);
	vp_nl_limit_event(true, &li);
out:
	mutex_unlock(&vp_limit_lock);
	cgroup_put(cgrp);
	return ret;
}

int vp_limit_del(const char *path)
{
	struct cgroup *cgrp;
	struct vp_cg *cg;
	int ret = 0;

	cgrp = vp_cgroup_at(path);
	if (IS_ERR(cgrp))
		return PTR_ERR(cgrp);

	mutex_lock(&vp_limit_lock);
	cg = xa_load(&vp_cgs, cgroup_id(cgrp));
	if (cg && cg->limited)
		vp_limit_drop(cg);
	else
		ret = -ESRCH;
	mutex_unlock(&vp_limit_lock);
	cgroup_put(cgrp);
	return ret;
}

/* The limits of removed cgroups without VMs go; under vp_limit_lock */
static void vp_limit_sweep(void)
{
	unsigned long id;
	struct vp_cg *cg;

	xa_for_each_marked(&vp_cgs, id, cg, VP_CG_LIMITED)
		if (!cg->vms && !vp_cg_online(cg))
			vp_limit_drop(cg);
}

int vp_limit_visit_from(unsigned long *pos, vp_limit_visit_t fn, void *arg)
{
	struct vp_limit_info li;
	unsigned long id = *pos;
	struct vp_cg *cg;
	int ret = 0;

	mutex_lock(&vp_limit_lock);
	if (!id)
		vp_limit_sweep();
	for (cg = xa_find(&vp_cgs, &id, ULONG_MAX, VP_CG_LIMITED); cg;
	     cg = xa_find_after(&vp_cgs, &id, ULONG_MAX, VP_CG_LIMITED)) {
		vp_limit_info(cg, &li);
		ret = fn(&li, arg);
		if (ret) {
			*pos = id;
			break;
		}
		*pos = id + 1;
	}
	mutex_unlock(&vp_limit_lock);
	return ret;
}

/* Call @fn with the limit of the cgroup at @path, under the lock */
int vp_limit_get(const char *path, vp_limit_visit_t fn, void *arg)
{
	struct vp_limit_info li;
	struct cgroup *cgrp;
	struct vp_cg *cg;
	int ret = -ESRCH;

	cgrp = vp_cgroup_at(path);
	if (IS_ERR(cgrp))
		return PTR_ERR(cgrp);
	mutex_lock(&vp_limit_lock);
	cg = xa_load(&vp_cgs, cgroup_id(cgrp));
	if (cg && cg->limited) {
		vp_limit_info(cg, &li);
		ret = fn(&li, arg);
	}
	mutex_unlock(&vp_limit_lock);
	cgroup_put(cgrp);
	return ret;
}

void vp_limit_exit(void)
{
	unsigned long id;
	struct vp_cg *cg;

	/* every VM is gone: only limits hold nodes */
	mutex_lock(&vp_limit_lock);
	xa_for_each_marked(&vp_cgs, id, cg, VP_CG_LIMITED) {
		cg->limited = false;
		vp_cg_put(cg);
	}
	mutex_unlock(&vp_limit_lock);
	WARN_ON(!xa_empty(&vp_cgs));
	xa_destroy(&vp_cgs);
}
