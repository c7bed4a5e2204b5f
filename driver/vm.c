// SPDX-License-Identifier: GPL-2.0
/*
 * vfio_pasid - the VM model: VMs, their PASIDs and quotas, reclaim
 *
 * Copyright (C) 2026 The vfio-pasid authors
 *
 * Lock order, outermost first:
 *
 *   nlk->cb_mutex    mutex     netlink's, held around our dump callbacks
 *   vp_lock          mutex     the VM registry: vp_vms, vp_vm_by_mm, vm->users
 *   vp_limit_lock    mutex     the cgroup nodes and limits (limit.c); taken
 *                              under vp_lock when a VM is charged, never
 *                              with vm->lock: PASIDs are charged to a VM's
 *                              cgroups with atomic operations only
 *   vm->lock         mutex     one VM: quota, counts, PASIDs, groups, bindings
 *   group->mutex     mutex     an IOMMU group's (iommu_group_for_each_dev(),
 *                              iommu_group_get()); attach takes it before
 *                              vm->lock, never under it
 *   ioasid_allocator_lock      the ioasid allocator's spinlock, only ever
 *                              under vm->lock or no lock of ours, so no
 *                              global lock of ours is held across it
 *   vp_log_lock      spinlock  the reclaim log ring
 *   vp_fail_lock     spinlock  fault injection (test builds, fault.c)
 *
 * Under the spinlocks nothing sleeps or allocates: a dump of the reclaim
 * log only fills the skb netlink gave it.  Nothing copies to or from user
 * space under vm->lock or vp_lock: ioctls copy in before and out after.
 * Events are sent with vm->lock held (reclaim) or no lock of ours, never
 * under vp_lock.  A generic netlink request runs under netlink's cb_lock
 * read side, which genl_unregister_family() takes for writing: unloading
 * waits for requests in flight.
 *
 * Life of a VM: the first open() by an mm creates it (users = 1, mm pinned
 * with mmgrab()), every further open() by a process of that mm takes
 * another user.  The last release() unlinks it from the registry under
 * vp_lock, so no lookup (ioctl of another descriptor, admin request, dump)
 * can find it afterwards.  Teardown of an unlinked VM, in order:
 *
 *   1. under vm->lock, each PASID: its binding off every device, then the
 *      PASID back to the allocator, a reclaim log record and an event;
 *   2. its groups let go: any binding left off their devices, then each
 *      device's references, the IOMMU group's and the group file's (fput()
 *      only queues the file's release, so none of VFIO's locks nest in
 *      ours);
 *   3. the VM_DEL event, the VM's charge to its cgroup given back (each
 *      PASID was given back to its cgroups as it was freed), the mm
 *      dropped, the VM freed.
 *
 * Detach of a group narrows the bindings to the other groups (or removes
 * them, for the last group) before the group is unlinked and let go.  The
 * module cannot be removed while a descriptor is open (the device's fops
 * owner) or a dump is in flight (netlink holds the family's module for it),
 * so the registry is empty at module exit; module teardown is in main.c.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cred.h>
#include <linux/hashtable.h>
#include <linux/ktime.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/vmalloc.h>

#include <linux/vfio_pasid_netlink.h>

#include "vfio_pasid.h"

struct vp_stats vp_stats;
DEFINE_PER_CPU(struct vp_pcpu_stats, vp_pcpu_stats);

static DEFINE_MUTEX(vp_lock);
static DEFINE_XARRAY_ALLOC1(vp_vms);

/*
 * Bumped whenever a dump's list changes shape: a VM comes or goes, a group
 * is attached or detached, a limit is set or dropped.  A dump that spans
 * several messages compares it between them (NLM_F_DUMP_INTR).  Never 0:
 * netlink takes a zero sequence for "not checked".
 */
static atomic_t vp_dump_gen = ATOMIC_INIT(1);

void vp_dump_changed(void)
{
	if (atomic_inc_return(&vp_dump_gen) == 0)
		atomic_inc(&vp_dump_gen);
}

unsigned int vp_dump_seq(void)
{
	return atomic_read(&vp_dump_gen) ?: 1;
}

static u32 vp_next_vm_id;
static DEFINE_HASHTABLE(vp_vm_by_mm, 8);

static DEFINE_SPINLOCK(vp_log_lock);
static struct vp_reclaim_rec *vp_log;
static u32 vp_log_head;		/* slot of the next record */
static u64 vp_log_next;		/* seq of the next record */
static u64 vp_log_first;	/* seq of the oldest record kept */
static u64 vp_log_dropped;	/* records overwritten before being cleared */

int vp_vm_init(void)
{
	int ret;

	if (vp_reclaim_log_size) {
		vp_log = vp_fail("log") ? NULL :
			kvcalloc(vp_reclaim_log_size, sizeof(*vp_log),
				 GFP_KERNEL);
		if (!vp_log)
			return -ENOMEM;
	}
	ret = vp_pool_init();
	if (ret) {
		kvfree(vp_log);
		vp_log = NULL;
	}
	return ret;
}

void vp_vm_exit(void)
{
	WARN_ON(!xa_empty(&vp_vms));
	xa_destroy(&vp_vms);
	vp_pool_exit();
	kvfree(vp_log);
	vp_log = NULL;
}

void vp_vm_snapshot(struct vp_vm *vm, struct vp_vm_info *info)
{
	info->id = vm->id;
	info->pid = pid_nr(vm->creator);
	memcpy(info->comm, vm->comm, sizeof(info->comm));
	info->cgroup = vp_cg_path(vm->cg);
	mutex_lock(&vm->lock);
	info->quota = vm->quota;
	info->count = vm->count;
	info->bound = vm->bound;
	info->ngroups = vm->ngroups;
	mutex_unlock(&vm->lock);
}

static struct vp_vm *vp_vm_create(struct mm_struct *mm)
{
	struct vp_vm *vm;
	int ret;

	lockdep_assert_held(&vp_lock);

	vm = vp_zalloc(sizeof(*vm), "vm");
	if (!vm)
		return ERR_PTR(-ENOMEM);

	ret = vp_fail("vm-id") ? -ENOMEM :
		xa_alloc_cyclic(&vp_vms, &vm->id, vm, xa_limit_31b,
				&vp_next_vm_id, GFP_KERNEL);
	if (ret < 0) {
		vp_free(vm);
		return ERR_PTR(ret);
	}

	/* charged to the creator's cgroup for the VM's whole life */
	vm->cg = vp_cg_charge_vm();
	if (IS_ERR(vm->cg)) {
		ret = PTR_ERR(vm->cg);
		xa_erase(&vp_vms, vm->id);
		vp_free(vm);
		return ERR_PTR(ret);
	}

	mutex_init(&vm->lock);
	xa_init(&vm->held);
	xa_init(&vm->states);
	INIT_LIST_HEAD(&vm->groups);
	vm->users = 1;
	vm->creator = get_pid(task_tgid(current));
	vm->uid = current_euid();
	get_task_comm(vm->comm, current);
	vm->quota = vp_default_quota();
	mmgrab(mm);
	vm->mm = mm;
	hash_add(vp_vm_by_mm, &vm->hnode, (unsigned long)mm);
	atomic_inc(&vp_stats.vm_count);
	vp_dump_changed();
	return vm;
}

/* The VM of the calling process, created on first use, with a user taken */
struct vp_vm *vp_vm_get_current(void)
{
	struct mm_struct *mm = current->mm;
	struct vp_vm_info info;
	struct vp_vm *vm;

	if (!mm)
		return ERR_PTR(-EINVAL);

	mutex_lock(&vp_lock);
	hash_for_each_possible(vp_vm_by_mm, vm, hnode, (unsigned long)mm) {
		if (vm->mm == mm) {
			vm->users++;
			mutex_unlock(&vp_lock);
			return vm;
		}
	}
	vm = vp_vm_create(mm);
	if (!IS_ERR(vm))
		vp_vm_snapshot(vm, &info);
	mutex_unlock(&vp_lock);

	if (!IS_ERR(vm))
		vp_nl_vm_event(VFIO_PASID_CMD_VM_NEW_NTF, &info);
	return vm;
}

static void vp_log_add(struct vp_reclaim_rec *rec)
{
	spin_lock(&vp_log_lock);
	rec->seq = vp_log_next++;
	if (vp_reclaim_log_size) {
		if (rec->seq - vp_log_first >= vp_reclaim_log_size) {
			vp_log_first++;
			vp_log_dropped++;
		}
		vp_log[vp_log_head] = *rec;
		if (++vp_log_head == vp_reclaim_log_size)
			vp_log_head = 0;
	} else {
		vp_log_first = vp_log_next;
		vp_log_dropped++;
	}
	spin_unlock(&vp_log_lock);
}

/* PASIDs reclaimed between two chances to reschedule */
#define VP_RECLAIM_BATCH	64

/*
 * Give back everything an unlinked VM holds: each PASID, its binding first,
 * one reclaim log record each, then its groups.  Runs in release(), possibly while the
 * owner exits: it needs only the pinned mm structure, never the address
 * space.
 */
static void vp_vm_reclaim(struct vp_vm *vm)
{
	bool notify = vp_nl_reclaim_listeners();
	struct vp_reclaim_rec rec = {
		.time_ns = ktime_get_real_ns(),
		.vm_id = vm->id,
		.pid = pid_nr(vm->creator),
		.uid = vm->uid,
	};
	struct vp_vm_info info;
	unsigned long key, bits;
	struct vp_pasid *st;
	void *entry;
	u32 n = 0;
	int bit;

	memcpy(rec.comm, vm->comm, sizeof(rec.comm));

	/* one lookup per entry of the bitmap, of up to VP_HELD_BITS PASIDs */
	mutex_lock(&vm->lock);
	xa_for_each(&vm->held, key, entry) {
		bits = xa_to_value(entry);
		for_each_set_bit(bit, &bits, VP_HELD_BITS) {
			rec.pasid = key * VP_HELD_BITS + bit;
			st = xa_empty(&vm->states) ? NULL :
				xa_load(&vm->states, rec.pasid);
			rec.bound = st && st->bound;
			/* a PASID's binding goes before the PASID */
			if (rec.bound)
				vp_pasid_unbind(vm, rec.pasid, st);
			vp_free(st);
			vp_pool_free(rec.pasid);
			/* counted back at once: other VMs may have it now */
			this_cpu_inc(vp_pcpu_stats.reclaimed);
			atomic_dec(&vp_stats.in_use);
			vp_cg_uncharge(vm->cg, 1);
			vp_log_add(&rec);
			if (notify)
				vp_nl_reclaim_event(&rec);
			if (!(++n % VP_RECLAIM_BATCH))
				cond_resched();
		}
	}
	xa_destroy(&vm->held);
	xa_destroy(&vm->states);
	vm->count = 0;
	vm->bound = 0;
	mutex_unlock(&vm->lock);

	vp_vm_release_groups(vm);

	/* the event reports as COUNT the PASIDs just reclaimed */
	vp_vm_snapshot(vm, &info);
	info.count = n;
	vp_nl_vm_event(VFIO_PASID_CMD_VM_DEL_NTF, &info);

	vp_cg_uncharge_vm(vm->cg);
	put_pid(vm->creator);
	mmdrop(vm->mm);
	mutex_destroy(&vm->lock);
	vp_free(vm);
}

void vp_vm_put(struct vp_vm *vm)
{
	mutex_lock(&vp_lock);
	if (--vm->users) {
		mutex_unlock(&vp_lock);
		return;
	}
	hash_del(&vm->hnode);
	xa_erase(&vp_vms, vm->id);
	atomic_dec(&vp_stats.vm_count);
	vp_dump_changed();
	mutex_unlock(&vp_lock);

	vp_vm_reclaim(vm);
}

/*
 * Mark @pasid held in @vm's bitmap: one walk, under the xarray's lock; a
 * node is allocated only for the first PASID of a new entry.  0 or -ENOMEM.
 */
static int vp_held_set(struct vp_vm *vm, u32 pasid)
{
	XA_STATE(xas, &vm->held, pasid / VP_HELD_BITS);
	unsigned long bits;
	void *entry;

	do {
		xas_lock(&xas);
		entry = xas_load(&xas);
		bits = entry ? xa_to_value(entry) : 0;
		xas_store(&xas, xa_mk_value(bits | BIT(pasid % VP_HELD_BITS)));
		xas_unlock(&xas);
	} while (xas_nomem(&xas, GFP_KERNEL));
	return xas_error(&xas);
}

/* Clear @pasid in @vm's bitmap; false when @vm did not hold it */
static bool vp_held_clear(struct vp_vm *vm, u32 pasid)
{
	XA_STATE(xas, &vm->held, pasid / VP_HELD_BITS);
	unsigned long bits, bit = BIT(pasid % VP_HELD_BITS);
	void *entry;

	if (pasid > VP_PASID_LIMIT)
		return false;
	xas_lock(&xas);
	entry = xas_load(&xas);
	bits = entry ? xa_to_value(entry) : 0;
	if (bits & bit) {
		bits &= ~bit;
		/* a cleared entry frees its slot: needs no memory */
		xas_store(&xas, bits ? xa_mk_value(bits) : NULL);
	}
	xas_unlock(&xas);
	return entry && (xa_to_value(entry) & bit);
}

int vp_vm_alloc_pasid(struct vp_vm *vm, u32 min, u32 max, u32 *out)
{
	u32 pasid;
	int ret;

	mutex_lock(&vm->lock);
	if (vm->count >= vm->quota) {
		atomic64_inc(&vp_stats.quota_refusals);
		ret = -ENOSPC;
		goto out;
	}
	/* then a place under the limit of every cgroup up to the root */
	if (!vp_cg_try_charge(vm->cg)) {
		atomic64_inc(&vp_stats.limit_refusals);
		ret = -ENOSPC;
		goto out;
	}
	/* a place in the pool first: IN_USE never exceeds it */
	if (!atomic_add_unless(&vp_stats.in_use, 1, vp_pool_size())) {
		atomic64_inc(&vp_stats.pool_refusals);
		ret = -ENOSPC;
		goto out_uncharge;
	}
	/*
	 * A full range is answered without asking the allocator (pool-*.c);
	 * the allocator tells no reason: a failure of its is a full pool.
	 */
	ret = vp_fail("ioasid") ? -ENOSPC : vp_pool_alloc(min, max, &pasid);
	if (ret) {
		atomic64_inc(&vp_stats.pool_refusals);
		goto out_unreserve;
	}
	ret = vp_fail("pasid-xa") ? -ENOMEM : vp_held_set(vm, pasid);
	if (ret) {
		vp_pool_free(pasid);
		goto out_unreserve;
	}
	vm->count++;
	this_cpu_inc(vp_pcpu_stats.allocated);
	*out = pasid;
	mutex_unlock(&vm->lock);
	return 0;

out_unreserve:
	atomic_dec(&vp_stats.in_use);
out_uncharge:
	vp_cg_uncharge(vm->cg, 1);
out:
	mutex_unlock(&vm->lock);
	return ret;
}

int vp_vm_free_pasid(struct vp_vm *vm, u32 pasid)
{
	struct vp_pasid *st = NULL;

	mutex_lock(&vm->lock);
	if (!vp_held_clear(vm, pasid)) {
		mutex_unlock(&vm->lock);
		return -ENOENT;
	}
	/* its binding goes before the PASID, still under the lock */
	if (!xa_empty(&vm->states))
		st = xa_erase(&vm->states, pasid);
	if (st && st->bound)
		vp_pasid_unbind(vm, pasid, st);
	vp_free(st);
	vp_pool_free(pasid);
	vm->count--;
	vp_cg_uncharge(vm->cg, 1);
	mutex_unlock(&vm->lock);

	this_cpu_inc(vp_pcpu_stats.freed);
	atomic_dec(&vp_stats.in_use);
	return 0;
}

/*
 * Change a VM's quota.  @may_raise says whether the caller may raise it.
 * On -EINVAL, *info tells the caller why (count, pool size).
 */
static int vp_vm_change_quota(struct vp_vm *vm, u32 quota, bool may_raise,
			      u32 *old)
{
	int ret = 0;

	mutex_lock(&vm->lock);
	*old = vm->quota;
	if (quota > vp_pool_size() || quota < vm->count)
		ret = -EINVAL;
	else if (quota > vm->quota && !may_raise)
		ret = -EPERM;
	else
		vm->quota = quota;
	mutex_unlock(&vm->lock);
	return ret;
}

int vp_vm_set_quota(struct vp_vm *vm, u32 quota, bool may_raise, u32 *old)
{
	int ret;

	ret = vp_vm_change_quota(vm, quota, may_raise, old);
	if (!ret && *old != quota)
		vp_nl_quota_event(vm->id, *old, quota);
	return ret;
}

/*
 * The VM of id @id, or the one whose creator is the process @pid when @id
 * is 0; one that @who may see.  Under vp_lock.
 */
static struct vp_vm *vp_vm_lookup(u32 id, struct pid *pid,
				  const struct vp_viewer *who)
{
	struct vp_vm *vm = NULL, *v;
	unsigned long idx;

	lockdep_assert_held(&vp_lock);
	if (id) {
		vm = xa_load(&vp_vms, id);
	} else {
		xa_for_each(&vp_vms, idx, v) {
			if (v->creator == pid) {
				vm = v;
				break;
			}
		}
	}
	return vm && (!who || vp_may_see(who, vm->uid)) ? vm : NULL;
}

/* A VM as @who sees it: its creator's pid in @who's pid namespace */
static void vp_vm_snapshot_for(struct vp_vm *vm, const struct vp_viewer *who,
			       struct vp_vm_info *info)
{
	vp_vm_snapshot(vm, info);
	if (who && who->ns)
		info->pid = pid_nr_ns(vm->creator, who->ns);
}

/* Look a VM up by id, or by its creator when @id is 0 */
int vp_vm_find_info(u32 id, struct pid *pid, const struct vp_viewer *who,
		    struct vp_vm_info *info)
{
	struct vp_vm *vm;
	int ret = -ENOENT;

	mutex_lock(&vp_lock);
	vm = vp_vm_lookup(id, pid, who);
	if (vm) {
		vp_vm_snapshot_for(vm, who, info);
		ret = 0;
	}
	mutex_unlock(&vp_lock);
	return ret;
}

/* Call @fn with a snapshot of the VM, under vp_lock: its cgroup path holds */
int vp_vm_find_visit(u32 id, struct pid *pid, const struct vp_viewer *who,
		     vp_vm_visit_t fn, void *arg)
{
	struct vp_vm_info info;
	struct vp_vm *vm;
	int ret = -ENOENT;

	mutex_lock(&vp_lock);
	vm = vp_vm_lookup(id, pid, who);
	if (vm) {
		vp_vm_snapshot_for(vm, who, &info);
		ret = fn(&info, arg);
	}
	mutex_unlock(&vp_lock);
	return ret;
}

/* The admin's quota change: may raise; *info describes the VM afterwards */
int vp_vm_set_quota_by_id(u32 id, struct pid *pid, u32 quota, u32 *old,
			  struct vp_vm_info *info)
{
	struct vp_vm *vm;
	int ret = -ENOENT;

	mutex_lock(&vp_lock);
	vm = vp_vm_lookup(id, pid, NULL);
	if (vm) {
		ret = vp_vm_change_quota(vm, quota, true, old);
		vp_vm_snapshot(vm, info);
	}
	mutex_unlock(&vp_lock);
	if (!ret && *old != quota)
		vp_nl_quota_event(info->id, *old, quota);
	return ret;
}

/*
 * Visit VMs in id order from *start.  When @fn fails, *start is left at the
 * VM it failed on, so a dump resumes there.
 */
int vp_vm_visit_from(unsigned long *start, const struct vp_viewer *who,
		     vp_vm_visit_t fn, void *arg)
{
	struct vp_vm_info info;
	struct vp_vm *vm;
	unsigned long idx;
	int ret = 0;

	mutex_lock(&vp_lock);
	xa_for_each_start(&vp_vms, idx, vm, *start) {
		if (!vp_may_see(who, vm->uid)) {
			*start = idx + 1;
			continue;
		}
		vp_vm_snapshot_for(vm, who, &info);
		ret = fn(&info, arg);
		if (ret) {
			*start = idx;
			break;
		}
		*start = idx + 1;
	}
	mutex_unlock(&vp_lock);
	return ret;
}

/*
 * One VM's part of a walk over every VM's items: visits the items of @vm
 * from *@pos under its lock, leaving *@pos after the last one visited; a
 * non-zero return stops the walk there.
 */
typedef int (*vp_vm_items_t)(struct vp_vm *vm, unsigned long *pos,
			     void *walk);

/*
 * Walk the items of every VM, by VM id then item position, from (*vm_pos,
 * *pos); only VM @vm_filter when it is not 0.  Resumes like
 * vp_vm_visit_from().
 */
static int vp_vm_walk_from(u32 vm_filter, const struct vp_viewer *who,
			   unsigned long *vm_pos, unsigned long *pos,
			   vp_vm_items_t items, void *walk)
{
	struct vp_vm *vm;
	unsigned long idx;
	int ret = 0;

	mutex_lock(&vp_lock);
	if (vm_filter && *vm_pos < vm_filter)
		*vm_pos = vm_filter;
	xa_for_each_start(&vp_vms, idx, vm, *vm_pos) {
		if (vm_filter && idx != vm_filter)
			break;
		if (idx != *vm_pos) {
			*vm_pos = idx;
			*pos = 0;
		}
		if (!vp_may_see(who, vm->uid)) {
			*vm_pos = idx + 1;
			continue;
		}
		mutex_lock(&vm->lock);
		ret = items(vm, pos, walk);
		mutex_unlock(&vm->lock);
		if (ret)
			break;
		*vm_pos = idx + 1;
		*pos = 0;
	}
	mutex_unlock(&vp_lock);
	return ret;
}

struct vp_pasid_walk {
	vp_pasid_visit_t	fn;
	void			*arg;
};

/* The PASIDs of @vm from *@pos, in PASID order */
static int vp_vm_pasids(struct vp_vm *vm, unsigned long *pos, void *walk)
{
	struct vp_pasid_walk *w = walk;
	unsigned long key, bits, pasid;
	struct vp_pasid *st;
	void *entry;
	int bit, ret;

	xa_for_each_start(&vm->held, key, entry, *pos / VP_HELD_BITS) {
		bits = xa_to_value(entry);
		for_each_set_bit(bit, &bits, VP_HELD_BITS) {
			pasid = key * VP_HELD_BITS + bit;
			if (pasid < *pos)
				continue;
			st = xa_empty(&vm->states) ? NULL :
				xa_load(&vm->states, pasid);
			ret = w->fn(vm->id, pasid, st, w->arg);
			if (ret)
				return ret;
			*pos = pasid + 1;
		}
	}
	return 0;
}

/* Visit PASIDs, by VM id then PASID; see vp_vm_walk_from() */
int vp_pasid_visit_from(u32 vm_filter, const struct vp_viewer *who,
			unsigned long *vm_pos, unsigned long *pasid_pos,
			vp_pasid_visit_t fn, void *arg)
{
	struct vp_pasid_walk w = { fn, arg };

	return vp_vm_walk_from(vm_filter, who, vm_pos, pasid_pos, vp_vm_pasids,
			       &w);
}

struct vp_dev_walk {
	vp_dev_visit_t	fn;
	void		*arg;
};

/* The devices of @vm's groups from *@pos, counted in attach order */
static int vp_vm_devs(struct vp_vm *vm, unsigned long *pos, void *walk)
{
	struct vp_dev_walk *w = walk;
	unsigned long n = 0;
	struct vp_group *g;
	unsigned int i;
	int ret;

	list_for_each_entry(g, &vm->groups, node) {
		for (i = 0; i < g->ndev; i++, n++) {
			if (n < *pos)
				continue;
			ret = w->fn(vm->id, g, &g->devs[i], w->arg);
			if (ret)
				return ret;
			*pos = n + 1;
		}
	}
	return 0;
}

/* Visit the devices of attached groups, by VM id; see vp_vm_walk_from() */
int vp_dev_visit_from(u32 vm_filter, const struct vp_viewer *who,
		      unsigned long *vm_pos, unsigned long *dev_pos,
		      vp_dev_visit_t fn, void *arg)
{
	struct vp_dev_walk w = { fn, arg };

	return vp_vm_walk_from(vm_filter, who, vm_pos, dev_pos, vp_vm_devs, &w);
}

/* Slot of record @seq, which must be kept in the ring */
static u32 vp_log_slot(u64 seq)
{
	u32 back = vp_log_next - seq;

	return vp_log_head >= back ? vp_log_head - back :
		vp_log_head + vp_reclaim_log_size - back;
}

int vp_log_visit_from(u64 *seq, u32 vm_filter, const struct vp_viewer *who,
		      vp_log_visit_t fn, void *arg)
{
	const struct vp_reclaim_rec *rec;
	int ret = 0;

	spin_lock(&vp_log_lock);
	if (*seq < vp_log_first)
		*seq = vp_log_first;
	for (; *seq < vp_log_next; (*seq)++) {
		rec = &vp_log[vp_log_slot(*seq)];
		if ((vm_filter && rec->vm_id != vm_filter) ||
		    !vp_may_see(who, rec->uid))
			continue;
		ret = fn(rec, arg);
		if (ret)
			break;
	}
	spin_unlock(&vp_log_lock);
	return ret;
}

void vp_log_clear(void)
{
	spin_lock(&vp_log_lock);
	vp_log_first = vp_log_next;
	spin_unlock(&vp_log_lock);
}

void vp_log_counts(u32 *count, u64 *dropped)
{
	spin_lock(&vp_log_lock);
	*count = vp_log_next - vp_log_first;
	*dropped = vp_log_dropped;
	spin_unlock(&vp_log_lock);
}
