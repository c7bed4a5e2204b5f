// SPDX-License-Identifier: GPL-2.0
/*
 * vfiopasidctl caps [--group N]... - what the host can give a VM
 *
 * Copyright (C) 2026 The vfio-pasid authors
 *
 * Without --group: every IOMMU unit under /sys/class/iommu decoded, and the
 * module's state, backend and uAPI version.  Needs no privilege and no
 * VFIO group; exits 0 with the module not loaded ("module": "not loaded").
 *
 * With groups, what a VMM would do, in order: open /dev/vfio/vfio, ask its
 * API version and IOMMU types, open every /dev/vfio/N, check that it is
 * viable and add it to the container, set type1v2, read VFIO_IOMMU_GET_INFO
 * and its capability chain (IOVA page sizes, IOVA ranges, DMA mappings
 * available); then open /dev/vfio-pasid, read the uAPI version, attach
 * every group, read VFIO_PASID_GET_INFO and its capability chain (nesting),
 * and the devices of the VM over netlink (DEVICE_GET).  Then the IOMMU
 * units behind the groups are decoded from sysfs, and a verdict is given
 * per group.  Everything is undone when caps exits (the VM it made ends).
 *
 * The result is one JSON object {"caps":{...}} (schema in
 * man/vfiopasidctl.8); the text rendering is made from that same object.
 */
#include <argp.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/vfio.h>
#include <linux/vfio_pasid.h>

#include "vfiopasidctl.h"
#include "error.h"
#include "iommu.h"
#include "kmodule.h"
#include "nl.h"
#include "objects.h"
#include "output.h"
#include "parse.h"
#include "vfio.h"

#define SYSFS "/sys"

struct caps_args {
	struct ctx	*ctx;
	uint32_t	groups[MAX_GROUPS];
	int		ngroups;
};

enum { OPT_GROUP = 0x200 };

static const struct argp_option caps_options[] = {
	{ "group", OPT_GROUP, "N", 0,
	  "Probe VFIO group N (/dev/vfio/N) in a real container and attach it "
	  "to the module; may be repeated", 0 },
	{ 0 }
};

static error_t caps_parse(int key, char *arg, struct argp_state *state)
{
	struct caps_args *a = state->input;
	uint32_t g;

	switch (key) {
	case OPT_GROUP:
		if (parse_u32(arg, &g))
			usage_die(a->ctx, "--group '%s' is not a number", arg);
		group_arg_add(a->ctx, a->groups, &a->ngroups, g);
		return 0;
	case ARGP_KEY_ARG:
		usage_die(a->ctx, "unexpected argument '%s'", arg);
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

static const struct argp caps_argp = {
	caps_options, caps_parse, "",
	"Show what the host can give a VM.  Without --group: every IOMMU unit "
	"decoded from sysfs (Intel VT-d cap/ecap, AMD-Vi cap/features) with "
	"its PASID and nesting verdicts, and the module's state, backend and "
	"uAPI version; exits 0 even without the module.  With --group: the "
	"groups are put in a real VFIO container (type1v2) and attached to "
	"the module, and the container's facts, the nesting capability, the "
	"devices and the IOMMU units behind the groups are shown, with a "
	"verdict per group.",
	NULL, NULL, NULL
};

static json_object *get(const json_object *o, const char *key)
{
	json_object *v = NULL;

	if (!o || !json_object_object_get_ex(o, key, &v))
		return NULL;
	return v;
}

static const char *get_str(const json_object *o, const char *key)
{
	json_object *v = get(o, key);

	return v && json_object_is_type(v, json_type_string) ?
	       json_object_get_string(v) : NULL;
}

/* --- the module: STATS_GET -------------------------------------------------- */

struct module_info {
	bool		stats;
	char		backend[64];
	bool		has_uapi;
	uint32_t	uapi;
	json_object	*nesting;	/* backend_nesting_obj(), owned */
};

static int stats_cb(uint8_t cmd, struct nlattr **tb, void *arg)
{
	struct module_info *m = arg;

	(void)cmd;
	m->stats = true;
	if (tb[VFIO_PASID_A_BACKEND])
		snprintf(m->backend, sizeof(m->backend), "%s",
			 nla_get_string(tb[VFIO_PASID_A_BACKEND]));
	if (tb[VFIO_PASID_A_UAPI_VERSION]) {
		m->has_uapi = true;
		m->uapi = nla_get_u32(tb[VFIO_PASID_A_UAPI_VERSION]);
	}
	json_object_put(m->nesting);
	m->nesting = backend_nesting_obj(tb);
	return 0;
}

static void module_info(struct ctx *ctx, struct module_info *m)
{
	if (!vnl_try_open(ctx))
		return;
	if (vnl_exec(ctx, vnl_msg_new(ctx, VFIO_PASID_CMD_STATS_GET, false),
		     stats_cb, m))
		m->stats = false;
}

/* --- the VFIO container ---------------------------------------------------- */

struct probe {
	struct caps_args *a;
	int		container;
	int		gfd[MAX_GROUPS];
	int		dev;		/* /dev/vfio-pasid */
	uint32_t	vm_id;
	json_object	*container_obj;
	json_object	*vm_obj;
	json_object	*groups;	/* list */
	json_object	*devices;	/* DEVICE_GET of our VM, list */
};

static json_object *page_sizes(uint64_t bitmap)
{
	json_object *l = jarr();

	for (unsigned int b = 0; b < 64; b++)
		if (bitmap & (1ULL << b))
			json_object_array_add(l, ju64(1ULL << b));
	return l;
}

static int iommu_info_cap(const struct vfio_info_cap_header *hdr,
			  size_t avail, void *arg)
{
	json_object *c = arg;

	switch (hdr->id) {
	case VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE: {
		const struct vfio_iommu_type1_info_cap_iova_range *r =
			(const void *)hdr;
		json_object *l = jarr();

		if (avail < sizeof(*r) ||
		    (avail - sizeof(*r)) / sizeof(r->iova_ranges[0]) <
		    r->nr_iovas) {
			json_object_put(l);
			return -EPROTO;
		}
		for (uint32_t i = 0; i < r->nr_iovas; i++) {
			json_object *o = jobj();

			jadd(o, "start", ju64(r->iova_ranges[i].start));
			jadd(o, "end", ju64(r->iova_ranges[i].end));
			json_object_array_add(l, o);
		}
		jadd(c, "iova_ranges", l);
		break;
	}
	case VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION: {
		const struct vfio_iommu_type1_info_cap_migration *m =
			(const void *)hdr;
		json_object *o;

		if (avail < sizeof(*m))
			return -EPROTO;
		o = jobj();
		jadd(o, "dirty_page_sizes", page_sizes(m->pgsize_bitmap));
		jadd(o, "max_dirty_bitmap_size", ju64(m->max_dirty_bitmap_size));
		jadd(c, "migration", o);
		break;
	}
	case VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL: {
		const struct vfio_iommu_type1_info_dma_avail *d =
			(const void *)hdr;

		if (avail < sizeof(*d))
			return -EPROTO;
		jadd(c, "dma_mappings_available", jnum(d->avail));
		break;
	}
	default:
		break;
	}
	return 0;
}

/*
 * ioctl @cmd (@name) of @fd with a struct that starts with its argsz, in a
 * zeroed buffer of *@size bytes that grows to what the kernel says it
 * needs (4 tries at most).  The buffer (malloc()ed, *@size its size), or
 * NULL after printing the failure, with *@ret its exit status.
 */
/*
 * A VFIO ioctl on a container or group descriptor failed: ENOTTY there
 * means the node is not what VFIO should have made it, not that our module
 * is old, which is what the generic wording would say.
 */
static int vfio_fail(struct ctx *ctx, int err, const char *what)
{
	if (err == ENOTTY)
		return fail(EXIT_FAIL,
			    "%s: %s: not a VFIO node: it does not know the request",
			    ctx->cmd, what);
	return fail_errno(err, NULL, NULL, "%s: %s", ctx->cmd, what);
}

/* No info struct with its capability chain comes near this */
#define INFO_MAX_SIZE	(64 * 1024)

static void *info_ioctl(struct ctx *ctx, int fd, unsigned long cmd,
			const char *name, uint32_t *size, int *ret)
{
	uint32_t *info = NULL;

	for (int tries = 0; tries < 4; tries++) {
		uint32_t *n = realloc(info, *size);

		if (!n) {
			free(info);
			*ret = fail_errno(ENOMEM, NULL, NULL, "%s", ctx->cmd);
			return NULL;
		}
		info = n;
		memset(info, 0, *size);
		info[0] = *size;	/* argsz */
		if (ioctl(fd, cmd, info) < 0) {
			*ret = cmd == VFIO_IOMMU_GET_INFO ?
				vfio_fail(ctx, errno, name) :
				fail_errno(errno, NULL, NULL, "%s: %s",
					   ctx->cmd, name);
			free(info);
			return NULL;
		}
		if (info[0] <= *size)
			return info;
		if (info[0] > INFO_MAX_SIZE)
			break;
		*size = info[0];
	}
	free(info);
	*ret = fail(EXIT_FAIL, "%s: %s: the kernel keeps asking for a larger buffer",
		    ctx->cmd, name);
	return NULL;
}

/* VFIO_IOMMU_GET_INFO with its capability chain, into @c */
static int container_info(struct ctx *ctx, int container, json_object *c)
{
	struct vfio_iommu_type1_info *info;
	uint32_t size = sizeof(*info) + 512;
	int ret;

	info = info_ioctl(ctx, container, VFIO_IOMMU_GET_INFO,
			  "VFIO_IOMMU_GET_INFO", &size, &ret);
	if (!info)
		return ret;
	jadd(c, "iova_page_sizes", info->flags & VFIO_IOMMU_INFO_PGSIZES ?
				   page_sizes(info->iova_pgsizes) : NULL);
	jadd(c, "iova_ranges", NULL);
	jadd(c, "dma_mappings_available", NULL);
	jadd(c, "migration", NULL);
	if ((info->flags & VFIO_IOMMU_INFO_CAPS) && info->cap_offset &&
	    info->argsz <= size &&
	    vfio_cap_walk(info, info->argsz, sizeof(*info), info->cap_offset,
			  iommu_info_cap, c)) {
		free(info);
		return fail(EXIT_FAIL,
			    "%s: VFIO_IOMMU_GET_INFO: the kernel's capability chain is malformed",
			    ctx->cmd);
	}
	free(info);
	return 0;
}

static int open_container(struct probe *p)
{
	struct ctx *ctx = p->a->ctx;
	json_object *c = jobj(), *types, *exts;
	int err, api;

	p->container_obj = c;
	p->container = open(VFIO_CONTAINER_PATH, O_RDWR | O_CLOEXEC);
	if (p->container < 0) {
		err = errno;
		if (err == ENOENT || err == ENODEV || err == ENXIO)
			return fail(EXIT_FAIL,
				    "%s: %s does not exist: VFIO is not loaded (modprobe vfio-pci)",
				    ctx->cmd, VFIO_CONTAINER_PATH);
		return fail_errno(err, NULL,
				  err == EACCES || err == EPERM ?
				  "run as root, or get read-write access to it" :
				  NULL, "%s: %s", ctx->cmd, VFIO_CONTAINER_PATH);
	}
	api = ioctl(p->container, VFIO_GET_API_VERSION);
	if (api < 0)
		return vfio_fail(ctx, errno,
				 VFIO_CONTAINER_PATH ": VFIO_GET_API_VERSION");
	jadd(c, "path", jstr(VFIO_CONTAINER_PATH));
	jadd(c, "api_version", jnum(api));
	types = jarr();
	exts = jarr();
	for (const struct vfio_ext_name *e = vfio_ext_names; e->name; e++)
		if (ioctl(p->container, VFIO_CHECK_EXTENSION, e->ext) > 0)
			json_object_array_add(e->iommu_type ? types : exts,
					      jstr(e->name));
	jadd(c, "iommu_types", types);
	jadd(c, "extensions", exts);
	return 0;
}

/* Open, check and add every group; set type1v2; read the info */
static int fill_container(struct probe *p)
{
	struct ctx *ctx = p->a->ctx;
	json_object *c = p->container_obj;
	int ret;

	for (int i = 0; i < p->a->ngroups; i++) {
		struct vfio_group_status st = { .argsz = sizeof(st) };
		uint32_t g = p->a->groups[i];

		ret = vfio_group_open(ctx, g, &p->gfd[i]);
		if (ret)
			return ret;
		char what[64];

		if (ioctl(p->gfd[i], VFIO_GROUP_GET_STATUS, &st) < 0) {
			snprintf(what, sizeof(what),
				 "VFIO group %u: VFIO_GROUP_GET_STATUS", g);
			return vfio_fail(ctx, errno, what);
		}
		if (!(st.flags & VFIO_GROUP_FLAGS_VIABLE)) {
			json_object *devs = iommu_group_devices_json(SYSFS, g);
			char who[512];

			iommu_group_blockers(devs, who, sizeof(who));
			json_object_put(devs);
			return fail(EXIT_FAIL,
				    "%s: VFIO group %u is not viable: every device of IOMMU group %u must be bound to vfio-pci or to no driver%s%s",
				    ctx->cmd, g, g, *who ? ", and these are not: " : "",
				    who);
		}
		if (ioctl(p->gfd[i], VFIO_GROUP_SET_CONTAINER,
			  &p->container) < 0) {
			snprintf(what, sizeof(what),
				 "adding VFIO group %u to the container", g);
			return vfio_fail(ctx, errno, what);
		}
	}
	if (ioctl(p->container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU) < 0) {
		int err = errno;

		return fail_errno(err, NULL,
				  err == ENODEV || err == EINVAL ?
				  "load vfio_iommu_type1 (modprobe vfio_iommu_type1)" :
				  NULL, "%s: setting the IOMMU type to type1v2",
				  ctx->cmd);
	}
	jadd(c, "iommu_type", jstr("type1v2"));
	return container_info(ctx, p->container, c);
}

/* --- the module's side: attach, GET_INFO, DEVICE_GET --------------------- */

struct nest_cap {
	bool		found;
	uint16_t	version;
	struct vfio_pasid_info_cap_nesting cap;
};

static int pasid_info_cap(const struct vfio_info_cap_header *hdr,
			  size_t avail, void *arg)
{
	struct nest_cap *n = arg;

	if (hdr->id != VFIO_PASID_INFO_CAP_NESTING)
		return 0;
	if (avail < sizeof(n->cap))
		return -EPROTO;
	n->found = true;
	n->version = hdr->version;
	memcpy(&n->cap, hdr, sizeof(n->cap));
	return 0;
}

static json_object *nesting_features(uint32_t features)
{
	json_object *l = jarr();

	if (features & VFIO_PASID_NESTING_FEAT_BIND_PGTBL)
		json_object_array_add(l, jstr("bind_pgtbl"));
	if (features & VFIO_PASID_NESTING_FEAT_CACHE_INVLD)
		json_object_array_add(l, jstr("cache_invld"));
	features &= ~(uint32_t)(VFIO_PASID_NESTING_FEAT_BIND_PGTBL |
				VFIO_PASID_NESTING_FEAT_CACHE_INVLD);
	for (unsigned int b = 0; b < 32; b++)
		if (features & (1U << b)) {
			char name[24];

			snprintf(name, sizeof(name), "bit%u", b);
			json_object_array_add(l, jstr(name));
		}
	return l;
}

/* VFIO_PASID_GET_INFO with its chain: the "vm" object */
static int pasid_info(struct probe *p, const char *backend)
{
	struct ctx *ctx = p->a->ctx;
	struct vfio_pasid_info *info;
	uint32_t size = sizeof(*info) + 256;
	struct nest_cap nest = { 0 };
	json_object *vm, *n, *groups;
	int ret;

	info = info_ioctl(ctx, p->dev, VFIO_PASID_GET_INFO, "VFIO_PASID_GET_INFO",
			  &size, &ret);
	if (!info)
		return ret;
	if ((info->flags & VFIO_PASID_INFO_CAPS) && info->cap_offset &&
	    info->argsz <= size &&
	    vfio_cap_walk(info, info->argsz, sizeof(*info), info->cap_offset,
			  pasid_info_cap, &nest)) {
		free(info);
		return fail(EXIT_FAIL,
			    "%s: VFIO_PASID_GET_INFO: the module's capability chain is malformed",
			    ctx->cmd);
	}
	p->vm_id = info->vm_id;
	vm = jobj();
	jadd(vm, "device", jstr(ctx->device));
	jadd(vm, "vm_id", jnum(info->vm_id));
	jadd(vm, "quota", jnum(info->quota));
	jadd(vm, "count", jnum(info->count));
	groups = jarr();
	for (int i = 0; i < p->a->ngroups; i++)
		json_object_array_add(groups, jnum(p->a->groups[i]));
	jadd(vm, "groups", groups);
	n = jobj();
	jadd(n, "available", jbool(nest.found));
	if (nest.found) {
		jadd(n, "version", jnum(nest.version));
		jadd(n, "pasid_format", pasid_format_json(nest.cap.pasid_format));
		jadd(n, "features", nesting_features(nest.cap.features));
		jadd(n, "addr_width", jnum(nest.cap.addr_width));
		jadd(n, "pasid_bits", jnum(nest.cap.pasid_bits));
		jadd(n, "reason", NULL);
	} else {
		jadd(n, "reason", jstr(no_nesting_reason(*backend ? backend
								  : NULL)));
	}
	jadd(vm, "nesting", n);
	p->vm_obj = vm;
	free(info);
	return 0;
}

static int device_cb(uint8_t cmd, struct nlattr **tb, void *arg)
{
	struct probe *p = arg;

	(void)cmd;
	json_object_array_add(p->devices, device_obj(tb));
	return 0;
}

/* The devices of our VM over netlink; NULL when the module cannot say */
static void vm_devices(struct probe *p)
{
	struct ctx *ctx = p->a->ctx;

	if (!vnl_try_open(ctx))
		return;
	p->devices = jarr();
	if (vnl_exec(ctx, vnl_dump_of_vm(ctx, VFIO_PASID_CMD_DEVICE_GET,
					 p->vm_id), device_cb, p)) {
		json_object_put(p->devices);
		p->devices = NULL;
	}
}

static int attach_all(struct probe *p, const char *backend)
{
	struct ctx *ctx = p->a->ctx;
	int ret;

	ret = pasid_device_open(ctx, &p->dev);
	if (ret)
		return ret;
	for (int i = 0; i < p->a->ngroups; i++) {
		ret = pasid_attach_group(ctx, p->dev, p->a->groups[i],
					 p->gfd[i]);
		if (ret)
			return ret;
	}
	ret = pasid_info(p, backend);
	if (ret)
		return ret;
	vm_devices(p);
	return 0;
}

/* --- groups, their devices and verdicts ------------------------------------- */

static json_object *driver_facts(const struct probe *p, const char *name)
{
	size_t n = p->devices ? json_object_array_length(p->devices) : 0;

	for (size_t i = 0; i < n; i++) {
		json_object *d = json_object_array_get_idx(p->devices, i);
		const char *dn = get_str(d, "device");

		if (dn && !strcmp(dn, name))
			return d;
	}
	return NULL;
}

static const char *const fact_keys[] = {
	"iommu_backed", "pci_pasid_width", "pci_pasid_exec", "pci_pasid_priv",
	"pci_ats", "pci_pri", "binds", NULL
};

static json_object *find_unit(json_object *units, const char *name)
{
	size_t n = json_object_array_length(units);

	for (size_t i = 0; i < n; i++) {
		json_object *u = json_object_array_get_idx(units, i);
		const char *un = get_str(u, "name");

		if (un && name && !strcmp(un, name))
			return u;
	}
	return NULL;
}

static json_object *verdict(bool usable, const char *reason)
{
	json_object *o = jobj();

	jadd(o, "usable", jbool(usable));
	jadd(o, "reason", usable ? NULL : jstr(reason));
	return o;
}

/*
 * PASID verdict of a group: every device must sit behind a unit whose PASID
 * verdict is yes, and have a PCI PASID capability (an mdev: be
 * IOMMU-backed).  The first device that fails says why.
 */
static json_object *group_pasid_verdict(json_object *devs, json_object *units)
{
	size_t n = json_object_array_length(devs);
	char why[512];

	if (!n)
		return verdict(false, "no device of the group could be read from sysfs");
	for (size_t i = 0; i < n; i++) {
		json_object *d = json_object_array_get_idx(devs, i), *v;
		const char *name = get_str(d, "device");
		const char *unit = get_str(d, "iommu_unit");
		const char *bus = get_str(d, "bus");
		json_object *u = find_unit(units, unit);

		if ((v = get(d, "iommu_backed")) &&
		    !json_object_get_boolean(v)) {
			snprintf(why, sizeof(why),
				 "%s is not IOMMU-backed (a mediated device whose parent has no IOMMU group)",
				 name);
			return verdict(false, why);
		}
		if (!unit) {
			snprintf(why, sizeof(why), "%s is behind no IOMMU unit",
				 name);
			return verdict(false, why);
		}
		if (u && !json_object_get_boolean(get(get(u, "pasid"),
						      "usable"))) {
			snprintf(why, sizeof(why), "%s: IOMMU unit %s: %s",
				 name, unit,
				 get_str(get(u, "pasid"), "reason") ?: "no PASID");
			return verdict(false, why);
		}
		if (bus && !strcmp(bus, "pci")) {
			v = get(d, "pci_pasid_width");
			if (!v) {
				snprintf(why, sizeof(why),
					 "%s: the module did not report its PCI PASID capability",
					 name);
				return verdict(false, why);
			}
			if (!json_object_get_int(v)) {
				snprintf(why, sizeof(why),
					 "%s has no PCI PASID capability", name);
				return verdict(false, why);
			}
		}
	}
	return verdict(true, NULL);
}

static int str_cmp(const void *a, const void *b)
{
	return strverscmp(*(char *const *)a, *(char *const *)b);
}

/* The groups' objects, and the units behind them (decoded) */
static void build_groups(struct probe *p, json_object *units)
{
	const char *names[256];
	size_t nnames = 0;

	p->groups = jarr();
	/* first the units, so that the verdicts can use them */
	json_object *per_group[MAX_GROUPS];

	for (int i = 0; i < p->a->ngroups; i++) {
		json_object *devs = iommu_group_devices_json(SYSFS,
							     p->a->groups[i]);
		size_t n = json_object_array_length(devs);

		for (size_t j = 0; j < n; j++) {
			json_object *d = json_object_array_get_idx(devs, j);
			json_object *f = driver_facts(p, get_str(d, "device"));
			const char *unit;

			for (int k = 0; fact_keys[k]; k++)
				jadd(d, fact_keys[k],
				     json_object_get(get(f, fact_keys[k])));
			/* the module knows an mdev's unit when sysfs does not */
			if (!get_str(d, "iommu_unit") && get_str(f, "iommu_unit"))
				jadd(d, "iommu_unit",
				     jstr(get_str(f, "iommu_unit")));
			unit = get_str(d, "iommu_unit");
			if (!unit || nnames == sizeof(names) / sizeof(*names))
				continue;
			size_t k;

			for (k = 0; k < nnames && strcmp(names[k], unit); k++)
				;
			if (k == nnames)
				names[nnames++] = unit;
		}
		per_group[i] = devs;
	}
	if (nnames)
		qsort(names, nnames, sizeof(*names), str_cmp);
	for (size_t k = 0; k < nnames; k++)
		json_object_array_add(units, iommu_unit_json(SYSFS, names[k],
							     NULL));

	for (int i = 0; i < p->a->ngroups; i++) {
		json_object *g = jobj(), *gu;
		json_object *devs = per_group[i], *vmn;
		size_t n = json_object_array_length(devs);
		char path[64];

		snprintf(path, sizeof(path), "/dev/vfio/%u", p->a->groups[i]);
		jadd(g, "group", jnum(p->a->groups[i]));
		jadd(g, "path", jstr(path));
		jadd(g, "viable", jbool(true));
		jadd(g, "attached", jbool(true));
		gu = jarr();
		for (size_t j = 0; j < n; j++) {
			const char *unit = get_str(json_object_array_get_idx(
							   devs, j),
						   "iommu_unit");
			size_t k, m = json_object_array_length(gu);

			if (!unit)
				continue;
			for (k = 0; k < m; k++)
				if (!strcmp(json_object_get_string(
					json_object_array_get_idx(gu, k)), unit))
					break;
			if (k == m)
				json_object_array_add(gu, jstr(unit));
		}
		jadd(g, "units", gu);
		jadd(g, "devices", devs);
		jadd(g, "pasid", group_pasid_verdict(devs, units));
		vmn = get(p->vm_obj, "nesting");
		jadd(g, "nesting",
		     verdict(json_object_get_boolean(get(vmn, "available")),
			     get_str(vmn, "reason")));
		json_object_array_add(p->groups, g);
	}
}

/* --- text ---------------------------------------------------------------------- */

static void size_text(FILE *f, uint64_t v)
{
	static const char units[] = "KMGTPE";
	int u = -1;

	while (v >= 1024 && !(v % 1024) && u < 5) {
		v /= 1024;
		u++;
	}
	if (u < 0)
		fprintf(f, "%llu", (unsigned long long)v);
	else
		fprintf(f, "%llu%c", (unsigned long long)v, units[u]);
}

/* Page sizes: runs of three or more powers of two as "4K..8E" */
static void sizes_text(FILE *f, const json_object *l)
{
	size_t n = l ? json_object_array_length(l) : 0;

	if (!n) {
		fputs("-", f);
		return;
	}
	for (size_t i = 0; i < n;) {
		uint64_t a = json_object_get_uint64(
			json_object_array_get_idx(l, i));
		size_t j = i;

		while (j + 1 < n && json_object_get_uint64(
			       json_object_array_get_idx(l, j + 1)) ==
		       json_object_get_uint64(json_object_array_get_idx(l, j)) * 2)
			j++;
		if (i)
			fputc(' ', f);
		size_text(f, a);
		if (j - i >= 2) {
			fputs("..", f);
			size_text(f, json_object_get_uint64(
					     json_object_array_get_idx(l, j)));
			i = j + 1;
		} else {
			i++;
		}
	}
}

static void words_text(FILE *f, const json_object *l)
{
	size_t n = l && json_object_is_type(l, json_type_array) ?
		   json_object_array_length(l) : 0;

	if (!n)
		fputs("-", f);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s%s", i ? " " : "",
			json_object_get_string(json_object_array_get_idx(l, i)));
}

static const char *yes_no(const json_object *v)
{
	if (!v)
		return "-";
	return json_object_get_boolean(v) ? "yes" : "no";
}

static void verdict_line(FILE *f, const char *label, const json_object *v)
{
	char buf[600];

	fprintf(f, "  %s: %s\n", label, iommu_verdict_text(v, buf, sizeof(buf)));
}

static void nesting_text(FILE *f, const char *label, const json_object *n)
{
	if (!n)
		return;
	if (!json_object_get_boolean(get(n, "available"))) {
		fprintf(f, "%s: no \xe2\x80\x94 %s\n", label,
			get_str(n, "reason") ?: "not reported");
		return;
	}
	fprintf(f, "%s: yes (format %s", label,
		get_str(n, "pasid_format") ?: "-");
	if (get(n, "features")) {
		fputs(", features ", f);
		words_text(f, get(n, "features"));
	}
	fprintf(f, ", address width %s, %s-bit PASIDs)\n",
		json_object_get_string(get(n, "addr_width")),
		json_object_get_string(get(n, "pasid_bits")));
}

static void unit_text(FILE *f, const json_object *u)
{
	const char *type = get_str(u, "type");
	const json_object *regs = get(u, "registers"), *bits = get(u, "bits");
	size_t nn;

	fprintf(f, "unit %s: ", get_str(u, "name"));
	if (!strcmp(type, "intel-vtd")) {
		fputs("Intel VT-d", f);
		if (get_str(u, "version"))
			fprintf(f, ", version %s", get_str(u, "version"));
		if (get_str(u, "address"))
			fprintf(f, ", at %s", get_str(u, "address"));
		fputc('\n', f);
		fprintf(f, "  cap %s:", get_str(regs, "cap") ?: "-");
		if (bits) {
			fputc(' ', f);
			words_text(f, get(bits, "cap"));
			fprintf(f, "; address width %s, SAGAW ",
				json_object_get_string(get(u, "address_width")));
			words_text(f, get(u, "sagaw"));
			fprintf(f, ", %s domains",
				json_object_get_string(get(u, "domains")));
		}
		fprintf(f, "\n  ecap %s:", get_str(regs, "ecap") ?: "-");
		if (bits) {
			fputc(' ', f);
			words_text(f, get(bits, "ecap"));
			fprintf(f, "; %s-bit PASIDs",
				json_object_get_string(get(u, "pasid_bits")));
		}
		fputc('\n', f);
	} else if (!strcmp(type, "amd-vi")) {
		fputs("AMD-Vi\n", f);
		fprintf(f, "  cap %s:", get_str(regs, "cap") ?: "-");
		if (bits) {
			fputc(' ', f);
			words_text(f, get(bits, "cap"));
		}
		fprintf(f, "\n  features %s", get_str(regs, "features") ?: "-");
		if (bits) {
			fprintf(f, " (%s): EFR %s: ",
				get_str(u, "features_order"),
				get_str(regs, "efr"));
			words_text(f, get(bits, "efr"));
			fprintf(f, "; EFR2 %s; address width %s, guest address width %s, %s-bit PASIDs",
				get_str(regs, "efr2"),
				get(u, "address_width") ?
				json_object_get_string(get(u, "address_width")) : "-",
				get(u, "guest_address_width") ?
				json_object_get_string(get(u, "guest_address_width")) : "-",
				json_object_get_string(get(u, "pasid_bits")));
		}
		fputc('\n', f);
	} else {
		fputs("unknown type, not decoded\n", f);
	}
	if (get_str(u, "error"))
		fprintf(f, "  error: %s\n", get_str(u, "error"));
	verdict_line(f, "PASID", get(u, "pasid"));
	verdict_line(f, "nesting", get(u, "nesting"));
	nn = get(u, "notes") ? json_object_array_length(get(u, "notes")) : 0;
	for (size_t i = 0; i < nn; i++)
		fprintf(f, "  note: %s\n", json_object_get_string(
				json_object_array_get_idx(get(u, "notes"), i)));
}

static void device_text(FILE *f, const json_object *d)
{
	const json_object *w = get(d, "pci_pasid_width");

	fprintf(f, "  device %s: %s", get_str(d, "device"),
		get_str(d, "bus") ?: "-");
	if (get_str(d, "parent"))
		fprintf(f, " of %s", get_str(d, "parent"));
	fprintf(f, ", driver %s, unit %s", get_str(d, "driver") ?: "none",
		get_str(d, "iommu_unit") ?: "none");
	if (get(d, "iommu_backed"))
		fprintf(f, ", IOMMU-backed %s", yes_no(get(d, "iommu_backed")));
	if (w) {
		if (json_object_get_int(w))
			fprintf(f, ", PCI PASID %d bits (exec %s, priv %s)",
				json_object_get_int(w),
				yes_no(get(d, "pci_pasid_exec")),
				yes_no(get(d, "pci_pasid_priv")));
		else
			fputs(", PCI PASID none", f);
		fprintf(f, ", ATS %s, PRI %s, binds %s",
			yes_no(get(d, "pci_ats")), yes_no(get(d, "pci_pri")),
			json_object_get_string(get(d, "binds")));
	}
	fputc('\n', f);
}

static void caps_text(FILE *f, const json_object *c)
{
	const json_object *ct = get(c, "container"), *vm = get(c, "vm");
	const json_object *groups = get(c, "groups"), *units = get(c, "units");
	size_t n;

	fprintf(f, "module: %s%s\n", get_str(c, "module"),
		!strcmp(get_str(c, "module"), "not loaded") ?
		" (run 'vfiopasidctl module load')" : "");
	if (get(c, "uapi_version"))
		fprintf(f, "uAPI version: %s\n",
			json_object_get_string(get(c, "uapi_version")));
	if (get_str(c, "backend"))
		fprintf(f, "backend: %s\n", get_str(c, "backend"));
	nesting_text(f, "backend nesting", get(c, "backend_nesting"));
	if (ct) {
		n = get(ct, "iova_ranges") ?
		    json_object_array_length(get(ct, "iova_ranges")) : 0;
		fprintf(f, "VFIO container %s: API version %s\n",
			get_str(ct, "path"),
			json_object_get_string(get(ct, "api_version")));
		fputs("  IOMMU types: ", f);
		words_text(f, get(ct, "iommu_types"));
		fputs("\n  extensions: ", f);
		words_text(f, get(ct, "extensions"));
		fprintf(f, "\n  IOMMU type set: %s\n  IOVA page sizes: ",
			get_str(ct, "iommu_type"));
		sizes_text(f, get(ct, "iova_page_sizes"));
		fputs("\n  IOVA ranges:", f);
		for (size_t i = 0; i < n; i++) {
			json_object *r = json_object_array_get_idx(
				get(ct, "iova_ranges"), i);

			fprintf(f, " 0x%llx-0x%llx",
				(unsigned long long)json_object_get_uint64(
					get(r, "start")),
				(unsigned long long)json_object_get_uint64(
					get(r, "end")));
		}
		if (!n)
			fputs(" -", f);
		fprintf(f, "\n  DMA mappings available: %s\n",
			get(ct, "dma_mappings_available") ?
			json_object_get_string(get(ct, "dma_mappings_available"))
			: "-");
	}
	if (vm) {
		fprintf(f, "VM %s on %s: quota %s, %s PASIDs held, groups ",
			json_object_get_string(get(vm, "vm_id")),
			get_str(vm, "device"),
			json_object_get_string(get(vm, "quota")),
			json_object_get_string(get(vm, "count")));
		words_text(f, get(vm, "groups"));
		fputs(" attached\n", f);
		nesting_text(f, "  nesting", get(vm, "nesting"));
	}
	n = groups ? json_object_array_length(groups) : 0;
	for (size_t i = 0; i < n; i++) {
		const json_object *g = json_object_array_get_idx(groups, i);
		const json_object *devs = get(g, "devices");
		size_t nd = devs ? json_object_array_length(devs) : 0;

		fprintf(f, "group %s (%s): viable %s, attached %s, units ",
			json_object_get_string(get(g, "group")),
			get_str(g, "path"), yes_no(get(g, "viable")),
			yes_no(get(g, "attached")));
		words_text(f, get(g, "units"));
		fputc('\n', f);
		for (size_t j = 0; j < nd; j++)
			device_text(f, json_object_array_get_idx(devs, j));
		verdict_line(f, "PASID", get(g, "pasid"));
		verdict_line(f, "nesting", get(g, "nesting"));
	}
	n = units ? json_object_array_length(units) : 0;
	if (!n)
		fputs("IOMMU units: none\n", f);
	for (size_t i = 0; i < n; i++)
		unit_text(f, json_object_array_get_idx(units, i));
}

/* --- the command --------------------------------------------------------------- */

static void probe_close(struct probe *p)
{
	for (int i = 0; i < p->a->ngroups; i++)
		if (p->gfd[i] >= 0)
			close(p->gfd[i]);
	if (p->dev >= 0)
		close(p->dev);
	if (p->container >= 0)
		close(p->container);
	json_object_put(p->devices);
}

int cmd_caps(struct ctx *ctx, int argc, char **argv)
{
	struct caps_args a = { .ctx = ctx };
	struct module_info m = { 0 };
	struct probe p = { .a = &a, .container = -1, .dev = -1 };
	json_object *root, *c, *units;
	enum mod_state state;
	int ret = EXIT_OK;

	cmd_parse(ctx, &caps_argp, argc, argv, &a);
	for (int i = 0; i < MAX_GROUPS; i++)
		p.gfd[i] = -1;

	state = mod_state();
	if (a.ngroups && state == MOD_NOT_LOADED)
		return fail(EXIT_NOMOD, MSG_NOT_LOADED);
	if (state != MOD_NOT_LOADED)
		module_info(ctx, &m);

	if (a.ngroups) {
		/* a group that cannot exist says more than VFIO's absence */
		for (int i = 0; i < a.ngroups && !ret; i++)
			ret = vfio_group_require(ctx, a.groups[i]);
		if (!ret)
			ret = open_container(&p);
		if (!ret)
			ret = fill_container(&p);
		if (!ret)
			ret = attach_all(&p, m.backend);
		if (!ret) {
			int v = ioctl(p.dev, VFIO_NESTING_GET_IOMMU_UAPI_VERSION);

			if (v >= 0) {
				m.has_uapi = true;
				m.uapi = (uint32_t)v;
			}
		}
		if (ret) {
			json_object_put(p.container_obj);
			json_object_put(p.vm_obj);
			json_object_put(m.nesting);
			probe_close(&p);
			return ret;
		}
	} else if (state != MOD_NOT_LOADED && !m.has_uapi) {
		/* an older module: ask the device, if it may be opened */
		int fd = open(ctx->device, O_RDWR | O_CLOEXEC), v;

		if (fd >= 0) {
			v = ioctl(fd, VFIO_NESTING_GET_IOMMU_UAPI_VERSION);
			if (v >= 0) {
				m.has_uapi = true;
				m.uapi = (uint32_t)v;
			}
			close(fd);
		}
	}

	root = jobj();
	c = jobj();
	jadd(root, "caps", c);
	jadd(c, "module", jstr(mod_state_str(state)));
	jadd(c, "uapi_version", m.has_uapi ? jnum(m.uapi) : NULL);
	jadd(c, "backend", m.backend[0] ? jstr(m.backend) : NULL);
	jadd(c, "backend_nesting", m.nesting);
	jadd(c, "container", p.container_obj);
	jadd(c, "vm", p.vm_obj);
	if (a.ngroups) {
		units = jarr();
		build_groups(&p, units);
		jadd(c, "groups", p.groups);
	} else {
		units = iommu_units_json(SYSFS, NULL);
		jadd(c, "groups", jarr());
	}
	jadd(c, "units", units);

	if (ctx->json || ctx->pretty)
		out_print(ctx, root);
	else
		caps_text(stdout, c);
	fflush(stdout);
	json_object_put(root);
	probe_close(&p);
	return ret;
}
