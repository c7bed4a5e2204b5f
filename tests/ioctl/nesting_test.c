// SPDX-License-Identifier: GPL-2.0
/*
 * nesting_test - VFIO groups, nesting capability, guest page-table binds and
 * cache invalidations of /dev/vfio-pasid, checked from user space
 *
 * Copyright (C) 2026 The vfio-pasid authors
 *
 * Run as root inside the test VM, from the project root:
 *
 *	tests/vm/run -- tests/ioctl/nesting_test [-m driver/vfio_pasid.ko]
 *
 * What it needs in the guest: edu devices 0 and 1 bound to vfio-pci
 * (tests/vm/vfio-bind --edu N, run by the first test) and, for the mdev
 * tests, tests/vm/mdev, which creates mediated devices of
 * tests/mdev/vp_mdev_test.ko: one whose parent is edu device 2 (its own
 * IOMMU group, so the mdev is IOMMU-backed) and one whose parent has no
 * IOMMU group (not IOMMU-backed).  The mdev tests fail, not skip, when the
 * script is missing.
 *
 * The program loads the module twice: backend=native (the default), which
 * attaches groups but cannot nest, then backend=emulated, the software
 * model of a VT-d nesting IOMMU that the bind and invalidation rules are
 * tested against.  Every rule is checked against the contract in
 * driver/include/uapi/linux/vfio_pasid.h, including the order of checks,
 * and every accepted or refused request is followed by what the admin API
 * (generic netlink) must show afterwards: binding state per PASID, per VM,
 * per device, and the global counters.  Refused requests move no counter.
 *
 * Every test ends with the module idle: no VM, no PASID in use, no PASID
 * bound, ALLOCATED == FREED + RECLAIMED, BINDS == UNBINDS, and every VFIO
 * group it used free to be opened again.  It leaves edu 0 and 1 bound to
 * vfio-pci, removes the mdevs it created and unloads the modules it loaded.
 *
 * Output is TAP; the exit status is 0 only when every test passed.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include "common.h"
#include "tap.h"

/* The layout the tests build by hand must be the header's */
_Static_assert(offsetof(struct vfio_iommu_type1_bind, data) == 8, "bind header");
_Static_assert(sizeof(struct iommu_gpasid_bind_data) == 72, "bind data size");
_Static_assert(offsetof(struct iommu_gpasid_bind_data, vendor) == 56, "vendor");
_Static_assert(sizeof(struct iommu_cache_invalidate_info) == 56, "inv info size");
_Static_assert(offsetof(struct iommu_cache_invalidate_info, granu) == 16, "granu");
_Static_assert(sizeof(struct vfio_iommu_type1_cache_invalidate) == 64, "inv size");
_Static_assert(sizeof(struct vfio_pasid_group) == 12, "group size");
_Static_assert(offsetof(struct vfio_pasid_group, group_id) == 8, "group_id");
_Static_assert(sizeof(struct vfio_pasid_info) == 24, "info size");
_Static_assert(sizeof(struct vfio_pasid_info_cap_nesting) == 24, "cap size");

#define BIND_DATA_MIN	offsetof(struct iommu_gpasid_bind_data, vendor)	/* 56 */
#define BIND_DATA_SIZE	sizeof(struct iommu_gpasid_bind_data)			/* 72 */
#define INV_INFO_MIN	offsetof(struct iommu_cache_invalidate_info, granu)	/* 16 */
#define INV_INFO_PASID	(INV_INFO_MIN + sizeof(struct iommu_inv_pasid_info))	/* 32 */
#define INV_INFO_ADDR	(INV_INFO_MIN + sizeof(struct iommu_inv_addr_info))	/* 56 */

#define CACHE_IOTLB	IOMMU_CACHE_INV_TYPE_IOTLB
#define CACHE_DEV	IOMMU_CACHE_INV_TYPE_DEV_IOTLB
#define CACHE_PASID	IOMMU_CACHE_INV_TYPE_PASID
#define GRANU_DOMAIN	IOMMU_INV_GRANU_DOMAIN
#define GRANU_PASID	IOMMU_INV_GRANU_PASID
#define GRANU_ADDR	IOMMU_INV_GRANU_ADDR

/* What the emulated backend reports and accepts */
#define EMU_ADDR_WIDTH	48
#define EMU_PASID_BITS	20
#define EMU_FEATURES	(VFIO_PASID_NESTING_FEAT_BIND_PGTBL | \
			 VFIO_PASID_NESTING_FEAT_CACHE_INVLD)
#define VTD_FLAGS_ALL	(IOMMU_SVA_VTD_GPASID_LAST - 1)	/* bits 0..6 */

#define VFIO_BIND	"tests/vm/vfio-bind"
#define MDEV_SCRIPT	"tests/vm/mdev"

static const char *backend;	/* the loaded module's backend, or NULL */

static bool emulated(void)
{
	return backend && !strcmp(backend, "emulated");
}

/* ------------------------------------------------------------------ */
/* VFIO groups of the guest                                            */

struct vgroup {
	const char	*what;		/* "edu 0", "mdev on edu 2"... */
	int		num;		/* IOMMU group number, -1 when not set up */
	char		dev[64];	/* its device as sysfs names it */
	bool		mdev;
	bool		backed;		/* binds reach a real IOMMU group */
	char		parent[64];	/* an mdev's parent device */
	char		unit[32];	/* the IOMMU unit behind it, "" none */
};

static struct vgroup edu[2] = {
	{ .what = "edu 0", .num = -1, .backed = true },
	{ .what = "edu 1", .num = -1, .backed = true },
};
static struct vgroup mdev_backed = { .what = "mdev on edu 2", .num = -1, .mdev = true,
				     .backed = true };
static struct vgroup mdev_virt = { .what = "mdev without IOMMU group", .num = -1,
				   .mdev = true };
static bool mdev_module_used;

/* ------------------------------------------------------------------ */
/* Their group files, tracked like the device's (common.h)            */

/*
 * Open /dev/vfio/N of @g, with @own in a container of its own.  A VFIO
 * group opens once at a time, and a VM holds the group file while the
 * group is attached: EBUSY is retried for up to 2 s, for a VM that is
 * still being released.
 */
static int grp_open_own(const struct vgroup *g, bool own)
{
	int fd;

	if (g->num < 0) {
		tap_fail("%s is not set up (an earlier test failed)", g->what);
		return -1;
	}
	fd = vfio_group_open(g->num, 2, own);
	if (fd >= 0)
		fd_track(fd);
	return fd;
}

/* The group's file, in a container of its own, as a VMM has it */
static int grp_open(const struct vgroup *g)
{
	return grp_open_own(g, true);
}

/* ------------------------------------------------------------------ */
/* Commands of the guest                                               */

/*
 * Run @cmd with sh, its standard error joined to its output; the first
 * line of output (without its newline) into @line.  The exit status, or -1
 * when it could not run; a failure is reported with all of the output.
 */
static int run_cmd(const char *cmd, char *line, size_t size)
{
	char full[512], out[2048] = "", buf[256];
	size_t len = 0;
	FILE *f;
	int st;

	if (line && size)
		line[0] = '\0';
	snprintf(full, sizeof(full), "%s 2>&1", cmd);
	fflush(stdout);
	f = popen(full, "r");
	if (!f) {
		tap_fail("popen(%s): %s", cmd, errno_name(errno));
		return -1;
	}
	while (fgets(buf, sizeof(buf), f)) {
		if (line && size && !len)
			snprintf(line, size, "%.*s", (int)strcspn(buf, "\n"), buf);
		len += snprintf(out + len, sizeof(out) - len, "%s", buf);
		if (len >= sizeof(out))
			len = sizeof(out) - 1;
	}
	st = pclose(f);
	if (st == -1) {
		tap_fail("pclose(%s): %s", cmd, errno_name(errno));
		return -1;
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st)) {
		tap_fail("'%s' failed (status 0x%x): %s", cmd, st, out);
		return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	}
	return 0;
}

/* The target of a sysfs link, its last component, into @out ("" none) */
static void link_base(const char *path, char *out, size_t size)
{
	char buf[PATH_MAX];
	ssize_t n = readlink(path, buf, sizeof(buf) - 1);
	const char *b;

	out[0] = '\0';
	if (n <= 0)
		return;
	buf[n] = '\0';
	b = strrchr(buf, '/');
	b = b ? b + 1 : buf;
	if (strlen(b) < size)
		memcpy(out, b, strlen(b) + 1);
}

/* The IOMMU unit of PCI device @bdf, from sysfs, into @out ("" none) */
static void pci_unit(const char *bdf, char *out, size_t size)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu", bdf);
	link_base(path, out, size);
}

/* The device of @g, on sysfs bus @bus, is in IOMMU group @num, as printed */
static bool group_link_is(const struct vgroup *g, const char *bus, long num)
{
	char path[160], grp[32];

	snprintf(path, sizeof(path), "/sys/bus/%s/devices/%s/iommu_group", bus,
		 g->dev);
	link_base(path, grp, sizeof(grp));
	if (grp[0] && strtol(grp, NULL, 10) == num)
		return true;
	tap_fail("%s: group %ld printed, sysfs says '%s'", g->what, num, grp);
	return false;
}

/* The PCI address of edu device @n, from vfio-bind --list */
static bool edu_bdf(unsigned int n, char *out, size_t size)
{
	char cmd[128], buf[64];
	unsigned int i = 0;
	FILE *f;

	out[0] = '\0';
	snprintf(cmd, sizeof(cmd), "%s --list", VFIO_BIND);
	f = popen(cmd, "r");
	if (!f)
		return false;
	while (fgets(buf, sizeof(buf), f))
		if (i++ == n)
			snprintf(out, size, "%.*s", (int)strcspn(buf, "\n"), buf);
	pclose(f);
	if (!out[0])
		tap_fail("no edu device %u in '%s'", n, cmd);
	return out[0];
}

/* The PCI facts of a device as its config space tells them */
struct pci_facts {
	uint32_t	pasid_width;
	bool		pasid_exec, pasid_priv, ats, pri;
};

static void pci_facts_of(const char *bdf, struct pci_facts *pf)
{
	uint8_t cfg[4096];
	char path[128];
	unsigned int off = 0x100, hops = 0;
	ssize_t n;
	int fd;

	memset(pf, 0, sizeof(*pf));
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/config", bdf);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		tap_fail("open(%s): %s", path, errno_name(errno));
		return;
	}
	n = pread(fd, cfg, sizeof(cfg), 0);
	close(fd);
	/* extended capabilities: only in a 4 KiB config space */
	while (n >= 0x104 && off >= 0x100 && off + 8 <= (size_t)n && hops++ < 64) {
		uint32_t h;
		uint16_t cap;

		memcpy(&h, cfg + off, sizeof(h));
		if (!h || h == 0xffffffff)
			break;
		memcpy(&cap, cfg + off + 4, sizeof(cap));
		switch (h & 0xffff) {
		case 0x1b:	/* PASID */
			pf->pasid_exec = cap & (1 << 1);
			pf->pasid_priv = cap & (1 << 2);
			pf->pasid_width = (cap >> 8) & 0x1f;
			break;
		case 0x0f:	/* ATS */
			pf->ats = true;
			break;
		case 0x13:	/* PRI */
			pf->pri = true;
			break;
		}
		off = (h >> 20) & 0xffc;
	}
}

/* ------------------------------------------------------------------ */
/* The admin API's view (the client is in common.c)                   */

/* Global counters: expected moves since the last look */
struct delta {
	long	allocated, freed, reclaimed;
	long	binds, unbinds, bound;
	long	inv, iotlb_pasid, iotlb_addr, dev_iotlb_addr;
};

#define CHECK_MOVE(name, field, d)					\
	do {								\
		long long __want = (long long)s0->field + (d);		\
		if ((long long)s1.field != __want)			\
			tap_diag_at(true, line, "%s: expected %lld (%+ld), got %llu", \
				    name, __want, (long)(d),		\
				    (unsigned long long)s1.field);	\
	} while (0)

/*
 * The counters moved by exactly @d since *@s0 (every field not named did
 * not move); *@s0 becomes the new reading.
 */
static void expect_stats_at(int line, struct stats *s0, const struct delta *d)
{
	struct stats s1;

	if (!stats_now(&s1))
		return;
	CHECK_MOVE("ALLOCATED", allocated, d->allocated);
	CHECK_MOVE("FREED", freed, d->freed);
	CHECK_MOVE("RECLAIMED", reclaimed, d->reclaimed);
	CHECK_MOVE("IN_USE", in_use, d->allocated - d->freed - d->reclaimed);
	CHECK_MOVE("BINDS", binds, d->binds);
	CHECK_MOVE("UNBINDS", unbinds, d->unbinds);
	CHECK_MOVE("BOUND_TOTAL", bound_total, d->bound);
	CHECK_MOVE("INVALIDATIONS", invalidations, d->inv);
	CHECK_MOVE("INV_IOTLB_PASID", inv_iotlb_pasid, d->iotlb_pasid);
	CHECK_MOVE("INV_IOTLB_ADDR", inv_iotlb_addr, d->iotlb_addr);
	CHECK_MOVE("INV_DEV_IOTLB_ADDR", inv_dev_iotlb_addr, d->dev_iotlb_addr);
	*s0 = s1;
}

#define EXPECT_STATS(s0, ...) \
	expect_stats_at(__LINE__, s0, &(const struct delta){ __VA_ARGS__ })

/* Attribute @name of @who ("VM 3") is there and is @want */
static void expect_attr_at(int line, const char *who, const char *name, bool has,
			   uint64_t got, uint64_t want)
{
	if (!has || got != want)
		tap_diag_at(true, line, "%s: %s %llu%s, expected %llu", who, name,
			    (unsigned long long)got, has ? "" : " (absent)",
			    (unsigned long long)want);
}

/* VM @id holds @count PASIDs, @bound of them bound, @groups groups */
static void expect_vm_at(int line, uint32_t id, uint32_t count, uint32_t bound,
			 uint32_t groups)
{
	static struct vm_list l;
	const struct vm_rec *r = l.v;
	char who[32];
	int ret = vm_get(id, &l);

	if (ret || l.n != 1) {
		tap_diag_at(true, line, "netlink VM_GET of VM %u: %s %s, %u replies", id,
			    errno_name(-ret), nl_extack, l.n);
		return;
	}
	snprintf(who, sizeof(who), "VM %u", id);
	expect_attr_at(line, who, "COUNT", true, r->count, count);
	expect_attr_at(line, who, "BOUND_COUNT", r->has_bound_count, r->bound_count, bound);
	expect_attr_at(line, who, "GROUP_COUNT", r->has_group_count, r->group_count, groups);
}

#define EXPECT_VM(id, count, bound, groups) \
	expect_vm_at(__LINE__, id, count, bound, groups)

/*
 * The end of dump @name of VM @vm_id (0: every VM) into a list of the
 * test's: false (and the test failed) when it failed with @ret; entries
 * beyond the list fail the test too
 */
static bool dump_ok(const char *name, uint32_t vm_id, int ret, unsigned int lost)
{
	if (ret) {
		tap_fail("netlink %s dump of VM %u: %s %s", name, vm_id,
			 errno_name(-ret), nl_extack);
		return false;
	}
	if (lost)
		tap_fail("%s dump of VM %u: %u entries more than the test keeps",
			 name, vm_id, lost);
	return true;
}

/* @cmd PASID_GET or RECLAIM_GET, @vm_id 0 for every VM; false on error */
static bool pasid_dump_ok(uint8_t cmd, uint32_t vm_id, struct pasid_list *l)
{
	int ret = pasid_dump(cmd, vm_id, l);

	return dump_ok(cmd == VFIO_PASID_CMD_PASID_GET ? "PASID_GET" : "RECLAIM_GET",
		       vm_id, ret, l->lost);
}

/*
 * What PASID_GET must show of one PASID.  @gpasid -1: no GPASID attribute
 * (not bound, or bound without IOMMU_SVA_GPASID_VAL).  A bound PASID
 * carries ADDR_WIDTH, DEVICES, BIND_FLAGS and VTD_FLAGS; one that is not
 * bound no DEVICES but 0.  The invalidation counts are checked always (an
 * absent attribute reads 0).
 */
struct pasid_exp {
	bool		bound;
	int64_t		gpasid;
	uint32_t	addr_width;
	uint32_t	devices;
	uint64_t	inv_iotlb, inv_dev_iotlb;
	uint64_t	vtd_flags;
};

static void expect_pasid_at(int line, uint32_t vm_id, uint32_t pasid,
			    const struct pasid_exp *e)
{
	static struct pasid_list l;
	const struct pasid_rec *r = NULL;
	unsigned int i;
	char who[32];

	if (!pasid_dump_ok(VFIO_PASID_CMD_PASID_GET, vm_id, &l))
		return;
	snprintf(who, sizeof(who), "PASID %u", pasid);
	for (i = 0; i < l.n; i++) {
		if (l.v[i].vm_id != vm_id)
			tap_diag_at(true, line, "PASID_GET of VM %u lists PASID %u of VM %u",
				    vm_id, l.v[i].pasid, l.v[i].vm_id);
		if (l.v[i].pasid == pasid)
			r = &l.v[i];
	}
	if (!r) {
		tap_diag_at(true, line, "PASID %u is not in the PASID_GET dump of VM %u",
			    pasid, vm_id);
		return;
	}
	if (r->bound != (int)e->bound)
		tap_diag_at(true, line, "PASID %u: BOUND %d, expected %d", pasid,
			    r->bound, e->bound);
	if (e->gpasid < 0 && r->has_gpasid)
		tap_diag_at(true, line, "PASID %u: GPASID %u present, expected none",
			    pasid, r->gpasid);
	if (e->gpasid >= 0 && (!r->has_gpasid || r->gpasid != e->gpasid))
		tap_diag_at(true, line, "PASID %u: GPASID %u%s, expected %lld", pasid,
			    r->gpasid, r->has_gpasid ? "" : " (absent)",
			    (long long)e->gpasid);
	if (e->bound) {
		expect_attr_at(line, who, "ADDR_WIDTH", r->has_addr_width,
			       r->addr_width, e->addr_width);
		expect_attr_at(line, who, "DEVICES", r->has_devices, r->devices,
			       e->devices);
		if (!r->has_bind_flags ||
		    r->bind_flags != (e->gpasid >= 0 ? IOMMU_SVA_GPASID_VAL : 0))
			tap_diag_at(true, line, "PASID %u: BIND_FLAGS 0x%llx%s, expected 0x%x",
				    pasid, (unsigned long long)r->bind_flags,
				    r->has_bind_flags ? "" : " (absent)",
				    e->gpasid >= 0 ? IOMMU_SVA_GPASID_VAL : 0);
		if (!r->has_vtd_flags || r->vtd_flags != e->vtd_flags)
			tap_diag_at(true, line, "PASID %u: VTD_FLAGS 0x%llx%s, expected 0x%llx",
				    pasid, (unsigned long long)r->vtd_flags,
				    r->has_vtd_flags ? "" : " (absent)",
				    (unsigned long long)e->vtd_flags);
	} else if (r->devices) {
		tap_diag_at(true, line, "PASID %u is not bound but DEVICES is %u",
			    pasid, r->devices);
	}
	expect_attr_at(line, who, "INV_IOTLB", true, r->inv_iotlb, e->inv_iotlb);
	expect_attr_at(line, who, "INV_DEV_IOTLB", true, r->inv_dev_iotlb,
		       e->inv_dev_iotlb);
}

#define EXPECT_PASID(vm_id, pasid, ...) \
	expect_pasid_at(__LINE__, vm_id, pasid, &(const struct pasid_exp){ __VA_ARGS__ })
/* bound with gpasid @g (-1 none) on @n devices, address width 48 */
#define EXPECT_BOUND(vm_id, pasid, g, n, ...) \
	EXPECT_PASID(vm_id, pasid, .bound = true, .gpasid = (g), \
		     .addr_width = EMU_ADDR_WIDTH, .devices = (n), ##__VA_ARGS__)
#define EXPECT_UNBOUND(vm_id, pasid, ...) \
	EXPECT_PASID(vm_id, pasid, .bound = false, .gpasid = -1, ##__VA_ARGS__)

/* DEVICE_GET dump entries */
struct dev_rec {
	uint32_t	vm_id, group, dev_binds, pasid_width;
	char		name[64], bus[16], parent[64], unit[32];
	bool		has_group, has_parent, has_unit, has_binds, has_width;
	int		backed, exec, priv, ats, pri;	/* -1 when absent */
};

struct dev_list {
	unsigned int	n, lost;
	struct dev_rec	v[16];
};

static int attr_u8(const struct nlattr *a)
{
	return a ? nla_u8(a) : -1;
}

static void dev_cb(struct nlattr **tb, void *arg)
{
	struct dev_rec *r = LIST_NEXT((struct dev_list *)arg);

	if (!r)
		return;
	r->vm_id = nla_u32(tb[VFIO_PASID_A_VM_ID]);
	r->has_group = tb[VFIO_PASID_A_GROUP];
	r->group = nla_u32(tb[VFIO_PASID_A_GROUP]);
	nla_str(tb[VFIO_PASID_A_DEV_NAME], r->name, sizeof(r->name));
	nla_str(tb[VFIO_PASID_A_DEV_BUS], r->bus, sizeof(r->bus));
	r->has_parent = tb[VFIO_PASID_A_DEV_PARENT];
	nla_str(tb[VFIO_PASID_A_DEV_PARENT], r->parent, sizeof(r->parent));
	r->has_unit = tb[VFIO_PASID_A_IOMMU_UNIT];
	nla_str(tb[VFIO_PASID_A_IOMMU_UNIT], r->unit, sizeof(r->unit));
	r->backed = attr_u8(tb[VFIO_PASID_A_IOMMU_BACKED]);
	r->has_width = tb[VFIO_PASID_A_PCI_PASID_WIDTH];
	r->pasid_width = nla_u32(tb[VFIO_PASID_A_PCI_PASID_WIDTH]);
	r->exec = attr_u8(tb[VFIO_PASID_A_PCI_PASID_EXEC]);
	r->priv = attr_u8(tb[VFIO_PASID_A_PCI_PASID_PRIV]);
	r->ats = attr_u8(tb[VFIO_PASID_A_PCI_ATS]);
	r->pri = attr_u8(tb[VFIO_PASID_A_PCI_PRI]);
	r->has_binds = tb[VFIO_PASID_A_DEV_BINDS];
	r->dev_binds = nla_u32(tb[VFIO_PASID_A_DEV_BINDS]);
}

static bool dev_dump(uint32_t vm_id, struct dev_list *l)
{
	int ret;

	l->n = 0;
	l->lost = 0;
	ret = nl_dump_vm(VFIO_PASID_CMD_DEVICE_GET, vm_id, dev_cb, l);
	return dump_ok("DEVICE_GET", vm_id, ret, l->lost);
}

static const struct dev_rec *dev_find(const struct dev_list *l, uint32_t vm_id,
				      const char *name)
{
	unsigned int i;

	for (i = 0; i < l->n; i++)
		if (l->v[i].vm_id == vm_id && !strcmp(l->v[i].name, name))
			return &l->v[i];
	return NULL;
}

/*
 * The entry of @g's device in @l, a DEVICE_GET dump of VM @vm_id, with
 * @binds PASIDs bound on it; NULL (and the test failed) when there is none
 */
static const struct dev_rec *expect_dev_at(int line, const struct dev_list *l,
					   uint32_t vm_id, const struct vgroup *g,
					   uint32_t binds)
{
	const struct dev_rec *r = dev_find(l, vm_id, g->dev);

	if (!r) {
		tap_diag_at(true, line, "DEVICE_GET of VM %u: no entry for %s (%s)",
			    vm_id, g->dev, g->what);
		return NULL;
	}
	expect_attr_at(line, g->what, "DEV_BINDS", r->has_binds, r->dev_binds, binds);
	return r;
}

/*
 * DEVICE_GET filtered by VM @vm_id lists exactly the devices of @groups
 * (NULL ends the list), each with the facts of its group, and @binds
 * PASIDs bound on each.
 */
static void expect_devices_at(int line, uint32_t vm_id,
			      const struct vgroup *const *groups, uint32_t binds)
{
	static struct dev_list l;
	unsigned int i, n = 0;

	if (!dev_dump(vm_id, &l))
		return;
	for (; groups[n]; n++) {
		const struct vgroup *g = groups[n];
		const struct dev_rec *r = expect_dev_at(line, &l, vm_id, g, binds);

		if (!r)
			continue;
		expect_attr_at(line, g->what, "GROUP", r->has_group, r->group,
			       (uint32_t)g->num);
		if (strcmp(r->bus, g->mdev ? "mdev" : "pci"))
			tap_diag_at(true, line, "%s: DEV_BUS '%s', expected '%s'",
				    g->what, r->bus, g->mdev ? "mdev" : "pci");
		/* a PCI device is IOMMU-backed: edu[] say so */
		if (r->backed != g->backed)
			tap_diag_at(true, line, "%s: IOMMU_BACKED %d, expected %d",
				    g->what, r->backed, g->backed);
		if (strcmp(r->unit, g->unit))
			tap_diag_at(true, line, "%s: IOMMU_UNIT '%s'%s, expected '%s'",
				    g->what, r->unit, r->has_unit ? "" : " (absent)",
				    g->unit);
		if (g->mdev) {
			if (g->parent[0] && strcmp(r->parent, g->parent))
				tap_diag_at(true, line, "%s: DEV_PARENT '%s', expected '%s'",
					    g->what, r->parent, g->parent);
			if (!g->parent[0] && !r->parent[0])
				tap_diag_at(true, line, "%s: no DEV_PARENT", g->what);
		} else {
			struct pci_facts pf;

			if (r->has_parent)
				tap_diag_at(true, line, "%s: DEV_PARENT '%s' on a PCI device",
					    g->what, r->parent);
			pci_facts_of(g->dev, &pf);
			expect_attr_at(line, g->what, "PCI_PASID_WIDTH", r->has_width,
				       r->pasid_width, pf.pasid_width);
			if (r->exec != pf.pasid_exec || r->priv != pf.pasid_priv ||
			    r->ats != pf.ats || r->pri != pf.pri)
				tap_diag_at(true, line,
					    "%s: PCI_PASID_EXEC %d PRIV %d ATS %d PRI %d, "
					    "config space says %d %d %d %d", g->what,
					    r->exec, r->priv, r->ats, r->pri, pf.pasid_exec,
					    pf.pasid_priv, pf.ats, pf.pri);
		}
	}
	for (i = 0; i < l.n; i++) {
		unsigned int j;

		if (l.v[i].vm_id != vm_id) {
			tap_diag_at(true, line, "DEVICE_GET of VM %u lists %s of VM %u",
				    vm_id, l.v[i].name, l.v[i].vm_id);
			continue;
		}
		for (j = 0; j < n; j++)
			if (!strcmp(l.v[i].name, groups[j]->dev))
				break;
		if (j == n)
			tap_diag_at(true, line, "DEVICE_GET of VM %u lists %s, not attached",
				    vm_id, l.v[i].name);
	}
}

#define EXPECT_DEVICES(vm_id, binds, ...) \
	expect_devices_at(__LINE__, vm_id, \
			  (const struct vgroup *const []){ __VA_ARGS__, NULL }, binds)
#define EXPECT_NO_DEVICES(vm_id) \
	expect_devices_at(__LINE__, vm_id, (const struct vgroup *const []){ NULL }, 0)

/* The DEV_BINDS of one device of a VM */
static void expect_dev_binds_at(int line, uint32_t vm_id, const struct vgroup *g,
				uint32_t binds)
{
	static struct dev_list l;

	if (dev_dump(vm_id, &l))
		expect_dev_at(line, &l, vm_id, g, binds);
}

#define EXPECT_DEV_BINDS(vm_id, g, binds) expect_dev_binds_at(__LINE__, vm_id, g, binds)

/* ------------------------------------------------------------------ */
/* ioctls                                                              */

/* A PASID from the whole range into *@out; false (and the test failed) if none */
static bool alloc_one(int fd, uint32_t *out)
{
	return alloc_n(fd, 1, PASID_LIMIT, 1, out);
}

/* A PASID this VM does not hold: allocated and freed again */
static uint32_t pasid_unheld(int fd)
{
	uint32_t p = 0;

	if (alloc_one(fd, &p) && pasid_free(fd, p))
		tap_fail("free of PASID %u: %s", p, errno_name(errno));
	return p;
}

/* ATTACH_GROUP / DETACH_GROUP with a well-formed struct */
static bool group_op_at(int line, int expected, int fd, unsigned long cmd,
			int gfd, const char *what)
{
	struct vfio_pasid_group g = {
		.argsz = sizeof(g), .flags = 0, .group_fd = gfd,
	};

	return check_ioctl_at(line, expected, fd, cmd, &g, "%s", what);
}

#define ATTACH(expected, fd, gfd, what) \
	group_op_at(__LINE__, expected, fd, VFIO_PASID_ATTACH_GROUP, gfd, what)
#define DETACH(expected, fd, gfd, what) \
	group_op_at(__LINE__, expected, fd, VFIO_PASID_DETACH_GROUP, gfd, what)

/*
 * A VM for a test: the device open (*@fd, its id *@vm), edu 0's group open
 * (*@g0) and attached when @attach, a PASID allocated for each pointer
 * after @unheld up to NULL, and then, unless @unheld is NULL, *@unheld a
 * PASID the VM does not hold.  False when it could not be set up.
 */
static bool vm_setup(bool attach, int *fd, uint32_t *vm, int *g0,
		     uint32_t *unheld, ...)
{
	bool ok = true;
	uint32_t *p;
	va_list ap;

	*fd = dev_open();
	if (*fd < 0)
		return false;
	*vm = vm_id_of(*fd);
	*g0 = grp_open(&edu[0]);
	if (*g0 < 0 || (attach && !ATTACH(0, *fd, *g0, "edu 0")))
		return false;
	va_start(ap, unheld);
	while (ok && (p = va_arg(ap, uint32_t *)))
		ok = alloc_one(*fd, p);
	va_end(ap);
	if (ok && unheld)
		*unheld = pasid_unheld(*fd);
	return ok;
}

/* A VM with edu 0 attached, a PASID held for each pointer (NULL ends them) */
#define vm_with_edu0(fd, vm, g0, ...) vm_setup(true, fd, vm, g0, NULL, __VA_ARGS__)

/*
 * The tail rule of request @m (of @cmd), a wrapper (its argsz at *@wargsz)
 * around an inner struct (its argsz at *@iargsz, named @iname) that ends
 * where the wrapper ends and @tail begins: 8 bytes more of the wrapper,
 * then of the inner struct too, each with a non-zero first or last byte,
 * fail with E2BIG.  Both argsz are left 8 bytes longer, the tail zero.
 */
static void expect_tails_at(int line, int fd, unsigned long cmd, void *m,
			    uint32_t *wargsz, uint32_t *iargsz, const char *iname,
			    uint8_t *tail, const char *what)
{
	unsigned int at = tail - (uint8_t *)m;

	*wargsz += 8;
	tail[0] = 1;
	check_ioctl_at(line, E2BIG, fd, cmd, m, "%s, wrapper argsz %u, byte %u set",
		       what, *wargsz, at);
	tail[0] = 0;
	tail[7] = 1;
	check_ioctl_at(line, E2BIG, fd, cmd, m, "%s, wrapper argsz %u, byte %u set",
		       what, *wargsz, at + 7);
	*iargsz += 8;
	check_ioctl_at(line, E2BIG, fd, cmd, m, "%s, %s %u, its last byte set",
		       what, iname, *iargsz);
	tail[7] = 0;
	tail[0] = 0x80;
	check_ioctl_at(line, E2BIG, fd, cmd, m, "%s, %s %u, byte %u set", what,
		       iname, *iargsz, at);
	tail[0] = 0;
}

#define EXPECT_TAILS(fd, cmd, m, wargsz, iargsz, iname, tail, what) \
	expect_tails_at(__LINE__, fd, cmd, m, wargsz, iargsz, iname, tail, what)

/* A bind request: the wrapper, the data, room for a tail */
struct bind_msg {
	struct {
		uint32_t	argsz;
		uint32_t	flags;
	} hdr;
	struct iommu_gpasid_bind_data data;
	uint8_t		tail[64];
};

#define GPGD	0x12345000ULL

/*
 * A well-formed bind (@op VFIO_IOMMU_BIND_GUEST_PGTBL) or unbind
 * (VFIO_IOMMU_UNBIND_GUEST_PGTBL) of @hpasid: VT-d format, address width
 * 48, gpasid @gpasid with IOMMU_SVA_GPASID_VAL unless it is negative.
 */
static void bind_prep(struct bind_msg *m, uint32_t op, uint64_t hpasid,
		      int64_t gpasid)
{
	memset(m, 0, sizeof(*m));
	m->hdr.argsz = sizeof(m->hdr) + BIND_DATA_SIZE;
	m->hdr.flags = op;
	m->data.argsz = BIND_DATA_SIZE;
	m->data.version = IOMMU_GPASID_BIND_VERSION_1;
	m->data.format = IOMMU_PASID_FORMAT_INTEL_VTD;
	m->data.addr_width = EMU_ADDR_WIDTH;
	m->data.gpgd = GPGD;
	m->data.hpasid = hpasid;
	if (gpasid >= 0) {
		m->data.flags = IOMMU_SVA_GPASID_VAL;
		m->data.gpasid = gpasid;
	}
}

#define OP_BIND		VFIO_IOMMU_BIND_GUEST_PGTBL
#define OP_UNBIND	VFIO_IOMMU_UNBIND_GUEST_PGTBL

static const char *op_name(uint32_t op)
{
	return op == OP_BIND ? "bind" : op == OP_UNBIND ? "unbind" : "op";
}

static bool bind_at(int line, int expected, int fd, uint32_t op, uint64_t pasid,
		    int64_t gpasid)
{
	struct bind_msg m;

	bind_prep(&m, op, pasid, gpasid);
	return check_ioctl_at(line, expected, fd, VFIO_IOMMU_BIND, &m,
			      "%s of PASID %llu", op_name(op),
			      (unsigned long long)pasid);
}

/* A well-formed bind of @pasid with gpasid @g (-1 none) */
#define BIND(expected, fd, pasid, g) bind_at(__LINE__, expected, fd, OP_BIND, pasid, g)
#define UNBIND(expected, fd, pasid) bind_at(__LINE__, expected, fd, OP_UNBIND, pasid, -1)

/* An invalidation request with room for a tail */
struct inv_msg {
	struct vfio_iommu_type1_cache_invalidate w;
	uint8_t		tail[32];
};

#define INV_ADDR	0x200000ULL

/*
 * A well-formed invalidation of @cache at @gran for @pasid: cache_info of
 * its full size; ADDR: 8 granules of 4 KiB at 2 MiB; PASID (and the
 * others): pasid_info.
 */
static void inv_prep(struct inv_msg *m, unsigned int cache, unsigned int gran,
		     uint64_t pasid)
{
	struct iommu_cache_invalidate_info *ci = &m->w.cache_info;

	memset(m, 0, sizeof(*m));
	m->w.argsz = sizeof(m->w);
	m->w.flags = 0;
	ci->argsz = sizeof(*ci);
	ci->version = IOMMU_CACHE_INVALIDATE_INFO_VERSION_1;
	ci->cache = cache;
	ci->granularity = gran;
	if (gran == GRANU_ADDR) {
		ci->granu.addr_info.flags = IOMMU_INV_ADDR_FLAGS_PASID;
		ci->granu.addr_info.pasid = pasid;
		ci->granu.addr_info.addr = INV_ADDR;
		ci->granu.addr_info.granule_size = 4096;
		ci->granu.addr_info.nb_granules = 8;
	} else {
		ci->granu.pasid_info.flags = IOMMU_INV_PASID_FLAGS_PASID;
		ci->granu.pasid_info.pasid = pasid;
	}
}

static bool inv_at(int line, int expected, int fd, unsigned int cache,
		   unsigned int gran, uint64_t pasid)
{
	struct inv_msg m;

	inv_prep(&m, cache, gran, pasid);
	return check_ioctl_at(line, expected, fd, VFIO_IOMMU_CACHE_INVALIDATE, &m,
			      "cache 0x%x granularity %u PASID %llu", cache, gran,
			      (unsigned long long)pasid);
}

#define INVALIDATE(expected, fd, cache, gran, pasid) \
	inv_at(__LINE__, expected, fd, cache, gran, pasid)

/*
 * The class of an invalidation by the header's rules: refused in step 1
 * (malformed), refused in step 4 (a combination VT-d refuses), or one of
 * the combinations VT-d accepts.
 */
enum inv_class { INV_MALFORMED, INV_REFUSED, INV_ACCEPTED };

static enum inv_class inv_class(unsigned int cache, unsigned int gran)
{
	if (cache & ~(CACHE_IOTLB | CACHE_DEV | CACHE_PASID))
		return INV_MALFORMED;
	if (gran >= IOMMU_INV_GRANU_NR)
		return INV_MALFORMED;
	if ((cache & CACHE_PASID) && gran == GRANU_ADDR)
		return INV_MALFORMED;
	if ((cache & CACHE_DEV) && gran == GRANU_DOMAIN)
		return INV_MALFORMED;
	if (gran == GRANU_PASID && cache == CACHE_IOTLB)
		return INV_ACCEPTED;
	if (gran == GRANU_ADDR && cache && !(cache & ~(CACHE_IOTLB | CACHE_DEV)))
		return INV_ACCEPTED;
	return INV_REFUSED;
}

/* What an accepted invalidation adds to the global counters */
static struct delta inv_delta(unsigned int cache, unsigned int gran)
{
	struct delta d = { .inv = 1 };

	if (gran == GRANU_PASID)
		d.iotlb_pasid = 1;
	else if (cache & CACHE_IOTLB)
		d.iotlb_addr = 1;
	if (gran == GRANU_ADDR && (cache & CACHE_DEV))
		d.dev_iotlb_addr = 1;
	return d;
}

/* GET_INFO into a buffer with room for capabilities */
union info_buf {
	struct vfio_pasid_info	i;
	uint8_t			b[512];
};

static int info_call(int fd, union info_buf *u, uint32_t argsz)
{
	memset(u, 0xa5, sizeof(*u));
	u->i.argsz = argsz;
	u->i.flags = 0;
	return ioctl(fd, VFIO_PASID_GET_INFO, u);
}

/* Bytes of @u from @from on are as info_call() left them */
static void expect_untouched_at(int line, const union info_buf *u, uint32_t from)
{
	uint32_t i;

	for (i = from; i < sizeof(*u); i++)
		if (u->b[i] != 0xa5) {
			tap_diag_at(true, line, "GET_INFO wrote byte %u (0x%02x), beyond "
				    "argsz %u", i, u->b[i], from);
			return;
		}
}

/*
 * GET_INFO of @fd shows the nesting capability (@present) or no capability
 * at all; with it: too small a buffer gets the size needed, a buffer of
 * that size gets the chain.  @count is the PASIDs the VM holds.
 */
static void expect_info_at(int line, int fd, bool present, uint32_t count)
{
	const uint32_t sz = sizeof(struct vfio_pasid_info);
	const struct vfio_pasid_info_cap_nesting *cap;
	union info_buf u;
	uint32_t need;

	if (info_call(fd, &u, sz)) {
		tap_diag_at(true, line, "GET_INFO argsz %u: %s", sz, errno_name(errno));
		return;
	}
	if (u.i.count != count)
		tap_diag_at(true, line, "GET_INFO: count %u, expected %u", u.i.count,
			    count);
	expect_untouched_at(line, &u, sz);
	if (!present) {
		if (u.i.flags || u.i.cap_offset || u.i.argsz != sz)
			tap_diag_at(true, line, "GET_INFO without a capability: flags 0x%x "
				    "cap_offset %u argsz %u, expected 0, 0, %u",
				    u.i.flags, u.i.cap_offset, u.i.argsz, sz);
		if (info_call(fd, &u, sizeof(u))) {
			tap_diag_at(true, line, "GET_INFO argsz %zu: %s", sizeof(u),
				    errno_name(errno));
			return;
		}
		if (u.i.flags || u.i.cap_offset || u.i.argsz != sz)
			tap_diag_at(true, line, "GET_INFO (big buffer) without a capability: "
				    "flags 0x%x cap_offset %u argsz %u, expected 0, 0, %u",
				    u.i.flags, u.i.cap_offset, u.i.argsz, sz);
		expect_untouched_at(line, &u, sz);
		return;
	}

	/* too small for the chain: the size needed, no offset, CAPS set */
	need = u.i.argsz;
	if (u.i.flags != VFIO_PASID_INFO_CAPS || u.i.cap_offset ||
	    need < sz + sizeof(*cap) || need > sizeof(u)) {
		tap_diag_at(true, line, "GET_INFO argsz %u with a capability: flags 0x%x "
			    "cap_offset %u argsz %u, expected 0x%x, 0, at least %zu",
			    sz, u.i.flags, u.i.cap_offset, need, VFIO_PASID_INFO_CAPS,
			    sz + sizeof(*cap));
		return;
	}
	if (info_call(fd, &u, need - 1) == 0) {
		if (u.i.argsz != need || u.i.cap_offset ||
		    u.i.flags != VFIO_PASID_INFO_CAPS)
			tap_diag_at(true, line, "GET_INFO argsz %u (one short): flags 0x%x "
				    "cap_offset %u argsz %u, expected 0x%x, 0, %u",
				    need - 1, u.i.flags, u.i.cap_offset, u.i.argsz,
				    VFIO_PASID_INFO_CAPS, need);
		expect_untouched_at(line, &u, need - 1);
	} else {
		tap_diag_at(true, line, "GET_INFO argsz %u: %s", need - 1,
			    errno_name(errno));
	}

	/* exactly the size needed, then a bigger buffer: the same chain */
	for (int pass = 0; pass < 2; pass++) {
		uint32_t argsz = pass ? sizeof(u) : need;

		if (info_call(fd, &u, argsz)) {
			tap_diag_at(true, line, "GET_INFO argsz %u: %s", argsz,
				    errno_name(errno));
			return;
		}
		expect_untouched_at(line, &u, need);
		if (u.i.argsz != need || u.i.flags != VFIO_PASID_INFO_CAPS ||
		    u.i.count != count) {
			tap_diag_at(true, line, "GET_INFO argsz %u: argsz %u flags 0x%x "
				    "count %u, expected %u, 0x%x, %u", argsz, u.i.argsz,
				    u.i.flags, u.i.count, need, VFIO_PASID_INFO_CAPS,
				    count);
			return;
		}
		if (u.i.cap_offset < sz || u.i.cap_offset + sizeof(*cap) > need) {
			tap_diag_at(true, line, "GET_INFO: cap_offset %u outside [%u, %zu]",
				    u.i.cap_offset, sz, need - sizeof(*cap));
			return;
		}
		cap = (const void *)(u.b + u.i.cap_offset);
		if (cap->header.id != VFIO_PASID_INFO_CAP_NESTING ||
		    cap->header.version != 1 || cap->header.next != 0)
			tap_diag_at(true, line, "capability header id %u version %u next %u, "
				    "expected %u, 1, 0", cap->header.id,
				    cap->header.version, cap->header.next,
				    VFIO_PASID_INFO_CAP_NESTING);
		if (cap->pasid_format != IOMMU_PASID_FORMAT_INTEL_VTD ||
		    cap->features != EMU_FEATURES ||
		    cap->addr_width != EMU_ADDR_WIDTH ||
		    cap->pasid_bits != EMU_PASID_BITS)
			tap_diag_at(true, line, "nesting capability: pasid_format %u "
				    "features 0x%x addr_width %u pasid_bits %u, expected "
				    "%u, 0x%x, %u, %u", cap->pasid_format, cap->features,
				    cap->addr_width, cap->pasid_bits,
				    IOMMU_PASID_FORMAT_INTEL_VTD, EMU_FEATURES,
				    EMU_ADDR_WIDTH, EMU_PASID_BITS);
	}
}

#define EXPECT_INFO(fd, present, count) expect_info_at(__LINE__, fd, present, count)

/*
 * A VMM's usual loop on one buffer: GET_INFO with the struct alone, grow
 * the buffer to the argsz written back, call again with what the first call
 * left in it (VFIO_PASID_INFO_CAPS set in flags, cap_offset 0): output-only
 * flags are ignored on input, so the second call gets the chain.  Another
 * flag bit is still refused.
 */
static void expect_info_grow_at(int line, int fd)
{
	const uint32_t sz = sizeof(struct vfio_pasid_info);
	const struct vfio_pasid_info_cap_nesting *cap;
	struct vfio_pasid_info *info, *n;
	uint32_t need;

	info = calloc(1, sz);
	if (!info) {
		tap_diag_at(true, line, "calloc: %s", errno_name(errno));
		return;
	}
	info->argsz = sz;
	if (ioctl(fd, VFIO_PASID_GET_INFO, info)) {
		tap_diag_at(true, line, "GET_INFO argsz %u: %s", sz, errno_name(errno));
		goto out;
	}
	need = info->argsz;
	if (!(info->flags & VFIO_PASID_INFO_CAPS) || need <= sz) {
		tap_diag_at(true, line, "GET_INFO argsz %u: flags 0x%x argsz %u, expected "
			    "a capability chain", sz, info->flags, need);
		goto out;
	}
	n = realloc(info, need);
	if (!n) {
		tap_diag_at(true, line, "realloc: %s", errno_name(errno));
		goto out;
	}
	info = n;
	/* the flags the first call wrote are given back as they are */
	if (ioctl(fd, VFIO_PASID_GET_INFO, info)) {
		tap_diag_at(true, line, "GET_INFO again, grown to argsz %u with flags "
			    "0x%x from the first call: %s", need, info->flags,
			    errno_name(errno));
		goto out;
	}
	if (info->argsz != need || info->flags != VFIO_PASID_INFO_CAPS ||
	    info->cap_offset < sz || info->cap_offset + sizeof(*cap) > need) {
		tap_diag_at(true, line, "GET_INFO again: argsz %u flags 0x%x cap_offset %u",
			    info->argsz, info->flags, info->cap_offset);
		goto out;
	}
	cap = (const void *)((const uint8_t *)info + info->cap_offset);
	if (cap->header.id != VFIO_PASID_INFO_CAP_NESTING || cap->header.version != 1)
		tap_diag_at(true, line, "GET_INFO again: capability id %u version %u",
			    cap->header.id, cap->header.version);
	/* an input flag that is not an output flag: refused */
	info->argsz = need;
	info->flags = VFIO_PASID_INFO_CAPS | (1U << 1);
	errno = 0;
	if (ioctl(fd, VFIO_PASID_GET_INFO, info) != -1 || errno != EINVAL)
		tap_diag_at(true, line, "GET_INFO flags 0x%x: expected EINVAL, got %s",
			    VFIO_PASID_INFO_CAPS | (1U << 1), errno_name(errno));
out:
	free(info);
}

#define EXPECT_INFO_GROW(fd) expect_info_grow_at(__LINE__, fd)

/* ------------------------------------------------------------------ */
/* Malformed requests, as lists replayed under several settings        */

enum bind_mut {
	BM_WARGSZ,	/* the wrapper's argsz */
	BM_WFLAGS,	/* the wrapper's flags */
	BM_DARGSZ,	/* data.argsz, the wrapper sized to fit it */
	BM_DARGSZ_RAW,	/* data.argsz alone */
	BM_VERSION,
	BM_FORMAT,
	BM_DFLAGS,	/* data.flags */
	BM_PAD,		/* padding[v] = 1 */
	BM_AW,		/* addr_width */
	BM_VTD,		/* vendor.vtd.flags */
};

struct bind_case {
	enum bind_mut	mut;
	uint64_t	v;
	const char	*what;
};

static void bind_mutate(struct bind_msg *m, const struct bind_case *c)
{
	switch (c->mut) {
	case BM_WARGSZ:
		m->hdr.argsz = c->v;
		break;
	case BM_WFLAGS:
		m->hdr.flags = c->v;
		break;
	case BM_DARGSZ:
		m->data.argsz = c->v;
		m->hdr.argsz = sizeof(m->hdr) + c->v;
		break;
	case BM_DARGSZ_RAW:
		m->data.argsz = c->v;
		break;
	case BM_VERSION:
		m->data.version = c->v;
		break;
	case BM_FORMAT:
		m->data.format = c->v;
		break;
	case BM_DFLAGS:
		m->data.flags = c->v;
		break;
	case BM_PAD:
		m->data.padding[c->v] = 1;
		break;
	case BM_AW:
		m->data.addr_width = c->v;
		break;
	case BM_VTD:
		m->data.vendor.vtd.flags = c->v;
		break;
	}
}

/* Step 1 of the header's order: malformed, EINVAL for bind and unbind */
static const struct bind_case bind_step1[] = {
	{ BM_WFLAGS, 0, "wrapper flags 0" },
	{ BM_WFLAGS, OP_BIND | OP_UNBIND, "wrapper flags BIND|UNBIND" },
	{ BM_WFLAGS, 1 << 2, "wrapper flags 1<<2" },
	{ BM_WFLAGS, 1U << 31, "wrapper flags 1<<31" },
	{ BM_WARGSZ, 0, "wrapper argsz 0" },
	{ BM_WARGSZ, 7, "wrapper argsz 7" },
	{ BM_WARGSZ, 8, "wrapper argsz 8 (no data)" },
	{ BM_WARGSZ, 12, "wrapper argsz 12" },
	{ BM_WARGSZ, 8 + BIND_DATA_MIN - 1, "wrapper argsz 63" },
	{ BM_WARGSZ, 8 + BIND_DATA_SIZE - 1, "wrapper argsz 79, data.argsz 72" },
	{ BM_DARGSZ_RAW, BIND_DATA_SIZE + 1, "data.argsz 73 in a wrapper of 80" },
	{ BM_DARGSZ_RAW, 4096, "data.argsz 4096 in a wrapper of 80" },
	{ BM_DARGSZ, 0, "data.argsz 0" },
	{ BM_DARGSZ, 8, "data.argsz 8" },
	{ BM_DARGSZ, BIND_DATA_MIN - 1, "data.argsz 55" },
	{ BM_VERSION, 0, "version 0" },
	{ BM_VERSION, 2, "version 2" },
	{ BM_VERSION, UINT32_MAX, "version 0xffffffff" },
	{ BM_FORMAT, IOMMU_PASID_FORMAT_LAST, "format LAST (2)" },
	{ BM_FORMAT, 3, "format 3" },
	{ BM_FORMAT, UINT32_MAX, "format 0xffffffff" },
	{ BM_DFLAGS, IOMMU_SVA_GPASID_VAL | (1 << 1), "flags GPASID_VAL|1<<1" },
};

/* Step 4: what the backend refuses (bind only), EINVAL when it nests */
static const struct bind_case bind_step4[] = {
	{ BM_FORMAT, 0, "format 0 (not the backend's)" },
	{ BM_DARGSZ, BIND_DATA_MIN, "data.argsz 56 (no VT-d data)" },
	{ BM_DARGSZ, BIND_DATA_MIN + 8, "data.argsz 64 (VT-d data short)" },
	{ BM_AW, 0, "addr_width 0" },
	{ BM_AW, 39, "addr_width 39" },
	{ BM_AW, 47, "addr_width 47" },
	{ BM_AW, 49, "addr_width 49" },
	{ BM_AW, 57, "addr_width 57 (wider than 48)" },
	{ BM_AW, 64, "addr_width 64" },
	{ BM_AW, UINT32_MAX, "addr_width 0xffffffff" },
	{ BM_VTD, IOMMU_SVA_VTD_GPASID_LAST, "VT-d flags 1<<7" },
	{ BM_VTD, VTD_FLAGS_ALL | IOMMU_SVA_VTD_GPASID_LAST, "VT-d flags 0xff" },
};

/*
 * Send @op of @pasid, made malformed by each case of @cases (and, for
 * step 1, every undefined data.flags bit and every padding byte; for step
 * 4 every undefined VT-d flag bit): each must fail with @expected.
 */
static void bind_cases_at(int line, int fd, uint32_t op, uint64_t pasid,
			  const struct bind_case *cases, size_t n, int expected,
			  const char *setting)
{
	bool step1 = cases == bind_step1;
	struct bind_case extra;
	struct bind_msg m;
	size_t i;
	int b;

	for (i = 0; i < n; i++) {
		bind_prep(&m, op, pasid, 7);
		bind_mutate(&m, &cases[i]);
		check_ioctl_at(line, expected, fd, VFIO_IOMMU_BIND, &m,
			       "%s of PASID %llu, %s, %s", op_name(op),
			       (unsigned long long)pasid, cases[i].what, setting);
	}
	for (b = step1 ? 1 : 7; b < 64; b++) {
		extra.mut = step1 ? BM_DFLAGS : BM_VTD;
		extra.v = 1ULL << b;
		bind_prep(&m, op, pasid, 7);
		bind_mutate(&m, &extra);
		check_ioctl_at(line, expected, fd, VFIO_IOMMU_BIND, &m,
			       "%s of PASID %llu, %s bit %d, %s", op_name(op),
			       (unsigned long long)pasid,
			       step1 ? "data.flags" : "VT-d flags", b, setting);
	}
	for (b = 0; step1 && b < 8; b++) {
		bind_prep(&m, op, pasid, 7);
		m.data.padding[b] = 0x80;
		check_ioctl_at(line, expected, fd, VFIO_IOMMU_BIND, &m,
			       "%s of PASID %llu, padding[%d] set, %s", op_name(op),
			       (unsigned long long)pasid, b, setting);
	}
}

#define BIND_CASES(fd, op, pasid, list, expected, setting) \
	bind_cases_at(__LINE__, fd, op, pasid, list, ARRAY_SIZE(list), expected, setting)

enum inv_mut {
	IM_WARGSZ,	/* the wrapper's argsz */
	IM_WFLAGS,
	IM_IARGSZ,	/* cache_info.argsz */
	IM_VERSION,
	IM_PAD,		/* padding[v] = 1 */
	IM_FLAGS,	/* pasid_info or addr_info flags */
	IM_GSIZE,	/* addr_info.granule_size */
	IM_NB,		/* addr_info.nb_granules */
	IM_ADDR,	/* addr_info.addr */
	IM_2M_AT,	/* granule_size 2 MiB, addr_info.addr v */
};

struct inv_case {
	unsigned int	cache, gran;
	enum inv_mut	mut;
	uint64_t	v;
	const char	*what;
};

#define IOTLB_PASID	CACHE_IOTLB, GRANU_PASID
#define IOTLB_ADDR	CACHE_IOTLB, GRANU_ADDR

static void inv_mutate(struct inv_msg *m, const struct inv_case *c)
{
	struct iommu_cache_invalidate_info *ci = &m->w.cache_info;

	switch (c->mut) {
	case IM_WARGSZ:
		m->w.argsz = c->v;
		break;
	case IM_WFLAGS:
		m->w.flags = c->v;
		break;
	case IM_IARGSZ:
		ci->argsz = c->v;
		break;
	case IM_VERSION:
		ci->version = c->v;
		break;
	case IM_PAD:
		ci->padding[c->v] = 1;
		break;
	case IM_FLAGS:
		if (c->gran == GRANU_ADDR)
			ci->granu.addr_info.flags = c->v;
		else
			ci->granu.pasid_info.flags = c->v;
		break;
	case IM_GSIZE:
		ci->granu.addr_info.granule_size = c->v;
		break;
	case IM_NB:
		ci->granu.addr_info.nb_granules = c->v;
		break;
	case IM_ADDR:
		ci->granu.addr_info.addr = c->v;
		break;
	case IM_2M_AT:
		ci->granu.addr_info.granule_size = 2 << 20;
		ci->granu.addr_info.addr = c->v;
		break;
	}
}

/* Step 1: malformed, EINVAL in every setting */
static const struct inv_case inv_step1[] = {
	{ IOTLB_PASID, IM_WFLAGS, 1, "wrapper flags 1" },
	{ IOTLB_PASID, IM_WFLAGS, 1U << 31, "wrapper flags 1<<31" },
	{ IOTLB_PASID, IM_WARGSZ, 0, "wrapper argsz 0" },
	{ IOTLB_PASID, IM_WARGSZ, 8, "wrapper argsz 8" },
	{ IOTLB_PASID, IM_WARGSZ, 8 + INV_INFO_MIN - 1, "wrapper argsz 23" },
	{ IOTLB_PASID, IM_WARGSZ, 8 + INV_INFO_PASID, "wrapper argsz 40, cache_info.argsz 56" },
	{ IOTLB_ADDR, IM_WARGSZ, 8 + INV_INFO_ADDR - 1, "wrapper argsz 63" },
	{ IOTLB_PASID, IM_IARGSZ, 0, "cache_info.argsz 0" },
	{ IOTLB_PASID, IM_IARGSZ, INV_INFO_MIN - 1, "cache_info.argsz 15" },
	{ IOTLB_PASID, IM_IARGSZ, INV_INFO_MIN, "PASID granularity, cache_info.argsz 16" },
	{ IOTLB_PASID, IM_IARGSZ, INV_INFO_PASID - 1, "PASID granularity, cache_info.argsz 31" },
	{ IOTLB_ADDR, IM_IARGSZ, INV_INFO_MIN, "ADDR granularity, cache_info.argsz 16" },
	{ IOTLB_ADDR, IM_IARGSZ, INV_INFO_PASID, "ADDR granularity, cache_info.argsz 32" },
	{ IOTLB_ADDR, IM_IARGSZ, INV_INFO_ADDR - 1, "ADDR granularity, cache_info.argsz 55" },
	{ IOTLB_ADDR, IM_IARGSZ, INV_INFO_ADDR + 1, "cache_info.argsz 57 in a wrapper of 64" },
	{ IOTLB_ADDR, IM_IARGSZ, 4096, "cache_info.argsz 4096 in a wrapper of 64" },
	{ IOTLB_PASID, IM_VERSION, 0, "version 0" },
	{ IOTLB_PASID, IM_VERSION, 2, "version 2" },
	{ IOTLB_ADDR, IM_VERSION, UINT32_MAX, "version 0xffffffff" },
	{ IOTLB_PASID, IM_PAD, 0, "padding[0] set" },
	{ IOTLB_PASID, IM_PAD, 3, "padding[3] set" },
	{ IOTLB_ADDR, IM_PAD, 5, "padding[5] set" },
	{ IOTLB_PASID, IM_FLAGS, IOMMU_INV_PASID_FLAGS_PASID | (1 << 2),
	  "pasid_info flags 1<<2 (undefined for pasid_info)" },
	{ IOTLB_PASID, IM_FLAGS, IOMMU_INV_PASID_FLAGS_PASID | (1U << 31),
	  "pasid_info flags 1<<31" },
	{ IOTLB_ADDR, IM_FLAGS, IOMMU_INV_ADDR_FLAGS_PASID | (1 << 3), "addr_info flags 1<<3" },
	{ IOTLB_ADDR, IM_FLAGS, IOMMU_INV_ADDR_FLAGS_PASID | (1U << 31), "addr_info flags 1<<31" },
};

/*
 * Step 4: ADDR sizes and alignment, a range that wraps, a request that
 * does not name its PASID: EINVAL when the backend nests
 */
static const struct inv_case inv_step4[] = {
	{ IOTLB_ADDR, IM_NB, 0, "nb_granules 0" },
	{ IOTLB_ADDR, IM_GSIZE, 0, "granule_size 0" },
	{ IOTLB_ADDR, IM_GSIZE, 2048, "granule_size 2048" },
	{ IOTLB_ADDR, IM_GSIZE, 4095, "granule_size 4095" },
	{ IOTLB_ADDR, IM_GSIZE, 4097, "granule_size 4097" },
	{ IOTLB_ADDR, IM_GSIZE, 8193, "granule_size 8193" },
	{ IOTLB_ADDR, IM_GSIZE, 12288, "granule_size 12288 (not a power of two)" },
	{ IOTLB_ADDR, IM_GSIZE, (1ULL << 32) + 4096, "granule_size 2^32 + 4096" },
	{ IOTLB_ADDR, IM_ADDR, INV_ADDR + 0x800, "addr 0x200800 (granule 4096)" },
	{ IOTLB_ADDR, IM_ADDR, INV_ADDR + 1, "addr 0x200001" },
	{ IOTLB_ADDR, IM_2M_AT, INV_ADDR + 4096, "granule 2 MiB, addr 0x201000" },
	{ CACHE_DEV, GRANU_ADDR, IM_ADDR, INV_ADDR + 0x800, "device IOTLB, addr 0x200800" },
	{ CACHE_DEV, GRANU_ADDR, IM_NB, 0, "device IOTLB, nb_granules 0" },
	{ IOTLB_ADDR, IM_ADDR, 0xfffffffffffff000ULL, "8 granules at 2^64 - 4096 (wraps)" },
	{ IOTLB_ADDR, IM_NB, 1ULL << 60, "2^60 granules of 4096 (wraps)" },
	/* a request that does not name its PASID */
	{ IOTLB_PASID, IM_FLAGS, 0, "pasid_info flags 0" },
	{ IOTLB_PASID, IM_FLAGS, IOMMU_INV_PASID_FLAGS_ARCHID, "pasid_info flags ARCHID" },
	{ IOTLB_ADDR, IM_FLAGS, 0, "addr_info flags 0" },
	{ IOTLB_ADDR, IM_FLAGS, IOMMU_INV_ADDR_FLAGS_LEAF, "addr_info flags LEAF" },
	{ CACHE_DEV, GRANU_ADDR, IM_FLAGS, IOMMU_INV_ADDR_FLAGS_ARCHID,
	  "device IOTLB, addr_info flags ARCHID" },
};

/* Send each case for @pasid: each must fail with @expected */
static void inv_cases_at(int line, int fd, uint64_t pasid,
			 const struct inv_case *cases, size_t n, int expected,
			 const char *setting)
{
	struct inv_msg m;
	size_t i;

	for (i = 0; i < n; i++) {
		inv_prep(&m, cases[i].cache, cases[i].gran, pasid);
		inv_mutate(&m, &cases[i]);
		check_ioctl_at(line, expected, fd, VFIO_IOMMU_CACHE_INVALIDATE, &m,
			       "cache 0x%x granularity %u PASID %llu, %s, %s",
			       cases[i].cache, cases[i].gran,
			       (unsigned long long)pasid, cases[i].what, setting);
	}
}

#define INV_CASES(fd, pasid, list, expected, setting) \
	inv_cases_at(__LINE__, fd, pasid, list, ARRAY_SIZE(list), expected, setting)

static const unsigned int matrix_cache[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 0x10, 0x80, 0xff };
static const unsigned int matrix_gran[] = { 0, 1, 2, 3, 4, 0xff };

/*
 * Every cache bitmap x granularity for @pasid: malformed ones must fail
 * with EINVAL, combinations VT-d refuses with @refused, accepted ones with
 * @accepted (0: success; then, unless @s0 is NULL, the global counters
 * moved by exactly that request's share, and *@iotlb, *@dev count what the
 * PASID's entry must show; with @s0 NULL they may be NULL too).  Refused
 * requests move nothing.
 */
static void inv_matrix_at(int line, int fd, uint64_t pasid, int refused,
			  int accepted, struct stats *s0, uint64_t *iotlb,
			  uint64_t *dev, const char *setting)
{
	size_t i, j;

	for (i = 0; i < ARRAY_SIZE(matrix_cache); i++)
		for (j = 0; j < ARRAY_SIZE(matrix_gran); j++) {
			unsigned int c = matrix_cache[i], g = matrix_gran[j];
			enum inv_class k = inv_class(c, g);
			int want = k == INV_MALFORMED ? EINVAL :
				   k == INV_REFUSED ? refused : accepted;
			struct inv_msg m;
			struct delta d;

			inv_prep(&m, c, g, pasid);
			if (!check_ioctl_at(line, want, fd, VFIO_IOMMU_CACHE_INVALIDATE,
					    &m, "cache 0x%x granularity %u PASID %llu, %s",
					    c, g, (unsigned long long)pasid, setting) ||
			    want || !s0)
				continue;
			d = inv_delta(c, g);
			expect_stats_at(line, s0, &d);
			if (c & CACHE_IOTLB)
				(*iotlb)++;
			if (c & CACHE_DEV)
				(*dev)++;
		}
	if (s0)
		expect_stats_at(line, s0, &(const struct delta){ 0 });
}

#define INV_MATRIX(fd, pasid, refused, accepted, s0, iotlb, dev, setting) \
	inv_matrix_at(__LINE__, fd, pasid, refused, accepted, s0, iotlb, dev, setting)

/* ------------------------------------------------------------------ */
/* Setup and the module                                                */

static void test_setup(void)
{
	char cmd[128], line[128];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(edu); i++) {
		struct vgroup *g = &edu[i];
		char *end;
		long n;

		g->num = -1;
		snprintf(cmd, sizeof(cmd), "%s --edu %u", VFIO_BIND, i);
		if (run_cmd(cmd, line, sizeof(line)))
			continue;
		n = strtol(line, &end, 10);
		if (end == line || *end || n < 0) {
			tap_fail("'%s' printed '%s', not a group number", cmd, line);
			continue;
		}
		if (!edu_bdf(i, g->dev, sizeof(g->dev)) || !group_link_is(g, "pci", n))
			continue;
		pci_unit(g->dev, g->unit, sizeof(g->unit));
		EXPECT_TRUE(g->unit[0], "%s (%s) has no IOMMU unit in sysfs", g->what,
			    g->dev);
		g->num = n;
		tap_note("%s: %s, group %d, IOMMU unit %s", g->what, g->dev, g->num,
			 g->unit);
	}
	EXPECT_TRUE(edu[0].num != edu[1].num, "edu 0 and 1 share group %d", edu[0].num);
}

static void load(const char *params, const char *want_backend)
{
	struct stats s;

	backend = NULL;
	if (!module_load_ok(params))
		return;
	backend = want_backend;
	if (!family_resolve_ok() || !stats_now(&s))
		return;
	EXPECT_TRUE(!strcmp(s.backend, want_backend),
		    "BACKEND '%s', expected '%s'", s.backend, want_backend);
	EXPECT_EQ(0, s.binds);
	EXPECT_EQ(0, s.unbinds);
	EXPECT_EQ(0, s.bound_total);
	EXPECT_EQ(0, s.invalidations);
	EXPECT_EQ(0, s.inv_iotlb_pasid);
	EXPECT_EQ(0, s.inv_iotlb_addr);
	EXPECT_EQ(0, s.inv_dev_iotlb_addr);
	EXPECT_TRUE(s.nesting == emulated(), "NESTING %d, expected %d", s.nesting,
		    emulated());
	if (emulated()) {
		/* what the backend nests with (-1: absent) */
		EXPECT_TRUE(s.pasid_format == IOMMU_PASID_FORMAT_INTEL_VTD,
			    "PASID_FORMAT %lld, expected %d", (long long)s.pasid_format,
			    IOMMU_PASID_FORMAT_INTEL_VTD);
		EXPECT_TRUE(s.nest_addr_width == EMU_ADDR_WIDTH,
			    "NEST_ADDR_WIDTH %lld, expected %d",
			    (long long)s.nest_addr_width, EMU_ADDR_WIDTH);
		EXPECT_TRUE(s.nest_pasid_bits == EMU_PASID_BITS,
			    "NEST_PASID_BITS %lld, expected %d",
			    (long long)s.nest_pasid_bits, EMU_PASID_BITS);
	} else {
		/* only when nesting */
		EXPECT_TRUE(s.pasid_format < 0 && s.nest_addr_width < 0 &&
			    s.nest_pasid_bits < 0,
			    "PASID_FORMAT %lld NEST_ADDR_WIDTH %lld NEST_PASID_BITS %lld "
			    "without nesting, expected none", (long long)s.pasid_format,
			    (long long)s.nest_addr_width, (long long)s.nest_pasid_bits);
	}
}

static void test_load_native(void)
{
	/* no parameter: native is the default */
	load("", "native");
}

static void test_load_emulated(void)
{
	load("backend=emulated", "emulated");
}

static void test_unload(void)
{
	if (module_unload_ok())
		backend = NULL;
}

/* ------------------------------------------------------------------ */
/* native: groups and devices, but no nesting                          */

static void test_native_groups(void)
{
	int fd = dev_open(), g0, g1;
	uint32_t vm;

	if (fd < 0)
		return;
	vm = vm_id_of(fd);
	g0 = grp_open(&edu[0]);
	g1 = grp_open(&edu[1]);
	if (g0 < 0 || g1 < 0)
		return;
	EXPECT_VM(vm, 0, 0, 0);
	EXPECT_NO_DEVICES(vm);

	ATTACH(0, fd, g0, "edu 0");
	EXPECT_VM(vm, 0, 0, 1);
	EXPECT_DEVICES(vm, 0, &edu[0]);
	ATTACH(EEXIST, fd, g0, "edu 0 again");
	DETACH(ENOENT, fd, g1, "edu 1, not attached");
	ATTACH(0, fd, g1, "edu 1");
	EXPECT_VM(vm, 0, 0, 2);
	EXPECT_DEVICES(vm, 0, &edu[0], &edu[1]);
	EXPECT_INFO(fd, false, 0);

	DETACH(0, fd, g0, "edu 0");
	EXPECT_VM(vm, 0, 0, 1);
	EXPECT_DEVICES(vm, 0, &edu[1]);
	DETACH(0, fd, g1, "edu 1");
	DETACH(ENOENT, fd, g1, "edu 1 again");
	EXPECT_VM(vm, 0, 0, 0);
	EXPECT_NO_DEVICES(vm);
	EXPECT_INFO(fd, false, 0);
	fd_close(fd);
}

static void test_native_no_nesting(void)
{
	struct stats s0;
	uint32_t p, u, vm;
	int fd, g0;

	if (!vm_setup(false, &fd, &vm, &g0, &u, &p, NULL) || !stats_now(&s0))
		return;

	/* no group: ENODEV, after the malformed checks */
	EXPECT_INFO(fd, false, 1);
	BIND(ENODEV, fd, p, 5);
	BIND(ENODEV, fd, u, 5);
	UNBIND(ENODEV, fd, p);
	INVALIDATE(ENODEV, fd, CACHE_IOTLB, GRANU_PASID, p);
	BIND_CASES(fd, OP_BIND, p, bind_step1, EINVAL, "native, no group");
	BIND_CASES(fd, OP_BIND, p, bind_step4, ENODEV, "native, no group");

	/* a group: the backend cannot nest */
	if (!ATTACH(0, fd, g0, "edu 0"))
		return;
	EXPECT_INFO(fd, false, 1);
	BIND(EOPNOTSUPP, fd, p, 5);
	BIND(EOPNOTSUPP, fd, p, -1);
	BIND(EOPNOTSUPP, fd, u, 5);
	UNBIND(EOPNOTSUPP, fd, p);
	UNBIND(EOPNOTSUPP, fd, u);
	BIND_CASES(fd, OP_BIND, p, bind_step1, EINVAL, "native, a group");
	BIND_CASES(fd, OP_UNBIND, p, bind_step1, EINVAL, "native, a group");
	BIND_CASES(fd, OP_BIND, p, bind_step4, EOPNOTSUPP, "native, a group");
	BIND_CASES(fd, OP_BIND, u, bind_step4, EOPNOTSUPP, "native, a group, unheld");
	INV_MATRIX(fd, p, EOPNOTSUPP, EOPNOTSUPP, NULL, NULL, NULL, "native, a group");
	INV_MATRIX(fd, u, EOPNOTSUPP, EOPNOTSUPP, NULL, NULL, NULL,
		   "native, a group, unheld PASID");
	INV_CASES(fd, p, inv_step1, EINVAL, "native, a group");
	INV_CASES(fd, p, inv_step4, EOPNOTSUPP, "native, a group");

	/* nothing moved, nothing bound */
	EXPECT_STATS(&s0, 0);
	EXPECT_UNBOUND(vm, p);
	EXPECT_VM(vm, 1, 0, 1);
	EXPECT_DEVICES(vm, 0, &edu[0]);
	EXPECT_OK(pasid_free(fd, p));
	EXPECT_STATS(&s0, .freed = 1);
	fd_close(fd);
}

/* ------------------------------------------------------------------ */
/* More views for the emulated tests                                   */

/* PASID @pasid is not in VM @vm_id's PASID_GET dump */
static void expect_pasid_gone_at(int line, uint32_t vm_id, uint32_t pasid)
{
	static struct pasid_list l;
	unsigned int i;

	if (!pasid_dump_ok(VFIO_PASID_CMD_PASID_GET, vm_id, &l))
		return;
	for (i = 0; i < l.n; i++)
		if (l.v[i].pasid == pasid)
			tap_diag_at(true, line, "PASID %u is still in the dump of VM %u",
				    pasid, vm_id);
}

#define EXPECT_PASID_GONE(vm_id, pasid) expect_pasid_gone_at(__LINE__, vm_id, pasid)

/*
 * VM @vm_id is gone: VM_GET says ENOENT (waited for up to 2 s), no device
 * of it in the DEVICE_GET dump, and the reclaim log has one record per
 * PASID of @pasids, with BOUND as @bound says.
 */
static void expect_vm_ended_at(int line, uint32_t vm_id, const uint32_t *pasids,
			       const bool *bound, unsigned int n)
{
	static struct pasid_list log;
	static struct dev_list devs;
	static struct vm_list vms;
	double deadline = now() + 2;
	unsigned int i, j, records = 0;
	int ret;

	while ((ret = vm_get(vm_id, &vms)) == 0 && now() < deadline)
		usleep(10000);
	if (ret != -ENOENT)
		tap_diag_at(true, line, "VM_GET of ended VM %u: expected ENOENT, got %s",
			    vm_id, ret ? errno_name(-ret) : "the VM");
	if (dev_dump(0, &devs))
		for (i = 0; i < devs.n; i++)
			if (devs.v[i].vm_id == vm_id)
				tap_diag_at(true, line, "DEVICE_GET lists %s of ended VM %u",
					    devs.v[i].name, vm_id);
	if (!pasid_dump_ok(VFIO_PASID_CMD_RECLAIM_GET, 0, &log))
		return;
	for (i = 0; i < log.n; i++) {
		if (log.v[i].vm_id != vm_id)
			continue;
		records++;
		for (j = 0; j < n && pasids[j] != log.v[i].pasid; j++)
			;
		if (j == n) {
			tap_diag_at(true, line, "reclaim record of PASID %u, not held by VM %u",
				    log.v[i].pasid, vm_id);
			continue;
		}
		if (log.v[i].bound != (int)bound[j])
			tap_diag_at(true, line, "reclaim record of PASID %u: BOUND %d, "
				    "expected %d", pasids[j], log.v[i].bound, bound[j]);
	}
	if (records != n)
		tap_diag_at(true, line, "reclaim log: %u records of VM %u, expected %u",
			    records, vm_id, n);
}

#define EXPECT_VM_ENDED(vm_id, pasids, bound, n) \
	expect_vm_ended_at(__LINE__, vm_id, pasids, bound, n)

/* The group of @g can be opened again: no VM holds it */
static void expect_group_free(const struct vgroup *g)
{
	int fd = grp_open(g);

	fd_close(fd);
}

/*
 * A child VM: opens the device, attaches @g (unless NULL), allocates
 * @n_alloc PASIDs, binds the first @n_bind (gpasid 100, 101...),
 * invalidates the IOTLB of the first one when @invalidate, checks its own
 * GET_INFO, reports M_READY with its VM id and PASIDs, then holds all of
 * it until M_EXIT, the end of the control socket or SIGKILL.
 */
struct vm_child_arg {
	const struct vgroup	*g;
	uint32_t		n_alloc, n_bind;
	bool			invalidate;
};

static void vm_child(int sock, void *p)
{
	const struct vm_child_arg *a = p;
	struct msg m = { .op = M_READY };
	uint32_t i;
	int fd, gfd;

	fd = dev_open();
	if (fd < 0 || a->n_alloc > MSG_VALS)
		return;
	if (a->g) {
		gfd = grp_open(a->g);
		if (gfd < 0 || !ATTACH(0, fd, gfd, a->g->what))
			return;
	}
	if (!alloc_n(fd, 1, PASID_LIMIT, a->n_alloc, m.val))
		return;
	for (i = 0; i < a->n_bind; i++)
		if (!BIND(0, fd, m.val[i], 100 + i))
			return;
	if (a->invalidate && !INVALIDATE(0, fd, CACHE_IOTLB, GRANU_PASID, m.val[0]))
		return;
	EXPECT_INFO(fd, a->g && emulated(), a->n_alloc);
	m.vm_id = vm_id_of(fd);
	m.n = a->n_alloc;
	if (!msg_send(sock, &m))
		return;
	for (;;) {
		struct pollfd pfd = { .fd = sock, .events = POLLIN };

		if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
			return;
		if (recv(sock, &m, sizeof(m), 0) <= 0 || m.op == M_EXIT)
			_exit(0);	/* holding everything: that is the point */
	}
}

static bool start_vm_child(struct child *c, struct vm_child_arg *a, struct msg *ready)
{
	return child_start(c, vm_child, a) && msg_recv(c->sock, ready, M_READY);
}

/* ------------------------------------------------------------------ */
/* emulated: GET_INFO's capability                                     */

static void test_info_cap(void)
{
	struct vm_child_arg none = { .g = NULL }, own = { .g = &edu[1] };
	struct child c;
	struct msg ready;
	int fd = dev_open(), g0, g1;
	uint32_t p;

	if (fd < 0)
		return;
	g0 = grp_open(&edu[0]);
	if (g0 < 0)
		return;
	EXPECT_INFO(fd, false, 0);
	if (!ATTACH(0, fd, g0, "edu 0"))
		return;
	EXPECT_INFO(fd, true, 0);
	EXPECT_INFO_GROW(fd);
	if (!alloc_one(fd, &p))
		return;
	EXPECT_INFO(fd, true, 1);

	/* another VM, without a group of its own: no capability */
	if (start_vm_child(&c, &none, &ready))
		child_stop(&c);

	g1 = grp_open(&edu[1]);
	if (g1 < 0 || !ATTACH(0, fd, g1, "edu 1"))
		return;
	EXPECT_INFO(fd, true, 1);
	DETACH(0, fd, g0, "edu 0, not the last");
	EXPECT_INFO(fd, true, 1);
	DETACH(0, fd, g1, "edu 1, the last");
	EXPECT_INFO(fd, false, 1);
	fd_close(g1);

	/* another VM with a group of its own has it; this one still not */
	if (start_vm_child(&c, &own, &ready)) {
		EXPECT_INFO(fd, false, 1);
		child_stop(&c);
	}
	ATTACH(0, fd, g0, "edu 0 again");
	EXPECT_INFO(fd, true, 1);
	fd_close(fd);
}

/* ------------------------------------------------------------------ */
/* emulated: attach and detach                                         */

static void test_attach_errors(void)
{
	static const unsigned long cmds[] = {
		VFIO_PASID_ATTACH_GROUP, VFIO_PASID_DETACH_GROUP,
	};
	struct {
		struct vfio_pasid_group	g;
		uint8_t			tail[8];
	} big;
	int fd = dev_open(), g0, g1, g0dup, null_fd, closed_fd, pipe_fd[2];
	int container, file_fd, by_id;
	uint32_t vm;
	unsigned int i, j;

	if (fd < 0)
		return;
	vm = vm_id_of(fd);
	g0 = grp_open(&edu[0]);
	g1 = grp_open(&edu[1]);
	null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	file_fd = open(module_path, O_RDONLY | O_CLOEXEC);
	/* a high number, closed: dup() below hands out the lowest free one */
	closed_fd = fcntl(null_fd, F_DUPFD_CLOEXEC, 900);
	if (g0 < 0 || g1 < 0 || null_fd < 0 || container < 0 || file_fd < 0 ||
	    closed_fd < 0 || pipe2(pipe_fd, O_CLOEXEC)) {
		tap_fail("setting up the descriptors: %s", errno_name(errno));
		return;
	}
	close(closed_fd);

	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		const struct { int fd; int err; const char *what; } bad_fds[] = {
			{ -1, EBADF, "group_fd -1" },
			{ closed_fd, EBADF, "group_fd closed" },
			{ INT_MAX, EBADF, "group_fd INT_MAX" },
			{ null_fd, EINVAL, "/dev/null" },
			{ pipe_fd[0], EINVAL, "a pipe (read end)" },
			{ pipe_fd[1], EINVAL, "a pipe (write end)" },
			{ container, EINVAL, "a VFIO container (/dev/vfio/vfio)" },
			{ fd, EINVAL, "/dev/vfio-pasid itself" },
			{ file_fd, EINVAL, "a regular file" },
		};
		static const uint32_t small[] = { 0, 4, 8, 11 };
		unsigned long cmd = cmds[i];

		for (j = 0; j < ARRAY_SIZE(bad_fds); j++)
			CHECK(bad_fds[j].err, fd, cmd,
			      (&(struct vfio_pasid_group){ sizeof(struct vfio_pasid_group),
							   0, { bad_fds[j].fd } }),
			      "%s", bad_fds[j].what);
		/* flags first; BY_ID (1) is detach's, whose id is then none attached */
		by_id = cmd == VFIO_PASID_DETACH_GROUP ? ENOENT : EINVAL;
		CHECK(by_id, fd, cmd, (&(struct vfio_pasid_group){ 12, 1, { g0 } }),
		      "flags 1");
		CHECK(EINVAL, fd, cmd, (&(struct vfio_pasid_group){ 12, 1U << 31, { g0 } }),
		      "flags 1<<31");
		CHECK(EINVAL, fd, cmd, (&(struct vfio_pasid_group){ 12, 3, { g0 } }),
		      "flags 3");
		CHECK(by_id, fd, cmd, (&(struct vfio_pasid_group){ 12, 1, { -1 } }),
		      "flags 1, group_fd -1");
		CHECK(EINVAL, fd, cmd, (&(struct vfio_pasid_group){ 12, 2, { null_fd } }),
		      "flags 2, /dev/null");
		for (j = 0; j < ARRAY_SIZE(small); j++)
			CHECK(EINVAL, fd, cmd,
			      (&(struct vfio_pasid_group){ small[j], 0, { g0 } }),
			      "argsz %u", small[j]);
		memset(&big, 0, sizeof(big));
		big.g.argsz = sizeof(big);
		big.g.group_fd = g0;
		big.tail[sizeof(big.tail) - 1] = 1;
		CHECK(E2BIG, fd, cmd, &big, "argsz %zu, non-zero tail", sizeof(big));
		big.tail[sizeof(big.tail) - 1] = 0;
		big.tail[0] = 0x80;
		CHECK(E2BIG, fd, cmd, &big, "argsz %zu, tail byte 0 set", sizeof(big));
	}
	EXPECT_VM(vm, 0, 0, 0);
	EXPECT_NO_DEVICES(vm);

	DETACH(ENOENT, fd, g0, "edu 0, never attached");
	ATTACH(0, fd, g0, "edu 0");
	ATTACH(EEXIST, fd, g0, "edu 0 again");
	g0dup = dup(g0);
	if (g0dup >= 0) {
		fd_track(g0dup);
		ATTACH(EEXIST, fd, g0dup, "edu 0 through a dup() of its fd");
	}
	CHECK(EINVAL, fd, VFIO_PASID_ATTACH_GROUP,
	      (&(struct vfio_pasid_group){ 12, 1, { g0 } }), "flags 1, already attached");
	CHECK(EINVAL, fd, VFIO_PASID_ATTACH_GROUP,
	      (&(struct vfio_pasid_group){ 8, 0, { g0 } }), "argsz 8, already attached");
	CHECK(EBADF, fd, VFIO_PASID_DETACH_GROUP,
	      (&(struct vfio_pasid_group){ 12, 0, { closed_fd } }), "group_fd closed");
	DETACH(ENOENT, fd, g1, "edu 1, not attached");
	EXPECT_VM(vm, 0, 0, 1);
	EXPECT_DEVICES(vm, 0, &edu[0]);

	/* a bigger struct with a zero tail is the struct */
	memset(&big, 0, sizeof(big));
	big.g.argsz = sizeof(big);
	big.g.group_fd = g1;
	CHECK(0, fd, VFIO_PASID_ATTACH_GROUP, &big, "edu 1, argsz %zu, zero tail",
	      sizeof(big));
	EXPECT_VM(vm, 0, 0, 2);
	EXPECT_DEVICES(vm, 0, &edu[0], &edu[1]);
	CHECK(0, fd, VFIO_PASID_DETACH_GROUP, &big, "edu 1, argsz %zu, zero tail",
	      sizeof(big));
	DETACH(ENOENT, fd, g1, "edu 1, detached");

	/* a group is a group whichever of its descriptors names it */
	if (g0dup >= 0)
		DETACH(0, fd, g0dup, "edu 0 through a dup() of its fd");
	DETACH(ENOENT, fd, g0, "edu 0, detached");
	EXPECT_VM(vm, 0, 0, 0);
	EXPECT_NO_DEVICES(vm);
	ATTACH(0, fd, g0, "edu 0, attached again");
	EXPECT_VM(vm, 0, 0, 1);

	close(null_fd);
	close(container);
	close(file_fd);
	close(pipe_fd[0]);
	close(pipe_fd[1]);
	fd_close(fd);
}

/*
 * A group behind an IOMMU attaches once a container owns it: EPERM before
 * VFIO_GROUP_SET_CONTAINER and after VFIO_GROUP_UNSET_CONTAINER, with
 * nothing attached or counted; a group attached while owned still detaches
 * once its container is gone.
 */
static void test_attach_unowned(void)
{
	int fd = dev_open(), g0, ret;
	uint32_t vm;

	if (fd < 0)
		return;
	vm = vm_id_of(fd);
	g0 = grp_open_own(&edu[0], false);
	if (g0 < 0)
		return;
	ATTACH(EPERM, fd, g0, "edu 0, in no container");
	ATTACH(EPERM, fd, g0, "edu 0, in no container, again");
	EXPECT_VM(vm, 0, 0, 0);
	EXPECT_NO_DEVICES(vm);

	ret = vfio_group_own(g0);
	EXPECT_TRUE(!ret, "VFIO_GROUP_SET_CONTAINER: %s", errno_name(-ret));
	ATTACH(0, fd, g0, "edu 0, in a container");
	EXPECT_VM(vm, 0, 0, 1);
	EXPECT_DEVICES(vm, 0, &edu[0]);
	/* out of its container while attached: it still detaches */
	EXPECT_OK(ioctl(g0, VFIO_GROUP_UNSET_CONTAINER));
	DETACH(0, fd, g0, "edu 0, out of its container");
	EXPECT_VM(vm, 0, 0, 0);
	ATTACH(EPERM, fd, g0, "edu 0, out of its container");
	EXPECT_VM(vm, 0, 0, 0);
	EXPECT_NO_DEVICES(vm);
	fd_close(g0);
	fd_close(fd);
}

static void test_attach_holds_group(void)
{
	char path[64];
	uint32_t vm;
	int fd = dev_open(), g0, again;

	if (fd < 0)
		return;
	vm = vm_id_of(fd);
	g0 = grp_open(&edu[0]);
	if (g0 < 0 || !ATTACH(0, fd, g0, "edu 0"))
		return;
	fd_close(g0);

	/* the VM holds the group file: VFIO opens a group once at a time */
	snprintf(path, sizeof(path), "/dev/vfio/%d", edu[0].num);
	again = open(path, O_RDWR | O_CLOEXEC);
	if (again >= 0) {
		tap_fail("open(%s) while attached to VM %u: success, expected EBUSY",
			 path, vm);
		close(again);
	} else {
		EXPECT_TRUE(errno == EBUSY, "open(%s) while attached: %s, expected EBUSY",
			    path, errno_name(errno));
	}
	EXPECT_VM(vm, 0, 0, 1);

	/* the end of the VM lets it go */
	fd_close(fd);
	EXPECT_VM_ENDED(vm, NULL, NULL, 0);
	expect_group_free(&edu[0]);

	/* so does a detach, at once */
	fd = dev_open();
	g0 = grp_open(&edu[0]);
	if (fd < 0 || g0 < 0)
		return;
	ATTACH(0, fd, g0, "edu 0");
	DETACH(0, fd, g0, "edu 0");
	fd_close(g0);
	again = open(path, O_RDWR | O_CLOEXEC);
	EXPECT_TRUE(again >= 0, "open(%s) after detach and close: %s", path,
		    errno_name(errno));
	if (again >= 0)
		close(again);
	fd_close(fd);
}

/* DETACH_GROUP by the group's number (VFIO_PASID_GROUP_BY_ID) */
static bool detach_id_at(int line, int expected, int fd, uint32_t id)
{
	struct vfio_pasid_group g = {
		.argsz = sizeof(g), .flags = VFIO_PASID_GROUP_BY_ID, .group_id = id,
	};

	return check_ioctl_at(line, expected, fd, VFIO_PASID_DETACH_GROUP, &g,
			      "detach of group %u by its number", id);
}

#define DETACH_ID(expected, fd, id) detach_id_at(__LINE__, expected, fd, id)

static void test_detach_by_id(void)
{
	uint32_t vm;
	int fd = dev_open(), g0, g1;

	if (fd < 0)
		return;
	vm = vm_id_of(fd);
	g0 = grp_open(&edu[0]);
	g1 = grp_open(&edu[1]);
	if (g0 < 0 || g1 < 0 || !ATTACH(0, fd, g0, "edu 0") ||
	    !ATTACH(0, fd, g1, "edu 1"))
		return;
	/* the VMM lets go of its descriptors: the VM still holds the groups */
	fd_close(g0);
	fd_close(g1);
	EXPECT_VM(vm, 0, 0, 2);
	DETACH_ID(ENOENT, fd, 100000);
	DETACH_ID(ENOENT, fd, UINT32_MAX);
	EXPECT_VM(vm, 0, 0, 2);
	DETACH_ID(0, fd, edu[0].num);
	EXPECT_VM(vm, 0, 0, 1);
	EXPECT_DEVICES(vm, 0, &edu[1]);
	DETACH_ID(ENOENT, fd, edu[0].num);
	/* detached: the group file is let go at once */
	expect_group_free(&edu[0]);
	DETACH_ID(0, fd, edu[1].num);
	EXPECT_VM(vm, 0, 0, 0);
	EXPECT_NO_DEVICES(vm);
	expect_group_free(&edu[1]);
	fd_close(fd);
}

/* A VM of the child's own attaches the group file *@arg (inherited) */
static int child_attach(void *arg)
{
	struct vfio_pasid_group g = {
		.argsz = sizeof(g), .group_fd = *(int *)arg,
	};
	int fd = open(DEV_PATH, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return 255;
	return ioctl(fd, VFIO_PASID_ATTACH_GROUP, &g) ? errno : 0;
}

/*
 * Another VM, in a forked child, attaches @gfd: the errno (0 on success);
 * the child's VM ends with it
 */
static int attach_in_child(int gfd)
{
	int ret = run_in_child(child_attach, &gfd);

	if (ret == 255)
		tap_fail("the child could not open %s", DEV_PATH);
	return ret;
}

static void test_attach_exclusive(void)
{
	uint32_t vm;
	int fd = dev_open(), g0, err;

	if (fd < 0)
		return;
	vm = vm_id_of(fd);
	g0 = grp_open(&edu[0]);
	if (g0 < 0 || !ATTACH(0, fd, g0, "edu 0"))
		return;

	/* another VM with the same descriptor (inherited): EBUSY */
	err = attach_in_child(g0);
	EXPECT_TRUE(err == EBUSY, "attach of edu 0 by another VM: %s, expected EBUSY",
		    err ? errno_name(err) : "success");
	EXPECT_VM(vm, 0, 0, 1);
	EXPECT_DEVICES(vm, 0, &edu[0]);

	/* detached here, it may go elsewhere (the child's VM ends with it) */
	DETACH(0, fd, g0, "edu 0");
	err = attach_in_child(g0);
	EXPECT_TRUE(err == 0, "attach of edu 0 by another VM after the detach: %s",
		    errno_name(err));
	ATTACH(0, fd, g0, "edu 0, again");

	/* the end of the VM that has it frees it for others too */
	fd_close(fd);
	EXPECT_VM_ENDED(vm, NULL, NULL, 0);
	err = attach_in_child(g0);
	EXPECT_TRUE(err == 0, "attach of edu 0 after its VM ended: %s",
		    errno_name(err));
	fd_close(g0);
}

/* Write @val to the sysfs file @path */
static bool sysfs_put(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	bool ok;

	if (fd < 0) {
		tap_fail("open(%s): %s", path, errno_name(errno));
		return false;
	}
	ok = write(fd, val, strlen(val)) == (ssize_t)strlen(val);
	if (!ok)
		tap_fail("write of '%s' to %s: %s", val, path, errno_name(errno));
	close(fd);
	return ok;
}

/*
 * Remove the PCI device of @g, rescan the bus and bind it to vfio-pci
 * again: its new IOMMU group into @g->num.  True when all went well.
 */
static bool edu_replug(struct vgroup *g)
{
	char path[128], cmd[160], line[64];
	char *end;
	long n;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/remove", g->dev);
	g->num = -1;
	if (!sysfs_put(path, "1") || !sysfs_put("/sys/bus/pci/rescan", "1"))
		return false;
	snprintf(cmd, sizeof(cmd), "%s %s", VFIO_BIND, g->dev);
	if (run_cmd(cmd, line, sizeof(line)))
		return false;
	n = strtol(line, &end, 10);
	if (end == line || *end || n < 0) {
		tap_fail("'%s' printed '%s', not a group number", cmd, line);
		return false;
	}
	g->num = n;
	return true;
}

static void test_attach_stale(void)
{
	struct vgroup *g = &edu[1];
	int fd = dev_open(), stale, fresh, num = g->num;
	uint32_t vm;

	if (fd < 0)
		return;
	vm = vm_id_of(fd);
	stale = grp_open(g);
	if (stale < 0 || !edu_replug(g))
		return;
	/* the number is free again and the device takes it back */
	EXPECT_TRUE(g->num == num, "%s came back in group %d, not %d: the test needs "
		    "the number reused", g->what, g->num, num);

	/* the old descriptor names a group that is gone: never the new one */
	ATTACH(ENODEV, fd, stale, "edu 1 through a descriptor from before its removal");
	EXPECT_VM(vm, 0, 0, 0);
	EXPECT_NO_DEVICES(vm);
	DETACH(ENOENT, fd, stale, "edu 1 through the stale descriptor, not attached");
	fd_close(stale);

	/* attached, then removed: its descriptor still detaches it */
	fresh = grp_open(g);
	if (fresh < 0 || !ATTACH(0, fd, fresh, "edu 1, its new group"))
		return;
	EXPECT_DEVICES(vm, 0, g);
	if (!edu_replug(g))
		return;
	DETACH(0, fd, fresh, "edu 1 through its descriptor, after its removal");
	EXPECT_VM(vm, 0, 0, 0);
	ATTACH(ENODEV, fd, fresh, "edu 1 through that descriptor again");
	fd_close(fresh);
	fd_close(fd);
	EXPECT_VM_ENDED(vm, NULL, NULL, 0);
}

/* ------------------------------------------------------------------ */
/* emulated: bind and unbind                                           */

static void test_bind_basic(void)
{
	struct stats s0;
	uint32_t p, q, vm;
	int fd, g0;

	if (!vm_with_edu0(&fd, &vm, &g0, &p, &q, NULL) || !stats_now(&s0))
		return;

	BIND(0, fd, p, 0x42);
	EXPECT_STATS(&s0, .binds = 1, .bound = 1);
	EXPECT_BOUND(vm, p, 0x42, 1);
	EXPECT_UNBOUND(vm, q);
	EXPECT_VM(vm, 2, 1, 1);
	EXPECT_DEVICES(vm, 1, &edu[0]);
	EXPECT_INFO(fd, true, 2);

	/* bound already: EBUSY, whatever the gpasid */
	BIND(EBUSY, fd, p, 0x42);
	BIND(EBUSY, fd, p, -1);
	BIND(EBUSY, fd, p, 0x99);
	EXPECT_STATS(&s0, 0);
	EXPECT_BOUND(vm, p, 0x42, 1);

	/* without IOMMU_SVA_GPASID_VAL the gpasid is not recorded */
	{
		struct bind_msg m;

		bind_prep(&m, OP_BIND, q, -1);
		m.data.gpasid = 0x77;	/* not valid: must not show */
		CHECK(0, fd, VFIO_IOMMU_BIND, &m, "bind of PASID %u without GPASID_VAL", q);
	}
	EXPECT_STATS(&s0, .binds = 1, .bound = 1);
	EXPECT_BOUND(vm, q, -1, 1);
	EXPECT_VM(vm, 2, 2, 1);
	EXPECT_DEVICES(vm, 2, &edu[0]);

	UNBIND(0, fd, p);
	EXPECT_STATS(&s0, .unbinds = 1, .bound = -1);
	EXPECT_UNBOUND(vm, p);
	EXPECT_BOUND(vm, q, -1, 1);
	EXPECT_VM(vm, 2, 1, 1);
	EXPECT_DEVICES(vm, 1, &edu[0]);

	/* not bound: ENOENT, nothing moves */
	UNBIND(ENOENT, fd, p);
	EXPECT_STATS(&s0, 0);

	/* bound again, with another gpasid */
	BIND(0, fd, p, 0x43);
	EXPECT_STATS(&s0, .binds = 1, .bound = 1);
	EXPECT_BOUND(vm, p, 0x43, 1);

	UNBIND(0, fd, p);
	UNBIND(0, fd, q);
	EXPECT_STATS(&s0, .unbinds = 2, .bound = -2);
	EXPECT_VM(vm, 2, 0, 1);
	EXPECT_DEVICES(vm, 0, &edu[0]);
	EXPECT_INFO(fd, true, 2);
	fd_close(fd);
}

static void test_bind_vendor_flags(void)
{
	struct bind_msg m;
	struct stats s0;
	uint32_t p, vm;
	int fd, g0, b;

	if (!vm_with_edu0(&fd, &vm, &g0, &p, NULL) || !stats_now(&s0))
		return;
	/* every defined bit alone, then all of them */
	for (b = 0; b <= 7; b++) {
		uint64_t f = b < 7 ? 1ULL << b : VTD_FLAGS_ALL;

		bind_prep(&m, OP_BIND, p, 3);
		m.data.vendor.vtd.flags = f;
		if (!CHECK(0, fd, VFIO_IOMMU_BIND, &m, "bind, VT-d flags 0x%llx",
			   (unsigned long long)f))
			continue;
		EXPECT_BOUND(vm, p, 3, 1, .vtd_flags = f);
		UNBIND(0, fd, p);
		EXPECT_STATS(&s0, .binds = 1, .unbinds = 1);
	}
	/* undefined bits: every one of them alone, then with the defined ones */
	BIND_CASES(fd, OP_BIND, p, bind_step4, EINVAL, "VT-d flags");
	for (b = 7; b < 64; b++) {
		bind_prep(&m, OP_BIND, p, 3);
		m.data.vendor.vtd.flags = VTD_FLAGS_ALL | 1ULL << b;
		CHECK(EINVAL, fd, VFIO_IOMMU_BIND, &m, "bind, VT-d flags 0x7f | 1<<%d", b);
	}
	EXPECT_STATS(&s0, 0);
	EXPECT_UNBOUND(vm, p);
	fd_close(fd);
}

static void test_bind_malformed(void)
{
	struct bind_msg m;
	struct stats s0;
	uint32_t p, q, vm;
	int fd, g0, i;

	if (!vm_with_edu0(&fd, &vm, &g0, &p, &q, NULL) || !BIND(0, fd, q, 9) ||
	    !stats_now(&s0))
		return;

	/* each alone, the rest well-formed: p held and unbound, q bound */
	BIND_CASES(fd, OP_BIND, p, bind_step1, EINVAL, "held, not bound");
	BIND_CASES(fd, OP_UNBIND, q, bind_step1, EINVAL, "bound");
	BIND_CASES(fd, OP_BIND, p, bind_step4, EINVAL, "held, not bound");
	EXPECT_STATS(&s0, 0);
	EXPECT_UNBOUND(vm, p);
	EXPECT_BOUND(vm, q, 9, 1);

	/* a tail beyond the struct must be zero: E2BIG */
	for (i = 0; i < 2; i++) {
		uint32_t op = i ? OP_UNBIND : OP_BIND, pasid = i ? q : p;

		bind_prep(&m, op, pasid, 9);
		EXPECT_TAILS(fd, VFIO_IOMMU_BIND, &m, &m.hdr.argsz, &m.data.argsz,
			     "data.argsz", m.tail, op_name(op));
	}
	EXPECT_STATS(&s0, 0);
	EXPECT_UNBOUND(vm, p);
	EXPECT_BOUND(vm, q, 9, 1);

	/* zero tails: the struct as the kernel knows it */
	bind_prep(&m, OP_BIND, p, 10);
	m.hdr.argsz = sizeof(m);
	CHECK(0, fd, VFIO_IOMMU_BIND, &m, "bind, wrapper argsz %zu, zero tail", sizeof(m));
	EXPECT_BOUND(vm, p, 10, 1);
	bind_prep(&m, OP_UNBIND, p, -1);
	m.hdr.argsz = sizeof(m);
	CHECK(0, fd, VFIO_IOMMU_BIND, &m, "unbind, wrapper argsz %zu, zero tail", sizeof(m));
	bind_prep(&m, OP_BIND, p, 11);
	m.data.argsz += 8;
	m.hdr.argsz += 8;
	CHECK(0, fd, VFIO_IOMMU_BIND, &m, "bind, data.argsz 80, zero tail");
	EXPECT_BOUND(vm, p, 11, 1);
	bind_prep(&m, OP_UNBIND, p, -1);
	m.data.argsz += 8;
	m.hdr.argsz += 8;
	CHECK(0, fd, VFIO_IOMMU_BIND, &m, "unbind, data.argsz 80, zero tail");
	EXPECT_UNBOUND(vm, p);
	EXPECT_STATS(&s0, .binds = 2, .unbinds = 2);

	/* unbind uses hpasid only: what step 4 refuses for a bind is fine */
	for (i = 0; i < (int)ARRAY_SIZE(bind_step4); i++) {
		bind_prep(&m, OP_UNBIND, q, -1);
		bind_mutate(&m, &bind_step4[i]);
		if (!CHECK(0, fd, VFIO_IOMMU_BIND, &m, "unbind, %s", bind_step4[i].what))
			continue;
		EXPECT_STATS(&s0, .unbinds = 1, .bound = -1);
		BIND(0, fd, q, 9);
		EXPECT_STATS(&s0, .binds = 1, .bound = 1);
	}
	EXPECT_BOUND(vm, q, 9, 1);
	EXPECT_VM(vm, 2, 1, 1);
	fd_close(fd);
}

static void test_bind_order(void)
{
	struct stats s0;
	uint32_t p, q, u, vm;
	int fd, g0;

	if (!vm_setup(false, &fd, &vm, &g0, &u, &p, &q, NULL) || !stats_now(&s0))
		return;

	/* 1 before 2: malformed first; 2 before 4 and 5: ENODEV */
	BIND_CASES(fd, OP_BIND, p, bind_step1, EINVAL, "no group");
	BIND_CASES(fd, OP_UNBIND, p, bind_step1, EINVAL, "no group");
	BIND_CASES(fd, OP_BIND, u, bind_step1, EINVAL, "no group, unheld");
	BIND_CASES(fd, OP_BIND, p, bind_step4, ENODEV, "no group");
	BIND_CASES(fd, OP_BIND, u, bind_step4, ENODEV, "no group, unheld");
	BIND(ENODEV, fd, p, 1);
	BIND(ENODEV, fd, u, 1);
	UNBIND(ENODEV, fd, p);
	UNBIND(ENODEV, fd, u);
	EXPECT_STATS(&s0, 0);

	if (!ATTACH(0, fd, g0, "edu 0"))
		return;
	/* 1 before 5 and 6 */
	BIND_CASES(fd, OP_BIND, u, bind_step1, EINVAL, "unheld");
	BIND_CASES(fd, OP_UNBIND, u, bind_step1, EINVAL, "unheld");
	BIND_CASES(fd, OP_UNBIND, p, bind_step1, EINVAL, "not bound");
	/* 4 before 5 */
	BIND_CASES(fd, OP_BIND, u, bind_step4, EINVAL, "unheld");
	/* 5 */
	BIND(ENOENT, fd, u, 1);
	UNBIND(ENOENT, fd, u);
	/* 4 before 6, and 1 before 6 */
	if (BIND(0, fd, q, 2)) {
		EXPECT_STATS(&s0, .binds = 1, .bound = 1);
		BIND_CASES(fd, OP_BIND, q, bind_step4, EINVAL, "bound");
		BIND_CASES(fd, OP_BIND, q, bind_step1, EINVAL, "bound");
		BIND(EBUSY, fd, q, 2);
	}
	/* 6 */
	UNBIND(ENOENT, fd, p);
	EXPECT_STATS(&s0, 0);
	EXPECT_UNBOUND(vm, p);
	EXPECT_BOUND(vm, q, 2, 1);
	fd_close(fd);
}

/* PASIDs this VM does not hold, and other VMs' */
static void test_not_held(void)
{
	struct vm_child_arg a = { .g = &edu[1], .n_alloc = 2, .n_bind = 1 };
	static struct dev_list devs;
	struct child c;
	struct msg ready;
	struct stats s0;
	uint32_t p, u, vm, cvm, cb, cu;
	uint64_t alias;
	int fd, g0;
	unsigned int i;

	if (!vm_setup(true, &fd, &vm, &g0, &u, &p, NULL))
		return;
	if (!start_vm_child(&c, &a, &ready))
		return;
	cvm = ready.vm_id;
	cb = ready.val[0];	/* the child's, bound */
	cu = ready.val[1];	/* the child's, not bound */
	alias = (1ULL << 32) | p;
	if (!stats_now(&s0))
		return;

	{
		const uint64_t bad[] = {
			u, 0, PASID_LIMIT + 1, alias, UINT64_MAX, cb, cu,
		};

		for (i = 0; i < ARRAY_SIZE(bad); i++) {
			BIND(ENOENT, fd, bad[i], 1);
			UNBIND(ENOENT, fd, bad[i]);
			INVALIDATE(ENOENT, fd, CACHE_IOTLB, GRANU_PASID, bad[i]);
			INVALIDATE(ENOENT, fd, CACHE_IOTLB, GRANU_ADDR, bad[i]);
			INVALIDATE(ENOENT, fd, CACHE_DEV, GRANU_ADDR, bad[i]);
			INVALIDATE(ENOENT, fd, CACHE_IOTLB | CACHE_DEV, GRANU_ADDR, bad[i]);
		}
	}
	/* our own PASID bound: its 64-bit alias still is not ours */
	if (BIND(0, fd, p, 1)) {
		EXPECT_STATS(&s0, .binds = 1, .bound = 1);
		UNBIND(ENOENT, fd, alias);
		BIND(ENOENT, fd, alias, 1);
	}
	EXPECT_STATS(&s0, 0);

	/* the other VM is untouched, each VM sees its own devices */
	EXPECT_BOUND(cvm, cb, 100, 1);
	EXPECT_UNBOUND(cvm, cu);
	EXPECT_VM(cvm, 2, 1, 1);
	EXPECT_DEVICES(cvm, 1, &edu[1]);
	EXPECT_BOUND(vm, p, 1, 1);
	EXPECT_DEVICES(vm, 1, &edu[0]);
	if (dev_dump(0, &devs)) {
		EXPECT_TRUE(dev_find(&devs, vm, edu[0].dev),
			    "DEVICE_GET without VM_ID lacks %s of VM %u", edu[0].dev, vm);
		EXPECT_TRUE(dev_find(&devs, cvm, edu[1].dev),
			    "DEVICE_GET without VM_ID lacks %s of VM %u", edu[1].dev, cvm);
	}

	/* the child exits holding its PASIDs, its binding and its group */
	child_stop(&c);
	EXPECT_VM_ENDED(cvm, ready.val, ((const bool []){ true, false }), 2);
	EXPECT_STATS(&s0, .reclaimed = 2, .unbinds = 1, .bound = -1);
	expect_group_free(&edu[1]);
	EXPECT_BOUND(vm, p, 1, 1);
	fd_close(fd);
}

/* ------------------------------------------------------------------ */
/* emulated: what removes or extends a binding                         */

static void test_free_bound(void)
{
	struct stats s0;
	uint32_t p, q, vm;
	int fd, g0;

	if (!vm_with_edu0(&fd, &vm, &g0, &p, &q, NULL) || !BIND(0, fd, p, 1) ||
	    !BIND(0, fd, q, 2) || !stats_now(&s0))
		return;
	EXPECT_DEVICES(vm, 2, &edu[0]);

	EXPECT_OK(pasid_free(fd, p));
	EXPECT_STATS(&s0, .freed = 1, .unbinds = 1, .bound = -1);
	EXPECT_PASID_GONE(vm, p);
	EXPECT_BOUND(vm, q, 2, 1);
	EXPECT_VM(vm, 1, 1, 1);
	EXPECT_DEVICES(vm, 1, &edu[0]);
	UNBIND(ENOENT, fd, p);

	EXPECT_OK(pasid_free(fd, q));
	EXPECT_STATS(&s0, .freed = 1, .unbinds = 1, .bound = -1);
	EXPECT_VM(vm, 0, 0, 1);
	EXPECT_DEVICES(vm, 0, &edu[0]);
	fd_close(fd);
	EXPECT_STATS(&s0, 0);
}

static void test_detach_last(void)
{
	struct stats s0;
	uint32_t p, q, r, vm;
	int fd, g0;

	if (!vm_with_edu0(&fd, &vm, &g0, &p, &q, &r, NULL) || !BIND(0, fd, p, 1) ||
	    !BIND(0, fd, q, -1) ||
	    !INVALIDATE(0, fd, CACHE_IOTLB, GRANU_PASID, p) ||
	    !INVALIDATE(0, fd, CACHE_DEV, GRANU_ADDR, q) || !stats_now(&s0))
		return;
	EXPECT_VM(vm, 3, 2, 1);

	DETACH(0, fd, g0, "edu 0, the last group");
	EXPECT_STATS(&s0, .unbinds = 2, .bound = -2);
	EXPECT_VM(vm, 3, 0, 0);
	EXPECT_UNBOUND(vm, p, .inv_iotlb = 1);
	EXPECT_UNBOUND(vm, q, .inv_dev_iotlb = 1);
	EXPECT_UNBOUND(vm, r);
	EXPECT_NO_DEVICES(vm);
	EXPECT_INFO(fd, false, 3);
	BIND(ENODEV, fd, p, 1);
	UNBIND(ENODEV, fd, p);
	INVALIDATE(ENODEV, fd, CACHE_IOTLB, GRANU_PASID, p);

	/* attached again: the bindings were removed, not suspended */
	ATTACH(0, fd, g0, "edu 0 again");
	EXPECT_UNBOUND(vm, p, .inv_iotlb = 1);
	EXPECT_VM(vm, 3, 0, 1);
	EXPECT_STATS(&s0, 0);
	BIND(0, fd, p, 1);
	EXPECT_STATS(&s0, .binds = 1, .bound = 1);
	EXPECT_BOUND(vm, p, 1, 1, .inv_iotlb = 1);
	fd_close(fd);
	EXPECT_STATS(&s0, .reclaimed = 3, .unbinds = 1, .bound = -1);
}

static void test_groups_and_bindings(void)
{
	struct stats s0;
	uint32_t p, q, vm;
	int fd, g0, g1;

	if (!vm_with_edu0(&fd, &vm, &g0, &p, &q, NULL) || !BIND(0, fd, p, 3))
		return;
	g1 = grp_open(&edu[1]);
	if (g1 < 0 || !stats_now(&s0))
		return;
	EXPECT_BOUND(vm, p, 3, 1);

	/* a group attached while bound receives the binding */
	ATTACH(0, fd, g1, "edu 1, while PASID bound");
	EXPECT_STATS(&s0, 0);
	EXPECT_BOUND(vm, p, 3, 2);
	EXPECT_DEVICES(vm, 1, &edu[0], &edu[1]);
	EXPECT_VM(vm, 2, 1, 2);

	/* a bind reaches every device of every group */
	BIND(0, fd, q, -1);
	EXPECT_STATS(&s0, .binds = 1, .bound = 1);
	EXPECT_BOUND(vm, q, -1, 2);
	EXPECT_DEVICES(vm, 2, &edu[0], &edu[1]);

	/* an invalidation is one request, however many devices */
	INVALIDATE(0, fd, CACHE_IOTLB, GRANU_PASID, p);
	EXPECT_STATS(&s0, .inv = 1, .iotlb_pasid = 1);
	INVALIDATE(0, fd, CACHE_IOTLB | CACHE_DEV, GRANU_ADDR, p);
	EXPECT_STATS(&s0, .inv = 1, .iotlb_addr = 1, .dev_iotlb_addr = 1);
	EXPECT_BOUND(vm, p, 3, 2, .inv_iotlb = 2, .inv_dev_iotlb = 1);

	/* detach of a group that is not the last: bindings stay, on fewer devices */
	DETACH(0, fd, g0, "edu 0, not the last");
	EXPECT_STATS(&s0, 0);
	EXPECT_BOUND(vm, p, 3, 1, .inv_iotlb = 2, .inv_dev_iotlb = 1);
	EXPECT_BOUND(vm, q, -1, 1);
	EXPECT_DEVICES(vm, 2, &edu[1]);
	EXPECT_VM(vm, 2, 2, 1);
	EXPECT_INFO(fd, true, 2);

	/* and back */
	ATTACH(0, fd, g0, "edu 0 again");
	EXPECT_STATS(&s0, 0);
	EXPECT_BOUND(vm, p, 3, 2, .inv_iotlb = 2, .inv_dev_iotlb = 1);
	EXPECT_BOUND(vm, q, -1, 2);
	EXPECT_DEVICES(vm, 2, &edu[1], &edu[0]);

	UNBIND(0, fd, p);
	EXPECT_STATS(&s0, .unbinds = 1, .bound = -1);
	EXPECT_DEVICES(vm, 1, &edu[0], &edu[1]);
	DETACH(0, fd, g1, "edu 1, not the last");
	EXPECT_BOUND(vm, q, -1, 1);
	DETACH(0, fd, g0, "edu 0, the last");
	EXPECT_STATS(&s0, .unbinds = 1, .bound = -1);
	EXPECT_UNBOUND(vm, p, .inv_iotlb = 2, .inv_dev_iotlb = 1);
	EXPECT_UNBOUND(vm, q);
	EXPECT_VM(vm, 2, 0, 0);
	fd_close(fd);
}

static void test_vm_close(void)
{
	struct stats s0;
	uint32_t pasids[3], vm;
	int fd, g0, g1;

	if (!vm_with_edu0(&fd, &vm, &g0, NULL))
		return;
	g1 = grp_open(&edu[1]);
	if (g1 < 0 || !ATTACH(0, fd, g1, "edu 1") || !alloc_n(fd, 1, PASID_LIMIT, 3, pasids) ||
	    !BIND(0, fd, pasids[0], 11) || !BIND(0, fd, pasids[1], 12))
		return;
	EXPECT_VM(vm, 3, 2, 2);
	/* the VM holds the groups: our descriptors may go first */
	fd_close(g0);
	fd_close(g1);
	EXPECT_VM(vm, 3, 2, 2);
	EXPECT_BOUND(vm, pasids[0], 11, 2);
	if (!stats_now(&s0))
		return;

	fd_close(fd);
	EXPECT_VM_ENDED(vm, pasids, ((const bool []){ true, true, false }), 3);
	EXPECT_STATS(&s0, .reclaimed = 3, .unbinds = 2, .bound = -2);
	expect_group_free(&edu[0]);
	expect_group_free(&edu[1]);
}

static void test_vm_kill(void)
{
	struct vm_child_arg a = {
		.g = &edu[1], .n_alloc = 3, .n_bind = 2, .invalidate = true,
	};
	struct child c;
	struct msg ready;
	struct stats s0;
	uint32_t cvm;

	if (!start_vm_child(&c, &a, &ready))
		return;
	cvm = ready.vm_id;
	/* seen from outside while it lives */
	EXPECT_VM(cvm, 3, 2, 1);
	EXPECT_DEVICES(cvm, 2, &edu[1]);
	EXPECT_BOUND(cvm, ready.val[0], 100, 1, .inv_iotlb = 1);
	EXPECT_BOUND(cvm, ready.val[1], 101, 1);
	EXPECT_UNBOUND(cvm, ready.val[2]);
	if (!stats_now(&s0))
		return;
	EXPECT_TRUE(s0.bound_total == 2, "BOUND_TOTAL %u, expected 2", s0.bound_total);

	kill(c.pid, SIGKILL);
	child_reap(&c, SIGKILL);
	EXPECT_VM_ENDED(cvm, ready.val, ((const bool []){ true, true, false }), 3);
	EXPECT_STATS(&s0, .reclaimed = 3, .unbinds = 2, .bound = -2);
	expect_group_free(&edu[1]);
}

/* ------------------------------------------------------------------ */
/* emulated: invalidation                                              */

static void test_inv_matrix(void)
{
	uint64_t iotlb = 0, dev = 0;
	struct stats s0;
	uint32_t p, q, vm;
	int fd, g0;

	if (!vm_with_edu0(&fd, &vm, &g0, &p, &q, NULL) || !stats_now(&s0))
		return;

	/* the PASID need not be bound */
	INV_MATRIX(fd, p, EINVAL, 0, &s0, &iotlb, &dev, "held, not bound");
	EXPECT_EQ(3, iotlb);	/* IOTLB+PASID, IOTLB+ADDR, IOTLB|DEV+ADDR */
	EXPECT_EQ(2, dev);	/* DEV+ADDR, IOTLB|DEV+ADDR */
	EXPECT_UNBOUND(vm, p, .inv_iotlb = iotlb, .inv_dev_iotlb = dev);
	EXPECT_UNBOUND(vm, q);

	if (BIND(0, fd, p, 4)) {
		EXPECT_STATS(&s0, .binds = 1, .bound = 1);
		INV_MATRIX(fd, p, EINVAL, 0, &s0, &iotlb, &dev, "bound");
		EXPECT_BOUND(vm, p, 4, 1, .inv_iotlb = iotlb, .inv_dev_iotlb = dev);
		/* per PASID, kept across unbind while the PASID is held */
		UNBIND(0, fd, p);
		EXPECT_STATS(&s0, .unbinds = 1, .bound = -1);
		EXPECT_UNBOUND(vm, p, .inv_iotlb = iotlb, .inv_dev_iotlb = dev);
	}
	EXPECT_EQ(6, iotlb);
	EXPECT_EQ(4, dev);
	EXPECT_UNBOUND(vm, q);

	/* freed, the counts go with it: the same PASID again starts at 0 */
	if (!EXPECT_OK(pasid_free(fd, p)) && alloc_n(fd, p, p, 1, &p)) {
		EXPECT_STATS(&s0, .allocated = 1, .freed = 1);
		EXPECT_UNBOUND(vm, p);
	}
	fd_close(fd);
}

static void test_inv_order(void)
{
	struct stats s0;
	uint32_t p, u, vm;
	int fd, g0;

	if (!vm_setup(false, &fd, &vm, &g0, &u, &p, NULL) || !stats_now(&s0))
		return;

	/* no group: malformed first (1), then ENODEV (2) before 4 and 5 */
	INV_MATRIX(fd, p, ENODEV, ENODEV, NULL, NULL, NULL, "no group");
	INV_MATRIX(fd, u, ENODEV, ENODEV, NULL, NULL, NULL, "no group, unheld");
	INV_CASES(fd, p, inv_step1, EINVAL, "no group");
	INV_CASES(fd, p, inv_step4, ENODEV, "no group");
	INV_CASES(fd, u, inv_step4, ENODEV, "no group, unheld");
	EXPECT_STATS(&s0, 0);

	if (!ATTACH(0, fd, g0, "edu 0"))
		return;
	/* 1 and 4 before 5 */
	INV_MATRIX(fd, u, EINVAL, ENOENT, NULL, NULL, NULL, "unheld");
	INV_CASES(fd, u, inv_step1, EINVAL, "unheld");
	INV_CASES(fd, u, inv_step4, EINVAL, "unheld");
	/* each alone */
	INV_CASES(fd, p, inv_step1, EINVAL, "held");
	INV_CASES(fd, p, inv_step4, EINVAL, "held");
	EXPECT_STATS(&s0, 0);
	EXPECT_UNBOUND(vm, p);
	fd_close(fd);
}

/* Send @m, which must be accepted: counters move by its share */
static void inv_ok_at(int line, int fd, struct inv_msg *m, struct stats *s0,
		      const char *what)
{
	struct delta d;

	if (!check_ioctl_at(line, 0, fd, VFIO_IOMMU_CACHE_INVALIDATE, m, "%s", what))
		return;
	d = inv_delta(m->w.cache_info.cache, m->w.cache_info.granularity);
	expect_stats_at(line, s0, &d);
}

#define INV_OK(fd, m, s0, what) inv_ok_at(__LINE__, fd, m, s0, what)

static void test_inv_sizes(void)
{
	struct iommu_inv_addr_info *ai;
	struct inv_msg m;
	struct stats s0;
	uint32_t p, vm;
	int fd, g0;

	if (!vm_with_edu0(&fd, &vm, &g0, &p, NULL) || !stats_now(&s0))
		return;
	ai = &m.w.cache_info.granu.addr_info;

	/* cache_info just long enough for its granularity */
	inv_prep(&m, CACHE_IOTLB, GRANU_PASID, p);
	m.w.cache_info.argsz = INV_INFO_PASID;
	INV_OK(fd, &m, &s0, "PASID granularity, cache_info.argsz 32");
	m.w.argsz = 8 + INV_INFO_PASID;
	INV_OK(fd, &m, &s0, "PASID granularity, cache_info.argsz 32, wrapper argsz 40");

	/* bigger structs: zero tails are fine, others E2BIG */
	inv_prep(&m, CACHE_IOTLB, GRANU_ADDR, p);
	m.w.argsz = sizeof(m);
	INV_OK(fd, &m, &s0, "wrapper argsz 96, zero tail");
	m.w.argsz = sizeof(m.w);
	EXPECT_TAILS(fd, VFIO_IOMMU_CACHE_INVALIDATE, &m, &m.w.argsz,
		     &m.w.cache_info.argsz, "cache_info.argsz", m.tail, "IOTLB, ADDR");
	INV_OK(fd, &m, &s0, "cache_info.argsz 64, zero tail");
	EXPECT_STATS(&s0, 0);

	/* the defined flags of pasid_info and addr_info */
	inv_prep(&m, CACHE_IOTLB, GRANU_PASID, p);
	m.w.cache_info.granu.pasid_info.flags |= IOMMU_INV_PASID_FLAGS_ARCHID;
	INV_OK(fd, &m, &s0, "pasid_info flags PASID|ARCHID");
	inv_prep(&m, CACHE_IOTLB, GRANU_ADDR, p);
	ai->flags |= IOMMU_INV_ADDR_FLAGS_ARCHID | IOMMU_INV_ADDR_FLAGS_LEAF;
	INV_OK(fd, &m, &s0, "addr_info flags PASID|ARCHID|LEAF");

	/* granules: powers of two from 4 KiB, addresses aligned to them */
	{
		static const struct { uint64_t size, addr, nb; } ok[] = {
			{ 4096, 0, 1 },
			{ 4096, 4096, 512 },
			{ 8192, 0x200000, 1 },
			{ 65536, 0x10000, 3 },
			{ 2 << 20, 0x200000, 1 },
			{ 1 << 30, 1ULL << 30, 2 },
			{ 1ULL << 39, 1ULL << 39, 1 },
		};
		unsigned int i, c;
		char what[128];

		for (i = 0; i < ARRAY_SIZE(ok); i++)
			for (c = CACHE_IOTLB; c <= (CACHE_IOTLB | CACHE_DEV); c++) {
				inv_prep(&m, c, GRANU_ADDR, p);
				ai->granule_size = ok[i].size;
				ai->addr = ok[i].addr;
				ai->nb_granules = ok[i].nb;
				snprintf(what, sizeof(what),
					 "cache 0x%x, granule 0x%llx at 0x%llx x %llu", c,
					 (unsigned long long)ok[i].size,
					 (unsigned long long)ok[i].addr,
					 (unsigned long long)ok[i].nb);
				INV_OK(fd, &m, &s0, what);
			}
	}
	EXPECT_STATS(&s0, 0);
	fd_close(fd);
}

/* ------------------------------------------------------------------ */
/* Bad pointers                                                        */

static void test_bad_pointers(void)
{
	static const struct {
		unsigned long	cmd;
		uint32_t	size;
	} cmds[] = {
		{ VFIO_PASID_ATTACH_GROUP, sizeof(struct vfio_pasid_group) },
		{ VFIO_PASID_DETACH_GROUP, sizeof(struct vfio_pasid_group) },
		{ VFIO_IOMMU_BIND, 8 + BIND_DATA_SIZE },
		{ VFIO_IOMMU_CACHE_INVALIDATE,
		  sizeof(struct vfio_iommu_type1_cache_invalidate) },
		{ VFIO_PASID_GET_INFO, 256 },
	};
	long page = sysconf(_SC_PAGESIZE);
	struct stats s0;
	char *mem, *none;
	uint32_t p, vm;
	unsigned int i;
	int fd, g0;

	if (!vm_with_edu0(&fd, &vm, &g0, &p, NULL) || !BIND(0, fd, p, 1))
		return;
	mem = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED) {
		tap_fail("mmap: %s", errno_name(errno));
		return;
	}
	none = mem + page;
	mprotect(none, page, PROT_NONE);
	if (!stats_now(&s0))
		goto out;

	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		/* argsz readable, the rest of the struct not */
		uint32_t *straddle = (uint32_t *)(none - sizeof(uint32_t));

		*straddle = cmds[i].size;
		CHECK(EFAULT, fd, cmds[i].cmd, NULL, "NULL");
		CHECK(EFAULT, fd, cmds[i].cmd, (void *)1, "(void *)1");
		CHECK(EFAULT, fd, cmds[i].cmd, none, "an unmapped page");
		CHECK(EFAULT, fd, cmds[i].cmd, straddle, "struct running into an unmapped page");
	}
	{
		/* bind data whose end runs into the unmapped page */
		struct bind_msg m;
		char *at = none - (8 + BIND_DATA_MIN);

		bind_prep(&m, OP_UNBIND, p, -1);
		memcpy(at, &m, 8 + BIND_DATA_MIN);
		CHECK(EFAULT, fd, VFIO_IOMMU_BIND, at,
		      "unbind, data.argsz 72 of which 16 bytes unmapped");
	}
	{
		/* GET_INFO with its capability, into read-only memory */
		union info_buf *u = (void *)mem;

		memset(u, 0, sizeof(*u));
		u->i.argsz = sizeof(*u);
		mprotect(mem, page, PROT_READ);
		CHECK(EFAULT, fd, VFIO_PASID_GET_INFO, u, "into read-only memory");
		mprotect(mem, page, PROT_READ | PROT_WRITE);
	}
	EXPECT_STATS(&s0, 0);
	EXPECT_BOUND(vm, p, 1, 1);
	EXPECT_VM(vm, 1, 1, 1);
out:
	munmap(mem, 2 * page);
	fd_close(fd);
}

/* ------------------------------------------------------------------ */
/* Mediated devices                                                    */

static bool mdev_script(void)
{
	if (!access(MDEV_SCRIPT, X_OK))
		return true;
	tap_fail("%s is missing (%s): the mdev tests cannot run", MDEV_SCRIPT,
		 errno_name(errno));
	return false;
}

/*
 * The parent of mdev @uuid as sysfs shows it, into @out; whether that
 * parent has an IOMMU group
 */
static bool mdev_parent_of(const char *uuid, char *out, size_t size)
{
	char path[128], *real, *slash;
	bool has_group = false;

	out[0] = '\0';
	snprintf(path, sizeof(path), "/sys/bus/mdev/devices/%s", uuid);
	real = realpath(path, NULL);
	if (!real) {
		tap_fail("realpath(%s): %s", path, errno_name(errno));
		return false;
	}
	slash = strrchr(real, '/');
	if (slash) {
		*slash = '\0';
		snprintf(path, sizeof(path), "%.100s/iommu_group", real);
		has_group = !access(path, F_OK);
		slash = strrchr(real, '/');
		snprintf(out, size, "%.63s", slash ? slash + 1 : real);
	}
	free(real);
	return has_group;
}

/* mdev create ARGS into @g: "UUID GROUP" */
static void mdev_create(struct vgroup *g, const char *args)
{
	char cmd[128], line[160], uuid[64];
	int num;

	g->num = -1;
	snprintf(cmd, sizeof(cmd), "%s create %s", MDEV_SCRIPT, args);
	mdev_module_used = true;
	if (run_cmd(cmd, line, sizeof(line)))
		return;
	if (sscanf(line, "%63s %d", uuid, &num) != 2 || num < 0) {
		tap_fail("'%s' printed '%s', not 'UUID GROUP'", cmd, line);
		return;
	}
	snprintf(g->dev, sizeof(g->dev), "%s", uuid);
	if (!group_link_is(g, "mdev", num))
		return;
	EXPECT_TRUE(mdev_parent_of(uuid, g->parent, sizeof(g->parent)) == g->backed,
		    "%s: its parent %s %s an IOMMU group", g->what, g->parent,
		    g->backed ? "lacks" : "has");
	g->num = num;
	tap_note("%s: %s, group %d, parent %s", g->what, g->dev, g->num, g->parent);
}

static void test_mdev_create(void)
{
	char bdf[32];

	if (!mdev_script())
		return;
	mdev_create(&mdev_backed, "--edu 2");
	if (mdev_backed.num >= 0 && edu_bdf(2, bdf, sizeof(bdf))) {
		EXPECT_TRUE(!strcmp(mdev_backed.parent, bdf),
			    "%s: parent '%s', expected edu 2 (%s)", mdev_backed.what,
			    mdev_backed.parent, bdf);
		pci_unit(bdf, mdev_backed.unit, sizeof(mdev_backed.unit));
	}
	mdev_create(&mdev_virt, "--virtual");
	EXPECT_TRUE(mdev_virt.num < 0 || mdev_virt.parent[0], "%s: no parent",
		    mdev_virt.what);
	EXPECT_TRUE(mdev_backed.num < 0 || mdev_backed.num != mdev_virt.num,
		    "the two mdevs share group %d", mdev_backed.num);
}

static void test_mdev_backed(void)
{
	struct stats s0;
	uint32_t p, q, vm;
	int fd = dev_open(), gm, g0;

	if (!mdev_script() || fd < 0)
		return;
	vm = vm_id_of(fd);
	gm = grp_open(&mdev_backed);
	g0 = grp_open(&edu[0]);
	if (gm < 0 || g0 < 0 || !ATTACH(0, fd, gm, mdev_backed.what) ||
	    !alloc_one(fd, &p) || !alloc_one(fd, &q) || !stats_now(&s0))
		return;
	EXPECT_VM(vm, 2, 0, 1);
	EXPECT_DEVICES(vm, 0, &mdev_backed);
	EXPECT_INFO(fd, true, 2);

	/* bound through its parent, which has an IOMMU group */
	BIND(0, fd, p, 21);
	EXPECT_STATS(&s0, .binds = 1, .bound = 1);
	EXPECT_BOUND(vm, p, 21, 1);
	EXPECT_DEVICES(vm, 1, &mdev_backed);
	INVALIDATE(0, fd, CACHE_IOTLB, GRANU_ADDR, p);
	EXPECT_STATS(&s0, .inv = 1, .iotlb_addr = 1);

	/* with a PCI group beside it */
	ATTACH(0, fd, g0, "edu 0, while PASID bound");
	EXPECT_BOUND(vm, p, 21, 2, .inv_iotlb = 1);
	EXPECT_DEVICES(vm, 1, &mdev_backed, &edu[0]);
	BIND(0, fd, q, 22);
	EXPECT_BOUND(vm, q, 22, 2);
	EXPECT_DEVICES(vm, 2, &mdev_backed, &edu[0]);
	EXPECT_STATS(&s0, .binds = 1, .bound = 1);

	DETACH(0, fd, g0, "edu 0");
	EXPECT_BOUND(vm, q, 22, 1);
	DETACH(0, fd, gm, mdev_backed.what);
	EXPECT_STATS(&s0, .unbinds = 2, .bound = -2);
	EXPECT_VM(vm, 2, 0, 0);
	fd_close(fd);
}

static void test_mdev_rollback(void)
{
	struct stats s0;
	uint32_t p, u, vm;
	int fd = dev_open(), g0, gv;

	if (!mdev_script() || fd < 0)
		return;
	vm = vm_id_of(fd);
	g0 = grp_open(&edu[0]);
	gv = grp_open(&mdev_virt);
	if (g0 < 0 || gv < 0 || !alloc_one(fd, &p))
		return;
	u = pasid_unheld(fd);
	/* first a PCI group, then the mdev that is not IOMMU-backed */
	if (!ATTACH(0, fd, g0, "edu 0") ||
	    !ATTACH(0, fd, gv, "mdev without IOMMU group, nothing bound") ||
	    !stats_now(&s0))
		return;
	EXPECT_VM(vm, 1, 0, 2);
	EXPECT_DEVICES(vm, 0, &edu[0], &mdev_virt);

	/* edu 0 takes the bind, the mdev refuses it: undone */
	BIND(EOPNOTSUPP, fd, p, 5);
	EXPECT_STATS(&s0, 0);
	EXPECT_UNBOUND(vm, p);
	EXPECT_DEV_BINDS(vm, &edu[0], 0);
	EXPECT_VM(vm, 1, 0, 2);
	EXPECT_DEVICES(vm, 0, &edu[0], &mdev_virt);

	/* the order: 4, 5 and 6 come before the devices' refusal (7) */
	BIND_CASES(fd, OP_BIND, p, bind_step4, EINVAL, "with a non-backed mdev");
	BIND(ENOENT, fd, u, 5);
	UNBIND(ENOENT, fd, p);
	EXPECT_STATS(&s0, 0);
	EXPECT_UNBOUND(vm, p);

	/* without it the bind works; then it cannot be attached */
	DETACH(0, fd, gv, "mdev without IOMMU group");
	BIND(0, fd, p, 5);
	EXPECT_STATS(&s0, .binds = 1, .bound = 1);
	ATTACH(EOPNOTSUPP, fd, gv, "mdev without IOMMU group, a PASID bound");
	EXPECT_STATS(&s0, 0);
	EXPECT_VM(vm, 1, 1, 1);
	EXPECT_BOUND(vm, p, 5, 1);
	EXPECT_DEVICES(vm, 1, &edu[0]);
	DETACH(ENOENT, fd, gv, "mdev without IOMMU group, refused");

	/* unbound, it can */
	UNBIND(0, fd, p);
	EXPECT_STATS(&s0, .unbinds = 1, .bound = -1);
	ATTACH(0, fd, gv, "mdev without IOMMU group, nothing bound");
	EXPECT_DEVICES(vm, 0, &edu[0], &mdev_virt);
	fd_close(fd);
	fd_close(gv);
	expect_group_free(&mdev_virt);
}

/*
 * The parent driver unloads while its mdevs are attached: their devices,
 * the parents (vp_mdev_virtual's driver lives in that module), then
 * mdev.ko itself, whose function releases an mdev.  The VM reports the
 * devices as they were at attach, detaches them and ends; a reference kept
 * on any of them would be put into unloaded code.
 */
static void test_mdev_parent_gone(void)
{
	struct vgroup backed = mdev_backed, virt = mdev_virt;
	char cmd[128], out[256];
	int fd = dev_open(), gm, gv;
	uint32_t vm;

	if (!mdev_script() || fd < 0)
		return;
	vm = vm_id_of(fd);
	gm = grp_open(&mdev_backed);
	gv = grp_open(&mdev_virt);
	if (gm < 0 || gv < 0 || !ATTACH(0, fd, gm, mdev_backed.what) ||
	    !ATTACH(0, fd, gv, mdev_virt.what))
		return;
	EXPECT_DEVICES(vm, 0, &mdev_backed, &mdev_virt);

	snprintf(cmd, sizeof(cmd), "%s unload", MDEV_SCRIPT);
	if (run_cmd(cmd, NULL, 0))
		return;
	mdev_module_used = false;
	mdev_backed.num = -1;
	mdev_virt.num = -1;
	EXPECT_TRUE(access("/sys/module/vp_mdev_test", F_OK),
		    "vp_mdev_test is still loaded after '%s'", cmd);
	/* nothing else of the test VM uses mdev.ko: it goes too (a kernel
	 * with mdev built in, as the debug lane's, keeps it) */
	if (!access("/sys/module/mdev/initstate", F_OK) &&
	    run_cmd("rmmod mdev", out, sizeof(out)))
		return;

	/* as they were at attach */
	EXPECT_VM(vm, 0, 0, 2);
	EXPECT_DEVICES(vm, 0, &backed, &virt);
	DETACH(0, fd, gm, "the mdev on edu 2, its parent driver gone");
	DETACH(0, fd, gv, "the mdev without IOMMU group, its parent gone");
	EXPECT_VM(vm, 0, 0, 0);
	EXPECT_NO_DEVICES(vm);
	fd_close(gm);
	fd_close(gv);
	fd_close(fd);
	check_idle("after the mdevs' parent driver went");
}

static void mdev_remove(struct vgroup *g)
{
	char cmd[160], path[128];

	if (g->num < 0 || !g->dev[0])
		return;
	snprintf(cmd, sizeof(cmd), "%s remove %s", MDEV_SCRIPT, g->dev);
	if (run_cmd(cmd, NULL, 0))
		return;
	snprintf(path, sizeof(path), "/sys/bus/mdev/devices/%s", g->dev);
	EXPECT_TRUE(access(path, F_OK), "%s is still there after '%s'", path, cmd);
	g->num = -1;
}

static void test_mdev_cleanup(void)
{
	char cmd[128];

	if (!mdev_script())
		return;
	mdev_remove(&mdev_backed);
	mdev_remove(&mdev_virt);
	if (mdev_module_used) {
		snprintf(cmd, sizeof(cmd), "%s unload", MDEV_SCRIPT);
		if (!run_cmd(cmd, NULL, 0))
			mdev_module_used = false;
	}
}

static void test_balance(void)
{
	struct stats s;

	check_idle("at the end");
	if (stats_now(&s))
		tap_note("%s: %llu binds, %llu unbinds, %llu invalidations, "
			 "%llu PASIDs allocated; %lu requests checked so far",
			 s.backend, (unsigned long long)s.binds,
			 (unsigned long long)s.unbinds,
			 (unsigned long long)s.invalidations,
			 (unsigned long long)s.allocated, n_checked);
}

/* ------------------------------------------------------------------ */

#define NONE	false
#define MODULE	true

static const struct test tests[] = {
	{ "setup: edu 0 and 1 bound to vfio-pci: groups, addresses, IOMMU units",
	  test_setup, NONE },
	{ "module: load with no parameter (backend native)", test_load_native, NONE },
	{ "native: attach/detach, GROUP_COUNT, DEVICE_GET facts, EEXIST/ENOENT",
	  test_native_groups, MODULE },
	{ "native: no capability; bind/invalidate ENODEV without group, EOPNOTSUPP "
	  "with one, EINVAL first; nothing moves", test_native_no_nesting, MODULE },
	{ "native: balance", test_balance, MODULE },
	{ "module: unload (native)", test_unload, MODULE },
	{ "module: load backend=emulated", test_load_emulated, NONE },
	{ "info: nesting capability only with a group of the VM's own; argsz too "
	  "small gets the size needed", test_info_cap, MODULE },
	{ "attach: flags, EBADF, EINVAL (not a group), EEXIST, ENOENT, argsz rules",
	  test_attach_errors, MODULE },
	{ "attach: EPERM for a group with an IOMMU in no container; out of it, "
	  "it still detaches", test_attach_unowned, MODULE },
	{ "attach: the VM holds the group file until detach or its end",
	  test_attach_holds_group, MODULE },
	{ "groups: detach by number after the VMM closed the descriptor",
	  test_detach_by_id, MODULE },
	{ "groups: one VM at a time: EBUSY for another VM, free after detach or "
	  "exit", test_attach_exclusive, MODULE },
	{ "groups: a descriptor from before its device's removal: ENODEV, never "
	  "the group that reused its number; it still detaches", test_attach_stale,
	  MODULE },
	{ "bind: state, gpasid, counters; EBUSY twice; unbind, ENOENT unbound",
	  test_bind_basic, MODULE },
	{ "bind: VT-d flags bits 0..6 accepted and recorded, 7..63 EINVAL",
	  test_bind_vendor_flags, MODULE },
	{ "bind: malformed each alone (EINVAL), E2BIG tails, zero tails; unbind "
	  "needs only hpasid", test_bind_malformed, MODULE },
	{ "bind: the order of checks (EINVAL, ENODEV, EINVAL, ENOENT, EBUSY)",
	  test_bind_order, MODULE },
	{ "bind/invalidate: PASIDs not held (freed, 0, 64-bit alias, another VM's) "
	  "ENOENT", test_not_held, MODULE },
	{ "lifecycle: free of a bound PASID unbinds it first", test_free_bound, MODULE },
	{ "lifecycle: detach of the last group removes bindings, PASIDs stay",
	  test_detach_last, MODULE },
	{ "lifecycle: attach while bound extends bindings; detach of another group "
	  "narrows them", test_groups_and_bindings, MODULE },
	{ "lifecycle: close of a VM with groups and bound PASIDs", test_vm_close, MODULE },
	{ "lifecycle: SIGKILL of a VM with groups and bound PASIDs", test_vm_kill, MODULE },
	{ "invalidate: cache 0..7 x granularity 0..3 (and out of range): four "
	  "accepted, counters per request and per PASID", test_inv_matrix, MODULE },
	{ "invalidate: the order of checks (EINVAL, ENODEV, EINVAL, ENOENT)",
	  test_inv_order, MODULE },
	{ "invalidate: argsz per granularity, E2BIG tails, defined flags, granule "
	  "sizes", test_inv_sizes, MODULE },
	{ "uapi: bad pointers fail with EFAULT and change nothing", test_bad_pointers,
	  MODULE },
	{ "mdev: create an mdev on edu 2 and one without IOMMU group (tests/vm/mdev)",
	  test_mdev_create, MODULE },
	{ "mdev: IOMMU-backed mdev: DEV_PARENT, binds through its parent",
	  test_mdev_backed, MODULE },
	{ "mdev: a non-backed mdev: bind EOPNOTSUPP rolled back; attach refused "
	  "while bound", test_mdev_rollback, MODULE },
	{ "mdev: the parent driver and mdev.ko unload while the mdevs are "
	  "attached: reported as at attach, detached, nothing dangles",
	  test_mdev_parent_gone, MODULE },
	{ "mdev: remove the mdevs, unload the mdev module", test_mdev_cleanup, NONE },
	{ "emulated: balance", test_balance, MODULE },
	{ "module: unload (emulated)", test_unload, MODULE },
};

static bool module_loaded(void)
{
	return backend;
}

/* After each test: clean up; the module idle, the groups free */
static void after_test(const struct test *tc)
{
	unsigned int i;

	cleanup_test();
	if (backend && tc->fn != test_balance && tc->fn != test_load_native &&
	    tc->fn != test_load_emulated)
		check_idle("after the test");
	if (tc->fn == test_setup)
		return;
	for (i = 0; i < ARRAY_SIZE(edu); i++)
		if (edu[i].num >= 0)
			expect_group_free(&edu[i]);
	if (mdev_backed.num >= 0)
		expect_group_free(&mdev_backed);
	if (mdev_virt.num >= 0)
		expect_group_free(&mdev_virt);
}

/* Whatever failed: no mdev or mdev module left behind */
static void end_mdevs(void)
{
	if (mdev_backed.num >= 0 || mdev_virt.num >= 0 || mdev_module_used) {
		tap_begin();
		test_mdev_cleanup();
		if (tap_failed())
			fputs(tap->diag, stdout);
	}
}

int main(int argc, char **argv)
{
	static const struct harness h = {
		.what = "Tests VFIO groups, nesting, binds and invalidations of /dev/vfio-pasid",
		.timeout = 300,
		.subreaper = true,
		.tests = tests,
		.n_tests = ARRAY_SIZE(tests),
		.loaded = module_loaded,
		.after = after_test,
		.end = end_mdevs,
	};

	return harness_main(argc, argv, &h);
}
