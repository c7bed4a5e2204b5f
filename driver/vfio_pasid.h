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
#include <linux/mm_types.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/types.h>
#include <linux/xarray.h>

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
 * @pid: tgid of the opener
 * @comm: command name of the opener
 * @lock: protects everything below
 * @quota: PASIDs this VM may hold
 * @count: PASIDs this VM holds
 * @bound: PASIDs of this VM with a guest page table bound
 * @pasids: PASID -> xa_mk_value(0) when unbound
 */
struct vp_vm {
	u32			id;
	struct mm_struct	*mm;
	unsigned int		users;
	struct hlist_node	hnode;
	pid_t			pid;
	char			comm[TASK_COMM_LEN];

	struct mutex		lock;	/* see above */
	u32			quota;
	u32			count;
	u32			bound;
	struct xarray		pasids;
};

/* A snapshot of a VM for the admin API, taken under its lock */
struct vp_vm_info {
	u32	id;
	pid_t	pid;
	char	comm[TASK_COMM_LEN];
	u32	quota;
	u32	count;
	u32	bound;
};

/* One reclaim log record */
struct vp_reclaim_rec {
	u64	seq;
	u64	time_ns;
	u32	vm_id;
	pid_t	pid;
	u32	pasid;
	u8	bound;
	char	comm[TASK_COMM_LEN];
};

struct vp_stats {
	atomic64_t	allocated;
	atomic64_t	freed;
	atomic64_t	reclaimed;
	atomic64_t	quota_refusals;
	atomic64_t	pool_refusals;
	atomic64_t	binds;
	atomic64_t	invalidations;
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

/* vm.c */
int vp_vm_init(void);
void vp_vm_exit(void);
struct vp_vm *vp_vm_get_current(void);
void vp_vm_put(struct vp_vm *vm);
int vp_vm_alloc_pasid(struct vp_vm *vm, u32 min, u32 max, u32 *pasid);
int vp_vm_free_pasid(struct vp_vm *vm, u32 pasid);
int vp_vm_set_quota(struct vp_vm *vm, u32 quota, bool may_raise, u32 *old);
void vp_vm_snapshot(struct vp_vm *vm, struct vp_vm_info *info);

typedef int (*vp_vm_visit_t)(const struct vp_vm_info *info, void *arg);
int vp_vm_find_info(u32 id, pid_t pid, struct vp_vm_info *info);
int vp_vm_set_quota_by_id(u32 id, pid_t pid, u32 quota, u32 *old,
			  struct vp_vm_info *info);
int vp_vm_visit_from(unsigned long *start, vp_vm_visit_t fn, void *arg);

typedef int (*vp_pasid_visit_t)(u32 vm_id, u32 pasid, void *entry, void *arg);
int vp_pasid_visit_from(u32 vm_filter, unsigned long *vm_pos,
			unsigned long *pasid_pos, vp_pasid_visit_t fn,
			void *arg);

/* reclaim log */
typedef int (*vp_log_visit_t)(const struct vp_reclaim_rec *rec, void *arg);
int vp_log_visit_from(u64 *seq, u32 vm_filter, vp_log_visit_t fn, void *arg);
void vp_log_clear(void);
void vp_log_counts(u32 *count, u64 *dropped);

/* netlink.c */
int vp_nl_init(void);
void vp_nl_exit(void);
void vp_nl_vm_event(u8 cmd, const struct vp_vm_info *info);
void vp_nl_quota_event(u32 vm_id, u32 old, u32 quota);
bool vp_nl_reclaim_listeners(void);
void vp_nl_reclaim_event(const struct vp_reclaim_rec *rec);

#endif /* _VFIO_PASID_H */
