// SPDX-License-Identifier: GPL-2.0
/*
 * failnth_test - every operation of vfio_pasid with each of its allocations
 * failing in turn
 *
 * Copyright (C) 2026 The vfio-pasid authors
 *
 * Runs in the test VM (tests/vm/run -- tests/ioctl/failnth_test) against
 * the module's test build, tests/testmod/vfio_pasid.ko, with its fault
 * injection (driver/fault.c): writing N to its parameter fail_nth makes the N-th injection
 * point our process reaches fail, and fail_site names it.
 *
 * For each ioctl and generic netlink command, from a fixture built afresh
 * each time: N = 1, 2, 3, ... until the operation runs without reaching
 * the N-th point.  After each injected failure the operation must have
 * failed with ENOMEM (ENOSPC where the PASID allocator failed: it tells no
 * reason) and changed nothing: the counters but the refusal counters, every
 * VM, PASID and device the admin API shows, and the module's live objects
 * (fail_live) are what they were.  Event messages are best effort: an
 * operation whose event could not be made succeeds.  The sites reached, in
 * order, must be the ones the operation is known to have, so a path that
 * stops allocating (or starts) is seen.  After every step the fixture is
 * torn down and the module must be idle with no object alive.
 *
 * First module init itself: loaded with fail_nth=N, which arms the loading
 * process, it must fail with ENOMEM and leave no module, device or family
 * behind, until N passes its points.
 *
 * The module is loaded with backend=emulated; edu devices 0 and 1, bound
 * to vfio-pci, give the two VFIO groups (one device each).  A socket of
 * ours listens to the monitor group, so that events are made.
 *
 * With -k (the debug kernel of make check-debug), the kernel's own fault
 * injection fails the allocations instead: N is written to this thread's
 * /proc/thread-self/fail-nth, and the N-th slab allocation the thread makes
 * in the kernel fails (failslab, told to fail allocations that may sleep
 * too), inside the module or in what it calls: the xarray, the PASID
 * allocator, netlink.  Whether a failure was the module's own is not
 * known there, so an operation may fail with ENOMEM, ENOSPC or ENOBUFS
 * (netlink's word for a message it could not allocate) and must then have
 * changed nothing, or succeed (a lost event, a reply the kernel could not
 * send after the change); either way the teardown that follows must find
 * the module idle with nothing alive, and the lane's kmemleak scan finds
 * what leaked.  Module init is not swept there: most of the allocations of
 * a load are the kernel's module loader's.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"
#include "tap.h"

#define PARAMS		"backend=emulated pasid_max=64 default_quota=16"
#define QUOTA		16
#define VFIO_BIND	"tests/vm/vfio-bind"
#define FAIL_PARAM(x)	MOD_SYSFS "/parameters/fail_" x
#define MAX_STEPS	32
#define KERNEL_NTH	"/proc/thread-self/fail-nth"
#define FAILSLAB	"/sys/kernel/debug/failslab/"
#define FAIL_PAGE	"/sys/kernel/debug/fail_page_alloc/"
#define KERNEL_STEPS	96

static bool loaded;
static bool kernel_fi;		/* -k: the kernel's fail-nth, not ours */
static int kernel_nth_fd = -1;	/* KERNEL_NTH, open: an open() allocates */
static int mon_fd = -1;		/* subscribed to the monitor group */

/* ------------------------------------------------------------------ */
/* The injection parameters                                            */

static int param_read(const char *path, char *buf, size_t size)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

static long param_long(const char *path)
{
	char buf[32];

	if (param_read(path, buf, sizeof(buf))) {
		tap_fail("read %s: %s", path, errno_name(errno));
		return -1;
	}
	return strtol(buf, NULL, 10);
}

static bool param_write(const char *path, const char *val)
{
	int fd, len = strlen(val);
	bool ok;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		tap_fail("open %s: %s", path, errno_name(errno));
		return false;
	}
	ok = write(fd, val, len) == len;
	if (!ok)
		tap_fail("write %s: %s", path, errno_name(errno));
	close(fd);
	return ok;
}

/* Arm (n > 0) or disarm (0) the injection, for this process (-k: thread) */
static bool fail_nth(unsigned int n)
{
	char buf[16];
	int len;

	len = snprintf(buf, sizeof(buf), "%u", n);
	if (!kernel_fi)
		return param_write(FAIL_PARAM("nth"), buf);
	if (pwrite(kernel_nth_fd, buf, len, 0) != len) {
		tap_fail("write %s: %s", KERNEL_NTH, errno_name(errno));
		return false;
	}
	return true;
}

/* Points left before the armed failure: 0 when it fired; -1 on error */
static long nth_left(void)
{
	char buf[32];
	ssize_t n;

	if (!kernel_fi)
		return param_long(FAIL_PARAM("nth"));
	n = pread(kernel_nth_fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0) {
		tap_fail("read %s: %s", KERNEL_NTH, n ? errno_name(errno) : "empty");
		return -1;
	}
	buf[n] = '\0';
	return strtol(buf, NULL, 10);
}

/*
 * -k: failslab fails any slab allocation of the armed thread, those that
 * may sleep too (by default it leaves them alone), without a stack dump
 * per failure in the kernel log (the rig fails a run on one); the page
 * allocator's injection keeps its defaults (order 0 and allocations that
 * may sleep are left alone) and is quiet too.
 */
static bool kernel_fi_setup(void)
{
	if (access(FAILSLAB, F_OK) || access(KERNEL_NTH, W_OK)) {
		printf("Bail out! -k: no %s or %s: needs a kernel with CONFIG_FAILSLAB and CONFIG_FAULT_INJECTION_DEBUG_FS, debugfs mounted\n",
		       FAILSLAB, KERNEL_NTH);
		return false;
	}
	kernel_nth_fd = open(KERNEL_NTH, O_RDWR | O_CLOEXEC);
	if (kernel_nth_fd < 0) {
		printf("Bail out! open %s: %s\n", KERNEL_NTH, strerror(errno));
		return false;
	}
	return param_write(FAILSLAB "ignore-gfp-wait", "N") &&
	       param_write(FAILSLAB "verbose", "0") &&
	       (access(FAIL_PAGE, F_OK) ||
		param_write(FAIL_PAGE "verbose", "0"));
}

/* ------------------------------------------------------------------ */
/* Generic netlink beyond common.c: the monitor group                 */

struct mcast {
	const char	*name;
	uint32_t	id;
};

static void mcast_cb(struct nlattr **tb, void *arg)
{
	struct nlattr *grp[CTRL_ATTR_MCAST_GRP_MAX + 1], *g;
	struct mcast *m = arg;
	char name[32];
	int left;

	if (!tb[CTRL_ATTR_MCAST_GROUPS])
		return;
	g = nla_data(tb[CTRL_ATTR_MCAST_GROUPS]);
	left = tb[CTRL_ATTR_MCAST_GROUPS]->nla_len - NLA_HDRLEN;
	for (; left >= NLA_HDRLEN && g->nla_len >= NLA_HDRLEN &&
	       g->nla_len <= left;
	     left -= NLA_ALIGN(g->nla_len),
	     g = (struct nlattr *)((char *)g + NLA_ALIGN(g->nla_len))) {
		nl_parse(grp, CTRL_ATTR_MCAST_GRP_MAX, nla_data(g),
			 g->nla_len - NLA_HDRLEN);
		nla_str(grp[CTRL_ATTR_MCAST_GRP_NAME], name, sizeof(name));
		if (!strcmp(name, m->name))
			m->id = nla_u32(grp[CTRL_ATTR_MCAST_GRP_ID]);
	}
}

/* A socket of ours in the monitor group: events are made from then on */
static bool monitor_join(void)
{
	struct nl_attr a = { CTRL_ATTR_FAMILY_NAME, sizeof(VFIO_PASID_FAMILY_NAME),
			     VFIO_PASID_FAMILY_NAME };
	struct mcast m = { VFIO_PASID_MCGRP_MONITOR, 0 };
	int ret;

	ret = nl_request(GENL_ID_CTRL, CTRL_CMD_GETFAMILY, false, &a,
			 CTRL_ATTR_MAX, mcast_cb, &m);
	if (ret || !m.id) {
		tap_fail("monitor group of %s: %s", VFIO_PASID_FAMILY_NAME,
			 ret ? errno_name(-ret) : "not found");
		return false;
	}
	mon_fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK,
			NETLINK_GENERIC);
	if (mon_fd < 0 ||
	    setsockopt(mon_fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &m.id,
		       sizeof(m.id))) {
		tap_fail("join the monitor group: %s", errno_name(errno));
		return false;
	}
	return true;
}

/* Events read and dropped: the listener must not fill up */
static void monitor_drain(void)
{
	char buf[8192];

	while (mon_fd >= 0 && recv(mon_fd, buf, sizeof(buf), 0) > 0)
		;
}

/* ------------------------------------------------------------------ */
/* What the module shows: compared before and after a failure          */

struct dev_rec {
	uint32_t	vm_id, binds;
	char		name[64];
};

struct dev_list {
	unsigned int	n, lost;
	struct dev_rec	v[8];
};

static void dev_cb(struct nlattr **tb, void *arg)
{
	struct dev_rec *r = LIST_NEXT((struct dev_list *)arg);

	if (!r)
		return;
	r->vm_id = nla_u32(tb[VFIO_PASID_A_VM_ID]);
	r->binds = nla_u32(tb[VFIO_PASID_A_DEV_BINDS]);
	nla_str(tb[VFIO_PASID_A_DEV_NAME], r->name, sizeof(r->name));
}

/* The limits, as a count and a hash of every entry */
struct limits_sum {
	unsigned int	n;
	uint64_t	hash;
};

static void limits_cb(struct nlattr **tb, void *arg)
{
	struct limits_sum *l = arg;
	char path[256];
	const char *p;

	nla_str(tb[VFIO_PASID_A_CGROUP], path, sizeof(path));
	l->n++;
	for (p = path; *p; p++)
		l->hash = l->hash * 31 + (unsigned char)*p;
	l->hash = l->hash * 31 + nla_u32(tb[VFIO_PASID_A_LIMIT_MAX]);
	l->hash = l->hash * 31 + nla_u32(tb[VFIO_PASID_A_LIMIT_USED]);
	l->hash = l->hash * 31 + nla_u32(tb[VFIO_PASID_A_LIMIT_VMS]);
}

struct snap {
	struct limits_sum	limits;
	struct stats		s;
	struct vm_list		vms;
	struct pasid_list	pasids;
	struct dev_list		devs;
	long			live;
};

static bool snap_take(struct snap *sn)
{
	memset(sn, 0, sizeof(*sn));
	if (!stats_now(&sn->s))
		return false;
	/* refusals are counted: a failure is one */
	sn->s.quota_refusals = 0;
	sn->s.pool_refusals = 0;
	if (vm_dump(&sn->vms) || pasid_dump(VFIO_PASID_CMD_PASID_GET, 0,
					    &sn->pasids) ||
	    nl_dump_vm(VFIO_PASID_CMD_DEVICE_GET, 0, dev_cb, &sn->devs)) {
		tap_fail("dumps of the admin API failed: %s", nl_extack);
		return false;
	}
	if (nl_request(nl_family, VFIO_PASID_CMD_LIMIT_GET, true, NULL,
		       VFIO_PASID_A_MAX, limits_cb, &sn->limits)) {
		tap_fail("the dump of limits failed: %s", nl_extack);
		return false;
	}
	if (sn->vms.lost || sn->pasids.lost || sn->devs.lost) {
		tap_fail("a dump had more entries than the test keeps");
		return false;
	}
	sn->live = param_long(FAIL_PARAM("live"));
	return sn->live >= 0;
}

/* @a and @b must be the same; @what says when */
static void snap_same(const struct snap *a, const struct snap *b,
		      const char *what)
{
	EXPECT_TRUE(!memcmp(&a->s, &b->s, sizeof(a->s)),
		    "%s: the counters changed (in use %u -> %u, allocated %llu -> %llu, binds %llu -> %llu, invalidations %llu -> %llu)",
		    what, a->s.in_use, b->s.in_use,
		    (unsigned long long)a->s.allocated,
		    (unsigned long long)b->s.allocated,
		    (unsigned long long)a->s.binds,
		    (unsigned long long)b->s.binds,
		    (unsigned long long)a->s.invalidations,
		    (unsigned long long)b->s.invalidations);
	EXPECT_TRUE(a->vms.n == b->vms.n &&
		    !memcmp(a->vms.v, b->vms.v, a->vms.n * sizeof(a->vms.v[0])),
		    "%s: the VMs changed (%u -> %u)", what, a->vms.n, b->vms.n);
	EXPECT_TRUE(a->pasids.n == b->pasids.n &&
		    !memcmp(a->pasids.v, b->pasids.v,
			    a->pasids.n * sizeof(a->pasids.v[0])),
		    "%s: the PASIDs changed (%u -> %u)", what, a->pasids.n,
		    b->pasids.n);
	EXPECT_TRUE(a->devs.n == b->devs.n &&
		    !memcmp(a->devs.v, b->devs.v, a->devs.n * sizeof(a->devs.v[0])),
		    "%s: the devices changed (%u -> %u)", what, a->devs.n,
		    b->devs.n);
	EXPECT_TRUE(a->live == b->live, "%s: live objects %ld -> %ld", what,
		    a->live, b->live);
	EXPECT_TRUE(a->limits.n == b->limits.n &&
		    a->limits.hash == b->limits.hash,
		    "%s: the limits changed (%u -> %u)", what, a->limits.n,
		    b->limits.n);
}

/* ------------------------------------------------------------------ */
/* The VFIO groups                                                     */

struct vgroup {
	int	edu;
	int	num;		/* IOMMU group number, -1 unknown */
	bool	bound_here;	/* we bound it to vfio-pci: unbind at the end */
};

static struct vgroup groups[2] = { { 0, -1, false }, { 1, -1, false } };

/* The first line of @cmd's output into @out; its exit status or -1 */
static int cmd_line(const char *cmd, char *out, size_t size)
{
	char buf[256];
	FILE *f;
	int st;

	out[0] = '\0';
	f = popen(cmd, "r");
	if (!f)
		return -1;
	if (fgets(buf, sizeof(buf), f))
		snprintf(out, size, "%.*s", (int)strcspn(buf, "\n"), buf);
	while (fgets(buf, sizeof(buf), f))
		;
	st = pclose(f);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Whether edu device @n is bound to vfio-pci already */
static bool edu_on_vfio(int n)
{
	char cmd[128], bdf[64], path[160], link[256];
	ssize_t len;

	snprintf(cmd, sizeof(cmd), VFIO_BIND " --list | sed -n %dp", n + 1);
	if (cmd_line(cmd, bdf, sizeof(bdf)) || !bdf[0])
		return false;
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", bdf);
	len = readlink(path, link, sizeof(link) - 1);
	if (len <= 0)
		return false;
	link[len] = '\0';
	return strstr(link, "/vfio-pci") != NULL;
}

static bool groups_setup(void)
{
	char cmd[128], out[64];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(groups); i++) {
		struct vgroup *g = &groups[i];

		g->bound_here = !edu_on_vfio(g->edu);
		snprintf(cmd, sizeof(cmd), VFIO_BIND " --edu %d 2>&1", g->edu);
		if (cmd_line(cmd, out, sizeof(out)) || !out[0]) {
			tap_fail("%s: %s", cmd, out);
			return false;
		}
		g->num = atoi(out);
	}
	return true;
}

static void groups_release(void)
{
	char cmd[128], out[256];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(groups); i++) {
		if (!groups[i].bound_here || groups[i].num < 0)
			continue;
		snprintf(cmd, sizeof(cmd), VFIO_BIND " --unbind --edu %d 2>&1",
			 groups[i].edu);
		if (cmd_line(cmd, out, sizeof(out)))
			tap_fail("%s: %s", cmd, out);
		groups[i].num = -1;
	}
}

/* ------------------------------------------------------------------ */
/* Fixtures: the state an operation starts from, built without faults */

struct fx {
	int		fd;		/* the VM, -1 none */
	int		gfd[2];		/* group files, -1 none */
	uint32_t	vm_id;
	uint32_t	pasid[2];
};

enum level {
	FX_NONE,	/* nothing open */
	FX_VM,		/* a VM */
	FX_PASIDS,	/* a VM with two PASIDs, both group files open */
	FX_GROUP,	/* ... group 0 attached */
	FX_GROUPS,	/* ... groups 0 and 1 attached */
	FX_BOUND,	/* ... PASID 0 bound */
	FX_BOUND1,	/* group 0 attached, both PASIDs bound */
	FX_INVAL,	/* groups 0 and 1, PASID 0 invalidated, not bound */
	FX_LIMIT,	/* nothing open, a limit on LIMIT_CG */
};

/*
 * Limits per cgroup: cgroup2 on CG_MNT (mounted here when it is not), and
 * LIMIT_CG two levels below its root, so that a charge or a limit makes
 * three nodes (the root's, its child's, LIMIT_CG's) and a failure at each
 * must undo the ones made before it.
 */
#define CG_MNT		"/sys/fs/cgroup"
#define LIMIT_TOP	"/vp-failnth"
#define LIMIT_CG	LIMIT_TOP "/a"

static bool cg_mounted_here;

static int limit_req(uint8_t cmd, const char *path, int64_t max)
{
	struct nl_attr a1 = { VFIO_PASID_A_CGROUP, strlen(path) + 1, path };
	uint32_t m = (uint32_t)max;
	struct nl_attr a2 = { VFIO_PASID_A_LIMIT_MAX, sizeof(m), &m };

	return nl_do2(cmd, &a1, max >= 0 ? &a2 : NULL);
}

static bool write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	bool ok;
	int err;

	if (fd < 0)
		return false;
	ok = write(fd, s, strlen(s)) == (ssize_t)strlen(s);
	err = errno;
	close(fd);
	errno = err;
	return ok;
}

static void cgroups_setup(void)
{
	FILE *f = fopen("/proc/mounts", "re");
	char line[512];
	bool mounted = false;

	ASSERT_TRUE(f, "/proc/mounts: %s", errno_name(errno));
	while (fgets(line, sizeof(line), f))
		if (strstr(line, " " CG_MNT " cgroup2 "))
			mounted = true;
	fclose(f);
	if (!mounted) {
		ASSERT_TRUE(system("mount -t cgroup2 none " CG_MNT) == 0,
			    "cannot mount cgroup2 on %s", CG_MNT);
		cg_mounted_here = true;
	}
	mkdir(CG_MNT LIMIT_TOP, 0755);
	mkdir(CG_MNT LIMIT_CG, 0755);
	ASSERT_TRUE(access(CG_MNT LIMIT_CG, F_OK) == 0, "cannot make %s: %s",
		    CG_MNT LIMIT_CG, errno_name(errno));
}

static void cgroups_release(void)
{
	rmdir(CG_MNT LIMIT_CG);
	rmdir(CG_MNT LIMIT_TOP);
	if (cg_mounted_here && system("umount " CG_MNT) == 0)
		cg_mounted_here = false;
}

struct bind_msg {
	struct vfio_iommu_type1_bind		hdr;
	struct iommu_gpasid_bind_data		data;
};

static int do_bind(struct fx *f, uint32_t op, unsigned int i)
{
	struct bind_msg m;

	memset(&m, 0, sizeof(m));
	m.hdr.argsz = sizeof(m);
	m.hdr.flags = op;
	m.data.argsz = sizeof(m.data);
	m.data.version = IOMMU_GPASID_BIND_VERSION_1;
	m.data.format = IOMMU_PASID_FORMAT_INTEL_VTD;
	m.data.addr_width = 48;
	m.data.gpgd = 0x12345000ULL;
	m.data.hpasid = f->pasid[i];
	m.data.flags = IOMMU_SVA_GPASID_VAL;
	m.data.gpasid = 100 + i;
	return ioctl(f->fd, VFIO_IOMMU_BIND, &m) ? -errno : 0;
}

static int do_invalidate(struct fx *f, unsigned int i)
{
	struct vfio_iommu_type1_cache_invalidate inv;
	struct iommu_cache_invalidate_info *ci = &inv.cache_info;

	memset(&inv, 0, sizeof(inv));
	inv.argsz = sizeof(inv);
	ci->argsz = sizeof(*ci);
	ci->version = IOMMU_CACHE_INVALIDATE_INFO_VERSION_1;
	ci->cache = IOMMU_CACHE_INV_TYPE_IOTLB;
	ci->granularity = IOMMU_INV_GRANU_PASID;
	ci->granu.pasid_info.flags = IOMMU_INV_PASID_FLAGS_PASID;
	ci->granu.pasid_info.pasid = f->pasid[i];
	return ioctl(f->fd, VFIO_IOMMU_CACHE_INVALIDATE, &inv) ? -errno : 0;
}

static int do_group(struct fx *f, bool attach, unsigned int i)
{
	struct vfio_pasid_group g = {
		.argsz = sizeof(g),
		.group_fd = f->gfd[i],
	};

	return ioctl(f->fd, attach ? VFIO_PASID_ATTACH_GROUP :
		     VFIO_PASID_DETACH_GROUP, &g) ? -errno : 0;
}

static int do_alloc(struct fx *f, uint32_t *out)
{
	return pasid_alloc(f->fd, 1, 64, out) ? -errno : 0;
}

static int do_free(struct fx *f, unsigned int i)
{
	return pasid_free(f->fd, f->pasid[i]) ? -errno : 0;
}

static void fx_down(struct fx *f)
{
	unsigned int i;

	if (f->fd >= 0)
		fd_close(f->fd);
	for (i = 0; i < 2; i++)
		if (f->gfd[i] >= 0)
			close(f->gfd[i]);
	f->fd = f->gfd[0] = f->gfd[1] = -1;
	monitor_drain();
}

/* Build @lvl into @f; false (the test failed) when it cannot */
static bool fx_up(struct fx *f, enum level lvl)
{
	unsigned int i;
	int ret = 0;

	f->fd = f->gfd[0] = f->gfd[1] = -1;
	if (lvl == FX_NONE)
		return true;
	if (lvl == FX_LIMIT) {
		ret = limit_req(VFIO_PASID_CMD_LIMIT_SET, LIMIT_CG, 3);
		if (ret)
			tap_fail("fixture %d: %s", lvl, errno_name(-ret));
		return !ret;
	}
	f->fd = dev_open();
	if (f->fd < 0)
		return false;
	f->vm_id = vm_id_of(f->fd);
	if (lvl == FX_VM)
		return true;
	for (i = 0; i < 2 && !ret; i++) {
		ret = do_alloc(f, &f->pasid[i]);
		f->gfd[i] = vfio_group_open(groups[i].num, 2, true);
		if (f->gfd[i] < 0)
			ret = -EBADF;
	}
	if (!ret && lvl != FX_PASIDS)
		ret = do_group(f, true, 0);
	if (!ret && (lvl == FX_GROUPS || lvl == FX_BOUND || lvl == FX_INVAL))
		ret = do_group(f, true, 1);
	if (!ret && (lvl == FX_BOUND || lvl == FX_BOUND1))
		ret = do_bind(f, VFIO_IOMMU_BIND_GUEST_PGTBL, 0);
	if (!ret && lvl == FX_BOUND1)
		ret = do_bind(f, VFIO_IOMMU_BIND_GUEST_PGTBL, 1);
	if (!ret && lvl == FX_INVAL)
		ret = do_invalidate(f, 0);
	if (ret) {
		tap_fail("fixture %d: %s", lvl, errno_name(-ret));
		fx_down(f);
		return false;
	}
	return true;
}

/* ------------------------------------------------------------------ */
/* The operations                                                      */

struct op {
	const char	*name;
	enum level	lvl;
	int		(*run)(struct fx *f);
	const char	*sites;		/* the injection points, in order */
};

static int op_open(struct fx *f)
{
	int fd = open(DEV_PATH, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	fd_track(fd);
	f->fd = fd;
	return 0;
}

/*
 * open() by a process in LIMIT_CG: the VM's charge makes three nodes.  With
 * the kernel's fail-nth (-k) the moves between cgroups allocate too: a
 * failed move in is the step's answer (ENOMEM, nothing of the module's
 * changed), and the move back is tried again (fail-nth fails one allocation).
 */
static int op_open_cg(struct fx *f)
{
	int ret;

	if (!write_str(CG_MNT LIMIT_CG "/cgroup.procs", "0"))
		return -errno;
	ret = op_open(f);
	if (!write_str(CG_MNT "/cgroup.procs", "0") &&
	    !write_str(CG_MNT "/cgroup.procs", "0"))
		tap_fail("cannot move back to the root cgroup: %s",
			 errno_name(errno));
	return ret;
}

static int op_close(struct fx *f)
{
	int fd = f->fd;

	f->fd = -1;
	fd_untrack(fd);
	return close(fd) ? -errno : 0;
}

static int op_alloc(struct fx *f)
{
	uint32_t p;

	return do_alloc(f, &p);
}

static int op_free(struct fx *f)
{
	return do_free(f, 0);
}

static int op_quota(struct fx *f)
{
	struct vfio_iommu_type1_pasid_quota q = {
		.argsz = sizeof(q),
		.quota = QUOTA / 2,
	};
	int ret = ioctl(f->fd, VFIO_IOMMU_SET_PASID_QUOTA, &q);

	if (ret < 0)
		return -errno;
	/* success returns the new quota, which is written back too */
	if (ret != QUOTA / 2 || q.quota != QUOTA / 2) {
		tap_fail("SET_PASID_QUOTA to %u: returned %d, wrote back %u",
			 QUOTA / 2, ret, q.quota);
		return -EPROTO;
	}
	return 0;
}

static int op_info(struct fx *f)
{
	struct vfio_pasid_info info;

	return get_info(f->fd, &info) ? -errno : 0;
}

static int op_attach(struct fx *f)
{
	return do_group(f, true, 1);
}

static int op_attach0(struct fx *f)
{
	return do_group(f, true, 0);
}

static int op_detach(struct fx *f)
{
	return do_group(f, false, 1);
}

static int op_bind(struct fx *f)
{
	return do_bind(f, VFIO_IOMMU_BIND_GUEST_PGTBL, 0);
}

static int op_unbind(struct fx *f)
{
	return do_bind(f, VFIO_IOMMU_UNBIND_GUEST_PGTBL, 0);
}

static int op_invalidate(struct fx *f)
{
	return do_invalidate(f, 0);
}

static int op_uapi_version(struct fx *f)
{
	int ret = ioctl(f->fd, VFIO_NESTING_GET_IOMMU_UAPI_VERSION);

	return ret < 0 ? -errno : 0;
}

static int op_stats(struct fx *f)
{
	(void)f;
	return nl_request(nl_family, VFIO_PASID_CMD_STATS_GET, false, NULL,
			  VFIO_PASID_A_MAX, NULL, NULL);
}

static int op_vm_get(struct fx *f)
{
	struct nl_attr a = { VFIO_PASID_A_VM_ID, sizeof(f->vm_id), &f->vm_id };

	return nl_request(nl_family, VFIO_PASID_CMD_VM_GET, false, &a,
			  VFIO_PASID_A_MAX, NULL, NULL);
}

static int op_dump(struct fx *f, uint8_t cmd)
{
	(void)f;
	return nl_request(nl_family, cmd, true, NULL, VFIO_PASID_A_MAX, NULL,
			  NULL);
}

static int op_vm_dump(struct fx *f)
{
	return op_dump(f, VFIO_PASID_CMD_VM_GET);
}

static int op_pasid_dump(struct fx *f)
{
	return op_dump(f, VFIO_PASID_CMD_PASID_GET);
}

static int op_dev_dump(struct fx *f)
{
	return op_dump(f, VFIO_PASID_CMD_DEVICE_GET);
}

static int op_reclaim_dump(struct fx *f)
{
	return op_dump(f, VFIO_PASID_CMD_RECLAIM_GET);
}

static int op_quota_set(struct fx *f)
{
	return nl_do_u32(VFIO_PASID_CMD_QUOTA_SET, VFIO_PASID_A_VM_ID, f->vm_id,
		      VFIO_PASID_A_QUOTA, QUOTA * 2);
}

static int op_default_get(struct fx *f)
{
	(void)f;
	return nl_request(nl_family, VFIO_PASID_CMD_DEFAULT_QUOTA_GET, false,
			  NULL, VFIO_PASID_A_MAX, NULL, NULL);
}

static int op_default_set(struct fx *f)
{
	uint32_t q = QUOTA + 1;
	struct nl_attr a = { VFIO_PASID_A_DEFAULT_QUOTA, sizeof(q), &q };

	(void)f;
	return nl_request(nl_family, VFIO_PASID_CMD_DEFAULT_QUOTA_SET, false,
			  &a, VFIO_PASID_A_MAX, NULL, NULL);
}

static int op_limit_set_new(struct fx *f)
{
	(void)f;
	return limit_req(VFIO_PASID_CMD_LIMIT_SET, LIMIT_CG, 5);
}

static int op_limit_set_root(struct fx *f)
{
	(void)f;
	return limit_req(VFIO_PASID_CMD_LIMIT_SET, "/", 5);
}

static int op_limit_change(struct fx *f)
{
	(void)f;
	return limit_req(VFIO_PASID_CMD_LIMIT_SET, LIMIT_CG, 7);
}

static int op_limit_del(struct fx *f)
{
	(void)f;
	return limit_req(VFIO_PASID_CMD_LIMIT_DEL, LIMIT_CG, -1);
}

static int op_limit_get(struct fx *f)
{
	struct nl_attr a = { VFIO_PASID_A_CGROUP, sizeof(LIMIT_CG), LIMIT_CG };

	(void)f;
	return nl_request(nl_family, VFIO_PASID_CMD_LIMIT_GET, false, &a,
			  VFIO_PASID_A_MAX, NULL, NULL);
}

static int op_limit_dump(struct fx *f)
{
	return op_dump(f, VFIO_PASID_CMD_LIMIT_GET);
}

static int op_reclaim_clear(struct fx *f)
{
	(void)f;
	return nl_request(nl_family, VFIO_PASID_CMD_RECLAIM_CLEAR, false, NULL,
			  VFIO_PASID_A_MAX, NULL, NULL);
}

static const struct op ops[] = {
	{ "open: a new VM", FX_NONE, op_open, "vm vm-id cgroup cgroup-xa nl-event" },
	{ "open: a new VM two cgroups below the root", FX_NONE, op_open_cg,
	  "vm vm-id cgroup cgroup-xa cgroup cgroup-xa cgroup cgroup-xa nl-event" },
	{ "PASID_REQUEST alloc", FX_VM, op_alloc, "ioasid pasid-xa" },
	{ "PASID_REQUEST free", FX_PASIDS, op_free, "" },
	{ "PASID_REQUEST free of a bound PASID", FX_BOUND, op_free, "" },
	{ "SET_PASID_QUOTA lower", FX_VM, op_quota, "nl-event" },
	{ "GET_INFO with a group attached", FX_GROUP, op_info, "" },
	{ "GET_IOMMU_UAPI_VERSION", FX_VM, op_uapi_version, "" },
	{ "ATTACH_GROUP", FX_PASIDS, op_attach0, "group" },
	{ "ATTACH_GROUP to a VM with two PASIDs bound", FX_BOUND1, op_attach,
	  "group bind-dev bind-dev" },
	{ "BIND on two groups", FX_GROUPS, op_bind,
	  "pasid-state bind-dev bind-dev" },
	{ "BIND of an invalidated PASID", FX_INVAL, op_bind,
	  "bind-dev bind-dev" },
	{ "UNBIND", FX_BOUND, op_unbind, "" },
	{ "CACHE_INVALIDATE", FX_GROUPS, op_invalidate, "pasid-state" },
	{ "CACHE_INVALIDATE again", FX_INVAL, op_invalidate, "" },
	{ "DETACH_GROUP of a bound VM", FX_BOUND, op_detach, "" },
	{ "close: reclaim of a bound VM with groups", FX_BOUND, op_close,
	  "nl-event nl-event nl-event" },
	{ "genl STATS_GET", FX_VM, op_stats, "nl-reply" },
	{ "genl VM_GET", FX_VM, op_vm_get, "nl-reply" },
	{ "genl VM_GET dump", FX_PASIDS, op_vm_dump, "" },
	{ "genl PASID_GET dump", FX_BOUND, op_pasid_dump, "" },
	{ "genl DEVICE_GET dump", FX_GROUPS, op_dev_dump, "" },
	{ "genl RECLAIM_GET dump", FX_NONE, op_reclaim_dump, "" },
	{ "genl QUOTA_SET", FX_VM, op_quota_set, "nl-event" },
	{ "genl DEFAULT_QUOTA_GET", FX_NONE, op_default_get, "nl-reply" },
	{ "genl DEFAULT_QUOTA_SET", FX_NONE, op_default_set, "nl-event" },
	{ "genl RECLAIM_CLEAR", FX_NONE, op_reclaim_clear, "" },
	{ "genl LIMIT_SET two cgroups below the root", FX_NONE,
	  op_limit_set_new,
	  "cgroup cgroup-xa cgroup cgroup-xa cgroup cgroup-xa nl-event" },
	{ "genl LIMIT_SET on the root of a VM", FX_VM, op_limit_set_root,
	  "nl-event" },
	{ "genl LIMIT_SET changing a limit", FX_LIMIT, op_limit_change,
	  "nl-event" },
	{ "genl LIMIT_DEL", FX_LIMIT, op_limit_del, "nl-event" },
	{ "genl LIMIT_GET", FX_LIMIT, op_limit_get, "nl-reply" },
	{ "genl LIMIT_GET dump", FX_LIMIT, op_limit_dump, "" },
};

/* The module as every step leaves it: idle, nothing alive, quota reset */
static void back_to_idle(const char *what)
{
	uint32_t q = QUOTA;
	struct nl_attr a = { VFIO_PASID_A_DEFAULT_QUOTA, sizeof(q), &q };
	long live;

	EXPECT_OK(nl_request(nl_family, VFIO_PASID_CMD_DEFAULT_QUOTA_SET, false,
			     &a, VFIO_PASID_A_MAX, NULL, NULL));
	/* the limits a step made, if it made them */
	limit_req(VFIO_PASID_CMD_LIMIT_DEL, LIMIT_CG, -1);
	limit_req(VFIO_PASID_CMD_LIMIT_DEL, "/", -1);
	check_idle(what);
	live = param_long(FAIL_PARAM("live"));
	EXPECT_TRUE(live == 0, "%s: %ld objects alive, expected 0", what, live);
}

/*
 * -k: what one step of the sweep must have left.  The netlink socket is
 * opened again after a failure: a dump the kernel could not continue, or
 * an error it could not report, stays with the socket.
 */
static void kernel_step(struct fx *f, int ret, long left,
			const struct snap *before, const char *what)
{
	struct snap after;

	if (left > 0) {
		EXPECT_TRUE(ret == 0, "%s: %s, expected success", what,
			    errno_name(-ret));
	} else if (ret) {
		EXPECT_TRUE(ret == -ENOMEM || ret == -ENOSPC || ret == -ENOBUFS,
			    "%s: %s, expected ENOMEM, ENOSPC or ENOBUFS", what,
			    errno_name(-ret));
		EXPECT_TRUE(nl_reopen() == 0, "netlink socket: %s",
			    errno_name(errno));
		/* ENOBUFS: the answer was lost, maybe after the change */
		if (ret != -ENOBUFS && snap_take(&after))
			snap_same(before, &after, what);
	}
	fx_down(f);
	back_to_idle(what);
}

/* One operation with its N-th injection point failing, N = 1, 2, ... */
static void sweep(const struct op *op)
{
	unsigned int max_steps = kernel_fi ? KERNEL_STEPS : MAX_STEPS;
	char seen[256] = "", site[32], what[320];
	unsigned int n;
	struct snap before, after;
	struct fx f;
	long left;
	int ret;

	for (n = 1; n <= max_steps && !tap_failed(); n++) {
		if (!fx_up(&f, op->lvl))
			return;
		if (!snap_take(&before) || !fail_nth(n)) {
			fx_down(&f);
			return;
		}
		ret = op->run(&f);
		left = nth_left();
		/* before disarming, which clears it */
		if (kernel_fi)
			strcpy(site, "kernel");
		else if (param_read(FAIL_PARAM("site"), site, sizeof(site)))
			site[0] = '\0';
		fail_nth(0);
		snprintf(what, sizeof(what), "%s, point %u failing (%s)",
			 op->name, n, site[0] ? site : "none reached");
		if (kernel_fi) {
			kernel_step(&f, ret, left, &before, what);
			if (left > 0)
				break;
			continue;
		}

		if (left > 0) {
			/* it ran without reaching point n: done */
			EXPECT_TRUE(ret == 0, "%s: %s, expected success", what,
				    errno_name(-ret));
			fx_down(&f);
			back_to_idle(what);
			break;
		}
		snprintf(seen + strlen(seen), sizeof(seen) - strlen(seen),
			 "%s%s", seen[0] ? " " : "", site);
		if (ret == 0) {
			/* only an event may be lost with success */
			EXPECT_TRUE(!strcmp(site, "nl-event"),
				    "%s: succeeded with %s failing", what, site);
		} else {
			int want = strcmp(site, "ioasid") ? -ENOMEM : -ENOSPC;

			EXPECT_TRUE(ret == want, "%s: %s, expected %s", what,
				    errno_name(-ret), errno_name(-want));
			if (snap_take(&after))
				snap_same(&before, &after, what);
		}
		fx_down(&f);
		back_to_idle(what);
	}
	EXPECT_TRUE(n <= max_steps, "%s: still reaching points after %u",
		    op->name, max_steps);
	if (kernel_fi) {
		tap_note("%s: %u allocations in the kernel", op->name, n - 1);
		return;
	}
	EXPECT_TRUE(tap_failed() || !strcmp(seen, op->sites),
		    "%s: points reached \"%s\", expected \"%s\"", op->name, seen,
		    op->sites);
}

/* ------------------------------------------------------------------ */
/* The tests                                                           */

/*
 * Module init's points, in order: the reclaim log, the pool's bitmaps, the
 * family, the device
 */
#define INIT_POINTS	4

/* Loading, with init's N-th allocation failing, N = 1, 2, ... */
static void test_load_sweep(void)
{
	char params[128];
	unsigned int n;
	long left;
	int ret;

	for (n = 1; n <= MAX_STEPS; n++) {
		snprintf(params, sizeof(params), "%s fail_nth=%u", PARAMS, n);
		ret = module_load(params);
		if (!ret)
			break;
		EXPECT_TRUE(ret == -ENOMEM,
			    "load with init's point %u failing: %s, expected ENOMEM",
			    n, errno_name(-ret));
		EXPECT_TRUE(!module_present(), "the module is there after a failed load");
		EXPECT_TRUE(access(DEV_PATH, F_OK) && errno == ENOENT,
			    "%s is there after a failed load", DEV_PATH);
		EXPECT_TRUE(nl_resolve(VFIO_PASID_FAMILY_NAME) == -ENOENT,
			    "the netlink family is there after a failed load");
		if (tap_failed())
			return;
	}
	ASSERT_TRUE(n <= MAX_STEPS, "the load still failed at point %u", n);
	/* loaded: point n was not reached */
	left = param_long(FAIL_PARAM("nth"));
	EXPECT_TRUE(left > 0, "loaded with fail_nth=%u and %ld left: a point failed",
		    n, left);
	EXPECT_TRUE(n == INIT_POINTS + 1,
		    "module init reached %u points, expected %d", n - 1,
		    INIT_POINTS);
	fail_nth(0);
	module_unload_ok();
}

static void test_load(void)
{
	if (kernel_fi && !kernel_fi_setup())
		exit(1);
	if (!module_load_ok(PARAMS) || !family_resolve_ok())
		return;
	loaded = true;
	EXPECT_TRUE(access(FAIL_PARAM("nth"), W_OK) == 0,
		    "%s: no fail_nth: not the test build (tests/testmod)", module_path);
	monitor_join();
	groups_setup();
	cgroups_setup();
}

/*
 * The module's injection armed by another process: nothing of ours fails,
 * its count stays.  Its parameter, in both modes (with -k, fail_nth() arms
 * the kernel's fail-nth of the thread that opened it: ours).
 */
static void test_other_process(void)
{
	struct fx f;
	pid_t pid;
	long left;
	int st;

	pid = fork();
	ASSERT_TRUE(pid >= 0, "fork: %s", errno_name(errno));
	if (pid == 0)
		_exit(param_write(FAIL_PARAM("nth"), "1") ? 0 : 1);
	ASSERT_TRUE(waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
		    WEXITSTATUS(st) == 0, "the child could not arm fail_nth");
	if (fx_up(&f, FX_BOUND))
		fx_down(&f);
	left = param_long(FAIL_PARAM("nth"));
	EXPECT_TRUE(left == 1, "fail_nth is %ld after our operations, expected 1 (armed by another process)",
		    left);
	param_write(FAIL_PARAM("nth"), "0");
	back_to_idle("armed by another process");
}

static unsigned int next_op;

/* The next operation of ops[], each allocation failing in turn */
static void test_sweep(void)
{
	sweep(&ops[next_op++]);
}

static void test_unload(void)
{
	if (kernel_fi)
		param_write(FAILSLAB "ignore-gfp-wait", "Y");
	if (mon_fd >= 0)
		close(mon_fd);
	mon_fd = -1;
	groups_release();
	cgroups_release();
	if (module_unload_ok())
		loaded = false;
}

#define N_TESTS	(ARRAY_SIZE(ops) + 4)
#define N_FIRST	3	/* tests before the sweep of ops[] */

static struct test tests[N_TESTS] = {
	{ "module init with each allocation failing in turn: ENOMEM, nothing left",
	  test_load_sweep, false },
	{ "load the test build (backend=emulated), bind edu 0 and 1",
	  test_load, false },
	{ "injection armed by another process fails nothing of ours",
	  test_other_process, true },
};

/* One test per operation, then the unload */
static void tests_fill(void)
{
	static char names[ARRAY_SIZE(ops)][128];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(ops); i++) {
		snprintf(names[i], sizeof(names[i]),
			 "each allocation failing: %s", ops[i].name);
		tests[N_FIRST + i] = (struct test){ names[i], test_sweep, true };
	}
	tests[N_TESTS - 1] = (struct test){ "unload", test_unload, true };
}

static bool module_loaded(void)
{
	return loaded;
}

static void after_test(const struct test *tc)
{
	(void)tc;
	cleanup_test();
}

static struct harness h = {
	.what = "Fails each allocation of each operation in turn (the test build)",
	.synopsis = " [-k]",
	.help = "  -k       the kernel's own failslab fails the allocations (fail-nth of\n"
		"           this thread), not the module's injection points; module\n"
		"           init is not swept (needs CONFIG_FAILSLAB, debugfs mounted)\n",
	.opts = "k",
	.timeout = 600,
	.tests = tests,
	.n_tests = N_TESTS,
	.loaded = module_loaded,
	.after = after_test,
};

/* -k: the kernel's failslab; every step is slower, init is not swept */
static void own_opt(int opt, const char *arg)
{
	(void)arg;
	if (opt != 'k')
		return;
	kernel_fi = true;
	h.tests = tests + 1;
	h.n_tests = N_TESTS - 1;
	h.timeout = 3000;
}

int main(int argc, char **argv)
{
	h.opt = own_opt;
	tests_fill();
	return harness_main(argc, argv, &h);
}
