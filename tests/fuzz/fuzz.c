// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz - a seeded fuzzer of /dev/vfio-pasid and of the vfio_pasid family
 *
 * Copyright (C) 2026 The vfio-pasid authors
 *
 * For each backend asked for, the module is loaded with a small pool and
 * processes (each a VM) run threads that issue random and boundary-valued
 * requests until the time is up: every ioctl of the device and unknown
 * ones, every flag combination, argsz at and around each boundary, tails
 * that are zero or not, bad pointers and descriptors, PASIDs of other VMs
 * (a shared-memory table), descriptors duplicated, closed under other
 * threads and passed between processes, forks that exit or are killed mid
 * sequence, VFIO groups (edu devices on vfio-pci and mdevs) attached and
 * detached, binds, unbinds and invalidations, and generic netlink messages
 * of every command, well formed or not, dumps cut short.  The main process
 * keeps the workers coming, kills some of them and drains the monitor group.
 *
 * Every answer must be a success or a legitimate refusal; a few answers are
 * fixed by the uAPI and are checked exactly (unknown ioctl: ENOTTY, bad
 * pointer: EFAULT, argsz 0: EINVAL, the uAPI version, allocation ranges).
 * After a pass, once every process is gone: no VM, nothing in use or bound,
 * the counters balance, the whole pool can be allocated again, the module
 * unloads and the kernel log has no problem.  TAP on stdout, plan last.
 *
 * Every random choice comes from --seed: each worker's and thread's seed is
 * derived from it and printed, so a run replays as far as scheduling allows.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <dirent.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "tap.h"

#define VFIO_BIND	"tests/vm/vfio-bind"
#define MDEV_SCRIPT	"tests/vm/mdev"
#define MDEV_MODULE	"/sys/module/vp_mdev_test"

#define SLOTS		4	/* device descriptors a thread keeps */
#define SHARED_FDS	8	/* descriptors every thread of a worker uses */
#define OWN_PASIDS	32	/* PASIDs a thread remembers */
#define SHARED_PASIDS	256	/* PASIDs every process sees */
#define MAX_REPORTS	24	/* unexpected answers kept for the report */
#define MAX_GROUPS	4
#define MAX_PROCS	32
#define MAX_THREADS	16
#define BUF_SIZE	8192

/* ------------------------------------------------------------------ */
/* Options                                                             */

static uint64_t opt_seed;
static unsigned int opt_seconds = 30, opt_procs = 4, opt_threads = 3;
static unsigned int opt_pasid_max = 4096, opt_quota = 100;
static bool opt_native = true, opt_emulated = true, opt_no_groups;

/* ------------------------------------------------------------------ */
/* Random numbers                                                      */

static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static uint64_t derive(uint64_t seed, uint64_t a, uint64_t b)
{
	return mix(mix(seed ^ mix(a)) ^ mix(b + 0x51));
}

struct rng {
	uint64_t s;
};

static uint64_t rnd(struct rng *r)
{
	r->s += 0x9e3779b97f4a7c15ULL;
	return mix(r->s);
}

static uint32_t below(struct rng *r, uint32_t n)
{
	return n ? rnd(r) % n : 0;
}

static bool chance(struct rng *r, unsigned int percent)
{
	return below(r, 100) < percent;
}

static void fill_random(struct rng *r, void *p, size_t n)
{
	uint8_t *b = p;
	size_t i;

	for (i = 0; i < n; i++)
		b[i] = rnd(r);
}

/* A boundary-flavoured u32: 0, 1, small, the pool's edges, all ones... */
static uint32_t edgy32(struct rng *r)
{
	static const uint32_t v[] = {
		0, 1, 2, 7, 8, 0xff, 0x100, 0xfff, 0x1000, 0x1001, 0xfffff,
		0x100000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff,
	};

	switch (below(r, 4)) {
	case 0:
		return rnd(r);
	case 1:
		return below(r, opt_pasid_max + 2);
	default:
		return v[below(r, ARRAY_SIZE(v))];
	}
}

/* ------------------------------------------------------------------ */
/* What the processes share                                            */

struct report {
	const char	*what;
	unsigned long	cmd;
	int		got, want;	/* errnos; want -1: any legitimate one */
	uint32_t	argsz, flags;
	uint32_t	worker, thread;
	uint64_t	op;
	uint64_t	count;		/* answers of this kind */
};

struct shared {
	uint32_t	pasid[SHARED_PASIDS];	/* 0: empty */
	uint32_t	vm_id[64];		/* VMs seen, for QUOTA_SET */
	uint64_t	ioctls, nl_msgs, nl_cut, forks, kills, fds_passed;
	uint64_t	allocs, attaches, binds, invals, group_opens, refusals;
	uint64_t	unexpected;
	uint64_t	closed_under;		/* EBADF: closed by another thread */
	uint32_t	n_reports;
	struct report	rep[MAX_REPORTS];
};

static struct shared *sh;

#define ADD(field, n)	__atomic_add_fetch(&sh->field, (n), __ATOMIC_RELAXED)

/* A VFIO group of the guest the workers may open */
struct vgroup {
	const char	*what;
	int		num;		/* /dev/vfio/N, -1 when not set up */
	char		dev[64];	/* PCI address or mdev UUID */
	char		old_driver[64];	/* the PCI device's driver before */
};

static struct vgroup vgroups[MAX_GROUPS] = {
	{ .what = "edu 0", .num = -1 },
	{ .what = "edu 1", .num = -1 },
	{ .what = "mdev on edu 2", .num = -1 },
	{ .what = "mdev without IOMMU group", .num = -1 },
};
static bool mdev_was_loaded;

static uint32_t pool_size;	/* of the loaded module */
static bool emulated;		/* of the pass running */

/* The context of one fuzzing thread (or child process) */
struct slot {
	int		fd;		/* -1: empty */
	uint32_t	vm;		/* the VM it acts on */
	bool		own;		/* opened by this process */
};

struct ctx {
	struct rng	r;
	uint32_t	worker, thread;
	uint64_t	op;
	uint64_t	stop_ns;
	struct slot	slot[SLOTS];
	uint32_t	pasid[OWN_PASIDS];	/* 0: empty */
	int		grp_fd, grp;		/* a group file held, or -1 */
	int		nl;			/* netlink socket, or -1 */
	uint32_t	seq;
	uint32_t	my_vm;
	bool		child;
	uint8_t		*buf;			/* BUF_SIZE, a guard page after */
	uint8_t		*bad;			/* PROT_NONE */
	bool		gone;			/* the last ioctl's descriptor
						 * was closed under it */
};

/* The device node's number, for telling a descriptor of the device */
static dev_t dev_rdev;

/* The worker's process-wide descriptors, closed under other threads */
static int wfd[SHARED_FDS];

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* An answer that is neither a success nor a legitimate refusal */
static void unexpected(struct ctx *c, const char *what, unsigned long cmd,
		       int got, int want, uint32_t argsz, uint32_t flags)
{
	uint32_t i, n = __atomic_load_n(&sh->n_reports, __ATOMIC_ACQUIRE);

	/*
	 * EBADF of an ioctl whose descriptor is no longer the device: another
	 * thread closed it under this one (the worker's shared descriptors are
	 * closed under the other threads on purpose).  Not the driver's answer.
	 */
	if (got == EBADF && c->gone) {
		ADD(closed_under, 1);
		return;
	}
	ADD(unexpected, 1);
	/* one report of each kind, the first, with a count */
	for (i = 0; i < n && i < MAX_REPORTS; i++) {
		struct report *r = &sh->rep[i];

		if (r->what == what && r->cmd == cmd && r->got == got &&
		    r->want == want) {
			__atomic_add_fetch(&r->count, 1, __ATOMIC_RELAXED);
			return;
		}
	}
	i = __atomic_fetch_add(&sh->n_reports, 1, __ATOMIC_ACQ_REL);
	if (i >= MAX_REPORTS)
		return;
	sh->rep[i] = (struct report){
		.what = what, .cmd = cmd, .got = got, .want = want,
		.argsz = argsz, .flags = flags, .worker = c->worker,
		.thread = c->thread, .op = c->op, .count = 1,
	};
}

/* Legitimate refusals of an ioctl of the device */
static bool ioctl_errno_ok(int e)
{
	switch (e) {
	case 0: case EINVAL: case ENOSPC: case ENOENT: case EBUSY:
	case EPERM: case EBADF: case ENOTTY: case EFAULT: case EOPNOTSUPP:
	case E2BIG: case ENODEV: case EEXIST:
		return true;
	}
	return false;
}

/* The ioctl's errno, 0 on success; *@ret its return value */
static int xioctl(struct ctx *c, int fd, unsigned long cmd, void *arg,
		  const char *what, long *ret)
{
	const uint32_t *h = arg;
	uint32_t argsz = 0, flags = 0;
	long r;
	int e;

	ADD(ioctls, 1);
	r = ioctl(fd, cmd, arg);
	e = r < 0 ? errno : 0;
	if (e == EBADF) {
		struct stat st;

		c->gone = fstat(fd, &st) || !S_ISCHR(st.st_mode) ||
			  st.st_rdev != dev_rdev;
	} else {
		c->gone = false;
	}
	if (ret)
		*ret = r;
	if (e)
		ADD(refusals, 1);
	if (!ioctl_errno_ok(e)) {
		if (h && (uint8_t *)h >= c->buf && (uint8_t *)h < c->buf + BUF_SIZE) {
			argsz = h[0];
			flags = h[1];
		}
		unexpected(c, what, cmd, e, -1, argsz, flags);
	}
	return e;
}

/* xioctl() whose answer must be @want (an errno) */
static int xioctl_want(struct ctx *c, int fd, unsigned long cmd, void *arg,
		       const char *what, int want)
{
	int e = xioctl(c, fd, cmd, arg, what, NULL);

	if (e != want && ioctl_errno_ok(e)) {
		const uint32_t *h = arg;
		bool in_buf = h && (uint8_t *)h >= c->buf &&
			      (uint8_t *)h < c->buf + BUF_SIZE;

		unexpected(c, what, cmd, e, want, in_buf ? h[0] : 0,
			   in_buf ? h[1] : 0);
	}
	return e;
}

/* ------------------------------------------------------------------ */
/* Descriptors and PASIDs                                              */

static struct slot *slot_any(struct ctx *c)
{
	unsigned int i, k = below(&c->r, SLOTS);

	for (i = 0; i < SLOTS; i++) {
		struct slot *s = &c->slot[(k + i) % SLOTS];

		if (s->fd >= 0)
			return s;
	}
	return NULL;
}

static struct slot *slot_free(struct ctx *c)
{
	unsigned int i;

	for (i = 0; i < SLOTS; i++)
		if (c->slot[i].fd < 0)
			return &c->slot[i];
	return NULL;
}

static uint32_t vm_of_fd(struct ctx *c, int fd)
{
	struct vfio_pasid_info info = { .argsz = sizeof(info) };

	if (xioctl(c, fd, VFIO_PASID_GET_INFO, &info, "GET_INFO", NULL))
		return 0;
	return info.vm_id;
}

static void slot_put(struct ctx *c, struct slot *s, int fd, bool own)
{
	s->fd = fd;
	s->own = own;
	s->vm = vm_of_fd(c, fd);
	if (own && s->vm)
		c->my_vm = s->vm;
	if (s->vm)
		sh->vm_id[below(&c->r, ARRAY_SIZE(sh->vm_id))] = s->vm;
}

static void slot_close(struct slot *s)
{
	close(s->fd);
	s->fd = -1;
	s->vm = 0;
}

static void op_open(struct ctx *c)
{
	struct slot *s = slot_free(c);
	int fd;

	if (!s) {
		slot_close(slot_any(c));
		return;
	}
	fd = open(DEV_PATH, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		unexpected(c, "open " DEV_PATH, 0, errno, 0, 0, 0);
		return;
	}
	slot_put(c, s, fd, true);
}

static void op_dup(struct ctx *c)
{
	struct slot *s = slot_any(c), *d = slot_free(c);
	unsigned int i = below(&c->r, SHARED_FDS);
	int fd, old;

	if (!s)
		return;
	fd = dup(s->fd);
	if (fd < 0)
		return;
	if (d && chance(&c->r, 50)) {
		d->fd = fd;
		d->vm = s->vm;
		d->own = s->own;
		return;
	}
	/* into the worker's table, where other threads use and close it */
	old = __atomic_exchange_n(&wfd[i], fd, __ATOMIC_ACQ_REL);
	if (old >= 0)
		close(old);
}

static void op_close(struct ctx *c)
{
	unsigned int i = below(&c->r, SHARED_FDS);
	struct slot *s;
	int old;

	if (chance(&c->r, 40)) {
		old = __atomic_exchange_n(&wfd[i], -1, __ATOMIC_ACQ_REL);
		if (old >= 0)
			close(old);
		return;
	}
	s = slot_any(c);
	if (s)
		slot_close(s);
}

/* A descriptor to act on: mostly a slot, sometimes the worker's table */
static int pick_fd(struct ctx *c, bool *strict)
{
	struct slot *s;
	int fd;

	*strict = false;
	if (chance(&c->r, 15)) {
		fd = __atomic_load_n(&wfd[below(&c->r, SHARED_FDS)], __ATOMIC_ACQUIRE);
		if (fd >= 0)
			return fd;
	}
	s = slot_any(c);
	if (!s)
		return -1;
	*strict = true;
	return s->fd;
}

static void remember(struct ctx *c, uint32_t pasid)
{
	c->pasid[below(&c->r, OWN_PASIDS)] = pasid;
	__atomic_store_n(&sh->pasid[below(&c->r, SHARED_PASIDS)], pasid,
			 __ATOMIC_RELAXED);
}

/* A PASID: ours, another VM's, or anything */
static uint32_t pick_pasid(struct ctx *c)
{
	uint32_t p;

	switch (below(&c->r, 8)) {
	case 0:
	case 1:
		p = __atomic_load_n(&sh->pasid[below(&c->r, SHARED_PASIDS)],
				    __ATOMIC_RELAXED);
		if (p)
			return p;
		break;
	case 2:
		return edgy32(&c->r);
	}
	p = c->pasid[below(&c->r, OWN_PASIDS)];
	return p ? p : 1 + below(&c->r, opt_pasid_max);
}

/* ------------------------------------------------------------------ */
/* The device's ioctls                                                 */

static const unsigned long known_cmds[] = {
	VFIO_IOMMU_PASID_REQUEST, VFIO_IOMMU_SET_PASID_QUOTA,
	VFIO_NESTING_GET_IOMMU_UAPI_VERSION, VFIO_IOMMU_BIND,
	VFIO_IOMMU_CACHE_INVALIDATE, VFIO_PASID_ATTACH_GROUP,
	VFIO_PASID_DETACH_GROUP, VFIO_PASID_GET_INFO,
};

static bool is_known(unsigned long cmd)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(known_cmds); i++)
		if (known_cmds[i] == cmd)
			return true;
	return false;
}

/* The size the kernel knows for @cmd, and the smallest argsz it takes */
static void cmd_sizes(unsigned long cmd, uint32_t *min, uint32_t *size)
{
	switch (cmd) {
	case VFIO_IOMMU_PASID_REQUEST:
		*size = sizeof(struct vfio_iommu_type1_pasid_request);
		*min = *size;
		break;
	case VFIO_IOMMU_SET_PASID_QUOTA:
		*size = *min = sizeof(struct vfio_iommu_type1_pasid_quota);
		break;
	case VFIO_IOMMU_BIND:
		*size = sizeof(struct vfio_iommu_type1_bind) +
			sizeof(struct iommu_gpasid_bind_data);
		*min = sizeof(struct vfio_iommu_type1_bind) +
		       offsetof(struct iommu_gpasid_bind_data, vendor);
		break;
	case VFIO_IOMMU_CACHE_INVALIDATE:
		*size = sizeof(struct vfio_iommu_type1_cache_invalidate);
		*min = offsetof(struct vfio_iommu_type1_cache_invalidate,
				cache_info.granu);
		break;
	case VFIO_PASID_ATTACH_GROUP:
	case VFIO_PASID_DETACH_GROUP:
		*size = *min = sizeof(struct vfio_pasid_group);
		break;
	case VFIO_PASID_GET_INFO:
		*size = *min = sizeof(struct vfio_pasid_info);
		break;
	default:
		*size = *min = 8;
	}
}

static uint32_t pick_argsz(struct ctx *c, uint32_t min, uint32_t size)
{
	switch (below(&c->r, 12)) {
	case 0:
		return 0;
	case 1:
		return min - 1;
	case 2:
		return min;
	case 3:
		return size + 1;
	case 4:
		return size + 4 * below(&c->r, 64);
	case 5:
		return BUF_SIZE - below(&c->r, 2) * 8;	/* up to the guard page */
	case 6:
		return edgy32(&c->r);
	default:
		return size;
	}
}

static uint32_t pick_flags(struct ctx *c)
{
	switch (below(&c->r, 6)) {
	case 0:
		return 0;
	case 1:
		return 1;
	case 2:
		return 2;
	case 3:
		return below(&c->r, 4);
	case 4:
		return 1U << below(&c->r, 32);
	default:
		return edgy32(&c->r);
	}
}

/*
 * Fill c->buf for @cmd: a plausible struct of @argsz bytes (random or
 * valid-looking fields), a tail beyond the known size zero or not.
 */
static void fill_struct(struct ctx *c, unsigned long cmd, uint32_t argsz,
			uint32_t size)
{
	uint32_t *h = (uint32_t *)c->buf;
	uint32_t fill = argsz < BUF_SIZE ? argsz : BUF_SIZE;

	memset(c->buf, 0, BUF_SIZE);
	if (chance(&c->r, 30))
		fill_random(&c->r, c->buf, fill);
	else if (cmd == VFIO_IOMMU_PASID_REQUEST) {
		h[2] = chance(&c->r, 50) ? pick_pasid(c) : edgy32(&c->r);
		h[3] = chance(&c->r, 50) ? opt_pasid_max : edgy32(&c->r);
	} else if (cmd == VFIO_IOMMU_SET_PASID_QUOTA) {
		h[2] = chance(&c->r, 70) ? below(&c->r, 300) : edgy32(&c->r);
	} else if (cmd == VFIO_PASID_ATTACH_GROUP || cmd == VFIO_PASID_DETACH_GROUP) {
		h[2] = chance(&c->r, 60) ? (uint32_t)c->grp_fd : edgy32(&c->r) % 64;
	} else {
		fill_random(&c->r, c->buf + 8, size > 8 ? size - 8 : 0);
	}
	/* a tail beyond what the kernel knows: zero, or one byte set */
	if (fill > size && chance(&c->r, 50))
		c->buf[size + below(&c->r, fill - size)] = 1 + below(&c->r, 255);
	h[0] = argsz;
}

/* Any ioctl of the device, arguments random around the boundaries */
static void op_raw(struct ctx *c)
{
	unsigned long cmd = known_cmds[below(&c->r, ARRAY_SIZE(known_cmds))];
	uint32_t min, size, argsz, flags;
	uint32_t *h = (uint32_t *)c->buf;
	bool strict;
	long ret;
	int fd = pick_fd(c, &strict), e;

	if (fd < 0)
		return;
	cmd_sizes(cmd, &min, &size);
	argsz = pick_argsz(c, min, size);
	fill_struct(c, cmd, argsz, size);
	flags = pick_flags(c);
	h[1] = flags;
	e = xioctl(c, fd, cmd, c->buf, "random ioctl", &ret);
	if (!strict)
		return;
	if (cmd == VFIO_NESTING_GET_IOMMU_UAPI_VERSION) {
		if (e || ret != VFIO_PASID_IOMMU_UAPI_VERSION)
			unexpected(c, "GET_IOMMU_UAPI_VERSION: not 1", cmd, e,
				   0, argsz, flags);
		return;
	}
	/* argsz below the minimum: EINVAL, whatever else is wrong */
	if (argsz < min && e != EINVAL)
		unexpected(c, "argsz below the minimum", cmd, e, EINVAL, argsz, flags);
	/*
	 * an input struct above a page: E2BIG, whatever else is wrong (no
	 * request reads more than a page); GET_INFO's is an output buffer
	 */
	if (argsz >= min && argsz > (uint32_t)getpagesize() &&
	    cmd != VFIO_PASID_GET_INFO && e != E2BIG)
		unexpected(c, "argsz above a page", cmd, e, E2BIG, argsz, flags);
	if (cmd == VFIO_IOMMU_PASID_REQUEST && !e && flags == VFIO_IOMMU_PASID_ALLOC) {
		uint32_t lo = h[2], hi = h[3], res = h[4];

		if (res < lo || res > hi || res < 1 || res > opt_pasid_max)
			unexpected(c, "PASID allocated outside the range", cmd, 0,
				   0, argsz, flags);
		else
			remember(c, res);
	}
}

/* A PASID allocation, valid or at the range's edges */
static void op_alloc(struct ctx *c)
{
	struct vfio_iommu_type1_pasid_request *req = (void *)c->buf;
	struct slot *s = slot_any(c);
	uint32_t lo = 1, hi = opt_pasid_max;
	bool bad;
	int e;

	if (!s)
		return;
	switch (below(&c->r, 8)) {
	case 0:
		lo = edgy32(&c->r);
		hi = edgy32(&c->r);
		break;
	case 1:
		lo = 1 + below(&c->r, opt_pasid_max);
		hi = lo + below(&c->r, 8);
		break;
	case 2:
		lo = hi = 1 + below(&c->r, opt_pasid_max);
		break;
	}
	bad = lo > hi || lo < 1 || hi > opt_pasid_max;
	memset(req, 0, sizeof(*req));
	req->argsz = sizeof(*req);
	req->flags = VFIO_IOMMU_PASID_ALLOC;
	req->alloc_pasid.min = lo;
	req->alloc_pasid.max = hi;
	e = xioctl(c, s->fd, VFIO_IOMMU_PASID_REQUEST, req, "PASID alloc", NULL);
	if (bad ? e != EINVAL : e && e != ENOSPC)
		unexpected(c, bad ? "PASID alloc out of range" : "PASID alloc in range",
			   VFIO_IOMMU_PASID_REQUEST, e, bad ? EINVAL : ENOSPC, lo, hi);
	if (e)
		return;
	ADD(allocs, 1);
	if (req->alloc_pasid.result < lo || req->alloc_pasid.result > hi)
		unexpected(c, "PASID allocated outside the range",
			   VFIO_IOMMU_PASID_REQUEST, 0, 0, lo, hi);
	else
		remember(c, req->alloc_pasid.result);
}

static void op_free(struct ctx *c)
{
	struct vfio_iommu_type1_pasid_request *req = (void *)c->buf;
	bool strict;
	int fd = pick_fd(c, &strict), e;

	if (fd < 0)
		return;
	memset(req, 0, sizeof(*req));
	req->argsz = sizeof(*req);
	req->flags = VFIO_IOMMU_PASID_FREE;
	req->free_pasid = pick_pasid(c);
	e = xioctl(c, fd, VFIO_IOMMU_PASID_REQUEST, req, "PASID free", NULL);
	if (strict && e && e != ENOENT)
		unexpected(c, "PASID free", VFIO_IOMMU_PASID_REQUEST, e, ENOENT,
			   req->argsz, req->flags);
}

static void op_quota(struct ctx *c)
{
	struct vfio_iommu_type1_pasid_quota *q = (void *)c->buf;
	bool strict, get = chance(&c->r, 40);
	int fd = pick_fd(c, &strict), e;
	uint32_t want;
	long ret;

	if (fd < 0)
		return;
	memset(q, 0, sizeof(*q));
	q->argsz = sizeof(*q);
	q->flags = get ? VFIO_PASID_QUOTA_GET : 0;
	switch (below(&c->r, 6)) {
	case 0:
		q->quota = pool_size + 1 + below(&c->r, 4);
		break;
	case 1:
		q->quota = pool_size;
		break;
	case 2:
		q->quota = edgy32(&c->r);
		break;
	default:
		q->quota = below(&c->r, 2 * opt_quota);
	}
	want = q->quota;
	e = xioctl(c, fd, VFIO_IOMMU_SET_PASID_QUOTA, q, "quota", &ret);
	if (strict && !get && want > pool_size && e != EINVAL)
		unexpected(c, "quota above the pool", VFIO_IOMMU_SET_PASID_QUOTA, e,
			   EINVAL, q->argsz, q->flags);
	/* success returns the quota, and writes it back: the new one for a set */
	if (!e && (ret != q->quota || (!get && q->quota != want)))
		unexpected(c, get ? "QUOTA_GET: returned another quota" :
			   "SET_PASID_QUOTA: did not return the new quota",
			   VFIO_IOMMU_SET_PASID_QUOTA, 0, 0, (uint32_t)ret,
			   q->quota);
}

static void op_info(struct ctx *c)
{
	struct vfio_pasid_info *info = (void *)c->buf;
	struct slot *s = slot_any(c);
	uint32_t argsz, flags;
	int e;

	if (!s)
		return;
	argsz = chance(&c->r, 50) ? sizeof(*info) : below(&c->r, 128);
	memset(c->buf, 0, 256);
	info->argsz = argsz;
	/* sometimes what a first call wrote: the output-only flag */
	info->flags = chance(&c->r, 20) ? edgy32(&c->r) :
		      chance(&c->r, 20) ? VFIO_PASID_INFO_CAPS : 0;
	flags = info->flags;
	e = xioctl(c, s->fd, VFIO_PASID_GET_INFO, info, "GET_INFO", NULL);
	/* the output-only flag is ignored on input, any other bit refused */
	if (argsz < sizeof(*info) || (flags & ~VFIO_PASID_INFO_CAPS)) {
		if (e != EINVAL)
			unexpected(c, "GET_INFO with a short argsz or flags",
				   VFIO_PASID_GET_INFO, e, EINVAL, argsz, flags);
		return;
	}
	if (e) {
		unexpected(c, "GET_INFO", VFIO_PASID_GET_INFO, e, 0, argsz, 0);
		return;
	}
	if (s->vm && info->vm_id != s->vm)
		unexpected(c, "GET_INFO: vm_id changed", VFIO_PASID_GET_INFO, 0, 0,
			   info->vm_id, s->vm);
	if (info->count > info->quota || info->quota > pool_size)
		unexpected(c, "GET_INFO: count above quota or quota above pool",
			   VFIO_PASID_GET_INFO, 0, 0, info->count, info->quota);
	if (info->cap_offset && (info->cap_offset < sizeof(*info) ||
				 info->cap_offset + sizeof(struct vfio_info_cap_header) >
				 info->argsz))
		unexpected(c, "GET_INFO: cap_offset outside argsz", VFIO_PASID_GET_INFO,
			   0, 0, info->argsz, info->cap_offset);
}

/* Numbers no ioctl of the device has: ENOTTY */
static void op_unknown(struct ctx *c)
{
	unsigned long cmd;
	struct slot *s = slot_any(c);

	if (!s)
		return;
	do {
		switch (below(&c->r, 4)) {
		case 0:
			cmd = _IO(VFIO_TYPE, VFIO_BASE + below(&c->r, 64));
			break;
		case 1:	/* the device's numbers with a size or direction */
			cmd = _IOC(1 + below(&c->r, 3), VFIO_TYPE,
				   VFIO_BASE + 22 + below(&c->r, 8), below(&c->r, 64));
			break;
		case 2:
			cmd = _IO(below(&c->r, 256), VFIO_BASE + 22 + below(&c->r, 8));
			break;
		default:
			cmd = (uint32_t)rnd(&c->r);
		}
	} while (is_known(cmd));
	fill_random(&c->r, c->buf, 64);
	xioctl_want(c, s->fd, cmd, c->buf, "unknown ioctl", ENOTTY);
}

/* Bad pointers: EFAULT; the version needs none */
static void op_badptr(struct ctx *c)
{
	unsigned long cmd = known_cmds[below(&c->r, ARRAY_SIZE(known_cmds))];
	struct slot *s = slot_any(c);
	void *p;
	long ret;
	int e;

	if (!s)
		return;
	switch (below(&c->r, 3)) {
	case 0:
		p = NULL;
		break;
	case 1:
		p = c->bad;
		break;
	default:
		p = (void *)(uintptr_t)0xffff800000001000ULL;	/* the kernel's */
	}
	if (cmd == VFIO_NESTING_GET_IOMMU_UAPI_VERSION) {
		e = xioctl(c, s->fd, cmd, p, "GET_IOMMU_UAPI_VERSION", &ret);
		if (e || ret != VFIO_PASID_IOMMU_UAPI_VERSION)
			unexpected(c, "GET_IOMMU_UAPI_VERSION: not 1", cmd, e, 0, 0, 0);
		return;
	}
	xioctl_want(c, s->fd, cmd, p, "bad pointer", EFAULT);
}

/* Descriptors that are not open or not the device */
static void op_badfd(struct ctx *c)
{
	struct vfio_pasid_info *info = (void *)c->buf;
	int fd;

	memset(info, 0, sizeof(*info));
	info->argsz = sizeof(*info);
	if (chance(&c->r, 50)) {
		xioctl_want(c, -1, VFIO_PASID_GET_INFO, info, "fd -1", EBADF);
		return;
	}
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return;
	xioctl_want(c, fd, VFIO_PASID_GET_INFO, info, "/dev/null", ENOTTY);
	close(fd);
}

/* ------------------------------------------------------------------ */
/* Groups, binds, invalidations                                        */

static int n_groups_set_up(void)
{
	int i, n = 0;

	for (i = 0; i < MAX_GROUPS; i++)
		n += vgroups[i].num >= 0;
	return n;
}

static void op_group_open(struct ctx *c)
{
	char path[32];
	int i = below(&c->r, MAX_GROUPS), fd, err;

	if (c->grp_fd >= 0) {
		if (chance(&c->r, 50)) {
			close(c->grp_fd);
			c->grp_fd = -1;
		}
		return;
	}
	if (vgroups[i].num < 0)
		return;
	snprintf(path, sizeof(path), "/dev/vfio/%d", vgroups[i].num);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		if (errno != EBUSY)
			unexpected(c, "open of a VFIO group", 0, errno, EBUSY, 0, 0);
		return;
	}
	/* as a VMM has it: in a container (the module asks) */
	err = vfio_group_own(fd);
	if (err)
		unexpected(c, "VFIO_GROUP_SET_CONTAINER", 0, -err, 0, 0, 0);
	ADD(group_opens, 1);
	c->grp_fd = fd;
	c->grp = i;
}

static void op_group(struct ctx *c, bool attach)
{
	struct vfio_pasid_group *g = (void *)c->buf;
	unsigned long cmd = attach ? VFIO_PASID_ATTACH_GROUP : VFIO_PASID_DETACH_GROUP;
	bool strict;
	int fd = pick_fd(c, &strict), e, want = -1;

	if (fd < 0)
		return;
	memset(g, 0, sizeof(*g));
	g->argsz = sizeof(*g);
	switch (below(&c->r, 8)) {
	case 0:
		g->group_fd = -1 - (int)below(&c->r, 3);
		want = EBADF;
		break;
	case 1:
		g->group_fd = fd;	/* not a group */
		want = EINVAL;
		break;
	case 2:
		g->flags = 1U << below(&c->r, 32);
		if (!attach && g->flags == VFIO_PASID_GROUP_BY_ID) {
			/* by number: some group's, maybe this VM's (0 or ENOENT) */
			g->group_id = below(&c->r, 64);
			break;
		}
		g->group_fd = c->grp_fd;
		want = EINVAL;
		break;
	default:
		if (c->grp_fd < 0)
			return;
		g->group_fd = c->grp_fd;
	}
	e = xioctl(c, fd, cmd, g, attach ? "attach" : "detach", NULL);
	if (!e && attach)
		ADD(attaches, 1);
	if (strict && want >= 0 && e != want)
		unexpected(c, attach ? "attach" : "detach", cmd, e, want, g->argsz,
			   g->flags);
}

static void op_bind(struct ctx *c, bool bind)
{
	struct vfio_iommu_type1_bind *b = (void *)c->buf;
	struct iommu_gpasid_bind_data *d = (void *)(c->buf + sizeof(*b));
	bool strict;
	int fd = pick_fd(c, &strict), e;

	if (fd < 0)
		return;
	memset(c->buf, 0, sizeof(*b) + sizeof(*d) + 64);
	b->argsz = sizeof(*b) + sizeof(*d);
	b->flags = bind ? VFIO_IOMMU_BIND_GUEST_PGTBL : VFIO_IOMMU_UNBIND_GUEST_PGTBL;
	d->argsz = sizeof(*d);
	d->version = IOMMU_GPASID_BIND_VERSION_1;
	d->format = IOMMU_PASID_FORMAT_INTEL_VTD;
	d->addr_width = chance(&c->r, 85) ? 48 : (chance(&c->r, 50) ? 57 : edgy32(&c->r));
	d->flags = chance(&c->r, 60) ? IOMMU_SVA_GPASID_VAL : 0;
	d->gpgd = (rnd(&c->r) & 0xffffffff000ULL);
	d->hpasid = pick_pasid(c);
	d->gpasid = chance(&c->r, 50) ? d->hpasid : below(&c->r, 1U << 20);
	d->vendor.vtd.flags = chance(&c->r, 70) ? below(&c->r, 0x80) : rnd(&c->r);
	d->vendor.vtd.pat = rnd(&c->r);
	d->vendor.vtd.emt = below(&c->r, 8);
	/* one thing wrong, sometimes */
	switch (below(&c->r, 14)) {
	case 0:
		d->version = edgy32(&c->r);
		break;
	case 1:
		d->format = edgy32(&c->r);
		break;
	case 2:
		d->padding[below(&c->r, 8)] = 1;
		break;
	case 3:
		d->argsz = pick_argsz(c, offsetof(struct iommu_gpasid_bind_data, vendor),
				      sizeof(*d));
		break;
	case 4:
		b->argsz = pick_argsz(c, sizeof(*b) +
				      offsetof(struct iommu_gpasid_bind_data, vendor),
				      sizeof(*b) + sizeof(*d));
		break;
	case 5:
		b->flags = pick_flags(c);
		break;
	case 6:
		d->flags = 1ULL << below(&c->r, 64);
		break;
	}
	e = xioctl(c, fd, VFIO_IOMMU_BIND, b, bind ? "bind" : "unbind", NULL);
	if (!e && bind)
		ADD(binds, 1);
	if (strict && !e && !emulated)
		unexpected(c, "bind/unbind succeeded on the native backend",
			   VFIO_IOMMU_BIND, 0, EOPNOTSUPP, b->argsz, b->flags);
}

static void op_inval(struct ctx *c)
{
	struct vfio_iommu_type1_cache_invalidate *inv = (void *)c->buf;
	struct iommu_cache_invalidate_info *ci = &inv->cache_info;
	bool strict;
	int fd = pick_fd(c, &strict), e;

	if (fd < 0)
		return;
	memset(c->buf, 0, sizeof(*inv) + 64);
	inv->argsz = sizeof(*inv);
	ci->argsz = sizeof(*ci);
	ci->version = IOMMU_CACHE_INVALIDATE_INFO_VERSION_1;
	ci->cache = chance(&c->r, 80) ? 1 + below(&c->r, 7) : rnd(&c->r);
	ci->granularity = chance(&c->r, 90) ? below(&c->r, 3) : rnd(&c->r);
	if (chance(&c->r, 60)) {	/* what VT-d takes */
		ci->cache = 1 + below(&c->r, 2);
		ci->granularity = ci->cache == IOMMU_CACHE_INV_TYPE_IOTLB &&
				  chance(&c->r, 50) ? IOMMU_INV_GRANU_PASID :
				  IOMMU_INV_GRANU_ADDR;
	}
	if (ci->granularity == IOMMU_INV_GRANU_ADDR) {
		struct iommu_inv_addr_info *a = &ci->granu.addr_info;

		a->flags = chance(&c->r, 80) ? IOMMU_INV_ADDR_FLAGS_PASID |
			   (below(&c->r, 2) ? IOMMU_INV_ADDR_FLAGS_LEAF : 0) :
			   below(&c->r, 16);
		a->pasid = pick_pasid(c);
		a->granule_size = chance(&c->r, 80) ? 4096ULL << below(&c->r, 19) :
				  rnd(&c->r);
		a->nb_granules = chance(&c->r, 80) ? 1 + below(&c->r, 512) : rnd(&c->r);
		a->addr = chance(&c->r, 80) ? (rnd(&c->r) & 0xfffffff00000ULL) :
			  rnd(&c->r);
	} else {
		struct iommu_inv_pasid_info *p = &ci->granu.pasid_info;

		p->flags = chance(&c->r, 80) ? IOMMU_INV_PASID_FLAGS_PASID :
			   below(&c->r, 8);
		p->pasid = pick_pasid(c);
	}
	switch (below(&c->r, 10)) {
	case 0:
		ci->argsz = pick_argsz(c, offsetof(struct iommu_cache_invalidate_info,
						   granu), sizeof(*ci));
		break;
	case 1:
		inv->argsz = pick_argsz(c, sizeof(*inv), sizeof(*inv));
		break;
	case 2:
		ci->padding[below(&c->r, 6)] = 1;
		break;
	case 3:
		inv->flags = pick_flags(c);
		break;
	case 4:
		ci->version = edgy32(&c->r);
		break;
	}
	e = xioctl(c, fd, VFIO_IOMMU_CACHE_INVALIDATE, inv, "invalidate", NULL);
	if (!e)
		ADD(invals, 1);
	if (strict && !e && !emulated)
		unexpected(c, "invalidation succeeded on the native backend",
			   VFIO_IOMMU_CACHE_INVALIDATE, 0, EOPNOTSUPP, inv->argsz,
			   inv->flags);
}

/* ------------------------------------------------------------------ */
/* Generic netlink                                                     */

static bool nl_errno_ok(int e)
{
	switch (e) {
	case 0: case EINVAL: case EOPNOTSUPP: case ENOENT: case EPERM:
	case ERANGE: case EMSGSIZE: case E2BIG:
		return true;
	}
	return false;
}

static int nl_sock(struct ctx *c)
{
	if (c->nl < 0) {
		c->nl = nl_socket_open();
		if (c->nl < 0) {
			unexpected(c, "netlink socket", 0, -c->nl, 0, 0, 0);
			c->nl = -1;
		}
	}
	return c->nl;
}

/*
 * Read the answers to @seq on @sock until its end (NLMSG_DONE or an
 * error), for at most @wait_ms with nothing coming; each error is checked.
 * Also the stats reply, when @cb is given.  Returns whether it ended.
 */
static bool nl_drain(struct ctx *c, int sock, uint32_t seq, int wait_ms,
		     uint8_t cmd, void (*cb)(struct ctx *, struct nlattr **))
{
	static __thread char rb[32768] __attribute__((aligned(8)));
	struct pollfd p = { .fd = sock, .events = POLLIN };
	struct nlattr *tb[VFIO_PASID_A_MAX + 1];

	for (;;) {
		struct nlmsghdr *nlh;
		ssize_t n;
		int len;

		if (poll(&p, 1, wait_ms) <= 0)
			return false;
		n = recv(sock, rb, sizeof(rb), MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR || errno == ENOBUFS)
				continue;
			unexpected(c, "netlink recv", cmd, errno, 0, 0, 0);
			return false;
		}
		len = n;
		for (nlh = (struct nlmsghdr *)rb; NLMSG_OK(nlh, len);
		     nlh = NLMSG_NEXT(nlh, len)) {
			if (nlh->nlmsg_seq != seq)
				continue;
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(nlh);

				if (!nl_errno_ok(-e->error))
					unexpected(c, "netlink answer", cmd, -e->error,
						   -1, nlh->nlmsg_len, nlh->nlmsg_flags);
				return true;
			}
			if (nlh->nlmsg_type == NLMSG_DONE) {
				int err;

				nl_done_err(nlh, &err);
				if (!nl_errno_ok(-err))
					unexpected(c, "netlink dump end", cmd, -err, 0,
						   0, 0);
				return true;
			}
			if (cb && nlh->nlmsg_type == nl_family) {
				nl_parse(tb, VFIO_PASID_A_MAX, (char *)NLMSG_DATA(nlh) +
					 GENL_HDRLEN, nlh->nlmsg_len -
					 NLMSG_LENGTH(GENL_HDRLEN));
				cb(c, tb);
			}
			if (!(nlh->nlmsg_flags & NLM_F_MULTI))
				return true;
		}
	}
}

static char *put_attr(char *p, uint16_t type, const void *data, uint16_t len)
{
	struct nlattr *a = (struct nlattr *)p;

	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	memcpy(p + NLA_HDRLEN, data, len);
	memset(p + NLA_HDRLEN + len, 0, NLA_ALIGN(len) - len);
	return p + NLA_HDRLEN + NLA_ALIGN(len);
}

/* Attributes of every kind, well-formed or not */
static char *random_attrs(struct ctx *c, char *p, char *end, int depth)
{
	unsigned int n = below(&c->r, 5), i;
	uint8_t data[80];

	for (i = 0; i < n && end - p > 200; i++) {
		uint16_t type = chance(&c->r, 85) ? below(&c->r, VFIO_PASID_A_MAX + 3) :
				rnd(&c->r);
		uint16_t len;
		uint32_t v32;
		uint64_t v64;

		switch (below(&c->r, 8)) {
		case 0:
			len = 0;
			break;
		case 1:
			v32 = edgy32(&c->r);
			memcpy(data, &v32, 4);
			len = 4;
			break;
		case 2:
			v64 = rnd(&c->r);
			memcpy(data, &v64, 8);
			len = 8;
			break;
		case 3:	/* a string, terminated or not */
			len = 1 + below(&c->r, 40);
			memset(data, 'a' + below(&c->r, 26), len);
			if (chance(&c->r, 50))
				data[len - 1] = 0;
			break;
		case 4:
			if (depth < 2) {
				char *start = p;

				p += NLA_HDRLEN;
				p = random_attrs(c, p, end, depth + 1);
				((struct nlattr *)start)->nla_type = type | NLA_F_NESTED;
				((struct nlattr *)start)->nla_len = p - start;
				continue;
			}
			/* fall through */
		default:
			len = below(&c->r, sizeof(data));
			fill_random(&c->r, data, len);
		}
		if (chance(&c->r, 10))
			type |= NLA_F_NESTED;
		p = put_attr(p, type, data, len);
		if (chance(&c->r, 5))	/* a length beyond the message */
			((struct nlattr *)(p - NLA_HDRLEN - NLA_ALIGN(len)))->nla_len +=
				1 + below(&c->r, 300);
	}
	return p;
}

static void op_nl_random(struct ctx *c)
{
	char buf[2048] __attribute__((aligned(8)));
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
	struct genlmsghdr *g = NLMSG_DATA(nlh);
	int sock = nl_sock(c);
	size_t len;
	uint16_t flags = NLM_F_REQUEST;
	uint8_t cmd;

	if (sock < 0)
		return;
	cmd = chance(&c->r, 90) ? below(&c->r, VFIO_PASID_CMD_MAX + 3) : rnd(&c->r);
	if (chance(&c->r, 40))
		flags |= NLM_F_DUMP;
	if (chance(&c->r, 50))
		flags |= NLM_F_ACK;
	memset(buf, 0, 64);
	nlh->nlmsg_type = chance(&c->r, 95) ? nl_family : GENL_ID_CTRL;
	nlh->nlmsg_flags = flags;
	nlh->nlmsg_seq = ++c->seq;
	g->cmd = cmd;
	g->version = chance(&c->r, 80) ? VFIO_PASID_FAMILY_VERSION : rnd(&c->r);
	len = random_attrs(c, buf + NLMSG_LENGTH(GENL_HDRLEN), buf + sizeof(buf), 0) - buf;
	nlh->nlmsg_len = len;
	switch (below(&c->r, 12)) {
	case 0:	/* a header that claims less than there is */
		nlh->nlmsg_len = below(&c->r, len + 1);
		break;
	case 1:	/* or more */
		nlh->nlmsg_len = len + 1 + below(&c->r, 64);
		break;
	case 2:	/* the genl header cut */
		len = NLMSG_HDRLEN + below(&c->r, GENL_HDRLEN);
		nlh->nlmsg_len = len;
		break;
	}
	ADD(nl_msgs, 1);
	if (send(sock, buf, len, 0) < 0) {
		if (errno != EINVAL && errno != EMSGSIZE && errno != ENOBUFS &&
		    errno != EAGAIN && errno != ECONNREFUSED)
			unexpected(c, "netlink send", cmd, errno, 0, len, flags);
		return;
	}
	nl_drain(c, sock, nlh->nlmsg_seq, 100, cmd, NULL);
}

static void stats_check_cb(struct ctx *c, struct nlattr **tb)
{
	uint32_t in_use = nla_u32(tb[VFIO_PASID_A_IN_USE]);
	uint32_t size = nla_u32(tb[VFIO_PASID_A_POOL_SIZE]);

	if (tb[VFIO_PASID_A_POOL_SIZE] && (in_use > size || size != pool_size))
		unexpected(c, "STATS_GET: IN_USE above POOL_SIZE", VFIO_PASID_CMD_STATS_GET,
			   0, 0, in_use, size);
}

static void vm_seen_cb(struct ctx *c, struct nlattr **tb)
{
	if (tb[VFIO_PASID_A_VM_ID])
		sh->vm_id[below(&c->r, ARRAY_SIZE(sh->vm_id))] =
			nla_u32(tb[VFIO_PASID_A_VM_ID]);
}

/*
 * Limits per cgroup: the odd workers create their VMs in FUZZ_CG_LEAF, the
 * others in the root cgroup; limits come and go on these paths and others
 * that name no cgroup or are malformed.
 */
#define FUZZ_CG_MNT	"/sys/fs/cgroup"
#define FUZZ_CG_TOP	"/vp-fuzz"
#define FUZZ_CG_LEAF	FUZZ_CG_TOP "/a"

static const char *const fuzz_cg_paths[] = {
	"/", FUZZ_CG_TOP, FUZZ_CG_LEAF, FUZZ_CG_LEAF "/", "/vp-fuzz/none",
	"vp-fuzz", "/vp-fuzz/../vp-fuzz", "", "//", "/vp-fuzz/a/cgroup.procs",
};

/* The limited paths: the ones the end of a pass deletes */
#define FUZZ_CG_LIMITED	3

/* A well-formed request of every command, values at their edges */
static void op_nl_valid(struct ctx *c)
{
	static const uint8_t cmds[] = {
		VFIO_PASID_CMD_STATS_GET, VFIO_PASID_CMD_VM_GET, VFIO_PASID_CMD_VM_GET,
		VFIO_PASID_CMD_PASID_GET, VFIO_PASID_CMD_QUOTA_SET,
		VFIO_PASID_CMD_DEFAULT_QUOTA_GET, VFIO_PASID_CMD_DEFAULT_QUOTA_SET,
		VFIO_PASID_CMD_RECLAIM_GET, VFIO_PASID_CMD_RECLAIM_CLEAR,
		VFIO_PASID_CMD_DEVICE_GET, VFIO_PASID_CMD_LIMIT_GET,
		VFIO_PASID_CMD_LIMIT_GET, VFIO_PASID_CMD_LIMIT_SET,
		VFIO_PASID_CMD_LIMIT_SET, VFIO_PASID_CMD_LIMIT_DEL,
	};
	const char *path = fuzz_cg_paths[below(&c->r, ARRAY_SIZE(fuzz_cg_paths))];
	char buf[NL_SBUF_SIZE] __attribute__((aligned(8)));
	uint8_t cmd = cmds[below(&c->r, ARRAY_SIZE(cmds))];
	struct nl_attr a[2];
	uint32_t v[2];
	int sock = nl_sock(c), na = 0;
	bool dump = false;
	char *p;
	size_t len;

	if (sock < 0)
		return;
	v[0] = sh->vm_id[below(&c->r, ARRAY_SIZE(sh->vm_id))];
	if (chance(&c->r, 20))
		v[0] = edgy32(&c->r);
	switch (cmd) {
	case VFIO_PASID_CMD_VM_GET:
		dump = chance(&c->r, 50);
		/* fall through */
	case VFIO_PASID_CMD_PASID_GET:
	case VFIO_PASID_CMD_RECLAIM_GET:
	case VFIO_PASID_CMD_DEVICE_GET:
		if (cmd != VFIO_PASID_CMD_VM_GET)
			dump = true;
		if (!dump || chance(&c->r, 50))
			a[na++] = (struct nl_attr){ VFIO_PASID_A_VM_ID, 4, &v[0] };
		break;
	case VFIO_PASID_CMD_QUOTA_SET:
		v[1] = chance(&c->r, 80) ? below(&c->r, 3 * opt_quota) : edgy32(&c->r);
		a[na++] = (struct nl_attr){ VFIO_PASID_A_VM_ID, 4, &v[0] };
		a[na++] = (struct nl_attr){ VFIO_PASID_A_QUOTA, 4, &v[1] };
		break;
	case VFIO_PASID_CMD_DEFAULT_QUOTA_SET:
		v[1] = chance(&c->r, 80) ? below(&c->r, 2 * opt_quota) : edgy32(&c->r);
		a[na++] = (struct nl_attr){ VFIO_PASID_A_DEFAULT_QUOTA, 4, &v[1] };
		break;
	case VFIO_PASID_CMD_LIMIT_GET:
		dump = chance(&c->r, 50);
		if (dump && chance(&c->r, 80))
			break;
		/* fall through */
	case VFIO_PASID_CMD_LIMIT_SET:
	case VFIO_PASID_CMD_LIMIT_DEL:
		/* mostly the paths that name cgroups, with their NUL */
		if (chance(&c->r, 70))
			path = fuzz_cg_paths[below(&c->r, FUZZ_CG_LIMITED)];
		a[na++] = (struct nl_attr){ VFIO_PASID_A_CGROUP,
					    strlen(path) + !chance(&c->r, 5), path };
		if (cmd != VFIO_PASID_CMD_LIMIT_SET || chance(&c->r, 5))
			break;
		v[1] = chance(&c->r, 80) ? below(&c->r, 3 * opt_quota) : edgy32(&c->r);
		a[na++] = (struct nl_attr){ VFIO_PASID_A_LIMIT_MAX, 4, &v[1] };
		break;
	}
	len = nl_build(buf, nl_family, cmd, NLM_F_ACK | (dump ? NLM_F_DUMP : 0),
		       ++c->seq, na ? &a[0] : NULL);
	if (na == 2) {	/* nl_build() puts one attribute: the second here */
		p = put_attr(buf + len, a[1].type, a[1].data, a[1].len);
		len = p - buf;
		((struct nlmsghdr *)buf)->nlmsg_len = len;
	}
	ADD(nl_msgs, 1);
	if (send(sock, buf, len, 0) < 0) {
		unexpected(c, "netlink send", cmd, errno, 0, len, 0);
		return;
	}
	if (!nl_drain(c, sock, c->seq, 10000, cmd,
		      cmd == VFIO_PASID_CMD_STATS_GET ? stats_check_cb :
		      cmd == VFIO_PASID_CMD_VM_GET ? vm_seen_cb : NULL))
		unexpected(c, "netlink request without an end in 10 s", cmd,
			   ETIMEDOUT, 0, len, dump);
}

/* A dump started, one part read (or cut), the socket closed */
static void op_nl_cut(struct ctx *c)
{
	static const uint8_t cmds[] = {
		VFIO_PASID_CMD_VM_GET, VFIO_PASID_CMD_PASID_GET,
		VFIO_PASID_CMD_RECLAIM_GET, VFIO_PASID_CMD_DEVICE_GET,
	};
	char buf[NL_SBUF_SIZE] __attribute__((aligned(8)));
	uint8_t cmd = cmds[below(&c->r, ARRAY_SIZE(cmds))];
	struct pollfd p;
	size_t len;
	int sock = nl_socket_open();

	if (sock < 0)
		return;
	len = nl_build(buf, nl_family, cmd, NLM_F_DUMP, ++c->seq, NULL);
	if (send(sock, buf, len, 0) == (ssize_t)len && chance(&c->r, 70)) {
		p = (struct pollfd){ .fd = sock, .events = POLLIN };
		if (poll(&p, 1, 200) > 0)
			(void)!recv(sock, buf, 16 + below(&c->r, sizeof(buf) - 16),
				    MSG_DONTWAIT);
	}
	ADD(nl_cut, 1);
	close(sock);
}

/* ------------------------------------------------------------------ */
/* Other processes                                                     */

static void thread_ops(struct ctx *c, unsigned int n);

/*
 * A child: its own VM, or its parent's through inherited descriptors.  It
 * dies with the parent that forked it, @parent: when that one is already
 * gone (killed between fork and prctl), it leaves at once.
 */
static void child_run(struct ctx *c, int sock, pid_t parent)
{
	struct vfio_iommu_type1_pasid_request req;
	unsigned int i, n;
	int fd;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(0);
	c->child = true;
	c->nl = -1;	/* the parent's socket is not ours to read */
	if (chance(&c->r, 50)) {
		/* its own VM, with a few PASIDs */
		fd = open(DEV_PATH, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			_exit(0);
		n = below(&c->r, 8);
		for (i = 0; i < n; i++) {
			memset(&req, 0, sizeof(req));
			req.argsz = sizeof(req);
			req.flags = VFIO_IOMMU_PASID_ALLOC;
			req.alloc_pasid.min = 1;
			req.alloc_pasid.max = opt_pasid_max;
			if (!xioctl(c, fd, VFIO_IOMMU_PASID_REQUEST, &req,
				    "child alloc", NULL))
				remember(c, req.alloc_pasid.result);
		}
		if (c->grp_fd >= 0 && chance(&c->r, 50)) {
			struct vfio_pasid_group g = {
				.argsz = sizeof(g), .group_fd = c->grp_fd,
			};

			xioctl(c, fd, VFIO_PASID_ATTACH_GROUP, &g, "child attach", NULL);
		}
		if (sock >= 0 && chance(&c->r, 70)) {
			uint32_t one = 1;

			if (send_with_fd(sock, &one, sizeof(one), fd) > 0)
				ADD(fds_passed, 1);
		}
		for (i = 0; i < SLOTS; i++)
			if (c->slot[i].fd < 0) {
				slot_put(c, &c->slot[i], fd, true);
				break;
			}
	}
	/* a few requests on what it has, its parent's VM included */
	thread_ops(c, 1 + below(&c->r, 40));
	if (chance(&c->r, 30))
		pause();	/* until killed */
	_exit(0);
}

static void op_fork(struct ctx *c)
{
	struct ctx cc = *c;
	int sv[2] = { -1, -1 }, status, fd = -1, flags, i;
	bool reaped = false;
	uint32_t word;
	pid_t pid, self = getpid();
	struct pollfd p;

	cc.r.s = rnd(&c->r);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		return;
	pid = fork();
	if (pid < 0) {
		close(sv[0]);
		close(sv[1]);
		return;
	}
	if (pid == 0) {
		close(sv[0]);
		child_run(&cc, sv[1], self);
	}
	ADD(forks, 1);
	close(sv[1]);
	p = (struct pollfd){ .fd = sv[0], .events = POLLIN };
	if (poll(&p, 1, chance(&c->r, 50) ? 200 : below(&c->r, 30)) > 0 &&
	    recv_with_fd(sv[0], &word, sizeof(word), &fd, &flags) > 0 && fd >= 0) {
		struct slot *s = slot_free(c);

		if (s)
			slot_put(c, s, fd, false);	/* another VM's descriptor */
		else
			close(fd);
	}
	close(sv[0]);
	/* killed at once, after a while, or when it does not end (paused) */
	if (chance(&c->r, 50))
		usleep(below(&c->r, 20000));
	else
		for (i = 0; i < 200 && !reaped; i++) {
			reaped = waitpid(pid, &status, WNOHANG) == pid;
			if (!reaped)
				usleep(10000);
		}
	if (!reaped) {
		if (!kill(pid, SIGKILL))
			ADD(kills, 1);
		while (waitpid(pid, &status, 0) != pid)
			if (errno != EINTR)
				return;
	}
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
		return;
	/* a child that paused and was not killed is still there: it was */
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		unexpected(c, "child process ended badly", 0, status, 0, 0, 0);
}

/* ------------------------------------------------------------------ */
/* Threads                                                             */

enum op {
	OP_OPEN, OP_CLOSE, OP_DUP, OP_ALLOC, OP_FREE, OP_QUOTA, OP_INFO,
	OP_RAW, OP_UNKNOWN, OP_BADPTR, OP_BADFD, OP_GROUP_OPEN, OP_ATTACH,
	OP_DETACH, OP_BIND, OP_UNBIND, OP_INVAL, OP_NL_RANDOM, OP_NL_VALID,
	OP_NL_CUT, OP_FORK, OP_SLEEP, OP_NR
};

static const uint8_t weight[OP_NR] = {
	[OP_OPEN] = 5, [OP_CLOSE] = 3, [OP_DUP] = 2, [OP_ALLOC] = 14,
	[OP_FREE] = 8, [OP_QUOTA] = 4, [OP_INFO] = 4, [OP_RAW] = 14,
	[OP_UNKNOWN] = 2, [OP_BADPTR] = 2, [OP_BADFD] = 1, [OP_GROUP_OPEN] = 3,
	[OP_ATTACH] = 5, [OP_DETACH] = 4, [OP_BIND] = 9, [OP_UNBIND] = 5,
	[OP_INVAL] = 8, [OP_NL_RANDOM] = 6, [OP_NL_VALID] = 4, [OP_NL_CUT] = 1,
	[OP_FORK] = 1, [OP_SLEEP] = 1,
};

static enum op pick_op(struct ctx *c)
{
	unsigned int total = 0, i, x;

	for (i = 0; i < OP_NR; i++)
		total += weight[i];
	x = below(&c->r, total);
	for (i = 0; i < OP_NR; i++) {
		if (x < weight[i])
			return i;
		x -= weight[i];
	}
	return OP_SLEEP;
}

/* @n operations, or until the thread's time is up (n 0: no limit) */
static void thread_ops(struct ctx *c, unsigned int n)
{
	unsigned int done = 0;

	while (now_ns() < c->stop_ns && (!n || done++ < n)) {
		enum op op = pick_op(c);

		c->op++;
		c->gone = false;
		if (c->child && (op == OP_FORK || op >= OP_NL_RANDOM))
			continue;
		switch (op) {
		case OP_OPEN: op_open(c); break;
		case OP_CLOSE: op_close(c); break;
		case OP_DUP: op_dup(c); break;
		case OP_ALLOC: op_alloc(c); break;
		case OP_FREE: op_free(c); break;
		case OP_QUOTA: op_quota(c); break;
		case OP_INFO: op_info(c); break;
		case OP_RAW: op_raw(c); break;
		case OP_UNKNOWN: op_unknown(c); break;
		case OP_BADPTR: op_badptr(c); break;
		case OP_BADFD: op_badfd(c); break;
		case OP_GROUP_OPEN: op_group_open(c); break;
		case OP_ATTACH: op_group(c, true); break;
		case OP_DETACH: op_group(c, false); break;
		case OP_BIND: op_bind(c, true); break;
		case OP_UNBIND: op_bind(c, false); break;
		case OP_INVAL: op_inval(c); break;
		case OP_NL_RANDOM: op_nl_random(c); break;
		case OP_NL_VALID: op_nl_valid(c); break;
		case OP_NL_CUT: op_nl_cut(c); break;
		case OP_FORK: op_fork(c); break;
		case OP_SLEEP: usleep(below(&c->r, 2000)); break;
		case OP_NR: break;
		}
	}
}

static void *thread_main(void *arg)
{
	struct ctx *c = arg;
	unsigned int i;

	c->buf = mmap(NULL, BUF_SIZE + 4096, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (c->buf == MAP_FAILED)
		return NULL;
	/* the struct ends where the mapping does: an argsz beyond faults */
	c->bad = c->buf + BUF_SIZE;
	mprotect(c->bad, 4096, PROT_NONE);
	for (i = 0; i < SLOTS; i++)
		c->slot[i].fd = -1;
	c->grp_fd = -1;
	c->nl = -1;
	op_open(c);
	thread_ops(c, 0);
	return NULL;
}

/*
 * A worker process: one VM (more through descriptors it receives), its
 * threads until @stop_ns; then it leaves the way @seed says.
 */
/* Move the calling process into cgroup @path; quietly nothing without it */
static void cg_move(const char *path)
{
	char file[128];
	int fd;

	snprintf(file, sizeof(file), FUZZ_CG_MNT "%s/cgroup.procs",
		 strcmp(path, "/") ? path : "");
	fd = open(file, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	(void)!write(fd, "0", 1);
	close(fd);
}

static void worker_main(uint32_t id, uint64_t seed, uint64_t stop_ns)
{
	static struct ctx ctx[MAX_THREADS];
	pthread_t th[MAX_THREADS];
	struct rng r = { seed };
	unsigned int t;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	/* the odd workers' VMs are charged two cgroups below the root */
	if (id % 2)
		cg_move(FUZZ_CG_LEAF);
	for (t = 0; t < SHARED_FDS; t++)
		wfd[t] = -1;
	for (t = 0; t < opt_threads; t++) {
		memset(&ctx[t], 0, sizeof(ctx[t]));
		ctx[t].r.s = derive(seed, t + 1, 0);
		ctx[t].worker = id;
		ctx[t].thread = t;
		ctx[t].stop_ns = stop_ns;
		if (t && pthread_create(&th[t], NULL, thread_main, &ctx[t]))
			ctx[t].stop_ns = 0;
	}
	thread_main(&ctx[0]);
	switch (below(&r, 3)) {
	case 0:		/* mid-sequence: the other threads still run */
		_exit(0);
	case 1:
		raise(SIGKILL);
		break;
	}
	for (t = 1; t < opt_threads; t++)
		if (ctx[t].stop_ns)
			pthread_join(th[t], NULL);
	exit(0);
}

/* ------------------------------------------------------------------ */
/* The guest: groups, kernel log                                       */

/* @in into @out of @size bytes, cut if it must */
static void copy_str(char *out, size_t size, const char *in)
{
	size_t n = strnlen(in, size - 1);

	memcpy(out, in, n);
	out[n] = '\0';
}

/* Run @cmd with sh; the first line of its output into @line */
static int run_cmd(const char *cmd, char *line, size_t size)
{
	char full[512], buf[256];
	bool first = true;
	FILE *f;
	int st;

	if (line && size)
		line[0] = '\0';
	snprintf(full, sizeof(full), "%s 2>&1", cmd);
	fflush(stdout);
	f = popen(full, "r");
	if (!f)
		return -1;
	while (fgets(buf, sizeof(buf), f)) {
		buf[strcspn(buf, "\n")] = '\0';
		if (first && line && size)
			copy_str(line, size, buf);
		if (!first || !line)
			tap_note("%s: %s", cmd, buf);
		first = false;
	}
	st = pclose(f);
	if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st)) {
		if (line && line[0])
			tap_note("%s: %s", cmd, line);
		return -1;
	}
	return 0;
}

static void pci_driver(const char *bdf, char *out, size_t size)
{
	char path[128], buf[256];
	ssize_t n;
	const char *b;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", bdf);
	out[0] = '\0';
	n = readlink(path, buf, sizeof(buf) - 1);
	if (n <= 0)
		return;
	buf[n] = '\0';
	b = strrchr(buf, '/');
	copy_str(out, size, b ? b + 1 : buf);
}

static void test_groups_setup(void)
{
	char cmd[160], line[160], *end;
	unsigned int i;
	long n;

	mdev_was_loaded = !access(MDEV_MODULE, F_OK);
	for (i = 0; i < 2; i++) {
		struct vgroup *g = &vgroups[i];
		FILE *f;

		snprintf(cmd, sizeof(cmd), "%s --list | sed -n %up", VFIO_BIND, i + 1);
		f = popen(cmd, "r");
		if (f) {
			if (!fgets(g->dev, sizeof(g->dev), f))
				g->dev[0] = '\0';
			pclose(f);
		}
		g->dev[strcspn(g->dev, "\n")] = '\0';
		if (!g->dev[0]) {
			tap_fail("no edu device %u (%s --list)", i, VFIO_BIND);
			continue;
		}
		pci_driver(g->dev, g->old_driver, sizeof(g->old_driver));
		snprintf(cmd, sizeof(cmd), "%s --edu %u", VFIO_BIND, i);
		if (run_cmd(cmd, line, sizeof(line))) {
			tap_fail("'%s' failed", cmd);
			continue;
		}
		n = strtol(line, &end, 10);
		if (end == line || *end || n < 0) {
			tap_fail("'%s' printed '%s', not a group number", cmd, line);
			continue;
		}
		g->num = n;
	}
	for (i = 2; i < 4; i++) {
		struct vgroup *g = &vgroups[i];
		char uuid[64];

		snprintf(cmd, sizeof(cmd), "%s create %s", MDEV_SCRIPT,
			 i == 2 ? "--edu 2" : "--virtual");
		if (run_cmd(cmd, line, sizeof(line))) {
			tap_fail("'%s' failed", cmd);
			continue;
		}
		if (sscanf(line, "%63s %ld", uuid, &n) != 2 || n < 0) {
			tap_fail("'%s' printed '%s'", cmd, line);
			continue;
		}
		snprintf(g->dev, sizeof(g->dev), "%s", uuid);
		g->num = n;
	}
	for (i = 0; i < MAX_GROUPS; i++)
		tap_note("%s: %s, group %d%s%s", vgroups[i].what, vgroups[i].dev,
			 vgroups[i].num, vgroups[i].old_driver[0] ? ", was on " : "",
			 vgroups[i].old_driver);
}

static void test_groups_restore(void)
{
	char cmd[160], drv[64];
	unsigned int i;

	for (i = 2; i < 4; i++) {
		if (vgroups[i].num < 0)
			continue;
		snprintf(cmd, sizeof(cmd), "%s remove %s", MDEV_SCRIPT, vgroups[i].dev);
		if (run_cmd(cmd, NULL, 0))
			tap_fail("'%s' failed", cmd);
	}
	if (!mdev_was_loaded && !access(MDEV_MODULE, F_OK)) {
		snprintf(cmd, sizeof(cmd), "%s unload", MDEV_SCRIPT);
		if (run_cmd(cmd, NULL, 0))
			tap_fail("'%s' failed", cmd);
	}
	for (i = 0; i < 2; i++) {
		struct vgroup *g = &vgroups[i];

		if (!g->dev[0] || !strcmp(g->old_driver, "vfio-pci"))
			continue;
		snprintf(cmd, sizeof(cmd), "%s --unbind %s", VFIO_BIND, g->dev);
		if (run_cmd(cmd, NULL, 0))
			tap_fail("'%s' failed", cmd);
		pci_driver(g->dev, drv, sizeof(drv));
		EXPECT_TRUE(!strcmp(drv, g->old_driver), "%s: driver '%s', was '%s'",
			    g->dev, drv, g->old_driver);
	}
}

/* /dev/kmsg, at its end: what the kernel logs from now on */
static int kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd >= 0)
		lseek(fd, 0, SEEK_END);
	return fd;
}

/* The kernel log since kmsg_open(): lines that show a problem fail */
static void kmsg_check(int fd)
{
	static const char *const bad[] = {
		"WARNING:", "BUG:", "BUG ", "Oops", "general protection",
		"lockdep", "possible circular locking", "possible recursive locking",
		"refcount", "KASAN", "UBSAN", "KFENCE", "kmemleak", "Call Trace",
		"soft lockup", "hard LOCKUP", "rcu: INFO", "blocked for more than",
		"Poison overwritten", "Redzone overwritten", "Object already free",
		"Freepointer corrupt", "list_add corruption", "list_del corruption",
		"page allocation failure", "Kernel panic", "stack-protector",
	};
	char rec[8192];
	unsigned int i, lines = 0, shown = 0;
	ssize_t n;

	if (fd < 0) {
		tap_fail("/dev/kmsg could not be opened: the kernel log is not checked");
		return;
	}
	for (;;) {
		char *msg;

		n = read(fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)	/* overwritten: go on */
			continue;
		if (n <= 0)
			break;
		rec[n] = '\0';
		lines++;
		msg = strchr(rec, ';');
		msg = msg ? msg + 1 : rec;
		msg[strcspn(msg, "\n")] = '\0';
		for (i = 0; i < ARRAY_SIZE(bad); i++)
			if (strstr(msg, bad[i]))
				break;
		if (i < ARRAY_SIZE(bad) && shown++ < 40)
			tap_fail("kernel log: %s", msg);
	}
	tap_note("%u kernel log lines read, %u with a problem", lines, shown);
	close(fd);
}

/* ------------------------------------------------------------------ */
/* A pass                                                              */

static void report_unexpected(void)
{
	uint32_t i, n = sh->n_reports;

	for (i = 0; i < n && i < MAX_REPORTS; i++) {
		struct report *r = &sh->rep[i];
		char want[32];

		if (r->want < 0)
			snprintf(want, sizeof(want), "a legitimate answer");
		else
			snprintf(want, sizeof(want), "%s", errno_name(r->want));
		tap_fail("%s: cmd 0x%lx: got %s, expected %s (argsz/arg %u, "
			 "flags/arg 0x%x), %" PRIu64 " times, first by worker %u "
			 "thread %u op %" PRIu64, r->what, r->cmd, errno_name(r->got),
			 want, r->argsz, r->flags, r->count, r->worker, r->thread,
			 r->op);
	}
	if (n > MAX_REPORTS)
		tap_fail("%u more kinds of unexpected answers not shown",
			 n - MAX_REPORTS);
	EXPECT_TRUE(!sh->unexpected, "%" PRIu64 " unexpected answers in all",
		    sh->unexpected);
}

struct wslot {
	pid_t		pid;
	uint32_t	id;
	uint64_t	seed;
};

static pid_t spawn(struct wslot *w, uint64_t pass_seed, uint32_t id,
		   uint64_t stop_ns)
{
	w->id = id;
	w->seed = derive(pass_seed, id, 1);
	fflush(stdout);
	w->pid = fork();
	if (w->pid == 0)
		worker_main(id, w->seed, stop_ns);
	if (w->pid < 0)
		tap_fail("fork: %s", errno_name(errno));
	return w->pid;
}

static void show_stuck(pid_t pid);

/*
 * Processes re-parented to us (the subreaper) that still run: each is a
 * failure, shown and killed.  How many there were.
 */
static unsigned int kill_orphans(void)
{
	char path[300], line[256], comm[64];
	unsigned int n = 0;
	struct dirent *d;
	pid_t pid, ppid;
	DIR *dir;
	FILE *f;

	dir = opendir("/proc");
	if (!dir)
		return 0;
	while ((d = readdir(dir))) {
		pid = strtol(d->d_name, NULL, 10);
		if (pid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%s/status", d->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		ppid = 0;
		comm[0] = '\0';
		while (fgets(line, sizeof(line), f)) {
			sscanf(line, "Name: %63s", comm);
			sscanf(line, "PPid: %d", &ppid);
		}
		fclose(f);
		if (ppid != getpid())
			continue;
		n++;
		tap_fail("process %d (%s) still runs 60 s after the end: killed",
			 (int)pid, comm);
		show_stuck(pid);
		kill(pid, SIGKILL);
	}
	closedir(dir);
	return n;
}

/* Reap what ended; false when a worker ended in a way it never does */
/*
 * Whether a child of ours is left, without reaping it: reap() must see
 * every worker that ends, or its slot would look alive forever
 */
static bool children_left(void)
{
	siginfo_t si;

	return !(waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) < 0 &&
		 errno == ECHILD);
}

static void reap(struct wslot *w, unsigned int n, unsigned int *bad)
{
	unsigned int i;
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (i = 0; i < n; i++)
			if (w[i].pid == pid)
				break;
		if (i == n)
			continue;	/* an orphaned grandchild */
		w[i].pid = 0;
		if ((WIFEXITED(status) && !WEXITSTATUS(status)) ||
		    (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL))
			continue;
		if ((*bad)++ < 10)
			tap_fail("worker %u (seed 0x%016" PRIx64 ") ended with status 0x%x",
				 w[i].id, w[i].seed, status);
	}
}

static void drain_monitor(int mon, uint64_t *events)
{
	char buf[8192];
	ssize_t n;

	while ((n = recv(mon, buf, sizeof(buf), MSG_DONTWAIT)) > 0 ||
	       (n < 0 && errno == ENOBUFS))
		if (n > 0)
			(*events)++;
}

static int monitor_open(void)
{
	char name[] = VFIO_PASID_MCGRP_MONITOR;
	int sock = nl_socket_open(), grp = -1;

	if (sock < 0)
		return -1;
	/* the group's id from the controller */
	{
		char buf[NL_SBUF_SIZE] __attribute__((aligned(8)));
		static char rb[16384] __attribute__((aligned(8)));
		struct nl_attr a = { CTRL_ATTR_FAMILY_NAME, sizeof(VFIO_PASID_FAMILY_NAME),
				     VFIO_PASID_FAMILY_NAME };
		size_t len = nl_build(buf, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 0, 1, &a);
		struct nlmsghdr *nlh = (struct nlmsghdr *)rb;
		struct nlattr *tb[CTRL_ATTR_MAX + 1], *g;
		ssize_t n;

		if (send(sock, buf, len, 0) < 0 || (n = recv(sock, rb, sizeof(rb), 0)) <= 0 ||
		    !NLMSG_OK(nlh, (int)n) || nlh->nlmsg_type != GENL_ID_CTRL)
			goto fail;
		nl_parse(tb, CTRL_ATTR_MAX, (char *)NLMSG_DATA(nlh) + GENL_HDRLEN,
			 nlh->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN));
		if (!tb[CTRL_ATTR_MCAST_GROUPS])
			goto fail;
		for (g = nla_data(tb[CTRL_ATTR_MCAST_GROUPS]);
		     (char *)g < (char *)tb[CTRL_ATTR_MCAST_GROUPS] +
				 tb[CTRL_ATTR_MCAST_GROUPS]->nla_len;
		     g = (struct nlattr *)((char *)g + NLA_ALIGN(g->nla_len))) {
			struct nlattr *gt[CTRL_ATTR_MCAST_GRP_MAX + 1];
			char gname[32];

			if (g->nla_len < NLA_HDRLEN)
				break;
			nl_parse(gt, CTRL_ATTR_MCAST_GRP_MAX, nla_data(g),
				 g->nla_len - NLA_HDRLEN);
			nla_str(gt[CTRL_ATTR_MCAST_GRP_NAME], gname, sizeof(gname));
			if (!strcmp(gname, name))
				grp = nla_u32(gt[CTRL_ATTR_MCAST_GRP_ID]);
		}
	}
	if (grp < 0 || setsockopt(sock, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP,
				  &grp, sizeof(grp)))
		goto fail;
	return sock;
fail:
	tap_fail("the %s multicast group could not be joined", name);
	close(sock);
	return -1;
}

static int default_quota_read(void)
{
	char buf[32] = "";
	FILE *f = fopen(MOD_SYSFS "/parameters/default_quota", "r");

	if (!f)
		return -1;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	return atoi(buf);
}

/* The first line of @path into @out, "" when it cannot be read */
static void read_line(const char *path, char *out, size_t size)
{
	FILE *f = fopen(path, "r");

	out[0] = '\0';
	if (!f)
		return;
	if (!fgets(out, size, f))
		out[0] = '\0';
	out[strcspn(out, "\n")] = '\0';
	fclose(f);
}

/* What each thread of a process that does not end is doing */
static void show_stuck(pid_t pid)
{
	char path[300], line[256], stack[1024];
	struct dirent *d;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	dir = opendir(path);
	if (!dir)
		return;
	while ((d = readdir(dir))) {
		size_t len = 0;
		FILE *f;

		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/wchan", (int)pid,
			 d->d_name);
		read_line(path, line, sizeof(line));
		snprintf(path, sizeof(path), "/proc/%d/task/%s/stack", (int)pid,
			 d->d_name);
		stack[0] = '\0';
		f = fopen(path, "r");
		while (f && fgets(line + 128, 128, f) && len < sizeof(stack) - 130) {
			line[128 + strcspn(line + 128, "\n")] = ' ';
			len += snprintf(stack + len, sizeof(stack) - len, "%s",
					line + 128);
		}
		if (f)
			fclose(f);
		snprintf(path, sizeof(path), "/proc/%d/task/%s/syscall", (int)pid,
			 d->d_name);
		read_line(path, line + 128, 128);
		tap_note("  task %s: syscall %s, wchan %.100s, stack: %s", d->d_name,
			 line + 128, line, stack);
	}
	closedir(dir);
}

/*
 * The fuzzing of one backend: workers come and go until the time is up,
 * then every process must end.  Returns whether they all did.
 */
static bool test_fuzz(const char *backend, uint64_t pass_seed, int mon)
{
	struct wslot w[MAX_PROCS] = { 0 };
	struct rng r = { derive(pass_seed, 0, 2) };
	uint64_t t0 = now_ns(), stop = t0 + opt_seconds * 1000000000ULL;
	uint64_t events = 0;
	uint32_t next_id = 0;
	unsigned int i, bad = 0, alive;

	memset(sh, 0, sizeof(*sh));
	emulated = !strcmp(backend, "emulated");
	tap_note("pass seed 0x%016" PRIx64 ": %u s, %u processes x %u threads, "
		 "%d VFIO groups", pass_seed, opt_seconds, opt_procs, opt_threads,
		 n_groups_set_up());
	while (now_ns() < stop) {
		uint64_t left = stop - now_ns();

		reap(w, opt_procs, &bad);
		for (i = 0; i < opt_procs; i++) {
			uint64_t life;

			if (w[i].pid)
				continue;
			/* each lives 1 to 8 s, or what is left */
			life = (1 + below(&r, 8)) * 1000000000ULL;
			spawn(&w[i], pass_seed, next_id++, now_ns() + (life < left ? life : left));
		}
		if (mon >= 0)
			drain_monitor(mon, &events);
		if (chance(&r, 3)) {
			i = below(&r, opt_procs);
			if (w[i].pid > 0 && !kill(w[i].pid, SIGKILL))
				ADD(kills, 1);
		}
		usleep(50000);
	}
	/* the end: every worker and child must be gone within 60 s */
	for (i = 0; i < 600; i++) {
		reap(w, opt_procs, &bad);
		if (mon >= 0)
			drain_monitor(mon, &events);
		if (!children_left())
			break;
		usleep(100000);
	}
	for (alive = 0, i = 0; i < opt_procs; i++)
		if (w[i].pid > 0) {
			alive++;
			tap_fail("worker %u (seed 0x%016" PRIx64 ", pid %d) still runs "
				 "60 s after the end: killed", w[i].id, w[i].seed,
				 (int)w[i].pid);
			show_stuck(w[i].pid);
			kill(w[i].pid, SIGKILL);
		}
	if (alive) {
		for (i = 0; i < 100; i++) {
			reap(w, opt_procs, &bad);
			if (!children_left())
				break;
			usleep(100000);
		}
		for (alive = 0, i = 0; i < opt_procs; i++)
			if (w[i].pid > 0) {
				alive++;
				tap_fail("worker %u (pid %d) survives SIGKILL",
					 w[i].id, (int)w[i].pid);
				show_stuck(w[i].pid);
			}
	}
	/* nor any other process of ours: orphans were re-parented to us */
	if (kill_orphans()) {
		for (i = 0; i < 100; i++) {
			reap(w, opt_procs, &bad);
			if (!children_left())
				break;
			usleep(100000);
		}
	}
	report_unexpected();
	tap_note("%u workers, %" PRIu64 " ioctls (%" PRIu64 " refused), %" PRIu64
		 " allocations, %" PRIu64 " attaches, %" PRIu64 " binds, %" PRIu64
		 " invalidations, %" PRIu64 " group opens", next_id, sh->ioctls,
		 sh->refusals, sh->allocs, sh->attaches, sh->binds, sh->invals,
		 sh->group_opens);
	tap_note("%" PRIu64 " netlink requests, %" PRIu64 " dumps cut, %" PRIu64
		 " forks, %" PRIu64 " kills, %" PRIu64 " descriptors passed, %"
		 PRIu64 " monitor reads, %" PRIu64 " requests on a descriptor "
		 "closed under them", sh->nl_msgs, sh->nl_cut, sh->forks,
		 sh->kills, sh->fds_passed, events, sh->closed_under);
	EXPECT_TRUE(sh->ioctls > 0 && sh->allocs > 0 && sh->nl_msgs > 0,
		    "the workers did nothing");
	if (emulated && n_groups_set_up())
		EXPECT_TRUE(sh->attaches > 0 && sh->binds > 0,
			    "no group was attached or no PASID bound: the groups "
			    "were not fuzzed");
	return !alive;
}

static bool cg_mounted_here;

/* cgroup2 and FUZZ_CG_LEAF, so that limits can be set and VMs charged */
static void fuzz_cgroups_setup(void)
{
	FILE *f = fopen("/proc/mounts", "re");
	char line[512];
	bool mounted = false;

	while (f && fgets(line, sizeof(line), f))
		if (strstr(line, " " FUZZ_CG_MNT " cgroup2 "))
			mounted = true;
	if (f)
		fclose(f);
	if (!mounted && system("mount -t cgroup2 none " FUZZ_CG_MNT) == 0)
		cg_mounted_here = true;
	mkdir(FUZZ_CG_MNT FUZZ_CG_TOP, 0755);
	mkdir(FUZZ_CG_MNT FUZZ_CG_LEAF, 0755);
}

static void fuzz_cgroups_release(void)
{
	rmdir(FUZZ_CG_MNT FUZZ_CG_LEAF);
	rmdir(FUZZ_CG_MNT FUZZ_CG_TOP);
	if (cg_mounted_here && system("umount " FUZZ_CG_MNT) == 0)
		cg_mounted_here = false;
}

struct limits_seen {
	unsigned int	n, busy;
	char		first[64];
};

static void limit_idle_cb(struct nlattr **tb, void *arg)
{
	struct limits_seen *l = arg;

	l->n++;
	if (nla_u32(tb[VFIO_PASID_A_LIMIT_USED]) ||
	    nla_u32(tb[VFIO_PASID_A_LIMIT_VMS])) {
		if (!l->busy++)
			nla_str(tb[VFIO_PASID_A_CGROUP], l->first,
				sizeof(l->first));
	}
}

/* Every limit left by the fuzzing counts nothing; then they go */
static void test_limits_idle(void)
{
	struct limits_seen l = { 0 };
	unsigned int i;
	int ret;

	ret = nl_request(nl_family, VFIO_PASID_CMD_LIMIT_GET, true, NULL,
			 VFIO_PASID_A_MAX, limit_idle_cb, &l);
	EXPECT_TRUE(!ret, "limit dump: %s %s", errno_name(-ret), nl_extack);
	EXPECT_TRUE(!l.busy, "%u of %u limits still count PASIDs or VMs (%s)",
		    l.busy, l.n, l.first);
	tap_note("%u limits left by the fuzzing", l.n);
	for (i = 0; i < FUZZ_CG_LIMITED; i++) {
		struct nl_attr a = { VFIO_PASID_A_CGROUP,
				     strlen(fuzz_cg_paths[i]) + 1,
				     fuzz_cg_paths[i] };

		nl_do2(VFIO_PASID_CMD_LIMIT_DEL, &a, NULL);
	}
	l = (struct limits_seen){ 0 };
	ret = nl_request(nl_family, VFIO_PASID_CMD_LIMIT_GET, true, NULL,
			 VFIO_PASID_A_MAX, limit_idle_cb, &l);
	EXPECT_TRUE(!ret && !l.n, "%u limits left after deleting them", l.n);
}

/* No VM, nothing in use or bound, dumps empty */
static void test_idle(void)
{
	struct vm_list *vl = calloc(1, sizeof(*vl));
	struct pasid_list *pl = calloc(1, sizeof(*pl));
	struct stats s;
	int i, ret;

	if (!vl || !pl)
		goto out;
	for (i = 0; i < 250; i++) {	/* reclaim of killed processes */
		if (!stats_now(&s))
			goto out;
		if (!s.vm_count && !s.in_use && !s.bound_total)
			break;
		usleep(20000);
	}
	EXPECT_EQ(0, s.vm_count);
	EXPECT_EQ(0, s.in_use);
	EXPECT_EQ(0, s.bound_total);
	ret = vm_dump(vl);
	EXPECT_TRUE(!ret && vl->n == 0, "VM dump: %s, %u VMs (first %u, pid %u)",
		    errno_name(-ret), vl->n, vl->n ? vl->v[0].id : 0,
		    vl->n ? vl->v[0].pid : 0);
	ret = pasid_dump(VFIO_PASID_CMD_PASID_GET, 0, pl);
	EXPECT_TRUE(!ret && pl->n == 0, "PASID dump: %s, %u PASIDs",
		    errno_name(-ret), pl->n);
out:
	free(vl);
	free(pl);
}

static void test_balance(void)
{
	struct stats s;

	if (!stats_now(&s))
		return;
	EXPECT_TRUE(s.allocated == s.freed + s.reclaimed,
		    "ALLOCATED %" PRIu64 " != FREED %" PRIu64 " + RECLAIMED %" PRIu64,
		    s.allocated, s.freed, s.reclaimed);
	EXPECT_TRUE(s.binds == s.unbinds, "BINDS %" PRIu64 " != UNBINDS %" PRIu64,
		    s.binds, s.unbinds);
	EXPECT_TRUE(s.allocated > 0, "nothing was allocated");
	tap_note("allocated %" PRIu64 ", freed %" PRIu64 ", reclaimed %" PRIu64
		 ", binds %" PRIu64 ", invalidations %" PRIu64 ", quota refusals %"
		 PRIu64 ", pool refusals %" PRIu64, s.allocated, s.freed, s.reclaimed,
		 s.binds, s.invalidations, s.quota_refusals, s.pool_refusals);
}

/* The whole pool, allocated by one VM with its quota raised, then freed */
static void test_pool_whole(void)
{
	struct vfio_iommu_type1_pasid_quota q = { .argsz = sizeof(q) };
	uint8_t *seen = NULL;
	uint32_t p, n = 0, dup = 0;
	struct stats s;
	int fd, ret, e = 0;

	if (!stats_now(&s))
		return;
	EXPECT_EQ(opt_pasid_max, s.pool_size);
	fd = open(DEV_PATH, O_RDWR | O_CLOEXEC);
	if (!EXPECT_TRUE(fd >= 0, "open: %s", errno_name(errno)))
		return;
	q.quota = s.pool_size;
	/* the new quota is returned (a zero return used to skip the rest) */
	ret = ioctl(fd, VFIO_IOMMU_SET_PASID_QUOTA, &q);
	if (!EXPECT_TRUE(ret == (int)s.pool_size,
			 "SET_PASID_QUOTA to %u: returned %d (%s)", s.pool_size,
			 ret, errno_name(ret < 0 ? errno : 0)))
		goto out;
	seen = calloc(s.pool_max + 1, 1);
	if (!seen)
		goto out;
	for (;;) {
		if (pasid_alloc(fd, s.pool_min, s.pool_max, &p)) {
			e = errno;
			break;
		}
		if (p < s.pool_min || p > s.pool_max || seen[p]++)
			dup++;
		n++;
	}
	EXPECT_TRUE(n == s.pool_size && e == ENOSPC,
		    "%u of %u PASIDs allocated, then %s", n, s.pool_size, errno_name(e));
	EXPECT_EQ(0, dup);
	if (stats_now(&s))
		EXPECT_EQ(n, s.in_use);
	for (p = s.pool_min; p <= s.pool_max; p++)
		if (seen[p] && pasid_free(fd, p))
			tap_fail("free of PASID %u: %s", p, errno_name(errno));
	if (stats_now(&s))
		EXPECT_EQ(0, s.in_use);
out:
	free(seen);
	close(fd);
}

static void test_unload(void)
{
	int i, ret;

	for (i = 0; i < 50; i++) {
		ret = module_unload();
		if (ret != -EAGAIN && ret != -EBUSY && ret != -EWOULDBLOCK)
			break;
		usleep(100000);
	}
	if (ret)
		tap_fail("delete_module: %s", errno_name(-ret));
	else
		expect_unloaded();
}

static void tap_test(const char *backend, const char *name, void (*fn)(void))
{
	char full[160];

	tap_begin();
	fn();
	snprintf(full, sizeof(full), "%s: %s", backend, name);
	tap_end(full, NULL);
}

static void pass(const char *backend, uint64_t pass_seed)
{
	char params[160], name[256];
	int kmsg = kmsg_open(), mon = -1, dq;
	struct stats s;
	bool loaded, ended;

	tap_begin();
	snprintf(params, sizeof(params), "backend=%s pasid_max=%u default_quota=%u",
		 backend, opt_pasid_max, opt_quota);
	loaded = module_load_ok(params) && family_resolve_ok() && stats_now(&s);
	if (loaded) {
		struct stat st;

		loaded = !stat(DEV_PATH, &st);
		dev_rdev = st.st_rdev;
	}
	if (loaded) {
		pool_size = s.pool_size;
		EXPECT_TRUE(!strcmp(s.backend, backend), "backend %s", s.backend);
		mon = monitor_open();
	}
	snprintf(name, sizeof(name), "%s: load (%s)", backend, params);
	tap_end(name, NULL);
	if (!loaded) {
		module_unload();
		return;
	}

	fuzz_cgroups_setup();
	tap_begin();
	ended = test_fuzz(backend, pass_seed, mon);
	snprintf(name, sizeof(name), "%s: %u s of fuzzing, every process ended",
		 backend, opt_seconds);
	tap_end(name, NULL);
	if (mon >= 0)
		close(mon);
	if (!ended) {
		printf("Bail out! processes could not be killed: the kernel is stuck\n");
		exit(1);
	}
	tap_test(backend, "no VM, nothing in use or bound, dumps empty", test_idle);
	tap_test(backend, "allocated == freed + reclaimed, binds == unbinds",
		 test_balance);
	tap_test(backend, "every limit per cgroup back to no PASID and no VM",
		 test_limits_idle);
	/* the fuzzing changed it; put back what the pass started with */
	dq = default_quota_read();
	if (dq >= 0 && (unsigned int)dq != opt_quota)
		tap_note("default_quota left at %d by the fuzzing", dq);
	tap_test(backend, "the whole pool can be allocated again", test_pool_whole);
	tap_test(backend, "the module unloads", test_unload);
	fuzz_cgroups_release();
	tap_begin();
	kmsg_check(kmsg);
	snprintf(name, sizeof(name), "%s: the kernel log is clean", backend);
	tap_end(name, NULL);
}

/* ------------------------------------------------------------------ */

static void usage(FILE *f, const char *prog)
{
	fprintf(f,
		"Usage: %s [--seed S] [--seconds N] [--procs P] [--threads T]\n"
		"          [--backend native|emulated|both] [--pasid-max N] [--quota N]\n"
		"          [--no-groups] [-m MODULE.ko] [-f]\n"
		"Fuzzes /dev/vfio-pasid and the vfio_pasid netlink family, then checks\n"
		"that nothing leaked; TAP on stdout, the plan last.  Run as root in the\n"
		"test VM from the project root: tests/vm/run -- %s --seconds 30\n"
		"  --seed S        the run's seed (default: from the clock; printed)\n"
		"  --seconds N     seconds of fuzzing per backend (default 30)\n"
		"  --procs P       worker processes at a time (default 4, at most %d)\n"
		"  --threads T     threads per worker (default 3, at most %d)\n"
		"  --backend B     native, emulated or both (default both, in that order)\n"
		"  --pasid-max N   the pool's top, from 1 (module parameter; default 4096)\n"
		"  --quota N       default_quota at load (default 100)\n"
		"  --no-groups     do not bind edu devices or create mdevs\n"
		"  -m PATH         the module (default the test build, tests/testmod/vfio_pasid.ko)\n"
		"  -f              run outside the test VM (VM_GUEST unset)\n",
		prog, prog, MAX_PROCS, MAX_THREADS);
}

static unsigned int num_arg(const char *prog, const char *s, unsigned int lo,
			    unsigned int hi)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || end == s || *end || v < lo || v > hi) {
		fprintf(stderr, "%s: '%s' is not a number in [%u, %u]\n", prog, s, lo, hi);
		usage(stderr, prog);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "seed", required_argument, NULL, 's' },
		{ "seconds", required_argument, NULL, 't' },
		{ "procs", required_argument, NULL, 'p' },
		{ "threads", required_argument, NULL, 'T' },
		{ "backend", required_argument, NULL, 'b' },
		{ "pasid-max", required_argument, NULL, 'P' },
		{ "quota", required_argument, NULL, 'q' },
		{ "no-groups", no_argument, NULL, 'G' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool force = false, seeded = false;
	char *end;
	int opt, ret;

	while ((opt = getopt_long(argc, argv, "m:fh", longopts, NULL)) != -1) {
		switch (opt) {
		case 's':
			errno = 0;
			opt_seed = strtoull(optarg, &end, 0);
			if (errno || end == optarg || *end) {
				fprintf(stderr, "%s: bad seed '%s'\n", argv[0], optarg);
				return 2;
			}
			seeded = true;
			break;
		case 't':
			opt_seconds = num_arg(argv[0], optarg, 1, 86400);
			break;
		case 'p':
			opt_procs = num_arg(argv[0], optarg, 1, MAX_PROCS);
			break;
		case 'T':
			opt_threads = num_arg(argv[0], optarg, 1, MAX_THREADS);
			break;
		case 'P':
			opt_pasid_max = num_arg(argv[0], optarg, 16, PASID_LIMIT);
			break;
		case 'q':
			opt_quota = num_arg(argv[0], optarg, 0, PASID_LIMIT);
			break;
		case 'b':
			opt_native = !strcmp(optarg, "native") || !strcmp(optarg, "both");
			opt_emulated = !strcmp(optarg, "emulated") || !strcmp(optarg, "both");
			if (!opt_native && !opt_emulated) {
				fprintf(stderr, "%s: --backend native, emulated or both\n",
					argv[0]);
				return 2;
			}
			break;
		case 'G':
			opt_no_groups = true;
			break;
		case 'm':
			module_path = optarg;
			break;
		case 'f':
			force = true;
			break;
		case 'h':
			usage(stdout, argv[0]);
			return 0;
		default:
			usage(stderr, argv[0]);
			return 2;
		}
	}
	if (optind != argc || opt_quota > opt_pasid_max) {
		usage(stderr, argv[0]);
		return 2;
	}
	if (!seeded)
		opt_seed = mix(((uint64_t)time(NULL) << 20) ^ getpid() ^ now_ns());

	tap_init();
	printf("# seed %" PRIu64 " (replay: %s --seed %" PRIu64 " --seconds %u "
	       "--procs %u --threads %u --backend %s%s)\n", opt_seed, argv[0],
	       opt_seed, opt_seconds, opt_procs, opt_threads,
	       opt_native && opt_emulated ? "both" : opt_native ? "native" : "emulated",
	       opt_no_groups ? " --no-groups" : "");
	if (geteuid() != 0) {
		printf("Bail out! must run as root, inside the test VM\n");
		return 1;
	}
	if (!force && !getenv("VM_GUEST")) {
		printf("Bail out! not in the test VM (VM_GUEST unset): run "
		       "'tests/vm/run -- %s', or pass -f\n", argv[0]);
		return 1;
	}
	if (access(module_path, R_OK)) {
		printf("Bail out! %s: %s: build it with 'make tests'\n",
		       module_path, strerror(errno));
		return 1;
	}
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ret = nl_socket_open();
	if (sh == MAP_FAILED || ret < 0) {
		printf("Bail out! shared memory or netlink socket: %s\n",
		       strerror(sh == MAP_FAILED ? errno : -ret));
		return 1;
	}
	nl_fd = ret;
	if (module_present() && module_unload()) {
		printf("Bail out! %s is loaded and cannot be unloaded\n", MOD_NAME);
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	alarm((opt_native + opt_emulated) * (opt_seconds + 300) + 300);
	prctl(PR_SET_CHILD_SUBREAPER, 1);

	if (!opt_no_groups) {
		tap_begin();
		test_groups_setup();
		tap_end("VFIO groups: edu 0 and 1 on vfio-pci, an mdev on edu 2, a "
			"virtual mdev", NULL);
	}
	if (opt_native)
		pass("native", derive(opt_seed, 1, 0));
	if (opt_emulated)
		pass("emulated", derive(opt_seed, 2, 0));
	if (!opt_no_groups) {
		tap_begin();
		test_groups_restore();
		tap_end("VFIO groups: mdevs removed, devices back on their drivers",
			NULL);
	}
	printf("1..%d\n", tap_count);
	printf("# %d of %d tests failed; seed %" PRIu64 "\n", tap_failures, tap_count,
	       opt_seed);
	return tap_failures ? 1 : 0;
}
