/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vfiopasidctl - VFIO groups and containers, for caps and hold
 *
 * Copyright (C) 2026 The vfio-pasid authors
 */
#ifndef VFIOPASIDCTL_VFIO_H
#define VFIOPASIDCTL_VFIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json.h>

struct ctx;
struct vfio_info_cap_header;

#define VFIO_CONTAINER_PATH	"/dev/vfio/vfio"
#define MAX_GROUPS		64

/*
 * Open /dev/vfio/@group read-write, close-on-exec.  On failure prints one
 * line that says why in words (no such IOMMU group; not bound to
 * vfio-pci, naming its devices; in use; permission) and returns the exit
 * status; 0 on success with *@fd set.
 */
int vfio_group_open(struct ctx *ctx, uint32_t group, int *fd);

/*
 * Put the open VFIO group @gfd (/dev/vfio/@group) into a container of its
 * own, as a VMM does before it uses the group: the module attaches a group
 * behind an IOMMU only once a container or iommufd owns it.  The
 * container's descriptor is closed; the group keeps the container while
 * @gfd is open.  On failure prints one line and returns the exit status.
 */
int vfio_group_contain(struct ctx *ctx, uint32_t group, int gfd);

/*
 * Group @g of a --group option, added to @groups (*@n of MAX_GROUPS): a
 * usage error when it is given twice (a VFIO group opens once) or when
 * there are too many.
 */
void group_arg_add(const struct ctx *ctx, uint32_t *groups, int *n,
		   uint32_t g);

/*
 * Open the module's device (ctx->device) read-write, close-on-exec.  On
 * failure prints one line and returns the exit status: 3 when the module
 * is not loaded or the node is missing, 4 without permission; 0 on
 * success with *@fd set.  Opening it makes the caller a VM.
 */
int pasid_device_open(struct ctx *ctx, int *fd);

/*
 * VFIO_PASID_ATTACH_GROUP of the open group @gfd (/dev/vfio/@group) to the
 * VM of @fd.  On failure prints one line and returns the exit status.
 */
int pasid_attach_group(struct ctx *ctx, int fd, uint32_t group, int gfd);

/*
 * Fail, as vfio_group_open() would, when there is no IOMMU group @group
 * (and no /dev/vfio/@group); 0 when there is one.
 */
int vfio_group_require(struct ctx *ctx, uint32_t group);

/* Does IOMMU group @group exist (under @sysfs, normally "/sys")? */
bool iommu_group_exists(const char *sysfs, uint32_t group);

/*
 * The devices of IOMMU group @group from sysfs, in name order:
 *   [{"device","bus","driver","parent","iommu_unit"}]
 * "parent" is an mdev's parent device (null otherwise); "iommu_unit" is
 * the unit of the device, or of the first ancestor that has one (an
 * mdev's unit is its parent's), null when none.  An empty list when the
 * group does not exist.
 */
json_object *iommu_group_devices_json(const char *sysfs, uint32_t group);

/*
 * The devices of @devices (as above) that keep a group from being viable
 * (bound to a driver other than a vfio driver), as "0000:00:1f.0 (driver
 * lpc_ich)" separated by ", ", into @buf.  "" when none.
 */
const char *iommu_group_blockers(const json_object *devices, char *buf,
				 size_t len);

/*
 * Walk a VFIO capability chain in @buf (@len bytes, the struct that
 * carries it included), starting at offset @first (0: none).  @fn gets
 * each header and the bytes from it to the end of @buf; it returns 0 to
 * go on.  Offsets must stay inside @buf, past the struct's first @min
 * bytes, and aligned to 4; the walk ends after 64 capabilities (a loop).
 * Returns 0, -EPROTO for a malformed chain, or what @fn returned.
 */
typedef int (*vfio_cap_fn)(const struct vfio_info_cap_header *hdr,
			   size_t avail, void *arg);
int vfio_cap_walk(const void *buf, size_t len, size_t min, uint32_t first,
		  vfio_cap_fn fn, void *arg);

/* The IOMMU types and extensions VFIO_CHECK_EXTENSION asks about */
struct vfio_ext_name {
	unsigned long	ext;
	const char	*name;		/* "type1v2" */
	bool		iommu_type;	/* a type for VFIO_SET_IOMMU */
};
extern const struct vfio_ext_name vfio_ext_names[];

#endif /* VFIOPASIDCTL_VFIO_H */
