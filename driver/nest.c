// SPDX-License-Identifier: GPL-2.0
/*
 * vfio_pasid - nesting: attached VFIO groups, guest page-table binds and
 * guest cache invalidations, and the backends that carry them out
 *
 * Copyright (C) 2026 The vfio-pasid authors
 *
 * A VM attaches VFIO groups by descriptor.  Each attached group keeps a
 * reference on its file, its IOMMU group and every device found in it at
 * attach; a mediated device is resolved to its parent, which is where binds
 * go (seed patch 8).  The invariant kept under the VM's lock: every bound
 * PASID of a VM is bound on every device of every group attached to it.
 * Bind walks the devices in attach order and undoes what it did when one
 * refuses; attach extends the VM's bindings to the new group's devices;
 * detach takes them off; detach of the last group, free of a PASID and the
 * end of the VM remove bindings.
 *
 * Backends: "native" is the host's IOMMU through the kernel's IOMMU API,
 * which on 6.1 has no nested first-level binding (removed in 5.18), so it
 * cannot nest and answers bind and invalidate with EOPNOTSUPP.  "emulated",
 * in the test build only (emulated.c), is a software model of a VT-d-format
 * nesting IOMMU: binds are validated here as the VT-d driver did, the
 * binding table (struct vp_pasid) is kept, and no DMA translation is
 * programmed.
 *
 * Lock order: the VM's lock, then an IOMMU group's mutex (taken inside
 * iommu_group_for_each_dev() and iommu_group_get()), which attach takes
 * only before the VM's lock anyway.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/device.h>
#include <linux/file.h>
#include <linux/iommu.h>
#include <linux/log2.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/pci-ats.h>
#include <linux/slab.h>
#include <linux/vfio.h>

#include "vfio_pasid.h"

/* ------------------------------------------------------------------ */
/* Backends                                                            */

static const struct vp_backend vp_native_backend = {
	.name		= "native",
	.nesting	= false,
};

const struct vp_backend *vp_be;

/*
 * The backend the parameter names: 0, -ENOENT for a name no build has, or
 * -EOPNOTSUPP for "emulated" in a module that is not the test build.
 */
int vp_backend_init(void)
{
	if (!strcmp(vp_backend, vp_native_backend.name)) {
		vp_be = &vp_native_backend;
		return 0;
	}
	if (!strcmp(vp_backend, "emulated")) {
#ifdef VP_TEST_BUILD
		vp_be = &vp_emulated_backend;
		return 0;
#else
		return -EOPNOTSUPP;
#endif
	}
	return -ENOENT;
}

/* ------------------------------------------------------------------ */
/* Groups                                                              */

/* A mediated device, without needing the mdev module */
static bool vp_dev_is_mdev(struct device *dev)
{
	return dev->bus && !strcmp(dev->bus->name, "mdev");
}

/* The IOMMU unit behind @dev, or NULL */
static struct iommu_device *vp_dev_unit(struct device *dev)
{
	return dev->iommu ? dev->iommu->iommu_dev : NULL;
}

/* What the device is and where its binds go */
static void vp_dev_probe(struct vp_dev *d, struct device *dev)
{
	struct iommu_device *unit;
	struct iommu_group *group;
	struct device *target;
	int n;

	strscpy(d->name, dev_name(dev), sizeof(d->name));
	if (dev->bus)
		strscpy(d->bus, dev->bus->name, sizeof(d->bus));
	d->mdev = vp_dev_is_mdev(dev);
	target = d->mdev ? dev->parent : dev;
	if (!target)
		return;
	if (d->mdev)
		strscpy(d->parent, dev_name(target), sizeof(d->parent));

	/* backed: in a real IOMMU group, behind a real IOMMU unit */
	unit = vp_dev_unit(target);
	group = iommu_group_get(target);
	d->backed = group && unit;
	iommu_group_put(group);

	if (unit && unit->dev)
		strscpy(d->unit, dev_name(unit->dev), sizeof(d->unit));

	if (dev_is_pci(target)) {
		struct pci_dev *pdev = to_pci_dev(target);

		n = pci_max_pasids(pdev);
		if (n > 0) {
			d->pasid_width = ilog2(n);
			n = pci_pasid_features(pdev);
			d->pasid_exec = n > 0 && (n & PCI_PASID_CAP_EXEC);
			d->pasid_priv = n > 0 && (n & PCI_PASID_CAP_PRIV);
		}
		d->ats = pci_ats_supported(pdev);
		d->pri = pci_pri_supported(pdev);
	}
}

struct vp_census {
	unsigned int	ndev;
	bool		iommu;	/* a device of its own behind an IOMMU unit */
};

static int vp_census_dev(struct device *dev, void *arg)
{
	struct vp_census *c = arg;

	c->ndev++;
	if (!vp_dev_is_mdev(dev) && vp_dev_unit(dev))
		c->iommu = true;
	return 0;
}

struct vp_fill {
	struct vp_group	*g;
	unsigned int	room;
};

/* Fills the group's devices, stopping when the room found first is full */
static int vp_add_dev(struct device *dev, void *arg)
{
	struct vp_fill *fill = arg;
	struct vp_group *g = fill->g;

	if (g->ndev == fill->room)
		return 1;
	vp_dev_probe(&g->devs[g->ndev++], dev);
	return 0;
}

/*
 * The groups attached, by IOMMU group number, to whichever VM: one VM at a
 * time may have a group, however its descriptor was shared.  The number is
 * unique while the record holds its IOMMU group.
 */
static DEFINE_XARRAY(vp_attached);

static void vp_group_free(struct vp_group *g)
{
	xa_cmpxchg(&vp_attached, g->id, g, NULL, 0);
	iommu_group_put(g->group);
	fput(g->file);
	vp_free(g);
}

/* A group record for the VFIO group file behind @fd, with its devices */
static struct vp_group *vp_group_get(int fd)
{
	struct vp_census census = { 0 };
	struct iommu_group *group;
	struct vp_fill fill;
	struct vp_group *g;
	struct fd f;

	f = fdget(fd);
	if (!fd_file(f))
		return ERR_PTR(-EBADF);
	group = vp_compat_vfio_group(fd_file(f));
	if (IS_ERR(group)) {
		fdput(f);
		return ERR_CAST(group);
	}

	/*
	 * A group behind an IOMMU becomes its VMM's when VFIO puts it into a
	 * container (VFIO_GROUP_SET_CONTAINER), or iommufd binds it: either
	 * claims its DMA.  Until then the descriptor proves nothing about who
	 * will own the devices, so it is refused.  A group without an IOMMU of
	 * its own (an mdev's, emulated; no-IOMMU) has no owner to ask: 6.1
	 * exports nothing that tells whether its VFIO group is in a container.
	 */
	iommu_group_for_each_dev(group, &census, vp_census_dev);
	if (census.iommu && !iommu_group_dma_owner_claimed(group)) {
		iommu_group_put(group);
		fdput(f);
		return ERR_PTR(-EPERM);
	}
	g = vp_zalloc(struct_size(g, devs, census.ndev), "group");
	if (!g) {
		iommu_group_put(group);
		fdput(f);
		return ERR_PTR(-ENOMEM);
	}
	g->file = get_file(fd_file(f));
	fdput(f);
	g->group = group;
	g->id = iommu_group_id(group);
	INIT_LIST_HEAD(&g->node);
	fill.g = g;
	fill.room = census.ndev;
	iommu_group_for_each_dev(group, &fill, vp_add_dev);
	return g;
}

static struct vp_group *vp_group_find(struct vp_vm *vm,
				      struct iommu_group *group)
{
	struct vp_group *g;

	list_for_each_entry(g, &vm->groups, node)
		if (g->group == group)
			return g;
	return NULL;
}

/* Take @pasid's binding off the first @n devices of @g */
static void vp_group_unbind_n(struct vp_group *g, u32 pasid,
			      struct vp_pasid *st, unsigned int n)
{
	while (n--) {
		vp_be->unbind_dev(&g->devs[n], pasid);
		st->devices--;
	}
}

/* Bind @pasid on every device of @g; all or nothing */
static int vp_group_bind(struct vp_group *g, u32 pasid, struct vp_pasid *st)
{
	unsigned int i;
	int ret;

	for (i = 0; i < g->ndev; i++) {
		ret = vp_be->bind_dev(&g->devs[i], pasid, st);
		if (ret) {
			vp_group_unbind_n(g, pasid, st, i);
			return ret;
		}
		st->devices++;
	}
	return 0;
}

/*
 * Take every binding of @vm off the devices of @g; @stop (unless ULONG_MAX)
 * is the PASID where an attach stopped: only the ones before it.
 */
static void vp_group_unbind_all(struct vp_vm *vm, struct vp_group *g,
				unsigned long stop)
{
	struct vp_pasid *st;
	unsigned long pasid;

	if (!stop || !vm->bound)
		return;
	xa_for_each_range(&vm->states, pasid, st, 0, stop - 1) {
		if (st->bound)
			vp_group_unbind_n(g, pasid, st, g->ndev);
	}
}

/* Extend every binding of @vm to the devices of @g; all or nothing */
static int vp_group_bind_all(struct vp_vm *vm, struct vp_group *g)
{
	struct vp_pasid *st;
	unsigned long pasid;
	int ret;

	if (!vm->bound)
		return 0;
	xa_for_each(&vm->states, pasid, st) {
		if (!st->bound)
			continue;
		ret = vp_group_bind(g, pasid, st);
		if (ret) {
			vp_group_unbind_all(vm, g, pasid);
			return ret;
		}
	}
	return 0;
}

int vp_vm_attach_group(struct vp_vm *vm, int fd)
{
	struct vp_group *g;
	int ret;

	g = vp_group_get(fd);
	if (IS_ERR(g))
		return PTR_ERR(g);

	mutex_lock(&vm->lock);
	if (vp_group_find(vm, g->group)) {
		ret = -EEXIST;
		goto out;
	}
	/* EBUSY when another VM has it */
	ret = xa_insert(&vp_attached, g->id, g, GFP_KERNEL);
	if (ret)
		goto out;
	ret = vp_group_bind_all(vm, g);
	if (!ret) {
		list_add_tail(&g->node, &vm->groups);
		vm->ngroups++;
		vp_dump_changed();
	}
out:
	mutex_unlock(&vm->lock);

	if (ret)
		vp_group_free(g);
	return ret;
}

/* Remove @pasid's binding from every device; the VM's lock held */
void vp_pasid_unbind(struct vp_vm *vm, u32 pasid, struct vp_pasid *st)
{
	struct vp_group *g;

	lockdep_assert_held(&vm->lock);
	list_for_each_entry(g, &vm->groups, node)
		vp_group_unbind_n(g, pasid, st, g->ndev);
	WARN_ON_ONCE(st->devices);
	st->devices = 0;
	st->bound = false;
	vm->bound--;
	atomic64_inc(&vp_stats.unbinds);
	atomic_dec(&vp_stats.bound);
}

static void vp_vm_unbind_all(struct vp_vm *vm)
{
	struct vp_pasid *st;
	unsigned long pasid;

	xa_for_each(&vm->states, pasid, st) {
		if (!vm->bound)
			break;
		if (st->bound)
			vp_pasid_unbind(vm, pasid, st);
	}
}

/* Take @g (found under the VM's lock) off @vm; the lock held */
static void vp_group_detach(struct vp_vm *vm, struct vp_group *g)
{
	lockdep_assert_held(&vm->lock);
	if (vm->ngroups == 1)
		vp_vm_unbind_all(vm);
	else
		vp_group_unbind_all(vm, g, ULONG_MAX);
	list_del(&g->node);
	vm->ngroups--;
	vp_dump_changed();
}

/*
 * Take off @vm the group attached through @file, or, when @file is NULL,
 * the one numbered @id; NULL when there is none.  By the file the VM holds,
 * not by its number, so a descriptor whose devices are gone still finds
 * what it attached.  The caller frees it.
 */
static struct vp_group *vp_group_take(struct vp_vm *vm, struct file *file,
				      u32 id)
{
	struct vp_group *g;

	mutex_lock(&vm->lock);
	list_for_each_entry(g, &vm->groups, node) {
		if (file ? g->file == file : (u32)g->id == id) {
			vp_group_detach(vm, g);
			mutex_unlock(&vm->lock);
			return g;
		}
	}
	mutex_unlock(&vm->lock);
	return NULL;
}

/* Detach the group attached through the file behind @fd */
int vp_vm_detach_group(struct vp_vm *vm, int fd)
{
	struct vp_group *g;
	struct fd f;
	int ret = 0;

	f = fdget(fd);
	if (!fd_file(f))
		return -EBADF;
	g = vp_group_take(vm, fd_file(f), 0);
	if (!g)
		ret = vp_compat_is_vfio_group(fd_file(f)) ? -ENOENT : -EINVAL;
	fdput(f);
	if (g)
		vp_group_free(g);
	return ret;
}

/* Detach the group numbered @id, for a VMM that closed its descriptor */
int vp_vm_detach_group_id(struct vp_vm *vm, u32 id)
{
	struct vp_group *g = vp_group_take(vm, NULL, id);

	if (!g)
		return -ENOENT;
	vp_group_free(g);
	return 0;
}

/*
 * The end of a VM, after its PASIDs are gone: let go of its groups.
 * Called on an unlinked VM, from release().
 */
void vp_vm_release_groups(struct vp_vm *vm)
{
	struct vp_group *g, *tmp;

	mutex_lock(&vm->lock);
	if (vm->bound)
		vp_vm_unbind_all(vm);
	list_for_each_entry_safe(g, tmp, &vm->groups, node) {
		list_del(&g->node);
		vp_group_free(g);
	}
	vm->ngroups = 0;
	mutex_unlock(&vm->lock);
}

/* ------------------------------------------------------------------ */
/* Bind                                                                */

/* The checks of the IOMMU core: step 1 of the header's list */
static int vp_check_bind_data(const struct iommu_gpasid_bind_data *data)
{
	if (data->version != IOMMU_GPASID_BIND_VERSION_1 ||
	    data->format >= IOMMU_PASID_FORMAT_LAST ||
	    data->flags & ~(u64)IOMMU_SVA_GPASID_VAL ||
	    memchr_inv(data->padding, 0, sizeof(data->padding)))
		return -EINVAL;
	return 0;
}

/* Step 2 and 3: something to bind on, and a backend that can */
static int vp_check_nesting(struct vp_vm *vm)
{
	if (!vm->ngroups)
		return -ENODEV;
	if (!vp_be->nesting)
		return -EOPNOTSUPP;
	return 0;
}

/* Step 4 of a bind: what the VT-d format accepts */
static int vp_check_bind_vtd(const struct iommu_gpasid_bind_data *data)
{
	if (data->format != vp_be->format)
		return -EINVAL;
	if (data->argsz < offsetofend(struct iommu_gpasid_bind_data,
				      vendor.vtd))
		return -EINVAL;
	if (data->vendor.vtd.flags & ~(u64)(IOMMU_SVA_VTD_GPASID_LAST - 1))
		return -EINVAL;
	if (data->addr_width != VP_VTD_FL_4LEVEL &&
	    data->addr_width != VP_VTD_FL_5LEVEL)
		return -EINVAL;
	if (data->addr_width > vp_be->addr_width)
		return -EINVAL;
	return 0;
}

/*
 * A PASID @vm holds: its struct vp_pasid, or xa_mk_value(0) when it has
 * none; NULL (-ENOENT) when @vm does not hold it
 */
static void *vp_vm_pasid_entry(struct vp_vm *vm, u64 pasid)
{
	void *st;

	if (pasid > VP_PASID_LIMIT || !vp_vm_holds(vm, pasid))
		return NULL;
	st = xa_load(&vm->states, pasid);
	return st ?: xa_mk_value(0);
}

/* The binding-table entry of a held PASID, made when it has none */
static struct vp_pasid *vp_pasid_state_get(struct vp_vm *vm, u32 pasid,
					   void *entry)
{
	struct vp_pasid *st = vp_pasid_state(entry);
	void *old;

	if (st)
		return st;
	st = vp_zalloc(sizeof(*st), "pasid-state");
	if (!st)
		return ERR_PTR(-ENOMEM);
	old = xa_store(&vm->states, pasid, st, GFP_KERNEL);
	if (xa_is_err(old)) {
		vp_free(st);
		return ERR_PTR(xa_err(old));
	}
	return st;
}

/* Undo vp_pasid_state_get() of a plain PASID: it is plain again */
static void vp_pasid_state_drop(struct vp_vm *vm, u32 pasid,
				struct vp_pasid *st)
{
	xa_erase(&vm->states, pasid);
	vp_free(st);
}

int vp_vm_bind(struct vp_vm *vm, const struct iommu_gpasid_bind_data *data)
{
	struct vp_pasid *st, saved;
	struct vp_group *g;
	u32 pasid;
	void *entry;
	int ret;

	ret = vp_check_bind_data(data);
	if (ret)
		return ret;

	mutex_lock(&vm->lock);
	ret = vp_check_nesting(vm);
	if (ret)
		goto out;
	ret = vp_check_bind_vtd(data);
	if (ret)
		goto out;
	entry = vp_vm_pasid_entry(vm, data->hpasid);
	if (!entry) {
		ret = -ENOENT;
		goto out;
	}
	pasid = data->hpasid;
	st = vp_pasid_state(entry);
	if (st && st->bound) {
		ret = -EBUSY;
		goto out;
	}
	st = vp_pasid_state_get(vm, pasid, entry);
	if (IS_ERR(st)) {
		ret = PTR_ERR(st);
		goto out;
	}

	saved = *st;
	st->addr_width = data->addr_width;
	st->flags = data->flags;
	st->gpasid = data->flags & IOMMU_SVA_GPASID_VAL ? data->gpasid : 0;
	st->gpgd = data->gpgd;
	st->vtd_flags = data->vendor.vtd.flags;
	st->pat = data->vendor.vtd.pat;
	st->emt = data->vendor.vtd.emt;

	list_for_each_entry(g, &vm->groups, node) {
		ret = vp_group_bind(g, pasid, st);
		if (ret) {
			/* undo the groups before this one */
			list_for_each_entry_continue_reverse(g, &vm->groups,
							     node)
				vp_group_unbind_n(g, pasid, st, g->ndev);
			/* a refused bind leaves the PASID as it found it */
			if (vp_pasid_state(entry))
				*st = saved;
			else
				vp_pasid_state_drop(vm, pasid, st);
			goto out;
		}
	}
	st->bound = true;
	vm->bound++;
	atomic64_inc(&vp_stats.binds);
	atomic_inc(&vp_stats.bound);
out:
	mutex_unlock(&vm->lock);
	return ret;
}

int vp_vm_unbind(struct vp_vm *vm, const struct iommu_gpasid_bind_data *data)
{
	struct vp_pasid *st;
	void *entry;
	int ret;

	ret = vp_check_bind_data(data);
	if (ret)
		return ret;

	mutex_lock(&vm->lock);
	ret = vp_check_nesting(vm);
	if (ret)
		goto out;
	entry = vp_vm_pasid_entry(vm, data->hpasid);
	st = vp_pasid_state(entry);
	if (!entry || !st || !st->bound)
		ret = -ENOENT;
	else
		vp_pasid_unbind(vm, data->hpasid, st);
out:
	mutex_unlock(&vm->lock);
	return ret;
}

/* ------------------------------------------------------------------ */
/* Invalidate                                                          */

#define VP_CACHE_ALL	(IOMMU_CACHE_INV_TYPE_IOTLB | \
			 IOMMU_CACHE_INV_TYPE_DEV_IOTLB | \
			 IOMMU_CACHE_INV_TYPE_PASID)

/* Step 1: the checks of the IOMMU core */
static int vp_check_inv_info(const struct iommu_cache_invalidate_info *inv)
{
	u32 need = offsetof(struct iommu_cache_invalidate_info, granu);

	if (inv->version != IOMMU_CACHE_INVALIDATE_INFO_VERSION_1 ||
	    inv->cache & ~VP_CACHE_ALL ||
	    inv->granularity >= IOMMU_INV_GRANU_NR ||
	    memchr_inv(inv->padding, 0, sizeof(inv->padding)))
		return -EINVAL;

	switch (inv->granularity) {
	case IOMMU_INV_GRANU_ADDR:
		need = offsetofend(struct iommu_cache_invalidate_info,
				   granu.addr_info);
		if (inv->cache & IOMMU_CACHE_INV_TYPE_PASID)
			return -EINVAL;
		if (inv->granu.addr_info.flags &
		    ~(IOMMU_INV_ADDR_FLAGS_PASID | IOMMU_INV_ADDR_FLAGS_ARCHID |
		      IOMMU_INV_ADDR_FLAGS_LEAF))
			return -EINVAL;
		break;
	case IOMMU_INV_GRANU_PASID:
		need = offsetofend(struct iommu_cache_invalidate_info,
				   granu.pasid_info);
		if (inv->granu.pasid_info.flags &
		    ~(IOMMU_INV_PASID_FLAGS_PASID |
		      IOMMU_INV_PASID_FLAGS_ARCHID))
			return -EINVAL;
		break;
	case IOMMU_INV_GRANU_DOMAIN:
		if (inv->cache & IOMMU_CACHE_INV_TYPE_DEV_IOTLB)
			return -EINVAL;
		break;
	}
	return inv->argsz < need ? -EINVAL : 0;
}

/*
 * Step 4: what the VT-d format accepts.  It refuses every DOMAIN request
 * and every PASID-cache request (the host owns the PASID cache), takes the
 * device IOTLB only by address, and names the PASID in every request.
 */
static int vp_check_inv_vtd(const struct iommu_cache_invalidate_info *inv,
			    u64 *pasid)
{
	const struct iommu_inv_addr_info *a = &inv->granu.addr_info;
	u64 size;

	if (!inv->cache || inv->cache & IOMMU_CACHE_INV_TYPE_PASID)
		return -EINVAL;

	switch (inv->granularity) {
	case IOMMU_INV_GRANU_PASID:
		if (inv->cache & IOMMU_CACHE_INV_TYPE_DEV_IOTLB ||
		    !(inv->granu.pasid_info.flags & IOMMU_INV_PASID_FLAGS_PASID))
			return -EINVAL;
		*pasid = inv->granu.pasid_info.pasid;
		return 0;
	case IOMMU_INV_GRANU_ADDR:
		if (!(a->flags & IOMMU_INV_ADDR_FLAGS_PASID) ||
		    !a->nb_granules || a->granule_size < SZ_4K ||
		    !is_power_of_2(a->granule_size) ||
		    !IS_ALIGNED(a->addr, a->granule_size) ||
		    check_mul_overflow(a->granule_size, a->nb_granules, &size) ||
		    a->addr + size - 1 < a->addr)
			return -EINVAL;
		*pasid = a->pasid;
		return 0;
	default:
		return -EINVAL;
	}
}

static void vp_count_inv(struct vp_pasid *st, u8 cache, u8 granularity)
{
	bool addr = granularity == IOMMU_INV_GRANU_ADDR;

	if (cache & IOMMU_CACHE_INV_TYPE_IOTLB) {
		st->inv_iotlb++;
		atomic64_inc(addr ? &vp_stats.inv_iotlb_addr :
			     &vp_stats.inv_iotlb_pasid);
	}
	if (cache & IOMMU_CACHE_INV_TYPE_DEV_IOTLB) {
		st->inv_dev_iotlb++;
		atomic64_inc(&vp_stats.inv_dev_iotlb_addr);
	}
	atomic64_inc(&vp_stats.invalidations);
}

int vp_vm_invalidate(struct vp_vm *vm,
		     const struct iommu_cache_invalidate_info *inv)
{
	struct vp_pasid *st;
	struct vp_group *g;
	unsigned int i;
	void *entry;
	u64 pasid;
	int ret;

	ret = vp_check_inv_info(inv);
	if (ret)
		return ret;

	mutex_lock(&vm->lock);
	ret = vp_check_nesting(vm);
	if (ret)
		goto out;
	ret = vp_check_inv_vtd(inv, &pasid);
	if (ret)
		goto out;
	entry = vp_vm_pasid_entry(vm, pasid);
	if (!entry) {
		ret = -ENOENT;
		goto out;
	}
	st = vp_pasid_state_get(vm, pasid, entry);
	if (IS_ERR(st)) {
		ret = PTR_ERR(st);
		goto out;
	}
	list_for_each_entry(g, &vm->groups, node)
		for (i = 0; i < g->ndev; i++)
			vp_be->invalidate_dev(&g->devs[i], pasid, inv->cache,
					      inv->granularity);
	vp_count_inv(st, inv->cache, inv->granularity);
out:
	mutex_unlock(&vm->lock);
	return ret;
}
