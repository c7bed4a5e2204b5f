/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * vfio_pasid.h - user API of /dev/vfio-pasid
 *
 * Copyright (C) 2026 The vfio-pasid authors
 */
#ifndef _UAPI_LINUX_VFIO_PASID_H
#define _UAPI_LINUX_VFIO_PASID_H

#include <linux/types.h>
#include <linux/ioctl.h>
#include <linux/vfio.h>

/**
 * DOC: /dev/vfio-pasid user API
 *
 * A VMM opens /dev/vfio-pasid to obtain PASIDs for its guest, bind guest
 * first-level page tables to them and forward guest IOTLB invalidations.
 * Every descriptor opened by one process acts on one VM: the memory context
 * (mm) of the opener.  A descriptor passed to another process keeps acting
 * on the VM it was opened for.  When the last descriptor of a VM is closed
 * the VM's bindings are removed and its PASIDs are reclaimed.
 *
 * The first five ioctls keep the names, numbers and structs of the vSVA
 * series for VFIO type1, so a VMM written against it ports by changing the
 * file it opens.
 *
 * Extension rules, for every ioctl that takes a struct:
 *
 * - The struct begins with __u32 argsz and __u32 flags.  argsz is the size
 *   the caller filled in.  Below the kernel's minimum size: EINVAL.
 * - An input struct larger than the kernel knows is accepted when the
 *   unknown tail is all zero, else E2BIG.  New fields are only ever added
 *   at the end and a zero value always means "old behaviour".
 * - No request reads or zero-checks more than a page of the caller's
 *   memory: an input struct whose argsz is above the page size (4096 bytes
 *   on x86-64) is refused with E2BIG before anything beyond argsz is read.
 * - argsz is read once: the kernel acts on the size it checked, whatever
 *   another thread writes into the struct during the call.
 * - Unknown flag bits: EINVAL.  Reserved and padding fields must be zero:
 *   EINVAL.  New behaviour is always requested with a new flag bit.
 * - For VFIO_PASID_GET_INFO argsz is the size of the caller's output buffer;
 *   the kernel writes back the size it needs.  It is not limited to a page:
 *   the kernel reads only the struct it knows and writes no more than it
 *   needs.
 *
 * Errors common to every ioctl:
 *
 * ======== ==========================================================
 * EFAULT   the argument pointer is bad
 * EINVAL   argsz too small, unknown flags, non-zero reserved fields
 * E2BIG    argsz larger than known and the unknown tail is not zero, or
 *          argsz of an input struct above the page size
 * ENOTTY   unknown ioctl
 * ======== ==========================================================
 */

/* PASID request: allocate or free one PASID */
/**
 * struct vfio_iommu_type1_pasid_request - VFIO_IOMMU_PASID_REQUEST
 * @argsz: size of this struct
 * @flags: exactly one of VFIO_IOMMU_PASID_ALLOC, VFIO_IOMMU_PASID_FREE
 * @alloc_pasid.min: lowest acceptable PASID (inclusive)
 * @alloc_pasid.max: highest acceptable PASID (inclusive)
 * @alloc_pasid.result: the PASID allocated, written on success
 * @free_pasid: the PASID to free
 *
 * Allocation takes a PASID from the system-wide allocator, restricted to
 * [max(min, pasid_min), min(max, pasid_max)].  Returns 0 on success.
 *
 * ======== ==========================================================
 * EINVAL   min > max, or min/max outside [pasid_min, pasid_max]
 * ENOSPC   the VM's quota is used up, or no PASID is free in the range
 * ENOENT   (free) this VM does not hold the PASID
 * ======== ==========================================================
 *
 * Freeing a PASID that is bound removes the binding first.
 */
struct vfio_iommu_type1_pasid_request {
	__u32	argsz;
	__u32	flags;
#define VFIO_IOMMU_PASID_ALLOC	(1 << 0)
#define VFIO_IOMMU_PASID_FREE	(1 << 1)
	union {
		struct {
			__u32 min;
			__u32 max;
			__u32 result;
		} alloc_pasid;
		__u32 free_pasid;
	};
};

#define VFIO_IOMMU_PASID_REQUEST	_IO(VFIO_TYPE, VFIO_BASE + 22)

/**
 * struct vfio_iommu_type1_pasid_quota - VFIO_IOMMU_SET_PASID_QUOTA
 * @argsz: size of this struct
 * @flags: 0 to set the quota, VFIO_PASID_QUOTA_GET to read it
 * @quota: the new quota; on return the VM's quota
 *
 * Returns the VM's quota on success, as the seed did ("latest quota"): the
 * new quota for a set, the current one for VFIO_PASID_QUOTA_GET.  It is
 * also written back into @quota.  A quota is at most 0xFFFFF, so a
 * successful call never returns a negative value.
 *
 * ======== ==========================================================
 * EINVAL   quota below the VM's outstanding PASIDs, or above the pool
 *          size (pasid_max - pasid_min + 1)
 * EPERM    raising the quota without CAP_SYS_RESOURCE (the capability is
 *          checked only for a raise: lowering or keeping the quota uses
 *          no privilege and audits no denial)
 * ======== ==========================================================
 */
struct vfio_iommu_type1_pasid_quota {
	__u32	argsz;
	__u32	flags;
#define VFIO_PASID_QUOTA_GET	(1 << 0)
	__u32	quota;
};

#define VFIO_IOMMU_SET_PASID_QUOTA	_IO(VFIO_TYPE, VFIO_BASE + 23)

/*
 * VFIO_NESTING_GET_IOMMU_UAPI_VERSION - takes no argument, returns the IOMMU
 * uAPI version (VFIO_PASID_IOMMU_UAPI_VERSION).  Extension is done with
 * argsz and flags; the version stays 1.
 */
#define VFIO_PASID_IOMMU_UAPI_VERSION	1
#define VFIO_NESTING_GET_IOMMU_UAPI_VERSION	_IO(VFIO_TYPE, VFIO_BASE + 24)

/*
 * IOMMU uAPI structs, in the final form they had in Linux 5.10 to 5.17
 * (include/uapi/linux/iommu.h), which later kernels removed.
 */
#ifndef IOMMU_CACHE_INVALIDATE_INFO_VERSION_1

/* Cache types */
#define IOMMU_CACHE_INV_TYPE_IOTLB	(1 << 0) /* IOMMU IOTLB */
#define IOMMU_CACHE_INV_TYPE_DEV_IOTLB	(1 << 1) /* device IOTLB */
#define IOMMU_CACHE_INV_TYPE_PASID	(1 << 2) /* PASID cache */
#define IOMMU_CACHE_INV_TYPE_NR		(3)

/**
 * enum iommu_inv_granularity - extent of an invalidation
 * @IOMMU_INV_GRANU_DOMAIN: the whole domain
 * @IOMMU_INV_GRANU_PASID: every entry of one PASID
 * @IOMMU_INV_GRANU_ADDR: a range of addresses of one PASID
 * @IOMMU_INV_GRANU_NR: number of granularities
 */
enum iommu_inv_granularity {
	IOMMU_INV_GRANU_DOMAIN,
	IOMMU_INV_GRANU_PASID,
	IOMMU_INV_GRANU_ADDR,
	IOMMU_INV_GRANU_NR,
};

/**
 * struct iommu_inv_addr_info - address-selective invalidation
 * @flags: IOMMU_INV_ADDR_FLAGS_*
 * @archid: architecture-specific id
 * @pasid: the PASID
 * @addr: first address, aligned to @granule_size
 * @granule_size: size of one granule, a power of two of at least 4096
 * @nb_granules: number of granules, at least 1
 */
struct iommu_inv_addr_info {
#define IOMMU_INV_ADDR_FLAGS_PASID	(1 << 0)
#define IOMMU_INV_ADDR_FLAGS_ARCHID	(1 << 1)
#define IOMMU_INV_ADDR_FLAGS_LEAF	(1 << 2)
	__u32	flags;
	__u32	archid;
	__u64	pasid;
	__u64	addr;
	__u64	granule_size;
	__u64	nb_granules;
};

/**
 * struct iommu_inv_pasid_info - PASID-selective invalidation
 * @flags: IOMMU_INV_PASID_FLAGS_*
 * @archid: architecture-specific id
 * @pasid: the PASID
 */
struct iommu_inv_pasid_info {
#define IOMMU_INV_PASID_FLAGS_PASID	(1 << 0)
#define IOMMU_INV_PASID_FLAGS_ARCHID	(1 << 1)
	__u32	flags;
	__u32	archid;
	__u64	pasid;
};

/**
 * struct iommu_cache_invalidate_info - a guest cache invalidation
 * @argsz: size of this struct, at least offsetof(granu); PASID granularity
 *         needs granu.pasid_info, ADDR granularity granu.addr_info
 * @version: IOMMU_CACHE_INVALIDATE_INFO_VERSION_1
 * @cache: bitmap of IOMMU_CACHE_INV_TYPE_*
 * @granularity: enum iommu_inv_granularity
 * @padding: must be zero
 * @granu: PASID or address information
 */
struct iommu_cache_invalidate_info {
	__u32	argsz;
#define IOMMU_CACHE_INVALIDATE_INFO_VERSION_1 1
	__u32	version;
	__u8	cache;
	__u8	granularity;
	__u8	padding[6];
	union {
		struct iommu_inv_pasid_info pasid_info;
		struct iommu_inv_addr_info addr_info;
	} granu;
};

/**
 * struct iommu_gpasid_bind_data_vtd - VT-d specific bind data
 * @flags: IOMMU_SVA_VTD_GPASID_*
 * @pat: page attribute table
 * @emt: extended memory type
 */
struct iommu_gpasid_bind_data_vtd {
#define IOMMU_SVA_VTD_GPASID_SRE	(1 << 0)
#define IOMMU_SVA_VTD_GPASID_EAFE	(1 << 1)
#define IOMMU_SVA_VTD_GPASID_PCD	(1 << 2)
#define IOMMU_SVA_VTD_GPASID_PWT	(1 << 3)
#define IOMMU_SVA_VTD_GPASID_EMTE	(1 << 4)
#define IOMMU_SVA_VTD_GPASID_CD		(1 << 5)
#define IOMMU_SVA_VTD_GPASID_WPE	(1 << 6)
#define IOMMU_SVA_VTD_GPASID_LAST	(1 << 7)
	__u64	flags;
	__u32	pat;
	__u32	emt;
};

#define IOMMU_SVA_VTD_GPASID_MTS_MASK	(IOMMU_SVA_VTD_GPASID_CD | \
					 IOMMU_SVA_VTD_GPASID_EMTE | \
					 IOMMU_SVA_VTD_GPASID_PCD | \
					 IOMMU_SVA_VTD_GPASID_PWT)

/**
 * struct iommu_gpasid_bind_data - guest page-table bind data
 * @argsz: size of this struct, at least offsetof(vendor)
 * @version: IOMMU_GPASID_BIND_VERSION_1
 * @format: IOMMU_PASID_FORMAT_*
 * @addr_width: guest virtual address width
 * @flags: IOMMU_SVA_GPASID_VAL when @gpasid is valid
 * @gpgd: guest page-table pointer
 * @hpasid: host PASID, held by the caller's VM
 * @gpasid: guest PASID
 * @padding: must be zero
 * @vendor: vendor-specific data
 */
struct iommu_gpasid_bind_data {
	__u32	argsz;
#define IOMMU_GPASID_BIND_VERSION_1	1
	__u32	version;
#define IOMMU_PASID_FORMAT_INTEL_VTD	1
#define IOMMU_PASID_FORMAT_LAST		2
	__u32	format;
	__u32	addr_width;
#define IOMMU_SVA_GPASID_VAL	(1 << 0)
	__u64	flags;
	__u64	gpgd;
	__u64	hpasid;
	__u64	gpasid;
	__u8	padding[8];
	union {
		struct iommu_gpasid_bind_data_vtd vtd;
	} vendor;
};

#endif /* IOMMU_CACHE_INVALIDATE_INFO_VERSION_1 */

/**
 * struct vfio_iommu_type1_bind - VFIO_IOMMU_BIND
 * @argsz: size of this struct including @data
 * @flags: exactly one of VFIO_IOMMU_BIND_GUEST_PGTBL,
 *         VFIO_IOMMU_UNBIND_GUEST_PGTBL
 * @data: a struct iommu_gpasid_bind_data
 *
 * Binds on every device of every attached group, in the order the groups
 * were attached; a failure part way undoes the binds already made.  A
 * mediated device is bound through its parent device.  A group attached
 * later receives the VM's existing bindings; unbind, free of the PASID,
 * detach of the last group and the end of the VM remove a binding.
 *
 * @data.argsz must be at least offsetof(struct iommu_gpasid_bind_data,
 * vendor) and fit in @argsz; a tail beyond the struct must be zero (E2BIG).
 * The checks run in this order, the first failing one answers:
 *
 * 1. @flags, @data.argsz, version, format < IOMMU_PASID_FORMAT_LAST, bind
 *    flags (only IOMMU_SVA_GPASID_VAL), padding: EINVAL
 * 2. no group attached: ENODEV
 * 3. the backend cannot nest: EOPNOTSUPP
 * 4. (bind) format not the backend's, VT-d vendor data short or with
 *    undefined flags, addr_width not a first-level width (48, 57) or wider
 *    than the backend's: EINVAL
 * 5. hpasid not held by this VM: ENOENT
 * 6. (bind) already bound: EBUSY; (unbind) not bound: ENOENT
 * 7. a device refuses (an mdev without IOMMU-backed parent): EOPNOTSUPP,
 *    nothing stays bound
 *
 * ========== ========================================================
 * EINVAL     bad version, format, flags, vendor flags, padding or
 *            address width
 * ENOENT     hpasid is not held by this VM; (unbind) it is not bound
 * EBUSY      the PASID is already bound
 * ENODEV     no group is attached
 * EOPNOTSUPP the backend cannot nest, or the device is a mediated
 *            device that is not IOMMU-backed
 * ========== ========================================================
 */
struct vfio_iommu_type1_bind {
	__u32	argsz;
	__u32	flags;
#define VFIO_IOMMU_BIND_GUEST_PGTBL	(1 << 0)
#define VFIO_IOMMU_UNBIND_GUEST_PGTBL	(1 << 1)
	__u8	data[];
};

#define VFIO_IOMMU_BIND		_IO(VFIO_TYPE, VFIO_BASE + 25)

/**
 * struct vfio_iommu_type1_cache_invalidate - VFIO_IOMMU_CACHE_INVALIDATE
 * @argsz: size of this struct
 * @flags: must be 0
 * @cache_info: the invalidation
 *
 * Accepted combinations (VT-d format): IOTLB with PASID or ADDR granularity,
 * DEV_IOTLB with ADDR granularity.  Anything else: EINVAL.  For PASID and ADDR
 * granularity the PASID must be held by this VM: ENOENT.  ADDR needs
 * nb_granules > 0, a power-of-two granule_size >= 4096 and an aligned addr.
 * The PASID need not be bound.  It is passed to every device of every
 * attached group.
 *
 * @cache_info.argsz must be at least offsetof(granu), fit in @argsz minus
 * the header, and reach the end of granu.pasid_info (PASID granularity) or
 * granu.addr_info (ADDR).  The checks run in this order:
 *
 * 1. @flags, @cache_info.argsz, version, unknown cache bits, granularity
 *    out of range, padding, the PASID cache with ADDR granularity, the
 *    device IOTLB with DOMAIN granularity, unknown addr_info/pasid_info
 *    flags: EINVAL
 * 2. no group attached: ENODEV
 * 3. the backend cannot nest: EOPNOTSUPP
 * 4. a combination VT-d refuses (no cache bit, the PASID cache, DOMAIN
 *    granularity, the device IOTLB by PASID), a request that does not name
 *    its PASID (IOMMU_INV_PASID_FLAGS_PASID or IOMMU_INV_ADDR_FLAGS_PASID
 *    clear), ADDR sizes and alignment (or a range that wraps): EINVAL
 * 5. the PASID is not held by this VM: ENOENT
 */
struct vfio_iommu_type1_cache_invalidate {
	__u32	argsz;
	__u32	flags;
	struct iommu_cache_invalidate_info cache_info;
};

#define VFIO_IOMMU_CACHE_INVALIDATE	_IO(VFIO_TYPE, VFIO_BASE + 26)

/**
 * struct vfio_pasid_group - VFIO_PASID_ATTACH_GROUP, VFIO_PASID_DETACH_GROUP
 * @argsz: size of this struct
 * @flags: 0, or (detach only) VFIO_PASID_GROUP_BY_ID
 * @group_fd: an open VFIO group (/dev/vfio/N)
 * @group_id: with VFIO_PASID_GROUP_BY_ID: the number N of the group as it
 *            was attached, for a VMM that no longer has its descriptor
 *
 * ======== ==========================================================
 * EBADF    @group_fd is not an open descriptor
 * EINVAL   @group_fd is not a VFIO group; a flag other than the above
 * ENODEV   (attach) the VFIO group is gone: its devices were removed
 *          since the descriptor was opened (the number N may now name
 *          another group)
 * EPERM    (attach) the group is behind an IOMMU and no container or
 *          iommufd owns it yet: put it into one first
 *          (VFIO_GROUP_SET_CONTAINER); groups without an IOMMU of their
 *          own (an mdev's, no-IOMMU) are not asked
 * EBUSY    (attach) another VM has the group attached
 * EEXIST   (attach) the group is already attached to this VM
 * ENOENT   (detach) the group is not attached to this VM
 * ENOMEM   the group's lookup could not allocate
 * ======== ==========================================================
 *
 * Detaching the last group removes the VM's bindings; its PASIDs stay.
 * Attaching a group while PASIDs are bound binds them on its devices too;
 * a group that cannot take them (an mdev that is not IOMMU-backed) is then
 * refused with EOPNOTSUPP.  The order of checks: flags (EINVAL), group_fd
 * (EBADF, EINVAL, ENODEV, EPERM), already attached (EEXIST, then EBUSY) or not
 * attached (ENOENT).  A VM holds the group file while it is attached, and
 * detach finds the group by that file, so a descriptor whose group is gone
 * still detaches it.  A group is attached to one VM at a time, whoever
 * holds its descriptor.
 */
struct vfio_pasid_group {
	__u32	argsz;
	__u32	flags;
#define VFIO_PASID_GROUP_BY_ID		(1 << 0)
	union {
		__s32	group_fd;
		__u32	group_id;
	};
};

#define VFIO_PASID_ATTACH_GROUP		_IO(VFIO_TYPE, VFIO_BASE + 27)
#define VFIO_PASID_DETACH_GROUP		_IO(VFIO_TYPE, VFIO_BASE + 28)

/**
 * struct vfio_pasid_info - VFIO_PASID_GET_INFO
 * @argsz: in: size of the caller's buffer; out: size needed for all of it
 * @flags: out: VFIO_PASID_INFO_CAPS when a capability chain follows; in:
 *         output-only flags (VFIO_PASID_INFO_CAPS) are ignored, as VFIO's
 *         GET_INFO does, so a buffer grown after a first call can be passed
 *         again as it is; any other bit: EINVAL
 * @vm_id: out: this VM's id, as the admin API and vfiopasidctl show it
 * @quota: out: the VM's quota
 * @count: out: PASIDs the VM holds
 * @cap_offset: out: offset of the first capability from the start of the
 *              struct, 0 when none is present or argsz was too small
 *
 * Capabilities use struct vfio_info_cap_header.  A VMM learns what it may do
 * here without allocating anything.
 */
struct vfio_pasid_info {
	__u32	argsz;
	__u32	flags;
#define VFIO_PASID_INFO_CAPS	(1 << 0)
	__u32	vm_id;
	__u32	quota;
	__u32	count;
	__u32	cap_offset;
};

/**
 * struct vfio_pasid_info_cap_nesting - VFIO_PASID_INFO_CAP_NESTING, version 1
 * @header: capability header
 * @pasid_format: IOMMU_PASID_FORMAT_* a bind must use
 * @features: VFIO_PASID_NESTING_FEAT_*
 * @addr_width: widest guest address width a bind may use
 * @pasid_bits: width of the PASIDs the IOMMU accepts
 *
 * Present only when a group is attached and the backend can nest.
 */
#define VFIO_PASID_INFO_CAP_NESTING	1
struct vfio_pasid_info_cap_nesting {
	struct vfio_info_cap_header header;
	__u32	pasid_format;
	__u32	features;
#define VFIO_PASID_NESTING_FEAT_BIND_PGTBL	(1 << 0)
#define VFIO_PASID_NESTING_FEAT_CACHE_INVLD	(1 << 1)
	__u32	addr_width;
	__u32	pasid_bits;
};

#define VFIO_PASID_GET_INFO		_IO(VFIO_TYPE, VFIO_BASE + 29)

#endif /* _UAPI_LINUX_VFIO_PASID_H */
