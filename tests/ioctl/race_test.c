// SPDX-License-Identifier: GPL-2.0
/*
 * race_test - /dev/vfio-pasid and its admin API under concurrency
 *
 * Copyright (C) 2026 The vfio-pasid authors
 *
 * Run as root inside the test VM, from the project root:
 *
 *	tests/vm/run -- tests/ioctl/race_test [-m driver/vfio_pasid.ko] [-d SECONDS]
 *
 * Each scenario runs processes (and threads) against each other for a
 * bounded time (-d, 5 s by default):
 *
 *  - release: VMs that open, allocate, free, exit, close, are SIGKILLed
 *    or leave their descriptor to a forked child, against every dump (VM,
 *    PASID, device, reclaim log), STATS_GET and RECLAIM_CLEAR;
 *  - quota: QUOTA_SET, DEFAULT_QUOTA_SET and the SET_PASID_QUOTA ioctl
 *    against allocations and frees;
 *  - nesting: bind, unbind and invalidate against attach, detach, free,
 *    exit and SIGKILL (backend=emulated, edu 0 and 1 bound to vfio-pci);
 *  - unload: delete_module() (and reloads) against opens and closes,
 *    and against netlink requests.
 *
 * Nothing asserts a schedule: every request must end with one of the
 * results the contract allows in any interleaving (a bind of a PASID
 * another thread may have freed: 0, EBUSY, ENOENT or ENODEV), and what
 * each snapshot shows must be consistent (a VM's count within its quota,
 * PASIDs in the pool's range, the reclaim log within its size).  At the
 * end of a scenario some VMs are stopped while alive and what they hold is
 * compared with what the dumps show of them; then, with every process
 * gone: no VM, nothing in use or bound, ALLOCATED == FREED + RECLAIMED,
 * BINDS == UNBINDS, every dump empty, the reclaim log dump as long as its
 * count, the whole pool (a small one) can be allocated again, the VFIO
 * groups are free, and the kernel log has no warning.
 *
 * Output is TAP; the exit status is 0 only when every test passed.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "common.h"
#include "tap.h"

/* A small pool, so that it fills and can be checked whole */
#define POOL_MIN	1
#define POOL_MAX	160
#define POOL		(POOL_MAX - POOL_MIN + 1)
#define DEF_QUOTA	48
#define LOG_SIZE	48
#define STR(x)		#x
#define XSTR(x)		STR(x)
#define PARAMS		"backend=emulated pasid_min=" XSTR(POOL_MIN) \
			" pasid_max=" XSTR(POOL_MAX) " default_quota=" \
			XSTR(DEF_QUOTA) " reclaim_log_size=" XSTR(LOG_SIZE)

#define VFIO_BIND	"tests/vm/vfio-bind"

static unsigned int duration = 5;	/* seconds per scenario (-d) */
static bool loaded;
static int edu_group[2] = { -1, -1 };
static int kmsg_fd = -1;

/* What the processes of a scenario share */
struct shared {
	int		stop;
	unsigned long	vms, killed, inherited, allocs, frees, enospc;
	unsigned long	dumps, stats, clears, filtered;
	unsigned long	quota_nl, quota_nl_refused, default_sets, quota_ioctl;
	unsigned long	attaches, detaches, binds, unbinds, invs, busy;
	unsigned long	opens, open_gone, unloads, unload_busy, nl_gone;
};

static struct shared *sh;

#define COUNT(field)	__atomic_add_fetch(&sh->field, 1, __ATOMIC_RELAXED)

static bool stopping(void)
{
	return __atomic_load_n(&sh->stop, __ATOMIC_RELAXED) || tap_failed();
}

static unsigned int rnd(unsigned int *seed, unsigned int n)
{
	return n ? (unsigned int)rand_r(seed) % n : 0;
}

static unsigned int seed_now(void)
{
	return (unsigned int)getpid() ^ (unsigned int)(now() * 1e6);
}

/* A worker's own netlink socket: the parent's is the parent's */
static bool worker_nl(void)
{
	int fd = nl_socket_open();

	if (fd < 0) {
		tap_fail("netlink socket: %s", errno_name(-fd));
		return false;
	}
	close(nl_fd);
	nl_fd = fd;
	return true;
}

/* Let the workers run for the scenario's time, then tell them to stop */
static void run_for(unsigned int seconds)
{
	double end = now() + seconds;

	__atomic_store_n(&sh->stop, 0, __ATOMIC_RELAXED);
	while (now() < end && !tap_failed())
		usleep(20000);
	__atomic_store_n(&sh->stop, 1, __ATOMIC_RELAXED);
}

/* ------------------------------------------------------------------ */
/* Netlink requests                                                    */

static int quota_set_nl(uint32_t vm_id, uint32_t quota)
{
	return nl_do_u32(VFIO_PASID_CMD_QUOTA_SET, VFIO_PASID_A_VM_ID, vm_id,
			 VFIO_PASID_A_QUOTA, quota);
}

static int default_quota_set_nl(uint32_t quota)
{
	return nl_do_u32(VFIO_PASID_CMD_DEFAULT_QUOTA_SET,
			 VFIO_PASID_A_DEFAULT_QUOTA, quota, 0, 0);
}

/* DEVICE_GET dump entries, as far as these tests look at them */
struct dev_list {
	unsigned int	n, lost;
	struct {
		uint32_t	vm_id, group, binds;
		bool		has_group, has_binds;
	} v[64];
};

static void dev_cb(struct nlattr **tb, void *arg)
{
	struct dev_list *l = arg;
	typeof(&l->v[0]) d = LIST_NEXT(l);

	if (!d)
		return;
	d->vm_id = nla_u32(tb[VFIO_PASID_A_VM_ID]);
	d->has_group = tb[VFIO_PASID_A_GROUP];
	d->group = nla_u32(tb[VFIO_PASID_A_GROUP]);
	d->has_binds = tb[VFIO_PASID_A_DEV_BINDS];
	d->binds = nla_u32(tb[VFIO_PASID_A_DEV_BINDS]);
}

static int dev_dump(uint32_t vm_id, struct dev_list *l)
{
	l->n = 0;
	l->lost = 0;
	return nl_dump_vm(VFIO_PASID_CMD_DEVICE_GET, vm_id, dev_cb, l);
}

/* ------------------------------------------------------------------ */
/* Snapshots: what must hold whatever runs at the same time            */

static bool pasid_in_pool(uint32_t p)
{
	return p >= POOL_MIN && p <= POOL_MAX;
}

static void check_vm_snapshot(const struct vm_list *l)
{
	unsigned int i;

	EXPECT_TRUE(!l->lost, "VM dump: %u entries beyond %zu", l->lost,
		    ARRAY_SIZE(l->v));
	for (i = 0; i < l->n; i++) {
		const struct vm_rec *r = &l->v[i];

		EXPECT_TRUE(r->id && r->pid, "VM dump: entry %u: id %u pid %u", i,
			    r->id, r->pid);
		EXPECT_TRUE(r->count <= r->quota && r->quota <= POOL,
			    "VM %u: count %u, quota %u, pool %u", r->id, r->count,
			    r->quota, POOL);
		EXPECT_TRUE(r->has_bound_count && r->bound_count <= r->count,
			    "VM %u: bound %u of %u PASIDs", r->id, r->bound_count,
			    r->count);
		EXPECT_TRUE(i == 0 || r->id > l->v[i - 1].id,
			    "VM dump: id %u after %u", r->id, l->v[i - 1].id);
	}
}

static void check_pasid_snapshot(const struct pasid_list *l, uint32_t vm_id,
				 const char *what)
{
	unsigned int i;

	EXPECT_TRUE(!l->lost, "%s dump: %u entries beyond %zu", what, l->lost,
		    ARRAY_SIZE(l->v));
	for (i = 0; i < l->n; i++) {
		const struct pasid_rec *r = &l->v[i];

		EXPECT_TRUE(pasid_in_pool(r->pasid) && r->vm_id,
			    "%s dump: PASID %u of VM %u", what, r->pasid, r->vm_id);
		EXPECT_TRUE(!vm_id || r->vm_id == vm_id,
			    "%s dump filtered by VM %u shows VM %u", what, vm_id,
			    r->vm_id);
	}
}

static void check_stats_snapshot(const struct stats *s)
{
	EXPECT_TRUE(s->pool_min == POOL_MIN && s->pool_max == POOL_MAX &&
		    s->pool_size == POOL, "pool %u-%u size %u", s->pool_min,
		    s->pool_max, s->pool_size);
	EXPECT_TRUE(s->in_use <= POOL, "IN_USE %u above the pool size %u",
		    s->in_use, POOL);
	EXPECT_TRUE(s->log_size == LOG_SIZE && s->log_count <= LOG_SIZE,
		    "reclaim log: %u records, size %u", s->log_count, s->log_size);
	EXPECT_TRUE(s->bound_total <= POOL, "BOUND_TOTAL %u", s->bound_total);
}

/*
 * A request that may meet an unloaded (or reloaded) family: no family of
 * that id, or a dump refused its module reference (EPROTONOSUPPORT)
 */
static bool family_gone(int ret)
{
	return ret == -ENOENT || ret == -EOPNOTSUPP || ret == -EPROTONOSUPPORT;
}

/*
 * A process that asks the admin API for everything, over and over, and
 * checks every answer; with @unloading, requests may find the family gone
 * (and the module back under another family id).
 */
static void dumper(int sock, void *arg)
{
	static struct pasid_list pl;
	static struct vm_list vl;
	static struct dev_list dl;
	bool unloading = arg != NULL;
	unsigned int seed = seed_now(), i;
	uint32_t pick = 0;
	struct stats s;
	int ret;

	(void)sock;
	if (!worker_nl())
		return;
	for (i = 0; !stopping(); i++) {
		switch (i % 6) {
		case 0:
			ret = vm_dump(&vl);
			if (!ret) {
				check_vm_snapshot(&vl);
				pick = vl.n ? vl.v[rnd(&seed, vl.n)].id : 0;
			}
			break;
		case 1:
			ret = pasid_dump(VFIO_PASID_CMD_PASID_GET, 0, &pl);
			if (!ret)
				check_pasid_snapshot(&pl, 0, "PASID");
			break;
		case 2:
			/*
			 * Records logged while a dump of several messages runs
			 * are in it too: only a dump at rest is within the
			 * ring's size (check_quiescent()).
			 */
			ret = pasid_dump(VFIO_PASID_CMD_RECLAIM_GET, 0, &pl);
			if (!ret)
				check_pasid_snapshot(&pl, 0, "reclaim log");
			break;
		case 3:
			ret = dev_dump(0, &dl);
			if (!ret) {
				unsigned int j;

				for (j = 0; j < dl.n; j++)
					EXPECT_TRUE(dl.v[j].vm_id && dl.v[j].has_group &&
						    dl.v[j].has_binds &&
						    dl.v[j].binds <= POOL,
						    "device dump: VM %u group %u binds %u",
						    dl.v[j].vm_id, dl.v[j].group,
						    dl.v[j].binds);
			}
			break;
		case 4:
			memset(&s, 0, sizeof(s));
			ret = nl_request(nl_family, VFIO_PASID_CMD_STATS_GET, false,
					 NULL, VFIO_PASID_A_MAX, stats_cb, &s);
			if (!ret) {
				EXPECT_TRUE(s.seen && s.bind_seen,
					    "STATS_GET lacks a counter");
				check_stats_snapshot(&s);
				COUNT(stats);
			}
			break;
		default:
			/* one VM's PASIDs: it may be gone by now, ENOENT */
			if (!pick)
				continue;
			ret = pasid_dump(VFIO_PASID_CMD_PASID_GET, pick, &pl);
			if (ret == -ENOENT)
				ret = 0;
			else if (!ret)
				check_pasid_snapshot(&pl, pick, "filtered PASID");
			COUNT(filtered);
			break;
		}
		if (ret && unloading && family_gone(ret)) {
			COUNT(nl_gone);
			usleep(1000);
			ret = nl_resolve(VFIO_PASID_FAMILY_NAME);
			if (ret > 0)
				nl_family = ret;
			continue;
		}
		EXPECT_TRUE(!ret, "request %u: %s (%s)", i % 6, errno_name(-ret),
			    nl_extack);
		COUNT(dumps);
		if (i % 97 == 96 && !unloading) {
			ret = nl_request(nl_family, VFIO_PASID_CMD_RECLAIM_CLEAR,
					 false, NULL, VFIO_PASID_A_MAX, NULL, NULL);
			EXPECT_TRUE(!ret, "RECLAIM_CLEAR: %s", errno_name(-ret));
			COUNT(clears);
		}
	}
}

/* ------------------------------------------------------------------ */
/* Quiescence: the views of a VM that stopped, and of a module at rest */

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Bit 31 of a reported PASID: the reporter saw it bound */
#define HELD_BOUND	0x80000000U

/*
 * The VM @vm_id holds exactly the @n PASIDs of @held (sorted here): VM_GET,
 * the filtered PASID dump and the whole PASID dump agree with it, and its
 * bound count with the PASID dump.  Returns how many are bound.
 */
static uint32_t check_vm_view(uint32_t vm_id, uint32_t *held, uint32_t n)
{
	static struct pasid_list pl, all;
	struct vm_list vl;
	uint32_t i, bound = 0, in_all = 0;
	int ret;

	for (i = 0; i < n; i++)
		held[i] &= ~HELD_BOUND;
	qsort(held, n, sizeof(*held), cmp_u32);
	vl.n = 0;
	ret = vm_get(vm_id, &vl);
	if (ret || vl.n != 1) {
		tap_fail("VM_GET of VM %u: %s, %u entries", vm_id, errno_name(-ret),
			 vl.n);
		return 0;
	}
	ret = pasid_dump(VFIO_PASID_CMD_PASID_GET, vm_id, &pl);
	if (ret || pl.lost) {
		tap_fail("PASID dump of VM %u: %s", vm_id, errno_name(-ret));
		return 0;
	}
	EXPECT_TRUE(vl.v[0].count == n, "VM %u: VM_GET count %u, it holds %u",
		    vm_id, vl.v[0].count, n);
	EXPECT_TRUE(pl.n == n, "VM %u: PASID dump has %u, it holds %u", vm_id,
		    pl.n, n);
	for (i = 0; i < pl.n && i < n; i++) {
		EXPECT_TRUE(pl.v[i].pasid == held[i] && pl.v[i].vm_id == vm_id,
			    "VM %u: PASID dump entry %u is %u of VM %u, expected %u",
			    vm_id, i, pl.v[i].pasid, pl.v[i].vm_id, held[i]);
		bound += pl.v[i].bound == 1;
	}
	EXPECT_TRUE(vl.v[0].bound_count == bound,
		    "VM %u: BOUND_COUNT %u, %u bound in the PASID dump", vm_id,
		    vl.v[0].bound_count, bound);
	ret = pasid_dump(VFIO_PASID_CMD_PASID_GET, 0, &all);
	EXPECT_TRUE(!ret && !all.lost, "PASID dump: %s", errno_name(-ret));
	for (i = 0; i < all.n; i++)
		in_all += all.v[i].vm_id == vm_id;
	EXPECT_TRUE(in_all == n, "VM %u: %u entries in the whole PASID dump, "
		    "it holds %u", vm_id, in_all, n);
	return bound;
}

/*
 * SET_PASID_QUOTA with @q (flags 0) must succeed, return the new quota and
 * write it back into @q; whether it did
 */
static bool quota_ioctl_at(int line, int fd,
			   struct vfio_iommu_type1_pasid_quota *q,
			   const char *what)
{
	uint32_t want = q->quota;
	int ret;

	__atomic_add_fetch(&n_checked, 1, __ATOMIC_RELAXED);
	ret = ioctl(fd, VFIO_IOMMU_SET_PASID_QUOTA, q);
	if (ret < 0) {
		tap_diag_at(true, line, "SET_PASID_QUOTA to %u %s: %s", want,
			    what, errno_name(errno));
		return false;
	}
	if ((uint32_t)ret != want || q->quota != want) {
		tap_diag_at(true, line,
			    "SET_PASID_QUOTA to %u %s: returned %d, wrote back %u",
			    want, what, ret, q->quota);
		return false;
	}
	return true;
}

#define quota_ioctl(fd, q, what)	quota_ioctl_at(__LINE__, fd, q, what)

/* Every PASID of the pool, once, then ENOSPC; given back by the close */
static void check_pool_whole(void)
{
	static uint8_t seen[POOL_MAX + 1];
	struct vfio_iommu_type1_pasid_quota q = {
		.argsz = sizeof(q), .quota = POOL,
	};
	uint32_t i, p;
	int fd;

	fd = dev_open();
	if (fd < 0)
		return;
	if (!quota_ioctl(fd, &q, "to the pool size"))
		goto out;
	memset(seen, 0, sizeof(seen));
	for (i = 0; i < POOL; i++) {
		if (pasid_alloc(fd, POOL_MIN, POOL_MAX, &p)) {
			tap_fail("the pool is not whole: allocation %u of %u: %s",
				 i + 1, POOL, errno_name(errno));
			goto out;
		}
		if (!pasid_in_pool(p) || seen[p]++) {
			tap_fail("allocation %u: PASID %u (out of range or twice)",
				 i + 1, p);
			goto out;
		}
	}
	EXPECT_ERRNO(ENOSPC, pasid_alloc(fd, POOL_MIN, POOL_MAX, &p));
	EXPECT_EQ(POOL, count_of(fd));
out:
	fd_close(fd);
}

/*
 * The module at rest, every process of the scenario gone: nothing held,
 * counters balanced, every dump empty, the reclaim log as long as its
 * count, the pool whole.
 */
static void check_quiescent(const char *when)
{
	static struct pasid_list pl;
	struct dev_list dl;
	struct vm_list vl;
	struct stats s;
	int ret;

	check_idle(when);
	ret = vm_dump(&vl);
	EXPECT_TRUE(!ret && vl.n == 0, "%s: VM dump: %s, %u VMs", when,
		    errno_name(-ret), vl.n);
	ret = pasid_dump(VFIO_PASID_CMD_PASID_GET, 0, &pl);
	EXPECT_TRUE(!ret && pl.n == 0, "%s: PASID dump: %s, %u PASIDs", when,
		    errno_name(-ret), pl.n);
	ret = dev_dump(0, &dl);
	EXPECT_TRUE(!ret && dl.n == 0, "%s: device dump: %s, %u devices", when,
		    errno_name(-ret), dl.n);
	ret = pasid_dump(VFIO_PASID_CMD_RECLAIM_GET, 0, &pl);
	if (stats_now(&s)) {
		check_stats_snapshot(&s);
		EXPECT_TRUE(!ret && pl.n == s.log_count,
			    "%s: reclaim log dump: %s, %u records, RECLAIM_LOG_COUNT %u",
			    when, errno_name(-ret), pl.n, s.log_count);
	}
	check_pool_whole();
	check_idle("after the pool check");
}

/* ------------------------------------------------------------------ */
/* The kernel log                                                      */

static const char *const kmsg_problems[] = {
	"WARNING:", "BUG:", "BUG ", "Oops", "general protection fault",
	"soft lockup", "hard LOCKUP", "rcu: INFO", "hung_task",
	"blocked for more than", "Poison overwritten", "Redzone overwritten",
	"Object already free", "list_add corruption", "list_del corruption",
	"refcount_t:", "UBSAN:", "Call Trace:", "circular locking",
	"page allocation failure", "Failed to alloc ioasid",
};

static void kmsg_open(void)
{
	kmsg_fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (kmsg_fd >= 0)
		lseek(kmsg_fd, 0, SEEK_END);
}

/* The kernel logged no problem since the last look */
static void kmsg_check(void)
{
	char rec[2048];
	unsigned int i, bad = 0;
	ssize_t n;

	if (kmsg_fd < 0) {
		tap_fail("/dev/kmsg is not open");
		return;
	}
	for (;;) {
		n = read(kmsg_fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)
			continue;	/* overwritten records: go on */
		if (n <= 0)
			break;
		rec[n] = '\0';
		for (i = 0; i < ARRAY_SIZE(kmsg_problems); i++)
			if (strstr(rec, kmsg_problems[i])) {
				if (bad++ < 8)
					tap_fail("kernel log: %.*s",
						 (int)strcspn(rec, "\n"), rec);
				break;
			}
	}
}

/* ------------------------------------------------------------------ */
/* Setup                                                               */

static void test_setup(void)
{
	char cmd[128], line[64];
	unsigned int i;
	FILE *f;

	for (i = 0; i < 2; i++) {
		snprintf(cmd, sizeof(cmd), "%s --edu %u 2>&1", VFIO_BIND, i);
		fflush(stdout);
		f = popen(cmd, "r");
		if (!f || !fgets(line, sizeof(line), f)) {
			tap_fail("'%s' printed nothing", cmd);
			if (f)
				pclose(f);
			continue;
		}
		if (pclose(f) == 0)
			edu_group[i] = atoi(line);
		else
			tap_fail("'%s' failed: %s", cmd, line);
	}
	EXPECT_TRUE(edu_group[0] >= 0 && edu_group[1] >= 0 &&
		    edu_group[0] != edu_group[1], "edu groups %d and %d",
		    edu_group[0], edu_group[1]);
	if (module_load_ok(PARAMS) && family_resolve_ok())
		loaded = true;
	kmsg_check();	/* the module's load messages: no problem */
}

/* ------------------------------------------------------------------ */
/* release: VMs born and ended every way, against the admin API        */

enum vm_end {
	END_EXIT,	/* exits with its descriptors open */
	END_CLOSE,	/* closes them, then exits */
	END_KILL,	/* is SIGKILLed while it allocates and frees */
	END_INHERIT,	/* exits; a forked child keeps the descriptor */
	END_TWO,	/* two descriptors, one VM; closes one, exits */
	END_NR,
};

/* The life of one short VM; exits with 0 when it went as it should */
static void short_vm(enum vm_end end, unsigned int seed)
{
	uint32_t held[16], n = 0, k, i, p;
	int fd, fd2 = -1;
	double t;
	pid_t pid;

	fd = open(DEV_PATH, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		tap_fail("open(%s): %s", DEV_PATH, errno_name(errno));
		_exit(1);
	}
	if (end == END_TWO) {
		fd2 = open(DEV_PATH, O_RDWR | O_CLOEXEC);
		if (fd2 < 0 || info_of(fd2, INFO_VM_ID) != info_of(fd, INFO_VM_ID)) {
			tap_fail("a second open of one process is another VM");
			_exit(1);
		}
	}
	k = 1 + rnd(&seed, ARRAY_SIZE(held));
	for (i = 0; i < k; i++) {
		if (!pasid_alloc(i % 2 && fd2 >= 0 ? fd2 : fd, POOL_MIN, POOL_MAX,
				 &held[n])) {
			n++;
			COUNT(allocs);
		} else if (errno == ENOSPC) {
			COUNT(enospc);
		} else {
			tap_fail("allocation: %s", errno_name(errno));
			_exit(1);
		}
	}
	for (i = 0; i < n; i += 2) {
		if (pasid_free(fd, held[i])) {
			tap_fail("free of held PASID %u: %s", held[i],
				 errno_name(errno));
			_exit(1);
		}
		COUNT(frees);
	}
	if (count_of(fd) != n / 2) {
		tap_fail("count %u, expected %u", count_of(fd), n / 2);
		_exit(1);
	}

	switch (end) {
	case END_EXIT:
		_exit(0);
	case END_CLOSE:
		close(fd);
		_exit(0);
	case END_KILL:
		/* until killed (or 50 ms): every moment is a moment to die in */
		for (t = now() + 0.05; now() < t;)
			if (!pasid_alloc(fd, POOL_MIN, POOL_MAX, &p))
				pasid_free(fd, p);
		_exit(0);
	case END_INHERIT:
		pid = fork();
		if (pid == 0) {
			/* the opener's VM, through the inherited descriptor */
			usleep(rnd(&seed, 3000));
			for (i = 0; i < 4; i++)
				if (pasid_alloc(fd, POOL_MIN, POOL_MAX, &p) &&
				    errno != ENOSPC) {
					tap_fail("allocation through an inherited "
						 "descriptor: %s", errno_name(errno));
					_exit(1);
				}
			_exit(0);
		}
		COUNT(inherited);
		_exit(pid > 0 ? 0 : 1);
	case END_TWO:
		close(fd2);
		_exit(0);
	default:
		_exit(1);
	}
}

/* Starts short VMs one after the other and ends them */
static void churner(int sock, void *arg)
{
	unsigned int seed = seed_now();
	int status;
	pid_t pid;

	(void)sock;
	(void)arg;
	/* the descriptors' inheritors end up ours, and are waited for */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	while (!stopping()) {
		enum vm_end end = rnd(&seed, END_NR);
		unsigned int vseed = rand_r(&seed);

		fflush(stdout);
		pid = fork();
		if (pid < 0) {
			tap_fail("fork: %s", errno_name(errno));
			return;
		}
		if (pid == 0) {
			if (end != END_INHERIT)
				prctl(PR_SET_PDEATHSIG, SIGKILL);
			short_vm(end, vseed);
		}
		if (end == END_KILL) {
			usleep(rnd(&seed, 4000));
			kill(pid, SIGKILL);
		}
		if (waitpid(pid, &status, 0) != pid) {
			tap_fail("waitpid: %s", errno_name(errno));
			return;
		}
		if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL &&
		    end == END_KILL)
			COUNT(killed);
		else if (!WIFEXITED(status) || WEXITSTATUS(status))
			tap_fail("a short VM (end %d) ended with status 0x%x", end,
				 status);
		COUNT(vms);
		/* the inheritors */
		while (waitpid(-1, &status, 0) > 0)
			if (!WIFEXITED(status) || WEXITSTATUS(status))
				tap_fail("an inheritor ended with status 0x%x",
					 status);
	}
}

static void test_release(void)
{
	struct child c[5];
	unsigned int i;

	memset(sh, 0, sizeof(*sh));
	for (i = 0; i < 3; i++)
		child_start(&c[i], churner, NULL);
	for (; i < 5; i++)
		child_start(&c[i], dumper, NULL);
	run_for(duration);
	for (i = 0; i < 5; i++)
		child_reap(&c[i], 0);
	tap_note("%lu VMs (%lu killed, %lu inherited), %lu allocations, %lu frees, "
		 "%lu ENOSPC; %lu requests (%lu stats, %lu filtered), %lu clears",
		 sh->vms, sh->killed, sh->inherited, sh->allocs, sh->frees,
		 sh->enospc, sh->dumps, sh->stats, sh->filtered, sh->clears);
	EXPECT_TRUE(sh->vms >= 10 && sh->dumps >= 10,
		    "too little ran: %lu VMs, %lu requests", sh->vms, sh->dumps);
}

/* ------------------------------------------------------------------ */
/* quota: every way to change a quota, against allocation and free     */

/* Report what this VM holds (M_READY), then wait for M_EXIT */
static void park(int sock, int fd, const uint32_t *held, uint32_t n)
{
	struct msg m = { .op = M_READY, .n = n };

	m.vm_id = info_of(fd, INFO_VM_ID);
	memcpy(m.val, held, n * sizeof(*held));
	if (msg_send(sock, &m))
		msg_recv(sock, &m, M_EXIT);
}

static void quota_vm(int sock, void *arg)
{
	struct vfio_iommu_type1_pasid_quota q;
	unsigned int seed = seed_now();
	struct vfio_pasid_info info;
	uint32_t held[POOL], n = 0, want, p;
	int fd, r;

	(void)arg;
	fd = dev_open();
	if (fd < 0)
		return;
	while (!stopping()) {
		r = rnd(&seed, 10);
		if (r < 5) {
			if (!pasid_alloc(fd, POOL_MIN, POOL_MAX, &p)) {
				if (n == POOL || !pasid_in_pool(p)) {
					tap_fail("allocation: PASID %u, %u held", p, n);
					break;
				}
				held[n++] = p;
				COUNT(allocs);
			} else if (errno == ENOSPC) {
				COUNT(enospc);
			} else {
				tap_fail("allocation: %s", errno_name(errno));
			}
		} else if (r < 8) {
			if (!n)
				continue;
			r = rnd(&seed, n);
			if (pasid_free(fd, held[r]))
				tap_fail("free of held PASID %u: %s", held[r],
					 errno_name(errno));
			held[r] = held[--n];
			COUNT(frees);
		} else if (r == 8) {
			/* root may raise: only the range and the count refuse */
			want = rnd(&seed, POOL + 8);
			memset(&q, 0, sizeof(q));
			q.argsz = sizeof(q);
			q.quota = want;
			if (want > POOL || want < n)
				CHECK(EINVAL, fd, VFIO_IOMMU_SET_PASID_QUOTA, &q,
				      "to %u, %u held, pool %u", want, n, POOL);
			else
				quota_ioctl(fd, &q, "with PASIDs held");
			COUNT(quota_ioctl);
		} else {
			/* only this process changes the count */
			if (get_info(fd, &info)) {
				tap_fail("GET_INFO: %s", errno_name(errno));
				break;
			}
			EXPECT_TRUE(info.count == n && info.count <= info.quota,
				    "GET_INFO: count %u (%u held), quota %u",
				    info.count, n, info.quota);
		}
	}
	park(sock, fd, held, n);
}

/* The admin: quotas of whatever VMs there are, and the default quota */
static void quota_admin(int sock, void *arg)
{
	unsigned int seed = seed_now();
	struct vm_list vl;
	uint32_t q;
	int ret;

	(void)sock;
	(void)arg;
	if (!worker_nl())
		return;
	while (!stopping()) {
		ret = vm_dump(&vl);
		if (ret) {
			tap_fail("VM dump: %s", errno_name(-ret));
			break;
		}
		check_vm_snapshot(&vl);
		if (vl.n) {
			const struct vm_rec *r = &vl.v[rnd(&seed, vl.n)];

			q = rnd(&seed, POOL + 8);
			ret = quota_set_nl(r->id, q);
			if (q > POOL)
				EXPECT_TRUE(ret == -EINVAL &&
					    !strcmp(nl_extack, "quota is above the PASID pool size"),
					    "QUOTA_SET of VM %u to %u: %s (%s)", r->id, q,
					    errno_name(-ret), nl_extack);
			else
				EXPECT_TRUE(!ret || (ret == -EINVAL &&
						     !strcmp(nl_extack, "quota is below the PASIDs the VM holds")),
					    "QUOTA_SET of VM %u to %u: %s (%s)", r->id, q,
					    errno_name(-ret), nl_extack);
			COUNT(quota_nl);
			if (ret)
				COUNT(quota_nl_refused);
		}
		q = rnd(&seed, POOL + 8);
		ret = default_quota_set_nl(q);
		EXPECT_TRUE(q > POOL ? ret == -EINVAL : !ret,
			    "DEFAULT_QUOTA_SET to %u: %s (%s)", q, errno_name(-ret),
			    nl_extack);
		COUNT(default_sets);
	}
}

/* Each VM stopped: what it holds is what the admin API shows of it */
static void check_parked(struct child *c, unsigned int n)
{
	struct msg m;
	unsigned int i;

	for (i = 0; i < n; i++)
		if (c[i].pid > 0 && msg_recv(c[i].sock, &m, M_READY))
			check_vm_view(m.vm_id, m.val, m.n);
}

static void test_quota(void)
{
	struct child c[5];
	unsigned int i;
	int ret;

	memset(sh, 0, sizeof(*sh));
	for (i = 0; i < 3; i++)
		child_start(&c[i], quota_vm, NULL);
	child_start(&c[3], quota_admin, NULL);
	child_start(&c[4], dumper, NULL);
	run_for(duration);
	child_reap(&c[3], 0);
	child_reap(&c[4], 0);
	check_parked(c, 3);
	/* two exit, one is killed */
	child_stop(&c[0]);
	child_stop(&c[1]);
	kill(c[2].pid, SIGKILL);
	child_reap(&c[2], SIGKILL);
	ret = default_quota_set_nl(DEF_QUOTA);
	EXPECT_TRUE(!ret, "DEFAULT_QUOTA_SET back to %u: %s", DEF_QUOTA,
		    errno_name(-ret));
	tap_note("%lu allocations, %lu frees, %lu ENOSPC; %lu QUOTA_SET (%lu refused), "
		 "%lu DEFAULT_QUOTA_SET, %lu SET_PASID_QUOTA; %lu requests",
		 sh->allocs, sh->frees, sh->enospc, sh->quota_nl,
		 sh->quota_nl_refused, sh->default_sets, sh->quota_ioctl, sh->dumps);
	EXPECT_TRUE(sh->allocs >= 10 && sh->quota_nl >= 10 && sh->quota_ioctl >= 3,
		    "too little ran: %lu allocations, %lu QUOTA_SET, %lu ioctls",
		    sh->allocs, sh->quota_nl, sh->quota_ioctl);
}

/* ------------------------------------------------------------------ */
/* nesting: binds against attach, detach, free, exit and kill          */

/* One VM's state, shared by its threads */
#define NSLOTS	6

struct nest_vm {
	int		fd, gfd;
	int		stop;
	int		attached;	/* only the attacher changes it */
	uint32_t	slot[NSLOTS];	/* PASIDs of the chaos pair, 0 none */
	uint32_t	own[4];		/* the strict binder's PASIDs */
	uint32_t	n_own;
};

static bool nest_stopping(struct nest_vm *v)
{
	return __atomic_load_n(&v->stop, __ATOMIC_RELAXED) || tap_failed();
}

static int bind_op(int fd, uint32_t op, uint32_t pasid, uint32_t gpasid)
{
	struct {
		struct vfio_iommu_type1_bind hdr;
		struct iommu_gpasid_bind_data data;
	} m;

	memset(&m, 0, sizeof(m));
	m.hdr.argsz = sizeof(m);
	m.hdr.flags = op;
	m.data.argsz = sizeof(m.data);
	m.data.version = IOMMU_GPASID_BIND_VERSION_1;
	m.data.format = IOMMU_PASID_FORMAT_INTEL_VTD;
	m.data.addr_width = 48;
	m.data.gpgd = 0x1000ULL * (pasid + 1);
	m.data.hpasid = pasid;
	m.data.flags = IOMMU_SVA_GPASID_VAL;
	m.data.gpasid = gpasid;
	return ioctl(fd, VFIO_IOMMU_BIND, &m) ? errno : 0;
}

static int inv_op(int fd, uint32_t pasid)
{
	struct vfio_iommu_type1_cache_invalidate m;

	memset(&m, 0, sizeof(m));
	m.argsz = sizeof(m);
	m.cache_info.argsz = sizeof(m.cache_info);
	m.cache_info.version = IOMMU_CACHE_INVALIDATE_INFO_VERSION_1;
	m.cache_info.cache = IOMMU_CACHE_INV_TYPE_IOTLB;
	m.cache_info.granularity = IOMMU_INV_GRANU_PASID;
	m.cache_info.granu.pasid_info.flags = IOMMU_INV_PASID_FLAGS_PASID;
	m.cache_info.granu.pasid_info.pasid = pasid;
	return ioctl(fd, VFIO_IOMMU_CACHE_INVALIDATE, &m) ? errno : 0;
}

/* @err (0 for success) is one of the values listed */
#define EXPECT_ONE_OF(what, err, ...)					\
	do {								\
		const int __ok[] = { __VA_ARGS__, -1 };			\
		unsigned int __i;					\
		for (__i = 0; __ok[__i] >= 0 && __ok[__i] != (err); __i++) \
			;						\
		EXPECT_TRUE(__ok[__i] >= 0, "%s: %s", what, errno_name(err)); \
	} while (0)

/* Attaches and detaches its group; the only one that does */
static void *attacher(void *p)
{
	struct nest_vm *v = p;
	struct vfio_pasid_group g = { .argsz = sizeof(g), .group_fd = v->gfd };
	unsigned int seed = seed_now();

	while (!nest_stopping(v)) {
		if (!v->attached) {
			if (CHECK(0, v->fd, VFIO_PASID_ATTACH_GROUP, &g, "of its group"))
				__atomic_store_n(&v->attached, 1, __ATOMIC_RELAXED);
			COUNT(attaches);
		} else {
			if (CHECK(0, v->fd, VFIO_PASID_DETACH_GROUP, &g, "of its group"))
				__atomic_store_n(&v->attached, 0, __ATOMIC_RELAXED);
			COUNT(detaches);
		}
		usleep(rnd(&seed, 2000));
	}
	return NULL;
}

/* Its own PASIDs: allocated, bound, invalidated, unbound, freed */
static void *binder(void *p)
{
	struct nest_vm *v = p;
	unsigned int seed = seed_now() ^ 0x5a5a;
	uint32_t pasid;
	int err;

	while (!nest_stopping(v)) {
		unsigned int r = rnd(&seed, 10), i = rnd(&seed, 4);

		if (i >= v->n_own) {
			err = pasid_alloc(v->fd, POOL_MIN, POOL_MAX, &pasid) ? errno : 0;
			EXPECT_ONE_OF("allocation", err, 0, ENOSPC);
			if (!err)
				__atomic_store_n(&v->own[v->n_own++], pasid,
						 __ATOMIC_RELEASE);
			continue;
		}
		pasid = v->own[i];
		if (r < 4) {
			/* the chaos pair may bind a PASID of ours they saw freed */
			err = bind_op(v->fd, VFIO_IOMMU_BIND_GUEST_PGTBL, pasid, pasid);
			EXPECT_ONE_OF("bind of a held PASID", err, 0, EBUSY, ENODEV);
			COUNT(binds);
		} else if (r < 6) {
			err = bind_op(v->fd, VFIO_IOMMU_UNBIND_GUEST_PGTBL, pasid, 0);
			EXPECT_ONE_OF("unbind of a held PASID", err, 0, ENOENT, ENODEV);
			COUNT(unbinds);
		} else if (r < 9) {
			err = inv_op(v->fd, pasid);
			EXPECT_ONE_OF("invalidation of a held PASID", err, 0, ENODEV);
			COUNT(invs);
		} else {
			/* bound or not: free unbinds first */
			v->own[i] = v->own[--v->n_own];
			err = pasid_free(v->fd, pasid) ? errno : 0;
			EXPECT_ONE_OF("free of a held PASID", err, 0);
			COUNT(frees);
		}
	}
	return NULL;
}

/* Fills and empties the shared slots: the only one that does */
static void *slot_allocator(void *p)
{
	struct nest_vm *v = p;
	unsigned int seed = seed_now() ^ 0xa5a5;
	uint32_t pasid;
	int err;

	while (!nest_stopping(v)) {
		unsigned int i = rnd(&seed, NSLOTS);

		pasid = __atomic_exchange_n(&v->slot[i], 0, __ATOMIC_ACQ_REL);
		if (pasid) {
			err = pasid_free(v->fd, pasid) ? errno : 0;
			EXPECT_ONE_OF("free of a slot's PASID", err, 0);
			COUNT(frees);
		} else {
			err = pasid_alloc(v->fd, POOL_MIN, POOL_MAX, &pasid) ? errno : 0;
			EXPECT_ONE_OF("allocation", err, 0, ENOSPC);
			if (!err)
				__atomic_store_n(&v->slot[i], pasid, __ATOMIC_RELEASE);
		}
		usleep(rnd(&seed, 300));
	}
	return NULL;
}

/* Binds whatever the slots hold, which may be freed under it */
static void *slot_binder(void *p)
{
	struct nest_vm *v = p;
	unsigned int seed = seed_now() ^ 0x3c3c;
	struct vfio_pasid_info info;
	uint32_t pasid;
	int err;

	while (!nest_stopping(v)) {
		unsigned int r = rnd(&seed, 8);

		pasid = __atomic_load_n(&v->slot[rnd(&seed, NSLOTS)], __ATOMIC_ACQUIRE);
		if (r == 7 || !pasid) {
			if (get_info(v->fd, &info)) {
				tap_fail("GET_INFO: %s", errno_name(errno));
				break;
			}
			EXPECT_TRUE(info.count <= info.quota,
				    "GET_INFO: count %u, quota %u", info.count,
				    info.quota);
			continue;
		}
		if (r < 3) {
			err = bind_op(v->fd, VFIO_IOMMU_BIND_GUEST_PGTBL, pasid, pasid);
			EXPECT_ONE_OF("bind of a slot's PASID", err, 0, EBUSY,
				      ENOENT, ENODEV);
			COUNT(binds);
			if (err == EBUSY)
				COUNT(busy);
		} else if (r < 5) {
			err = bind_op(v->fd, VFIO_IOMMU_UNBIND_GUEST_PGTBL, pasid, 0);
			EXPECT_ONE_OF("unbind of a slot's PASID", err, 0, ENOENT,
				      ENODEV);
			COUNT(unbinds);
		} else {
			err = inv_op(v->fd, pasid);
			EXPECT_ONE_OF("invalidation of a slot's PASID", err, 0,
				      ENOENT, ENODEV);
			COUNT(invs);
		}
	}
	return NULL;
}

/*
 * A VM with four threads on one group.  M_EXIT: exit at once, the threads
 * in the middle of their requests.  M_GO: stop the threads, report
 * (M_READY), wait for M_EXIT.  SIGKILL: whenever.
 */
static void nest_vm(int sock, void *arg)
{
	void *(*fns[])(void *) = { attacher, binder, slot_allocator, slot_binder };
	static struct nest_vm v;
	pthread_t th[ARRAY_SIZE(fns)];
	struct pollfd pfd = { .fd = sock, .events = POLLIN };
	uint32_t held[NSLOTS + 4], n = 0;
	unsigned int i;
	struct msg m;

	memset(&v, 0, sizeof(v));
	v.fd = dev_open();
	v.gfd = vfio_group_open(edu_group[*(int *)arg], 5, true);
	if (v.fd < 0 || v.gfd < 0)
		_exit(1);
	for (i = 0; i < ARRAY_SIZE(fns); i++)
		if (pthread_create(&th[i], NULL, fns[i], &v)) {
			tap_fail("pthread_create failed");
			_exit(1);
		}
	for (;;) {
		if (poll(&pfd, 1, 1000) <= 0)
			continue;
		if (recv(sock, &m, sizeof(m), 0) <= 0)
			_exit(1);	/* the parent is gone */
		if (m.op == M_EXIT)
			_exit(0);
		if (m.op == M_GO)
			break;
	}
	__atomic_store_n(&v.stop, 1, __ATOMIC_RELAXED);
	for (i = 0; i < ARRAY_SIZE(fns); i++)
		pthread_join(th[i], NULL);
	for (i = 0; i < v.n_own; i++)
		held[n++] = v.own[i];
	for (i = 0; i < NSLOTS; i++)
		if (v.slot[i])
			held[n++] = v.slot[i];
	memset(&m, 0, sizeof(m));
	m.op = M_READY;
	m.vm_id = info_of(v.fd, INFO_VM_ID);
	m.err = v.attached;
	m.n = n;
	memcpy(m.val, held, n * sizeof(held[0]));
	if (msg_send(sock, &m))
		msg_recv(sock, &m, M_EXIT);
}

/* A VM of the nesting scenario, stopped: the admin API agrees with it */
static void nest_park(struct child *c)
{
	struct dev_list dl;
	struct msg m;
	uint32_t bound;
	int ret;

	if (!msg_op(c->sock, M_GO) || !msg_recv(c->sock, &m, M_READY))
		return;
	bound = check_vm_view(m.vm_id, m.val, m.n);
	ret = dev_dump(m.vm_id, &dl);
	EXPECT_TRUE(!ret, "device dump of VM %u: %s", m.vm_id, errno_name(-ret));
	if (m.err) {
		/* attached: one device, every binding on it */
		EXPECT_TRUE(dl.n == 1 && dl.v[0].binds == bound,
			    "VM %u, attached, %u bound: %u devices, %u binds",
			    m.vm_id, bound, dl.n, dl.n ? dl.v[0].binds : 0);
	} else {
		/* detaching the last group removed the bindings */
		EXPECT_TRUE(dl.n == 0 && bound == 0,
			    "VM %u, detached: %u devices, %u bound", m.vm_id,
			    dl.n, bound);
	}
	child_stop(c);
}

static void test_nesting(void)
{
	static int which[2] = { 0, 1 };
	struct child c[3];
	double until[2] = { 0, 0 };
	unsigned int seed = seed_now(), i, ends = 0;
	double end;

	memset(sh, 0, sizeof(*sh));
	if (edu_group[0] < 0 || edu_group[1] < 0) {
		tap_fail("the edu groups are not set up");
		return;
	}
	c[0].pid = c[1].pid = -1;
	child_start(&c[2], dumper, NULL);
	end = now() + duration;
	while (now() < end && !tap_failed()) {
		for (i = 0; i < 2; i++) {
			if (c[i].pid <= 0) {
				child_start(&c[i], nest_vm, &which[i]);
				until[i] = now() + 0.1 + rnd(&seed, 500) / 1000.0;
				COUNT(vms);
				continue;
			}
			if (now() < until[i])
				continue;
			switch (ends++ % 3) {
			case 0:
				kill(c[i].pid, SIGKILL);
				child_reap(&c[i], SIGKILL);
				COUNT(killed);
				break;
			case 1:
				child_stop(&c[i]);
				break;
			default:
				nest_park(&c[i]);
				break;
			}
		}
		usleep(10000);
	}
	for (i = 0; i < 2; i++)
		if (c[i].pid > 0)
			nest_park(&c[i]);
	__atomic_store_n(&sh->stop, 1, __ATOMIC_RELAXED);
	child_reap(&c[2], 0);
	tap_note("%lu VMs (%lu killed); %lu attaches, %lu detaches, %lu binds "
		 "(%lu EBUSY), %lu unbinds, %lu invalidations, %lu frees; %lu requests",
		 sh->vms, sh->killed, sh->attaches, sh->detaches, sh->binds,
		 sh->busy, sh->unbinds, sh->invs, sh->frees, sh->dumps);
	EXPECT_TRUE(sh->vms >= 4 && sh->binds >= 10 && sh->attaches >= 4,
		    "too little ran: %lu VMs, %lu binds, %lu attaches", sh->vms,
		    sh->binds, sh->attaches);
	/* the groups are free again */
	for (i = 0; i < 2; i++) {
		int fd = vfio_group_open(edu_group[i], 5, true);

		if (fd >= 0)
			close(fd);
	}
}

/* ------------------------------------------------------------------ */
/* unload: delete_module against open and close                        */

static void opener(int sock, void *arg)
{
	unsigned int seed = seed_now();
	struct vfio_pasid_info info;
	uint32_t p;
	int fd, fd2;

	(void)sock;
	(void)arg;
	while (!stopping()) {
		fd = open(DEV_PATH, O_RDWR | O_CLOEXEC);
		if (fd < 0) {
			EXPECT_ONE_OF("open while the module comes and goes", errno,
				      ENOENT, ENODEV, ENXIO);
			COUNT(open_gone);
			usleep(rnd(&seed, 2000));
			continue;
		}
		COUNT(opens);
		/* an open descriptor pins the module: everything works */
		if (get_info(fd, &info))
			tap_fail("GET_INFO on an open descriptor: %s",
				 errno_name(errno));
		if (pasid_alloc(fd, POOL_MIN, POOL_MAX, &p) && errno != ENOSPC)
			tap_fail("allocation on an open descriptor: %s",
				 errno_name(errno));
		if (rnd(&seed, 2)) {
			fd2 = open(DEV_PATH, O_RDWR | O_CLOEXEC);
			if (fd2 < 0)
				tap_fail("a second open while one is open: %s",
					 errno_name(errno));
			else
				close(fd2);
		}
		usleep(rnd(&seed, 3000));
		close(fd);
		usleep(rnd(&seed, 3000));
	}
}

static void test_unload_race(void)
{
	struct child c[3];
	unsigned int seed = seed_now(), i;
	double end;
	int ret;

	memset(sh, 0, sizeof(*sh));
	child_start(&c[0], opener, NULL);
	child_start(&c[1], opener, NULL);
	child_start(&c[2], dumper, (void *)1);
	end = now() + duration;
	while (now() < end && !tap_failed()) {
		ret = module_unload();
		if (ret == -EAGAIN) {
			COUNT(unload_busy);
		} else if (ret) {
			tap_fail("delete_module: %s", errno_name(-ret));
			loaded = module_present();
			break;
		} else {
			COUNT(unloads);
			loaded = false;
			if (!module_load_ok(PARAMS))
				break;
			loaded = true;
			if (!family_resolve_ok())
				break;
		}
		usleep(rnd(&seed, 4000));
	}
	__atomic_store_n(&sh->stop, 1, __ATOMIC_RELAXED);
	for (i = 0; i < 3; i++)
		child_reap(&c[i], 0);
	tap_note("%lu unloads, %lu refused; %lu opens, %lu found no module; "
		 "%lu requests, %lu found no family", sh->unloads, sh->unload_busy,
		 sh->opens, sh->open_gone, sh->dumps, sh->nl_gone);
	EXPECT_TRUE(sh->unloads + sh->unload_busy >= 10 && sh->opens >= 10,
		    "too little ran: %lu unload attempts, %lu opens",
		    sh->unloads + sh->unload_busy, sh->opens);
	if (!loaded && module_load_ok(PARAMS) && family_resolve_ok())
		loaded = true;
}

static void test_final(void)
{
	if (!loaded) {
		tap_fail("the module is not loaded");
		return;
	}
	/* after_test() of the last race checked it all: unload, and again */
	if (!module_unload_ok())
		return;
	loaded = false;
	if (!module_load_ok(PARAMS) || !family_resolve_ok())
		return;
	loaded = true;
	check_quiescent("a fresh load");
	if (module_unload_ok())
		loaded = false;
}

#define MODULE	true
#define NONE	false

static const struct test tests[] = {
	{ "setup: edu 0 and 1 bound to vfio-pci, the module loaded with a pool "
	  "of " XSTR(POOL_MAX) " PASIDs", test_setup, NONE },
	{ "race: VMs opening, allocating, exiting, closing, killed, inherited, "
	  "against every dump, STATS_GET and RECLAIM_CLEAR", test_release, MODULE },
	{ "race: QUOTA_SET, DEFAULT_QUOTA_SET and SET_PASID_QUOTA against "
	  "allocation and free", test_quota, MODULE },
	{ "race: bind, unbind, invalidate against attach, detach, free, exit "
	  "and SIGKILL", test_nesting, MODULE },
	{ "race: module unload against open, close and netlink requests",
	  test_unload_race, MODULE },
	{ "after the races: unload, load again, the pool whole; unload",
	  test_final, MODULE },
};

static bool module_loaded(void)
{
	return loaded;
}

static void before(void)
{
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) {
		printf("Bail out! mmap: %s\n", strerror(errno));
		exit(1);
	}
	kmsg_open();
}

/* After each test: its processes gone, the module at rest and whole */
static void after_test(const struct test *tc)
{
	cleanup_test();
	if (loaded && tc->fn != test_setup && tc->fn != test_final)
		check_quiescent("after the race");
	kmsg_check();
}

static void opt(int o, const char *arg)
{
	char *end;
	long v;

	(void)o;
	v = strtol(arg, &end, 10);
	if (*end || v < 1 || v > 60) {
		fprintf(stderr, "race_test: -d takes 1 to 60 seconds\n");
		exit(2);
	}
	duration = v;
}

int main(int argc, char **argv)
{
	static const struct harness h = {
		.what = "Races /dev/vfio-pasid and its admin API against each other",
		.synopsis = " [-d SECONDS]",
		.help = "  -d SECONDS  how long each race runs (default 5)\n",
		.opts = "d:",
		.opt = opt,
		.timeout = 300,
		.subreaper = true,
		.tests = tests,
		.n_tests = ARRAY_SIZE(tests),
		.loaded = module_loaded,
		.before = before,
		.after = after_test,
	};

	return harness_main(argc, argv, &h);
}
