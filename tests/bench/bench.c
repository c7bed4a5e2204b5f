// SPDX-License-Identifier: GPL-2.0
/*
 * bench - what vfio_pasid costs, against floors measured in the same run
 *
 * Copyright (C) 2026 The vfio-pasid authors
 *
 * Run as root inside the test VM, from the project root (make bench does):
 *
 *	tests/vm/run -- tests/bench/bench [-o DIR] [-q]
 *
 * The guest runs under TCG, so absolute times mean little; each target is
 * a ratio of two costs measured here, one after the other:
 *
 *  1. alloc+free through the ioctl against its floor: two null ioctls on
 *     the device (VFIO_NESTING_GET_IOMMU_UAPI_VERSION, which does nothing)
 *     plus an alloc+free of the kernel's PASID allocator called directly
 *     (tests/bench/floor's module times it in the kernel: ioasid_alloc/
 *     ioasid_free on 6.1, iommu_alloc_global_pasid/iommu_free_global_pasid
 *     on 6.12).  Target <= 1.5.
 *  2. alloc and free with 500,000 PASIDs outstanding in one VM against
 *     with 1,000 (per-operation cost at each level of a ladder: allocs,
 *     then frees of PASIDs picked at random).  Target <= 1.5.  The floor
 *     module climbs the same ladder alone afterwards, so that the
 *     allocator's own growth can be told from ours.
 *  3. reclaim of a VM holding 500,000 PASIDs (the close() of its only
 *     descriptor) against 500,000 frees of the allocator called directly,
 *     in PASID order as reclaim frees.  Target <= 1.5.
 *  4. memory per outstanding PASID, from /proc/slabinfo: the objects in
 *     use before and after the VM grows to 500,000 PASIDs, less what the
 *     allocator alone takes for as many (measured with the floor module).
 *     Target <= 64 bytes.
 *  5. the generic netlink dump of 1,000,000 PASIDs and of 10,000 VMs:
 *     complete (every entry once), and the peak memory of
 *     "vfiopasidctl -j pasid list" and "vm list" as the count grows:
 *     flat (target: the largest within 1.25 times the smallest, over a
 *     thousandfold growth of the list).
 *  6. processes (VMs) allocating and freeing concurrently: throughput with
 *     two CPUs against one (every worker pinned to CPU 0, then spread);
 *     the same ratio for null ioctls says what the machine itself gives,
 *     and for the allocator alone what its global lock allows.
 *  7. limits per cgroup: alloc+free of a VM created eight cgroups below
 *     the root with a limit on each of those eight levels, against the
 *     same VM with no limit (batches alternated).  Target <= 1.2.  Also
 *     reported: the same against a VM of the root cgroup.
 *
 * Prints a table; with -o DIR also writes DIR/bench.json (every number)
 * and DIR/bench-scaling.dat (per-operation cost against outstanding
 * PASIDs, for tests/bench/plot.gp).  -q runs every measurement at a small
 * scale (a smoke test: the ratios then mean little).  Exit status 0 when
 * every measurement ran and its checks held (the dumps complete, the
 * module idle afterwards), whether or not each target is met; 1 otherwise.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "../ioctl/common.h"
#include "../ioctl/tap.h"
#include "floor/vp_bench_floor.h"

#define FLOOR_PATH	"tests/bench/floor/vp_bench_floor.ko"
#define FLOOR_DEV	"/dev/vp-bench-floor"
#define CLI_PATH	"cli/vfiopasidctl"
#define MOD_PARAMS	"pasid_max=1048575 default_quota=1048575"

#define REPEATS		5	/* batches of a measure; the median is kept */

/* The scale of a run: the defaults, or -q's */
struct scale {
	unsigned int	batch;		/* operations of a timed batch */
	unsigned int	small;		/* the ladder's first level */
	unsigned int	big;		/* its last level, and reclaim's size */
	unsigned int	step;		/* allocs, then frees, timed per level */
	unsigned int	dump_pasids;
	unsigned int	dump_vms;
	unsigned int	workers;	/* concurrent VMs */
	double		seconds;	/* each concurrent run */
};

static const struct scale full = {
	.batch = 20000, .small = 1000, .big = 500000, .step = 5000,
	.dump_pasids = 1000000, .dump_vms = 10000,
	.workers = 4, .seconds = 3,
};

static const struct scale quick = {
	.batch = 2000, .small = 1000, .big = 20000, .step = 1000,
	.dump_pasids = 50000, .dump_vms = 300,
	.workers = 4, .seconds = 1,
};

static const struct scale *sc = &full;
static const char *out_dir;
static bool keep_loaded;	/* -K: after -P, for the profiler's symbols */
static int floor_fd = -1;
static bool broken;		/* a check failed: exit 1 */
static json_object *results;
static uint32_t rng = 0x9e3779b9;

/* The levels of the ladder, up to sc->big */
static const unsigned int ladder[] = {
	1000, 2000, 5000, 10000, 20000, 50000, 100000, 200000, 500000,
};

struct level {
	unsigned int	outstanding;
	double		alloc_ns, free_ns, floor_alloc_ns, floor_free_ns;
};

static struct level levels[ARRAY_SIZE(ladder)];
static unsigned int n_levels;

/* ------------------------------------------------------------------ */

__attribute__((format(printf, 1, 2), noreturn))
static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("bench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

__attribute__((format(printf, 1, 2)))
static void fail(const char *fmt, ...)
{
	va_list ap;

	fputs("bench: FAILED: ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	broken = true;
}

static uint64_t ns_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static uint32_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, unsigned int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void put_num(json_object *o, const char *key, double v)
{
	json_object_object_add(o, key, json_object_new_double(v));
}

static void put_int(json_object *o, const char *key, int64_t v)
{
	json_object_object_add(o, key, json_object_new_int64(v));
}

static json_object *section(const char *key)
{
	json_object *o = json_object_new_object();

	json_object_object_add(results, key, o);
	return o;
}

/* ------------------------------------------------------------------ */
/* The table                                                           */

struct row {
	char		*what;
	double		value;
	const char	*unit;
	const char	*op;		/* "<=", ">=", or NULL: no target */
	double		target;
};

static struct row rows[24];
static unsigned int n_rows;

static bool row_met(const struct row *r)
{
	if (!r->op)
		return true;
	return r->op[0] == '<' ? r->value <= r->target : r->value >= r->target;
}

/* A row of the table, and its target's verdict in the JSON section @o */
static void row(json_object *o, const char *what, double value,
		const char *unit, const char *op, double target)
{
	struct row *r = &rows[n_rows++];

	*r = (struct row){ strdup(what), value, unit, op, target };
	if (!r->what)
		die("out of memory");
	put_num(o, "value", value);
	if (op) {
		put_num(o, "target", target);
		json_object_object_add(o, "target_op", json_object_new_string(op));
		json_object_object_add(o, "met", json_object_new_boolean(row_met(r)));
	}
}

static void print_table(void)
{
	unsigned int i, met = 0, targets = 0;
	char target[32];

	printf("\n%-52s %12s  %-10s %s\n", "measure", "value", "target", "");
	for (i = 0; i < n_rows; i++) {
		const struct row *r = &rows[i];

		if (r->op)
			snprintf(target, sizeof(target), "%s %g", r->op, r->target);
		else
			snprintf(target, sizeof(target), "-");
		printf("%-52s %12.2f %-4s %-10s %s\n", r->what, r->value,
		       r->unit, target, !r->op ? "" : row_met(r) ? "met" : "MISSED");
		if (r->op) {
			targets++;
			met += row_met(r);
		}
	}
	printf("\n%u of %u targets met\n", met, targets);
}

/* ------------------------------------------------------------------ */
/* The device, the floor module                                        */

static int dev_open_raw(void)
{
	int fd = open(DEV_PATH, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		die("open %s: %s", DEV_PATH, strerror(errno));
	return fd;
}

static void alloc_or_die(int fd, uint32_t *out)
{
	if (pasid_alloc(fd, 1, PASID_LIMIT, out))
		die("PASID allocation: %s", strerror(errno));
}

static void free_or_die(int fd, uint32_t pasid)
{
	if (pasid_free(fd, pasid))
		die("free of PASID %u: %s", pasid, strerror(errno));
}

/* One floor operation; the nanoseconds per PASID it did */
static double floor_op(uint32_t op, uint32_t count, struct vp_floor_req *out)
{
	struct vp_floor_req req = {
		.op = op, .count = count, .min = 1, .max = PASID_LIMIT,
	};

	if (ioctl(floor_fd, VP_FLOOR_RUN, &req))
		die("floor operation %u: %s", op, strerror(errno));
	if (count && req.done != count)
		die("floor operation %u: %u of %u done", op, req.done, count);
	if (out)
		*out = req;
	return req.done ? (double)req.ns / req.done : 0;
}

static void load_modules(void)
{
	int fd, ret;

	ret = module_load(MOD_PARAMS);
	if (ret)
		die("load %s: %s", module_path, strerror(-ret));
	fd = open(FLOOR_PATH, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || syscall(SYS_finit_module, fd, "", 0))
		die("load %s: %s", FLOOR_PATH, strerror(errno));
	close(fd);
	floor_fd = open(FLOOR_DEV, O_RDWR | O_CLOEXEC);
	if (floor_fd < 0)
		die("open %s: %s", FLOOR_DEV, strerror(errno));
	ret = nl_resolve(VFIO_PASID_FAMILY_NAME);
	if (ret < 0)
		die("family %s: %s", VFIO_PASID_FAMILY_NAME, strerror(-ret));
	nl_family = ret;
}

static void unload_modules(void)
{
	close(floor_fd);
	if (syscall(SYS_delete_module, "vp_bench_floor", O_NONBLOCK))
		fail("unload vp_bench_floor: %s", strerror(errno));
	if (module_unload())
		fail("unload %s: %s", MOD_NAME, strerror(errno));
}

/* The module idle: no VM, nothing in use, the counters balanced */
static void expect_idle(const char *when)
{
	struct stats s = { 0 };

	if (!stats_get(&s)) {
		fail("%s: STATS_GET failed", when);
		return;
	}
	if (s.vm_count || s.in_use || s.allocated != s.freed + s.reclaimed)
		fail("%s: %u VMs, %u in use, allocated %llu != freed %llu + reclaimed %llu",
		     when, s.vm_count, s.in_use, (unsigned long long)s.allocated,
		     (unsigned long long)s.freed,
		     (unsigned long long)s.reclaimed);
}

/* ------------------------------------------------------------------ */
/* 1. alloc+free against the floor                                     */

static double null_ioctls(int fd, unsigned int n)
{
	uint64_t t = ns_now();
	unsigned int i;

	for (i = 0; i < n; i++)
		if (ioctl(fd, VFIO_NESTING_GET_IOMMU_UAPI_VERSION) !=
		    VFIO_PASID_IOMMU_UAPI_VERSION)
			die("null ioctl: %s", strerror(errno));
	return (double)(ns_now() - t) / n;
}

static double alloc_free_pairs(int fd, unsigned int n)
{
	struct vfio_iommu_type1_pasid_request a = {
		.argsz = sizeof(a), .flags = VFIO_IOMMU_PASID_ALLOC,
		.alloc_pasid = { .min = 1, .max = PASID_LIMIT },
	};
	struct vfio_iommu_type1_pasid_request f = {
		.argsz = sizeof(f), .flags = VFIO_IOMMU_PASID_FREE,
	};
	uint64_t t = ns_now();
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (ioctl(fd, VFIO_IOMMU_PASID_REQUEST, &a))
			die("PASID allocation: %s", strerror(errno));
		f.free_pasid = a.alloc_pasid.result;
		if (ioctl(fd, VFIO_IOMMU_PASID_REQUEST, &f))
			die("PASID free: %s", strerror(errno));
	}
	return (double)(ns_now() - t) / n;
}

static void bench_floor(int fd)
{
	double nul[REPEATS], raw[REPEATS], pair[REPEATS];
	double m_null, m_raw, m_pair, floor;
	json_object *o = section("alloc_free_vs_floor");
	unsigned int r;

	for (r = 0; r < REPEATS; r++) {
		nul[r] = null_ioctls(fd, sc->batch);
		raw[r] = floor_op(VP_FLOOR_ALLOC_FREE, sc->batch, NULL);
		pair[r] = alloc_free_pairs(fd, sc->batch);
	}
	m_null = median(nul, REPEATS);
	m_raw = median(raw, REPEATS);
	m_pair = median(pair, REPEATS);
	floor = 2 * m_null + m_raw;
	printf("# alloc+free: ioctl %.0f ns; floor %.0f ns = 2 x null ioctl %.0f ns + allocator %.0f ns\n",
	       m_pair, floor, m_null, m_raw);
	put_int(o, "outstanding", sc->small);
	put_num(o, "ioctl_alloc_free_ns", m_pair);
	put_num(o, "null_ioctl_ns", m_null);
	put_num(o, "allocator_alloc_free_ns", m_raw);
	put_num(o, "floor_ns", floor);
	row(o, "alloc+free via ioctl / floor", m_pair / floor, "x", "<=", 1.5);
}

/* ------------------------------------------------------------------ */
/* 2. the ladder: alloc and free cost against outstanding PASIDs       */

static uint32_t *held;		/* the PASIDs the VM holds, in no order */
static unsigned int n_held;

static void grow_to(int fd, unsigned int n)
{
	while (n_held < n)
		alloc_or_die(fd, &held[n_held++]);
}

/* @n allocations; ns per allocation */
static double timed_allocs(int fd, unsigned int n)
{
	uint64_t t = ns_now();
	unsigned int i;

	for (i = 0; i < n; i++)
		alloc_or_die(fd, &held[n_held++]);
	return (double)(ns_now() - t) / n;
}

/* @n frees of held PASIDs picked at random; ns per free */
static double timed_frees(int fd, unsigned int n)
{
	uint32_t *pick = malloc(n * sizeof(*pick));
	unsigned int i, j;
	uint64_t t;

	if (!pick)
		die("out of memory");
	for (i = 0; i < n; i++) {	/* picked before the clock starts */
		j = next_rand() % n_held;
		pick[i] = held[j];
		held[j] = held[--n_held];
	}
	t = ns_now();
	for (i = 0; i < n; i++)
		free_or_die(fd, pick[i]);
	t = ns_now() - t;
	free(pick);
	return (double)t / n;
}

static void measure_level(int fd, struct level *lv)
{
	double a[REPEATS], f[REPEATS];
	unsigned int r;

	for (r = 0; r < REPEATS; r++) {
		a[r] = timed_allocs(fd, sc->step);
		f[r] = timed_frees(fd, sc->step);
	}
	lv->outstanding = n_held;
	lv->alloc_ns = median(a, REPEATS);
	lv->free_ns = median(f, REPEATS);
	printf("# %7u outstanding: alloc %6.0f ns, free %6.0f ns\n",
	       lv->outstanding, lv->alloc_ns, lv->free_ns);
}

/* Our side of the ladder: one VM, its PASIDs through the ioctl */
static void bench_ladder(int fd)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(ladder); i++) {
		unsigned int n = ladder[i] * (sc->big / 500000.0);

		if (i && n <= levels[n_levels - 1].outstanding)
			continue;
		grow_to(fd, n);
		measure_level(fd, &levels[n_levels++]);
	}
}

/*
 * The allocator's side of the ladder, alone (no VM holds anything): the
 * floor module grows to each level, then allocates and frees at random
 * among all it holds, as the VM did
 */
static void bench_floor_ladder(void)
{
	double a[REPEATS], f[REPEATS];
	struct vp_floor_req req = { 0 };
	struct level *lv;
	unsigned int i, r;

	for (i = 0; i < n_levels; i++) {
		lv = &levels[i];
		if (lv->outstanding > req.held)
			floor_op(VP_FLOOR_ALLOC, lv->outstanding - req.held,
				 &req);
		for (r = 0; r < REPEATS; r++) {
			a[r] = floor_op(VP_FLOOR_ALLOC, sc->step, NULL);
			f[r] = floor_op(VP_FLOOR_FREE, sc->step, &req);
		}
		lv->floor_alloc_ns = median(a, REPEATS);
		lv->floor_free_ns = median(f, REPEATS);
		printf("# %7u outstanding, the allocator alone: alloc %6.0f ns, free %6.0f ns\n",
		       lv->outstanding, lv->floor_alloc_ns, lv->floor_free_ns);
	}
	floor_op(VP_FLOOR_FREE_ORDER, 0, NULL);
}

/*
 * The rows of one operation (@op: "alloc" or "free") between the ladder's
 * ends: ours (the target), the allocator's alone, ours less the allocator's
 */
static void scaling_rows(const char *op, unsigned int n_lo, unsigned int n_hi,
			 double lo, double hi, double alone_lo, double alone_hi)
{
	char label[80], key[40];

	snprintf(label, sizeof(label), "%s at %u outstanding / at %u", op,
		 n_hi, n_lo);
	snprintf(key, sizeof(key), "%s_scaling", op);
	row(section(key), label, hi / lo, "x", "<=", 1.5);
	snprintf(key, sizeof(key), "allocator_%s_scaling", op);
	row(section(key), "  the allocator alone, the same",
	    alone_hi / alone_lo, "x", NULL, 0);
	snprintf(key, sizeof(key), "own_%s_scaling", op);
	row(section(key), "  ours less the allocator's, the same",
	    (hi - alone_hi) / (lo - alone_lo), "x", NULL, 0);
}

static void ladder_report(void)
{
	json_object *o = section("scaling"), *arr = json_object_new_array();
	const struct level *lo = &levels[0], *hi = &levels[n_levels - 1];
	unsigned int i;

	for (i = 0; i < n_levels; i++) {
		json_object *l = json_object_new_object();

		put_int(l, "outstanding", levels[i].outstanding);
		put_num(l, "alloc_ns", levels[i].alloc_ns);
		put_num(l, "free_ns", levels[i].free_ns);
		put_num(l, "allocator_alloc_ns", levels[i].floor_alloc_ns);
		put_num(l, "allocator_free_ns", levels[i].floor_free_ns);
		json_object_array_add(arr, l);
	}
	json_object_object_add(o, "levels", arr);
	scaling_rows("alloc", lo->outstanding, hi->outstanding, lo->alloc_ns,
		     hi->alloc_ns, lo->floor_alloc_ns, hi->floor_alloc_ns);
	scaling_rows("free", lo->outstanding, hi->outstanding, lo->free_ns,
		     hi->free_ns, lo->floor_free_ns, hi->floor_free_ns);
}

static void write_dat(void)
{
	char path[4096];
	unsigned int i;
	FILE *f;

	snprintf(path, sizeof(path), "%s/bench-scaling.dat", out_dir);
	f = fopen(path, "w");
	if (!f)
		die("%s: %s", path, strerror(errno));
	fprintf(f, "# outstanding alloc_ns free_ns allocator_alloc_ns allocator_free_ns\n");
	for (i = 0; i < n_levels; i++)
		fprintf(f, "%u %.1f %.1f %.1f %.1f\n", levels[i].outstanding,
			levels[i].alloc_ns, levels[i].free_ns,
			levels[i].floor_alloc_ns, levels[i].floor_free_ns);
	if (fclose(f))
		die("%s: %s", path, strerror(errno));
}

/* ------------------------------------------------------------------ */
/* 4. memory: /proc/slabinfo                                           */

#define MAX_CACHES	512

struct slab {
	char		name[64];
	unsigned long	objs;		/* active objects */
	unsigned long	size;		/* object size */
};

struct slabs {
	unsigned int	n;
	struct slab	c[MAX_CACHES];
};

static void slab_read(struct slabs *s)
{
	char line[512];
	FILE *f;

	sleep(2);	/* RCU-deferred frees of the allocator done */
	f = fopen("/proc/slabinfo", "r");
	if (!f)
		die("/proc/slabinfo: %s", strerror(errno));
	s->n = 0;
	while (fgets(line, sizeof(line), f) && s->n < MAX_CACHES) {
		struct slab *c = &s->c[s->n];
		unsigned long num;

		if (line[0] == '#' || !strncmp(line, "slabinfo", 8))
			continue;
		if (sscanf(line, "%63s %lu %lu %lu", c->name, &c->objs, &num,
			   &c->size) == 4)
			s->n++;
	}
	fclose(f);
}

/* Bytes of objects in use in @after beyond @before; the largest in @o */
static double slab_delta(const struct slabs *before, const struct slabs *after,
			 json_object *o)
{
	double total = 0;
	unsigned int i, j;

	for (i = 0; i < after->n; i++) {
		const struct slab *c = &after->c[i];
		long d = c->objs;

		for (j = 0; j < before->n; j++)
			if (!strcmp(before->c[j].name, c->name)) {
				d -= before->c[j].objs;
				break;
			}
		total += (double)d * c->size;
		if (o && labs(d) * c->size >= 1024 * 1024)
			put_int(o, c->name, d * (long)c->size);
	}
	return total;
}

/* ------------------------------------------------------------------ */
/* 3. reclaim                                                          */

static void bench_reclaim(int fd, unsigned int n, const struct slabs *s0,
			  unsigned int n0)
{
	json_object *o = section("reclaim"), *m = section("memory");
	json_object *caches = json_object_new_object();
	json_object *acaches = json_object_new_object();
	struct slabs *s = malloc(sizeof(*s)), *a0 = malloc(sizeof(*a0));
	struct vp_floor_req req;
	double reclaim, raw, total, alloc_only;
	char label[80];
	uint64_t t;

	if (!s || !a0)
		die("out of memory");
	/* memory: the VM holding n against holding n0 */
	slab_read(s);
	total = slab_delta(s0, s, caches) / (n - n0);

	t = ns_now();
	close(fd);
	reclaim = ns_now() - t;
	n_held = 0;
	expect_idle("after the reclaim");

	/* the allocator alone, for as many PASIDs */
	slab_read(a0);
	floor_op(VP_FLOOR_ALLOC, n - n0, NULL);
	slab_read(s);
	alloc_only = slab_delta(a0, s, acaches) / (n - n0);
	floor_op(VP_FLOOR_ALLOC, n0, NULL);
	floor_op(VP_FLOOR_FREE_ORDER, 0, &req);
	if (req.done != n)
		fail("the allocator freed %u PASIDs, not %u", req.done, n);
	raw = req.ns;
	free(s);
	free(a0);

	printf("# reclaim of %u PASIDs: %.1f ms; the allocator's %u frees: %.1f ms\n",
	       n, reclaim / 1e6, n, raw / 1e6);
	put_int(o, "pasids", n);
	put_num(o, "reclaim_ms", reclaim / 1e6);
	put_num(o, "allocator_frees_ms", raw / 1e6);
	snprintf(label, sizeof(label), "reclaim of %u / %u allocator frees",
		 n, n);
	row(o, label, reclaim / raw, "x", "<=", 1.5);

	printf("# memory per PASID: %.1f bytes in all, %.1f of them the allocator's\n",
	       total, alloc_only);
	put_num(m, "total_bytes_per_pasid", total);
	put_num(m, "allocator_bytes_per_pasid", alloc_only);
	json_object_object_add(m, "caches", caches);
	json_object_object_add(m, "allocator_caches", acaches);
	row(m, "module memory per outstanding PASID", total - alloc_only,
	    "B", "<=", 64);
	row(section("memory_with_allocator"),
	    "  the same with the allocator's own", total, "B", NULL, 0);
}

/* ------------------------------------------------------------------ */
/* 5. dumps                                                            */

static void count_cb(struct nlattr **tb, void *arg)
{
	(void)tb;
	(*(unsigned long *)arg)++;
}

/* A dump of @cmd through our own client: its entries, or -1 */
static long dump_count(uint8_t cmd, double *secs)
{
	unsigned long n = 0;
	uint64_t t = ns_now();
	int ret;

	ret = nl_request(nl_family, cmd, true, NULL, VFIO_PASID_A_MAX,
			 count_cb, &n);
	*secs = (ns_now() - t) / 1e9;
	if (ret) {
		fail("dump %u: %s (%s)", cmd, strerror(-ret), nl_extack);
		return -1;
	}
	return n;
}

/*
 * "vfiopasidctl -j @what list": its entries (objects in its list), peak
 * memory in KiB, seconds; false when it did not exit 0
 */
static bool cli_list(const char *what, long *entries, long *maxrss_kb,
		     double *secs)
{
	char buf[65536];
	struct rusage ru;
	long braces = 0;
	uint64_t t;
	int p[2], status;
	ssize_t k;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC))
		die("pipe: %s", strerror(errno));
	t = ns_now();
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (!pid) {
		dup2(p[1], STDOUT_FILENO);
		execl(CLI_PATH, CLI_PATH, "-j", what, "list", (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	while ((k = read(p[0], buf, sizeof(buf))) > 0)
		for (ssize_t i = 0; i < k; i++)
			braces += buf[i] == '{';
	close(p[0]);
	if (wait4(pid, &status, 0, &ru) != pid)
		die("wait4: %s", strerror(errno));
	*secs = (ns_now() - t) / 1e9;
	*maxrss_kb = ru.ru_maxrss;
	*entries = braces - 1;	/* the outer object */
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		fail("%s -j %s list: status %#x", CLI_PATH, what, status);
		return false;
	}
	return true;
}

struct cli_point {
	long	count, entries, rss_kb;
	double	secs;
};

/* The CLI's points and the dump's completeness into @o */
static void memory_flat(json_object *o, const char *what,
			const struct cli_point *pt, unsigned int n)
{
	json_object *arr = json_object_new_array();
	long lo = pt[0].rss_kb, hi = pt[0].rss_kb;
	unsigned int i;
	char label[80];

	for (i = 0; i < n; i++) {
		json_object *p = json_object_new_object();

		put_int(p, "count", pt[i].count);
		put_int(p, "entries", pt[i].entries);
		put_int(p, "maxrss_kib", pt[i].rss_kb);
		put_num(p, "seconds", pt[i].secs);
		json_object_array_add(arr, p);
		if (pt[i].entries != pt[i].count)
			fail("%s list with %ld: %ld entries", what,
			     pt[i].count, pt[i].entries);
		lo = pt[i].rss_kb < lo ? pt[i].rss_kb : lo;
		hi = pt[i].rss_kb > hi ? pt[i].rss_kb : hi;
		printf("# vfiopasidctl -j %s list, %7ld: %ld entries, %.2f s, peak %ld KiB\n",
		       what, pt[i].count, pt[i].entries, pt[i].secs,
		       pt[i].rss_kb);
	}
	json_object_object_add(o, "cli", arr);
	snprintf(label, sizeof(label), "%s list -j: peak memory, largest / smallest",
		 what);
	row(o, label, (double)hi / lo, "x", "<=", 1.25);
}

/*
 * The dump of @cmd (of @what: "pasid" or "vm") counted against @expected,
 * then the CLI's points, into @o
 */
static void dump_report(json_object *o, uint8_t cmd, const char *what,
			unsigned int expected, const struct cli_point *pt,
			unsigned int n_pt)
{
	char key[16];
	double secs;
	long n;

	n = dump_count(cmd, &secs);
	printf("# %s dump: %ld of %u entries in %.2f s\n", what, n, expected,
	       secs);
	if (n != (long)expected)
		fail("the %s dump has %ld entries, not %u", what, n, expected);
	snprintf(key, sizeof(key), "%ss", what);
	put_int(o, key, expected);
	put_int(o, "entries", n);
	put_num(o, "seconds", secs);
	json_object_object_add(o, "complete",
			       json_object_new_boolean(n == (long)expected));
	memory_flat(o, what, pt, n_pt);
}

static void bench_pasid_dump(void)
{
	json_object *o = section("pasid_dump");
	struct cli_point pt[4];
	unsigned int n_pt = 0, target;
	int fd = dev_open_raw();

	held = realloc(held, sc->dump_pasids * sizeof(*held));
	if (!held)
		die("out of memory");
	for (target = sc->dump_pasids / 1000; ; target *= 10) {
		if (target > sc->dump_pasids)
			target = sc->dump_pasids;
		grow_to(fd, target);
		pt[n_pt].count = target;
		cli_list("pasid", &pt[n_pt].entries, &pt[n_pt].rss_kb,
			 &pt[n_pt].secs);
		n_pt++;
		if (target == sc->dump_pasids)
			break;
	}
	dump_report(o, VFIO_PASID_CMD_PASID_GET, "pasid", sc->dump_pasids, pt,
		    n_pt);
	close(fd);
	n_held = 0;
	expect_idle("after the PASID dump");
}

/*
 * A child opens the device, passes the descriptor over @sock to @peer and
 * exits: one VM more
 */
static int vm_more(int sock, int peer)
{
	char c = 0;
	pid_t pid;
	int fd;

	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (!pid) {
		fd = open(DEV_PATH, O_RDWR);
		_exit(fd < 0 || send_with_fd(sock, &c, 1, fd) != 1);
	}
	if (recv_with_fd(peer, &c, 1, &fd, NULL) != 1 || fd < 0)
		die("no descriptor from a child: %s", strerror(errno));
	waitpid(pid, NULL, 0);
	return fd;
}

static void bench_vm_dump(void)
{
	json_object *o = section("vm_dump");
	struct rlimit rl = { sc->dump_vms + 256, sc->dump_vms + 256 };
	struct cli_point pt[4];
	unsigned int i, n_pt = 0, target;
	int sv[2], *fds;

	if (setrlimit(RLIMIT_NOFILE, &rl))
		die("RLIMIT_NOFILE %u: %s", sc->dump_vms + 256, strerror(errno));
	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv))
		die("socketpair: %s", strerror(errno));
	fds = calloc(sc->dump_vms, sizeof(*fds));
	if (!fds)
		die("out of memory");
	i = 0;
	for (target = sc->dump_vms / 100; ; target *= 10) {
		if (target > sc->dump_vms)
			target = sc->dump_vms;
		for (; i < target; i++)
			fds[i] = vm_more(sv[1], sv[0]);
		pt[n_pt].count = target;
		cli_list("vm", &pt[n_pt].entries, &pt[n_pt].rss_kb,
			 &pt[n_pt].secs);
		n_pt++;
		if (target == sc->dump_vms)
			break;
	}
	dump_report(o, VFIO_PASID_CMD_VM_GET, "vm", sc->dump_vms, pt, n_pt);
	for (i = 0; i < sc->dump_vms; i++)
		close(fds[i]);
	free(fds);
	close(sv[0]);
	close(sv[1]);
	expect_idle("after the VM dump");
}

/* ------------------------------------------------------------------ */
/* 6. concurrency                                                      */

/*
 * A worker: its own VM (a forked process), pinned to @cpu; waits for the
 * start, then alloc+free pairs (or null ioctls) for sc->seconds; writes how
 * many to @out
 */
enum work { WORK_PASIDS, WORK_NULL, WORK_ALLOCATOR };

static void worker(int cpu, enum work what, int start, int out)
{
	uint64_t end, ops = 0;
	cpu_set_t set;
	char c;
	int fd;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		_exit(2);
	/* the allocator's workers share the floor module's descriptor */
	fd = what == WORK_ALLOCATOR ? floor_fd : open(DEV_PATH, O_RDWR);
	if (fd < 0 || read(start, &c, 1) != 0)	/* the start: EOF */
		_exit(3);
	end = ns_now() + sc->seconds * 1e9;
	do {	/* each of these dies (exit 1) when an operation fails */
		if (what == WORK_ALLOCATOR)
			floor_op(VP_FLOOR_ALLOC_FREE, 64, NULL);
		else if (what == WORK_NULL)
			null_ioctls(fd, 64);
		else
			alloc_free_pairs(fd, 64);
		ops += 64;
	} while (ns_now() < end);
	_exit(write(out, &ops, sizeof(ops)) == sizeof(ops) ? 0 : 6);
}

/* Operations per second of sc->workers workers, on @cpus CPUs */
static double concurrent(unsigned int cpus, enum work what)
{
	int start[2], out[2], status;
	uint64_t total = 0, ops;
	unsigned int i;
	pid_t pid;

	if (pipe(start) || pipe(out))
		die("pipe: %s", strerror(errno));
	for (i = 0; i < sc->workers; i++) {
		pid = fork();
		if (pid < 0)
			die("fork: %s", strerror(errno));
		if (!pid) {
			close(start[1]);
			close(out[0]);
			worker(i % cpus, what, start[0], out[1]);
		}
	}
	close(start[0]);
	close(out[1]);
	usleep(300000);		/* every worker open and waiting */
	close(start[1]);
	for (i = 0; i < sc->workers; i++) {
		if (read(out[0], &ops, sizeof(ops)) != sizeof(ops))
			break;
		total += ops;
	}
	close(out[0]);
	while ((pid = wait(&status)) > 0)
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			fail("a concurrent worker ended with status %#x", status);
	if (i < sc->workers)
		fail("%u of %u concurrent workers reported", i, sc->workers);
	return total / sc->seconds;
}

static void bench_concurrency(void)
{
	json_object *o = section("concurrency");
	double one, two, null1, null2, raw1, raw2;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	if (ncpu < 2) {
		printf("# concurrency: only %ld CPU, not measured\n", ncpu);
		json_object_object_add(o, "measured",
				       json_object_new_boolean(false));
		return;
	}
	null1 = concurrent(1, WORK_NULL);
	null2 = concurrent(2, WORK_NULL);
	raw1 = concurrent(1, WORK_ALLOCATOR);
	raw2 = concurrent(2, WORK_ALLOCATOR);
	one = concurrent(1, WORK_PASIDS);
	two = concurrent(2, WORK_PASIDS);
	expect_idle("after the concurrent workers");
	printf("# %u VMs: alloc+free %.0f/s on 1 CPU, %.0f/s on 2; null ioctls %.0f/s, %.0f/s; the allocator alone %.0f/s, %.0f/s\n",
	       sc->workers, one, two, null1, null2, raw1, raw2);
	put_int(o, "workers", sc->workers);
	put_num(o, "alloc_free_per_s_1cpu", one);
	put_num(o, "alloc_free_per_s_2cpu", two);
	put_num(o, "null_ioctls_per_s_1cpu", null1);
	put_num(o, "null_ioctls_per_s_2cpu", null2);
	row(o, "alloc+free throughput, 2 CPUs / 1", two / one, "x", NULL, 0);
	put_num(o, "allocator_per_s_1cpu", raw1);
	put_num(o, "allocator_per_s_2cpu", raw2);
	row(section("concurrency_null"), "  null ioctls (the machine), 2 CPUs / 1",
	    null2 / null1, "x", NULL, 0);
	row(section("concurrency_allocator"),
	    "  the allocator alone (its global lock), 2 CPUs / 1", raw2 / raw1,
	    "x", NULL, 0);
}

/* ------------------------------------------------------------------ */
/* 7. limits per cgroup: eight limited levels against none              */

#define CG_MNT		"/sys/fs/cgroup"
#define CG_TOP		"/vp-bench"
#define CG_LEVELS	8

/* The path of level @n (1..CG_LEVELS) below the root: /vp-bench/l2/... */
static void cg_level(char *buf, size_t len, unsigned int n)
{
	size_t at;
	unsigned int i;

	at = snprintf(buf, len, "%s", CG_TOP);
	for (i = 2; i <= n && at < len; i++)
		at += snprintf(buf + at, len - at, "/l%u", i);
}

static int cg_limit(uint8_t cmd, unsigned int level, uint32_t max)
{
	char path[256];
	struct nl_attr a1, a2 = { VFIO_PASID_A_LIMIT_MAX, sizeof(max), &max };

	cg_level(path, sizeof(path), level);
	a1 = (struct nl_attr){ VFIO_PASID_A_CGROUP, strlen(path) + 1, path };
	return nl_do2(cmd, &a1, cmd == VFIO_PASID_CMD_LIMIT_SET ? &a2 : NULL);
}

static void cg_move(const char *cg)
{
	char file[512];
	int fd;

	snprintf(file, sizeof(file), CG_MNT "%s/cgroup.procs", cg);
	fd = open(file, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, "0", 1) != 1)
		die("move into %s: %s", cg, strerror(errno));
	close(fd);
}

/*
 * In a child, a VM of cgroup @cg: @rounds x (a batch without limits and,
 * with @limited, one with a limit on each level), the nanoseconds per
 * alloc+free of each batch written to @out
 */
static void cg_child(const char *cg, bool limited, int out)
{
	double ns[2 * REPEATS];
	unsigned int r, l;
	int fd;

	cg_move(cg);
	fd = open(DEV_PATH, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		_exit(3);
	/* the VM stays charged to @cg: the process may go back */
	cg_move("");
	for (r = 0; r < REPEATS; r++) {
		ns[2 * r] = alloc_free_pairs(fd, sc->batch);
		if (!limited)
			continue;
		for (l = 1; l <= CG_LEVELS; l++)
			if (cg_limit(VFIO_PASID_CMD_LIMIT_SET, l, PASID_LIMIT))
				_exit(4);
		ns[2 * r + 1] = alloc_free_pairs(fd, sc->batch);
		for (l = 1; l <= CG_LEVELS; l++)
			if (cg_limit(VFIO_PASID_CMD_LIMIT_DEL, l, 0))
				_exit(5);
	}
	_exit(write(out, ns, sizeof(ns)) == sizeof(ns) ? 0 : 6);
}

static void cg_run(const char *cg, bool limited, double *ns)
{
	int p[2], status;
	pid_t pid;

	if (pipe(p))
		die("pipe: %s", strerror(errno));
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (!pid) {
		close(p[0]);
		cg_child(cg, limited, p[1]);
	}
	close(p[1]);
	if (read(p[0], ns, 2 * REPEATS * sizeof(*ns)) !=
	    (ssize_t)(2 * REPEATS * sizeof(*ns)))
		fail("the cgroup child reported nothing");
	close(p[0]);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		die("the cgroup child ended with status %#x", status);
}

static void bench_cgroup(void)
{
	double root[2 * REPEATS], deep[2 * REPEATS], none[REPEATS], lim[REPEATS];
	double flat[REPEATS], m_root, m_none, m_lim;
	json_object *o = section("cgroup_limits");
	char path[256];
	unsigned int i;
	bool mounted;
	FILE *f;

	f = fopen("/proc/mounts", "r");
	mounted = false;
	while (f && fgets(path, sizeof(path), f))
		if (strstr(path, " " CG_MNT " cgroup2 "))
			mounted = true;
	if (f)
		fclose(f);
	if (!mounted && system("mount -t cgroup2 none " CG_MNT))
		die("cannot mount cgroup2 on %s", CG_MNT);
	for (i = 1; i <= CG_LEVELS; i++) {
		snprintf(path, sizeof(path), CG_MNT);
		cg_level(path + strlen(path), sizeof(path) - strlen(path), i);
		if (mkdir(path, 0755) && errno != EEXIST)
			die("mkdir %s: %s", path, strerror(errno));
	}
	cg_level(path, sizeof(path), CG_LEVELS);
	cg_run("", false, root);
	cg_run(path, true, deep);
	for (i = 0; i < REPEATS; i++) {
		flat[i] = root[2 * i];
		none[i] = deep[2 * i];
		lim[i] = deep[2 * i + 1];
	}
	m_root = median(flat, REPEATS);
	m_none = median(none, REPEATS);
	m_lim = median(lim, REPEATS);
	for (i = CG_LEVELS; i >= 1; i--) {
		snprintf(path, sizeof(path), CG_MNT);
		cg_level(path + strlen(path), sizeof(path) - strlen(path), i);
		rmdir(path);
	}
	if (!mounted && system("umount " CG_MNT))
		fail("cannot unmount cgroup2 from %s", CG_MNT);
	expect_idle("after the cgroup measures");
	printf("# alloc+free of a VM %u cgroups down: %.0f ns with a limit on each level, %.0f ns without; %.0f ns in the root cgroup\n",
	       CG_LEVELS, m_lim, m_none, m_root);
	put_int(o, "levels", CG_LEVELS);
	put_num(o, "limited_alloc_free_ns", m_lim);
	put_num(o, "unlimited_alloc_free_ns", m_none);
	put_num(o, "root_cgroup_alloc_free_ns", m_root);
	row(o, "alloc+free, limits on 8 cgroup levels / none", m_lim / m_none,
	    "x", "<=", 1.2);
	row(section("cgroup_limits_root"),
	    "  the same / a VM of the root cgroup", m_lim / m_root, "x", NULL,
	    0);
}

/* ------------------------------------------------------------------ */

/* Whether the guest runs with the slab allocator's checks, which cost */
static bool slub_debug(void)
{
	char line[4096] = "";
	bool on;
	FILE *f = fopen("/proc/cmdline", "r");

	if (f) {
		if (!fgets(line, sizeof(line), f))
			line[0] = '\0';
		fclose(f);
	}
	on = strstr(line, "slub_debug") != NULL;
	if (on)
		printf("# the guest runs with slub_debug: allocations cost more than they would (tests/vm/run --no-slub-debug)\n");
	return on;
}

/*
 * -P: only one operation, many times, for a profiler to watch:
 * "pairs:N" N alloc+free pairs with sc->small outstanding, "churn:N" the
 * ladder's timed allocs and random frees, 20 times, with N outstanding,
 * "reclaim:N" three VMs of N PASIDs each reclaimed
 */
static int profile(const char *what)
{
	unsigned int n, r;
	char op[16];
	uint64_t t;
	int fd;

	if (sscanf(what, "%15[a-z]:%u", op, &n) != 2 || !n ||
	    (strcmp(op, "pairs") && strcmp(op, "reclaim") &&
	     strcmp(op, "churn"))) {
		fprintf(stderr, "bench: -P: expected pairs:N, churn:N or reclaim:N (N > 0), not '%s'\n",
			what);
		return 2;
	}
	held = malloc((n + sc->small + sc->step) * sizeof(*held));
	if (!held)
		die("out of memory");
	load_modules();
	fd = dev_open_raw();
	if (!strcmp(op, "pairs")) {
		grow_to(fd, sc->small);
		printf("# %u alloc+free pairs: %.0f ns each\n", n,
		       alloc_free_pairs(fd, n));
		close(fd);
	} else if (!strcmp(op, "churn")) {
		grow_to(fd, n);
		for (r = 0; r < 20; r++) {
			double a = timed_allocs(fd, sc->step);
			double f = timed_frees(fd, sc->step);

			printf("# %u outstanding: alloc %.0f ns, free %.0f ns\n",
			       n, a, f);
		}
		close(fd);
	} else {
		for (r = 0; r < 3; r++) {
			if (r)
				fd = dev_open_raw();
			n_held = 0;
			grow_to(fd, n);
			t = ns_now();
			close(fd);
			printf("# reclaim of %u PASIDs: %.1f ms\n", n,
			       (ns_now() - t) / 1e6);
		}
	}
	expect_idle("after the profiled operation");
	if (!keep_loaded)
		unload_modules();
	return broken ? 1 : 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: tests/bench/bench [-o DIR] [-q] [-m MODULE.ko] [-P OP:N [-K]]\n"
		"Measure vfio_pasid against floors, in the test VM, as root, from the project root.\n"
		"  -o DIR   write DIR/bench.json and DIR/bench-scaling.dat\n"
		"  -q       small sizes (a smoke test; the ratios mean little)\n"
		"  -m PATH  the module (default driver/vfio_pasid.ko)\n"
		"  -P OP:N  only OP, for a profiler: pairs:N (N alloc+free pairs),\n"
		"           churn:N (N outstanding; 20 times the ladder's allocs and\n"
		"           random frees), reclaim:N (three VMs of N PASIDs reclaimed)\n"
		"  -K       after -P, leave the modules loaded (a profiler reads their symbols)\n");
}

int main(int argc, char **argv)
{
	struct slabs *s0 = malloc(sizeof(*s0));
	char path[4096];
	const char *prof = NULL;
	int opt, fd;
	uint64_t t0 = ns_now();

	/* what operators run: the installed build, not the test build */
	module_path = "driver/vfio_pasid.ko";
	while ((opt = getopt(argc, argv, "o:qm:P:Kh")) != -1) {
		switch (opt) {
		case 'o':
			out_dir = optarg;
			break;
		case 'q':
			sc = &quick;
			break;
		case 'm':
			module_path = optarg;
			break;
		case 'P':
			prof = optarg;
			break;
		case 'K':
			keep_loaded = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if (!getenv("VM_GUEST"))
		die("run it in the test VM: tests/vm/run -- tests/bench/bench");
	if (!s0)
		die("out of memory");
	tap_init();	/* also makes stdout line-buffered */
	signal(SIGPIPE, SIG_IGN);
	nl_fd = nl_socket_open();
	if (nl_fd < 0)
		die("netlink socket: %s", strerror(-nl_fd));
	if (module_present())
		die("%s is loaded: unload it first", MOD_NAME);
	if (prof)
		return profile(prof);
	load_modules();

	results = json_object_new_object();
	put_int(results, "cpus", sysconf(_SC_NPROCESSORS_ONLN));
	json_object_object_add(results, "slub_debug",
			       json_object_new_boolean(slub_debug()));
	json_object_object_add(results, "quick", json_object_new_boolean(sc == &quick));

	held = malloc((sc->big + sc->step) * sizeof(*held));
	if (!held)
		die("out of memory");
	fd = dev_open_raw();
	grow_to(fd, sc->small);
	slab_read(s0);
	bench_floor(fd);
	bench_ladder(fd);
	bench_reclaim(fd, n_held, s0, sc->small);
	bench_floor_ladder();
	ladder_report();
	bench_pasid_dump();
	bench_vm_dump();
	bench_concurrency();
	bench_cgroup();
	unload_modules();

	put_num(results, "seconds", (ns_now() - t0) / 1e9);
	print_table();
	if (out_dir) {
		snprintf(path, sizeof(path), "%s/bench.json", out_dir);
		if (json_object_to_file_ext(path, results, JSON_C_TO_STRING_PRETTY))
			die("%s: %s", path, json_util_get_last_err());
		write_dat();
	}
	json_object_put(results);
	free(s0);
	if (tap_failures || broken) {
		printf("bench: some checks failed (above)\n");
		return 1;
	}
	printf("bench: done in %.0f s\n", (ns_now() - t0) / 1e9);
	return 0;
}
