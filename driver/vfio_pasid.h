/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vfio_pasid - internal declarations
 *
 * Copyright (C) 2026 The vfio-pasid authors
 */
#ifndef _VFIO_PASID_H
#define _VFIO_PASID_H

#include <linux/atomic.h>
#include <linux/hashtable.h>
#include <linux/list.h>
#include <linux/mm_types.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/types.h>
#include <linux/xarray.h>

#include <linux/vfio_pasid.h>

#include "compat.h"

#define VP_VERSION	"0.1.0"

/* PASIDs are 20 bits wide */
#define VP_PASID_LIMIT	0xFFFFF

/**
 * struct vp_vm - one VM: the memory context of the processes that opened us
 * @id: VM id, allocated cyclically so it is not reused soon
 * @mm: the mm this VM is keyed on, pinned with mmgrab()
 * @users: open descriptors; protected by vp_lock
 * @hnode: entry in the mm hash table; protected by vp_lock
 * @creator: the opener's thread group, referenced: its pid, in any pid
 *           namespace, and what a PID selector matches (not the number, which
 *           another process may take after the opener's exit)
 * @uid: the opener's effective uid: who may read the VM without CAP_NET_ADMIN
 * @comm: command name of the opener
 * @cg: the cgroup node the VM is charged to, for its whole life (limit.c)
 * @lock: protects everything below
 * @quota: PASIDs this VM may hold
 * @count: PASIDs this VM holds
 * @bound: PASIDs of this VM with a guest page table bound
 * @ngroups: VFIO groups attached
 * @groups: the attached groups (struct vp_group), in attach order
 * @held: the PASIDs this VM holds, a bitmap in pieces: index
 *        PASID / VP_HELD_BITS -> xa_mk_value() of the bits of the
 *        VP_HELD_BITS PASIDs from there (no entry: none held)
 * @states: PASID -> struct vp_pasid, for held PASIDs that have been bound
 *          or invalidated
 */
struct vp_vm {
	u32			id;
	struct mm_struct	*mm;
	unsigned int		users;
	struct hlist_node	hnode;
	struct pid		*creator;
	kuid_t			uid;
	char			comm[TASK_COMM_LEN];
	struct vp_cg		*cg;

	struct mutex		lock;	/* see above */
	u32			quota;
	u32			count;
	u32			bound;
	u32			ngroups;
	struct list_head	groups;
	struct xarray		held;
	struct xarray		states;
};

/*
 * PASIDs per entry of a VM's @held: a value entry holds 63 bits; 32 keep
 * the arithmetic to shifts.  Half a million PASIDs of one VM take some
 * 16,000 entries, about 150 KiB of xarray nodes, and three levels.
 */
#define VP_HELD_BITS	32

/* Whether @vm holds @pasid; under its lock */
static inline bool vp_vm_holds(struct vp_vm *vm, u32 pasid)
{
	void *e = xa_load(&vm->held, pasid / VP_HELD_BITS);

	return e && (xa_to_value(e) & BIT(pasid % VP_HELD_BITS));
}

/**
 * struct vp_pasid - the binding-table entry of one PASID of a VM
 * @bound: a guest page table is bound
 * @devices: devices the binding is on
 * @addr_width: guest address width of the binding
 * @gpasid: guest PASID, when @flags has IOMMU_SVA_GPASID_VAL
 * @flags: IOMMU_SVA_GPASID_* of the bind
 * @gpgd: guest page-table pointer
 * @vtd_flags: IOMMU_SVA_VTD_GPASID_* of the bind
 * @pat: VT-d page attribute table
 * @emt: VT-d extended memory type
 * @inv_iotlb: IOTLB invalidations accepted for this PASID
 * @inv_dev_iotlb: device-IOTLB invalidations accepted for this PASID
 *
 * Allocated at the first bind or invalidation of the PASID, freed with it;
 * protected by the VM's lock.
 */
struct vp_pasid {
	bool	bound;
	u32	devices;
	u32	addr_width;
	u32	gpasid;
	u64	flags;
	u64	gpgd;
	u64	vtd_flags;
	u32	pat;
	u32	emt;
	u64	inv_iotlb;
	u64	inv_dev_iotlb;
};

/*
 * The binding-table entry of what vp_vm_pasid_entry() gives: a struct
 * vp_pasid, or xa_mk_value(0) for a held PASID without one (NULL then)
 */
static inline struct vp_pasid *vp_pasid_state(void *entry)
{
	return xa_is_value(entry) ? NULL : entry;
}

/**
 * struct vp_dev - a device of an attached group, as found at attach
 * @name: the device's name
 * @bus: its bus ("pci", "mdev"), "" when none
 * @parent: the parent of a mediated device, "" otherwise
 * @mdev: the device is a mediated device
 * @backed: the target of binds (the device, or an mdev's parent) is in a
 *	real IOMMU group, so binds can reach an IOMMU
 * @pasid_width: PASID capability width of the target (PCI), 0 when none
 * @pasid_exec: the PASID capability supports execute requests
 * @pasid_priv: the PASID capability supports privileged requests
 * @ats: the target supports ATS
 * @pri: the target supports PRI
 * @unit: the IOMMU unit of the target ("dmar0"), "" when unknown
 * @binds: PASIDs bound on this device; protected by the VM's lock
 *
 * No reference to the device is kept: a device can go while its group is
 * attached (hot unplug; an mdev parent's driver unloading, whose release
 * function goes with it), and neither backend of 6.1 programs a device, so
 * what the record needs is copied at attach.
 */
struct vp_dev {
	char		name[64];
	char		bus[32];
	char		parent[64];
	bool		mdev;
	bool		backed;
	u8		pasid_width;
	bool		pasid_exec;
	bool		pasid_priv;
	bool		ats;
	bool		pri;
	char		unit[32];
	u32		binds;
};

/**
 * struct vp_group - a VFIO group attached to a VM
 * @node: entry in the VM's groups, under the VM's lock
 * @file: the VFIO group file, referenced while attached
 * @group: its IOMMU group, referenced
 * @id: the IOMMU group number
 * @ndev: devices in @devs, as found at attach
 * @devs: the devices
 */
struct vp_group {
	struct list_head	node;
	struct file		*file;
	struct iommu_group	*group;
	int			id;
	unsigned int		ndev;
	struct vp_dev		devs[];
};

/**
 * struct vp_backend - who programs the IOMMU
 * @name: the value of the backend parameter
 * @nesting: guest page tables can be bound
 * @format: IOMMU_PASID_FORMAT_* of binds, when @nesting
 * @addr_width: widest guest address width, when @nesting
 * @pasid_bits: PASID width the IOMMU accepts, when @nesting
 * @bind_dev: bind @pasid's guest page table on one device
 * @unbind_dev: undo @bind_dev; cannot fail
 * @invalidate_dev: pass an invalidation to one device
 */
struct vp_backend {
	const char	*name;
	bool		nesting;
	u32		format;
	u32		addr_width;
	u32		pasid_bits;
	int		(*bind_dev)(struct vp_dev *d, u32 pasid,
				    const struct vp_pasid *st);
	void		(*unbind_dev)(struct vp_dev *d, u32 pasid);
	void		(*invalidate_dev)(struct vp_dev *d, u32 pasid,
					  u8 cache, u8 granularity);
};

extern const struct vp_backend *vp_be;

/* The VT-d first-level address widths: 4-level and 5-level paging */
#define VP_VTD_FL_4LEVEL	48
#define VP_VTD_FL_5LEVEL	57

/*
 * emulated.c, in the test build only (VP_TEST_BUILD, tests/testmod): a
 * software model of a nesting IOMMU that programs no DMA translation.  A
 * module that reports binds it never programs is not one to install.
 */
#ifdef VP_TEST_BUILD
extern const struct vp_backend vp_emulated_backend;
#define VP_BACKEND_NAMES	"native or emulated"
#define VP_BUILD_NAME		" (test build)"
#else
#define VP_BACKEND_NAMES	"native"
#define VP_BUILD_NAME		""
#endif

/*
 * A snapshot of a VM for the admin API, taken under its lock.  @cgroup, the
 * path of the cgroup it is charged to, is valid while the VM lives: under
 * vp_lock, or while the caller holds the VM.
 */
struct vp_vm_info {
	u32	id;
	pid_t	pid;
	char	comm[TASK_COMM_LEN];
	const char *cgroup;
	u32	quota;
	u32	count;
	u32	bound;
	u32	ngroups;
};

/* One reclaim log record */
struct vp_reclaim_rec {
	u64	seq;
	u64	time_ns;
	u32	vm_id;
	pid_t	pid;
	kuid_t	uid;
	u32	pasid;
	u8	bound;
	char	comm[TASK_COMM_LEN];
};

/*
 * The counters of the PASID hot paths, per CPU: no cache line shared by
 * VMs allocating and freeing on different CPUs.  vp_stats_sum() adds them
 * up; at rest the sums are exact.
 */
struct vp_pcpu_stats {
	u64	allocated;
	u64	freed;
	u64	reclaimed;
};

DECLARE_PER_CPU(struct vp_pcpu_stats, vp_pcpu_stats);

/* The sum over every CPU of the per-CPU counter @field */
#define vp_stats_sum(field) ({						\
	u64 __sum = 0;							\
	int __cpu;							\
	for_each_possible_cpu(__cpu)					\
		__sum += per_cpu(vp_pcpu_stats, __cpu).field;		\
	__sum;								\
})

struct vp_stats {
	atomic64_t	quota_refusals;
	atomic64_t	pool_refusals;
	atomic64_t	limit_refusals;
	atomic64_t	binds;
	atomic64_t	unbinds;
	atomic64_t	invalidations;
	atomic64_t	inv_iotlb_pasid;
	atomic64_t	inv_iotlb_addr;
	atomic64_t	inv_dev_iotlb_addr;
	atomic_t	bound;
	atomic_t	in_use;
	atomic_t	vm_count;
};

extern struct vp_stats vp_stats;
extern unsigned int vp_pasid_min;
extern unsigned int vp_pasid_max;
extern unsigned int vp_reclaim_log_size;
extern char *vp_backend;

u32 vp_default_quota(void);
int vp_set_default_quota(u32 quota);

static inline u32 vp_pool_size(void)
{
	return vp_pasid_max - vp_pasid_min + 1;
}

/*
 * fault.c, in the test build only (VP_TEST_BUILD): allocation-failure
 * injection.  vp_fail(@site) is an injection point: true when it must fail.
 */
#ifdef VP_TEST_BUILD
bool vp_fail(const char *site);
void vp_live_inc(const void *p);
void vp_live_dec(const void *p);
#else
static inline bool vp_fail(const char *site)
{
	return false;
}

static inline void vp_live_inc(const void *p)
{
}

static inline void vp_live_dec(const void *p)
{
}
#endif

/* kzalloc() of an object of ours (VM, group, PASID state): an injection point */
static inline void *vp_zalloc(size_t size, const char *site)
{
	void *p = vp_fail(site) ? NULL : kzalloc(size, GFP_KERNEL);

	vp_live_inc(p);
	return p;
}

/* kfree() of what vp_zalloc() gave */
static inline void vp_free(const void *p)
{
	vp_live_dec(p);
	kfree(p);
}

/* pool-*.c (compat.h selects one): PASIDs from the system-wide allocator */
int vp_pool_init(void);
void vp_pool_exit(void);
int vp_pool_alloc(u32 min, u32 max, u32 *pasid);
void vp_pool_free(u32 pasid);

/*
 * limit.c: PASID limits per cgroup v2.  A VM is charged to its creator's
 * cgroup once, PASIDs one by one on every level up to the root.
 */
struct vp_cg;

/* A limit as the admin API shows it; @path valid under the limits' lock */
struct vp_limit_info {
	const char	*path;
	u32		max;
	u32		used;
	u32		vms;
};

struct vp_cg *vp_cg_charge_vm(void);
void vp_cg_uncharge_vm(struct vp_cg *cg);
const char *vp_cg_path(const struct vp_cg *cg);
bool vp_cg_try_charge(struct vp_cg *cg);
void vp_cg_uncharge(struct vp_cg *cg, u32 n);
void vp_limit_exit(void);

typedef int (*vp_limit_visit_t)(const struct vp_limit_info *li, void *arg);
int vp_limit_set(const char *path, u32 max);
int vp_limit_del(const char *path);
int vp_limit_get(const char *path, vp_limit_visit_t fn, void *arg);
int vp_limit_visit_from(unsigned long *pos, vp_limit_visit_t fn, void *arg);

/* vm.c */
void vp_dump_changed(void);
unsigned int vp_dump_seq(void);
int vp_vm_init(void);
void vp_vm_exit(void);
struct vp_vm *vp_vm_get_current(void);
void vp_vm_put(struct vp_vm *vm);
int vp_vm_alloc_pasid(struct vp_vm *vm, u32 min, u32 max, u32 *pasid);
int vp_vm_free_pasid(struct vp_vm *vm, u32 pasid);
int vp_vm_set_quota(struct vp_vm *vm, u32 quota, bool may_raise, u32 *old);
void vp_vm_snapshot(struct vp_vm *vm, struct vp_vm_info *info);

/**
 * struct vp_viewer - who reads the admin API
 * @all: CAP_NET_ADMIN: every VM
 * @uid: otherwise only the VMs this effective uid created
 * @ns: the pid namespace pids are shown in (and PID selectors read in)
 */
struct vp_viewer {
	bool			all;
	kuid_t			uid;
	struct pid_namespace	*ns;
};

static inline bool vp_may_see(const struct vp_viewer *who, kuid_t uid)
{
	return who->all || uid_eq(who->uid, uid);
}

typedef int (*vp_vm_visit_t)(const struct vp_vm_info *info, void *arg);
int vp_vm_find_info(u32 id, struct pid *pid, const struct vp_viewer *who,
		    struct vp_vm_info *info);
int vp_vm_find_visit(u32 id, struct pid *pid, const struct vp_viewer *who,
		     vp_vm_visit_t fn, void *arg);
int vp_vm_set_quota_by_id(u32 id, struct pid *pid, u32 quota, u32 *old,
			  struct vp_vm_info *info);
int vp_vm_visit_from(unsigned long *start, const struct vp_viewer *who,
		     vp_vm_visit_t fn, void *arg);

typedef int (*vp_dev_visit_t)(u32 vm_id, const struct vp_group *g,
			      const struct vp_dev *d, void *arg);
int vp_dev_visit_from(u32 vm_filter, const struct vp_viewer *who,
		      unsigned long *vm_pos, unsigned long *dev_pos,
		      vp_dev_visit_t fn, void *arg);

/* @st: the PASID's binding-table entry, NULL when it has none */
typedef int (*vp_pasid_visit_t)(u32 vm_id, u32 pasid,
				const struct vp_pasid *st, void *arg);
int vp_pasid_visit_from(u32 vm_filter, const struct vp_viewer *who,
			unsigned long *vm_pos, unsigned long *pasid_pos,
			vp_pasid_visit_t fn, void *arg);

/*
 * nest.c: groups, binds and invalidations.  These take the VM's lock
 * themselves, except vp_pasid_unbind(), which needs it held.
 */
int vp_backend_init(void);
int vp_vm_attach_group(struct vp_vm *vm, int fd);
int vp_vm_detach_group(struct vp_vm *vm, int fd);
int vp_vm_detach_group_id(struct vp_vm *vm, u32 id);
void vp_vm_release_groups(struct vp_vm *vm);
void vp_pasid_unbind(struct vp_vm *vm, u32 pasid, struct vp_pasid *st);
int vp_vm_bind(struct vp_vm *vm, const struct iommu_gpasid_bind_data *data);
int vp_vm_unbind(struct vp_vm *vm, const struct iommu_gpasid_bind_data *data);
int vp_vm_invalidate(struct vp_vm *vm,
		     const struct iommu_cache_invalidate_info *inv);

/* reclaim log */
typedef int (*vp_log_visit_t)(const struct vp_reclaim_rec *rec, void *arg);
int vp_log_visit_from(u64 *seq, u32 vm_filter, const struct vp_viewer *who,
		      vp_log_visit_t fn, void *arg);
void vp_log_clear(void);
void vp_log_counts(u32 *count, u64 *dropped);

/* netlink.c */
int vp_nl_init(void);
void vp_nl_exit(void);
void vp_nl_vm_event(u8 cmd, const struct vp_vm_info *info);
void vp_nl_quota_event(u32 vm_id, u32 old, u32 quota);
bool vp_nl_reclaim_listeners(void);
void vp_nl_reclaim_event(const struct vp_reclaim_rec *rec);
void vp_nl_limit_event(bool set, const struct vp_limit_info *li);

#endif /* _VFIO_PASID_H */
