// SPDX-License-Identifier: GPL-2.0
/*
 * vfiopasidctl - VFIO groups and containers, for caps and hold
 *
 * Copyright (C) 2026 The vfio-pasid authors
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/ioctl.h>

#include <linux/vfio.h>
#include <linux/vfio_pasid.h>

#include "vfiopasidctl.h"
#include "error.h"
#include "kmodule.h"
#include "output.h"
#include "sysfs.h"
#include "vfio.h"

#ifndef VFIO_TYPE1_NESTING_IOMMU
#define VFIO_TYPE1_NESTING_IOMMU	6
#endif
#ifndef VFIO_SPAPR_TCE_v2_IOMMU
#define VFIO_SPAPR_TCE_v2_IOMMU		7
#endif
#ifndef VFIO_NOIOMMU_IOMMU
#define VFIO_NOIOMMU_IOMMU		8
#endif
#ifndef VFIO_UNMAP_ALL
#define VFIO_UNMAP_ALL			9
#endif
#ifndef VFIO_UPDATE_VADDR
#define VFIO_UPDATE_VADDR		10
#endif

const struct vfio_ext_name vfio_ext_names[] = {
	{ VFIO_TYPE1_IOMMU,		"type1",	true },
	{ VFIO_TYPE1v2_IOMMU,		"type1v2",	true },
	{ VFIO_TYPE1_NESTING_IOMMU,	"type1_nesting", true },
	{ VFIO_SPAPR_TCE_IOMMU,		"spapr_tce",	true },
	{ VFIO_SPAPR_TCE_v2_IOMMU,	"spapr_tce_v2",	true },
	{ VFIO_NOIOMMU_IOMMU,		"noiommu",	true },
	{ VFIO_DMA_CC_IOMMU,		"dma_cc",	false },
	{ VFIO_EEH,			"eeh",		false },
	{ VFIO_UNMAP_ALL,		"unmap_all",	false },
	{ VFIO_UPDATE_VADDR,		"update_vaddr",	false },
	{ 0, NULL, false }
};

bool iommu_group_exists(const char *sysfs, uint32_t group)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/kernel/iommu_groups/%u", sysfs, group);
	return !access(path, F_OK);
}

/* The last component of the target of link @dir/@name; NULL when none */
static char *link_base(const char *dir, const char *name)
{
	char path[PATH_MAX + 64], target[PATH_MAX];
	ssize_t n;
	char *slash;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	n = readlink(path, target, sizeof(target) - 1);
	if (n <= 0)
		return NULL;
	target[n] = '\0';
	slash = strrchr(target, '/');
	return xstrdup(slash ? slash + 1 : target);
}

/* The unit of the device at @real, or of its nearest ancestor with one */
static char *unit_of(const char *real)
{
	char dir[PATH_MAX];

	snprintf(dir, sizeof(dir), "%s", real);
	for (;;) {
		char *unit = link_base(dir, "iommu"), *slash;

		if (unit)
			return unit;
		slash = strrchr(dir, '/');
		if (!slash || slash == dir)
			return NULL;
		*slash = '\0';
		/* stop at the top of the device tree */
		if (!strcmp(strrchr(dir, '/') ? strrchr(dir, '/') + 1 : dir,
			    "devices"))
			return NULL;
	}
}

json_object *iommu_group_devices_json(const char *sysfs, uint32_t group)
{
	json_object *list = jarr();
	struct dirent **ents;
	char dir[PATH_MAX];
	int n;

	snprintf(dir, sizeof(dir), "%s/kernel/iommu_groups/%u/devices", sysfs,
		 group);
	n = dir_sorted(dir, &ents);
	for (int i = 0; i < n; i++) {
		const char *name = ents[i]->d_name;
		json_object *o = jobj();
		char path[PATH_MAX + 256], real[PATH_MAX];
		char *bus = NULL, *driver = NULL, *unit = NULL, *parent = NULL;

		snprintf(path, sizeof(path), "%s/%s", dir, name);
		if (realpath(path, real)) {
			bus = link_base(real, "subsystem");
			driver = link_base(real, "driver");
			unit = unit_of(real);
			if (bus && !strcmp(bus, "mdev")) {
				char *slash = strrchr(real, '/');

				if (slash) {
					*slash = '\0';
					slash = strrchr(real, '/');
					parent = xstrdup(slash ? slash + 1 : real);
				}
			}
		}
		json_object_object_add(o, "device", jstr(name));
		json_object_object_add(o, "bus", jstr(bus));
		json_object_object_add(o, "driver", jstr(driver));
		json_object_object_add(o, "parent", jstr(parent));
		json_object_object_add(o, "iommu_unit", jstr(unit));
		json_object_array_add(list, o);
		free(bus);
		free(driver);
		free(unit);
		free(parent);
		free(ents[i]);
	}
	if (n >= 0)
		free(ents);
	return list;
}

static const char *str_of(const json_object *o, const char *key)
{
	json_object *v = NULL;

	if (!json_object_object_get_ex(o, key, &v) || !v)
		return NULL;
	return json_object_get_string(v);
}

/* Drivers a viable group may have besides vfio's (the kernel's list) */
static bool driver_allowed(const char *driver)
{
	return !driver || !strncmp(driver, "vfio", 4) ||
	       !strcmp(driver, "pci-stub") || !strcmp(driver, "pcieport");
}

/*
 * One device of a list in words, after @sep, into @buf (snprintf()'s
 * result); 0 to leave it out
 */
typedef int (*device_words_fn)(char *buf, size_t len, const char *sep,
			       const char *device, const char *driver);

/* The devices of @devices in words, separated by ", ", into @buf */
static const char *devices_in_words(const json_object *devices, char *buf,
				    size_t len, device_words_fn words)
{
	size_t n = 0, count = json_object_array_length(devices);

	buf[0] = '\0';
	for (size_t i = 0; i < count && n < len; i++) {
		const json_object *d = json_object_array_get_idx(devices, i);
		int w = words(buf + n, len - n, n ? ", " : "",
			      str_of(d, "device"), str_of(d, "driver"));

		if (w > 0)
			n += (size_t)w;
	}
	return buf;
}

/* "0000:00:1f.0 (driver lpc_ich)", or nothing for an allowed driver */
static int blocker_words(char *buf, size_t len, const char *sep,
			 const char *device, const char *driver)
{
	if (driver_allowed(driver))
		return 0;
	return snprintf(buf, len, "%s%s (driver %s)", sep, device, driver);
}

const char *iommu_group_blockers(const json_object *devices, char *buf,
				 size_t len)
{
	return devices_in_words(devices, buf, len, blocker_words);
}

/* "0000:00:06.0 is bound to e1000e", "0000:00:05.0 has no driver" */
static int bound_words(char *buf, size_t len, const char *sep,
		       const char *device, const char *driver)
{
	if (driver)
		return snprintf(buf, len, "%s%s is bound to %s", sep, device,
				driver);
	return snprintf(buf, len, "%s%s has no driver", sep, device);
}

static const char *who_is_bound(const json_object *devices, char *buf,
				size_t len)
{
	return devices_in_words(devices, buf, len, bound_words);
}

int vfio_group_require(struct ctx *ctx, uint32_t group)
{
	char path[64];

	snprintf(path, sizeof(path), "/dev/vfio/%u", group);
	if (iommu_group_exists("/sys", group) || !access(path, F_OK))
		return 0;
	return fail(EXIT_FAIL,
		    "%s: VFIO group %u: %s does not exist: there is no IOMMU group %u",
		    ctx->cmd, group, path, group);
}

int vfio_group_open(struct ctx *ctx, uint32_t group, int *fd)
{
	char path[64], who[512];
	json_object *devs;
	int err;

	snprintf(path, sizeof(path), "/dev/vfio/%u", group);
	*fd = open(path, O_RDWR | O_CLOEXEC);
	if (*fd >= 0)
		return 0;
	err = errno;
	switch (err) {
	case ENOENT:
		if (!iommu_group_exists("/sys", group))
			return vfio_group_require(ctx, group);
		devs = iommu_group_devices_json("/sys", group);
		who_is_bound(devs, who, sizeof(who));
		json_object_put(devs);
		return fail(EXIT_FAIL,
			    "%s: VFIO group %u: %s does not exist: IOMMU group %u is not bound to vfio (%s): bind a device of that group to vfio-pci",
			    ctx->cmd, group, path, group,
			    *who ? who : "it has no device");
	case EACCES:
	case EPERM:
		return fail_errno(err, NULL,
				  "run as root, or get read-write access to it",
				  "%s: VFIO group %u: %s", ctx->cmd, group,
				  path);
	case EBUSY:
		return fail(EXIT_FAIL,
			    "%s: VFIO group %u: %s is busy: another process has it open (a VFIO group is opened by one process at a time)",
			    ctx->cmd, group, path);
	default:
		return fail_errno(err, NULL, NULL, "%s: VFIO group %u: %s",
				  ctx->cmd, group, path);
	}
}

int vfio_group_contain(struct ctx *ctx, uint32_t group, int gfd)
{
	int container, err;

	container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (container < 0)
		return fail_errno(errno, NULL, NULL, "%s: /dev/vfio/vfio",
				  ctx->cmd);
	err = ioctl(gfd, VFIO_GROUP_SET_CONTAINER, &container) ? errno : 0;
	close(container);
	if (!err)
		return 0;
	return fail_errno(err, NULL,
			  err == EPERM || err == EBUSY || err == EINVAL ?
			  "every device of its IOMMU group must be bound to vfio-pci or to no driver" :
			  NULL,
			  "%s: adding VFIO group %u to a container", ctx->cmd,
			  group);
}

int pasid_device_open(struct ctx *ctx, int *fd)
{
	int err;

	*fd = open(ctx->device, O_RDWR | O_CLOEXEC);
	if (*fd >= 0)
		return 0;
	err = errno;
	switch (err) {
	case ENOENT:
	case ENODEV:
	case ENXIO:
		if (mod_state() == MOD_NOT_LOADED)
			return fail(EXIT_NOMOD, MSG_NOT_LOADED);
		return fail(EXIT_NOMOD,
			    "%s: %s: device missing: is it the vfio_pasid device node (see -d)?",
			    ctx->cmd, ctx->device);
	case EACCES:
	case EPERM:
		fail_errno(err, NULL,
			   "run as root, or get read-write access to the device",
			   "%s: %s", ctx->cmd, ctx->device);
		return EXIT_PERM;
	default:
		return fail_errno(err, NULL, NULL, "%s: %s", ctx->cmd,
				  ctx->device);
	}
}

int pasid_attach_group(struct ctx *ctx, int fd, uint32_t group, int gfd)
{
	struct vfio_pasid_group g = {
		.argsz = sizeof(g), .group_fd = gfd,
	};
	int err;

	if (!ioctl(fd, VFIO_PASID_ATTACH_GROUP, &g))
		return 0;
	err = errno;
	switch (err) {
	case EEXIST:
		return fail(EXIT_FAIL,
			    "%s: attaching VFIO group %u: it is already attached",
			    ctx->cmd, group);
	case EINVAL:
		return fail(EXIT_FAIL,
			    "%s: attaching VFIO group %u: /dev/vfio/%u is not a VFIO group",
			    ctx->cmd, group, group);
	case EBUSY:
		return fail(EXIT_FAIL,
			    "%s: attaching VFIO group %u: another VM has it attached",
			    ctx->cmd, group);
	case EPERM:
		return fail(EXIT_FAIL,
			    "%s: attaching VFIO group %u: it is in no VFIO container or iommufd: its VMM must put it into one first",
			    ctx->cmd, group);
	case ENODEV:
		return fail(EXIT_FAIL,
			    "%s: attaching VFIO group %u: the group's devices are gone",
			    ctx->cmd, group);
	case EOPNOTSUPP:
		return fail(EXIT_FAIL,
			    "%s: attaching VFIO group %u: operation not supported: a device of the group cannot take the VM's bound PASIDs (a mediated device that is not IOMMU-backed)",
			    ctx->cmd, group);
	default:
		return fail_errno(err, NULL, NULL,
				  "%s: attaching VFIO group %u", ctx->cmd,
				  group);
	}
}

void group_arg_add(const struct ctx *ctx, uint32_t *groups, int *n,
		   uint32_t g)
{
	for (int i = 0; i < *n; i++)
		if (groups[i] == g)
			usage_die(ctx, "--group %u is given twice", g);
	if (*n == MAX_GROUPS)
		usage_die(ctx, "at most %d --group options", MAX_GROUPS);
	groups[(*n)++] = g;
}

int vfio_cap_walk(const void *buf, size_t len, size_t min, uint32_t first,
		  vfio_cap_fn fn, void *arg)
{
	const unsigned char *base = buf;
	uint32_t off = first;

	for (int i = 0; off; i++) {
		struct vfio_info_cap_header *hdr;
		int ret;

		/*
		 * 6.1 packs capabilities on 4-byte boundaries (later kernels
		 * align them to 8) and some hold 64-bit fields: each is read
		 * from an aligned copy of the rest of the buffer.
		 */
		if (i >= 64 || off < min || off % 4 ||
		    (size_t)off + sizeof(*hdr) > len)
			return -EPROTO;
		hdr = malloc(len - off);
		if (!hdr)
			return -ENOMEM;
		memcpy(hdr, base + off, len - off);
		ret = fn(hdr, len - off, arg);
		off = hdr->next;
		free(hdr);
		if (ret)
			return ret;
	}
	return 0;
}
