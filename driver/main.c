// SPDX-License-Identifier: GPL-2.0
/*
 * vfio_pasid - PASID management and vSVA for VMs, outside VFIO
 *
 * Copyright (C) 2026 The vfio-pasid authors
 *
 * This file owns the module parameters, the misc device /dev/vfio-pasid and
 * its ioctl dispatch.  The VM model and its locks live in vm.c, the admin
 * API in netlink.c.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include <linux/vfio_pasid.h>

#include "vfio_pasid.h"

static unsigned int default_quota = 1000;
unsigned int vp_pasid_min = 1;
unsigned int vp_pasid_max = 0xFFFFF;
unsigned int vp_reclaim_log_size = 1024;
char *vp_backend = "native";

#define VP_RECLAIM_LOG_MAX	0x100000U

static int default_quota_set(const char *val, const struct kernel_param *kp)
{
	unsigned int quota;
	int ret;

	ret = kstrtouint(val, 0, &quota);
	if (ret)
		return ret;
	return vp_set_default_quota(quota);
}

static const struct kernel_param_ops default_quota_ops = {
	.set = default_quota_set,
	.get = param_get_uint,
};

module_param_cb(default_quota, &default_quota_ops, &default_quota, 0644);
MODULE_PARM_DESC(default_quota, "PASID quota of new VMs (default 1000)");
module_param_named(pasid_min, vp_pasid_min, uint, 0444);
MODULE_PARM_DESC(pasid_min, "lowest PASID handed out (default 1)");
module_param_named(pasid_max, vp_pasid_max, uint, 0444);
MODULE_PARM_DESC(pasid_max, "highest PASID handed out (default 0xFFFFF)");
module_param_named(reclaim_log_size, vp_reclaim_log_size, uint, 0444);
MODULE_PARM_DESC(reclaim_log_size, "records kept in the reclaim log (default 1024)");
module_param_named(backend, vp_backend, charp, 0444);
#ifdef VP_TEST_BUILD
MODULE_PARM_DESC(backend, "who programs the IOMMU: native (default) or emulated (this test build only)");
#else
MODULE_PARM_DESC(backend, "who programs the IOMMU: native (the only one of this build)");
#endif

static bool vp_loaded;

u32 vp_default_quota(void)
{
	return READ_ONCE(default_quota);
}

/*
 * Called for the module parameter (at load, and from sysfs afterwards) and
 * from the admin API.  At load the pool range is not checked yet: the init
 * function checks the quota against it once every parameter is known.
 */
int vp_set_default_quota(u32 quota)
{
	if (READ_ONCE(vp_loaded) && quota > vp_pool_size())
		return -EINVAL;
	WRITE_ONCE(default_quota, quota);
	return 0;
}

/*
 * ioctl handlers get the argument copied in and checked for size; every
 * struct begins with argsz, which holds the size checked (see vp_ioctl())
 */
union vp_ioctl_buf {
	u32 argsz;
	struct vfio_iommu_type1_pasid_request req;
	struct vfio_iommu_type1_pasid_quota quota;
	struct vfio_pasid_info info;
	struct vfio_pasid_group group;
	struct vfio_iommu_type1_cache_invalidate inv;
	/* struct vfio_iommu_type1_bind with its data */
	u8 bind[sizeof(struct vfio_iommu_type1_bind) +
		sizeof(struct iommu_gpasid_bind_data)];
};

/*
 * A struct inside an ioctl's struct with an argsz of its own (bind data,
 * cache invalidation info): @argsz must be at least @min and fit in the
 * @room the outer argsz leaves; what the caller did not fill is zero.
 */
static int vp_inner_struct(void *p, u32 argsz, u32 min, u32 size, u32 room)
{
	if (argsz < min || argsz > room)
		return -EINVAL;
	if (argsz < size)
		memset(p + argsz, 0, size - argsz);
	return 0;
}

static int vp_pasid_request(struct vp_vm *vm, union vp_ioctl_buf *buf,
			    void __user *uarg)
{
	struct vfio_iommu_type1_pasid_request *req = &buf->req;
	u32 pasid;
	int ret;

	switch (req->flags) {
	case VFIO_IOMMU_PASID_ALLOC:
		if (req->alloc_pasid.min > req->alloc_pasid.max ||
		    req->alloc_pasid.min < vp_pasid_min ||
		    req->alloc_pasid.max > vp_pasid_max)
			return -EINVAL;
		ret = vp_vm_alloc_pasid(vm, req->alloc_pasid.min,
					req->alloc_pasid.max, &pasid);
		if (ret)
			return ret;
		if (put_user(pasid, (u32 __user *)(uarg +
			     offsetof(struct vfio_iommu_type1_pasid_request,
				      alloc_pasid.result)))) {
			/* The caller would never learn the PASID: give it back */
			vp_vm_free_pasid(vm, pasid);
			return -EFAULT;
		}
		return 0;
	case VFIO_IOMMU_PASID_FREE:
		return vp_vm_free_pasid(vm, req->free_pasid);
	default:
		return -EINVAL;
	}
}

static int vp_set_pasid_quota(struct vp_vm *vm, union vp_ioctl_buf *buf,
			      void __user *uarg)
{
	struct vfio_iommu_type1_pasid_quota *q = &buf->quota;
	u32 __user *uquota = uarg +
		offsetof(struct vfio_iommu_type1_pasid_quota, quota);
	struct vp_vm_info info;
	u32 old;
	int ret;

	switch (q->flags) {
	case 0:
		/*
		 * CAP_SYS_RESOURCE is asked for only when the quota would be
		 * raised: capable() marks the caller as having used a
		 * privilege, and audits a denial for a confined VMM that only
		 * lowers or keeps its own.
		 */
		ret = vp_vm_set_quota(vm, q->quota, false, &old);
		if (ret == -EPERM && capable(CAP_SYS_RESOURCE))
			ret = vp_vm_set_quota(vm, q->quota, true, &old);
		if (ret)
			return ret;
		if (put_user(q->quota, uquota)) {
			/* The caller would not learn of it: put it back */
			vp_vm_set_quota(vm, old, true, &old);
			return -EFAULT;
		}
		/* the seed's answer: the new quota (at most VP_PASID_LIMIT) */
		return q->quota;
	case VFIO_PASID_QUOTA_GET:
		vp_vm_snapshot(vm, &info);
		return put_user(info.quota, uquota) ? -EFAULT : info.quota;
	default:
		return -EINVAL;
	}
}

/* GET_INFO's flags that only the kernel sets */
#define VP_INFO_OUT_FLAGS	VFIO_PASID_INFO_CAPS

static int vp_get_info(struct vp_vm *vm, union vp_ioctl_buf *buf,
		       void __user *uarg)
{
	struct vfio_pasid_info *info = &buf->info;
	struct vfio_pasid_info_cap_nesting cap = {
		.header = {
			.id = VFIO_PASID_INFO_CAP_NESTING,
			.version = 1,
		},
		.pasid_format = vp_be->format,
		.features = VFIO_PASID_NESTING_FEAT_BIND_PGTBL |
			    VFIO_PASID_NESTING_FEAT_CACHE_INVLD,
		.addr_width = vp_be->addr_width,
		.pasid_bits = vp_be->pasid_bits,
	};
	u32 usize = info->argsz;
	struct vp_vm_info vi;
	bool nesting;

	/*
	 * Output-only flags are ignored on input, as VFIO's GET_INFO does, so
	 * that a buffer grown after a first call can be given back as it is;
	 * any other bit is refused, keeping input flags for later use.
	 */
	if (info->flags & ~VP_INFO_OUT_FLAGS)
		return -EINVAL;

	vp_vm_snapshot(vm, &vi);
	/* a VMM may bind once a group is attached, if the backend nests */
	nesting = vp_be->nesting && vi.ngroups;
	memset(info, 0, sizeof(*info));
	info->argsz = sizeof(*info);
	info->vm_id = vi.id;
	info->quota = vi.quota;
	info->count = vi.count;
	if (nesting) {
		info->flags |= VFIO_PASID_INFO_CAPS;
		info->argsz += sizeof(cap);
		if (usize >= info->argsz)
			info->cap_offset = sizeof(*info);
	}

	if (copy_to_user(uarg, info, min_t(u32, usize, sizeof(*info))))
		return -EFAULT;
	if (info->cap_offset &&
	    copy_to_user(uarg + info->cap_offset, &cap, sizeof(cap)))
		return -EFAULT;
	return 0;
}

static int vp_group_ioctl(struct vp_vm *vm, union vp_ioctl_buf *buf,
			  void __user *uarg, bool attach)
{
	struct vfio_pasid_group *grp = &buf->group;

	if (attach) {
		if (grp->flags)
			return -EINVAL;
		return vp_vm_attach_group(vm, grp->group_fd);
	}
	if (grp->flags & ~VFIO_PASID_GROUP_BY_ID)
		return -EINVAL;
	if (grp->flags & VFIO_PASID_GROUP_BY_ID)
		return vp_vm_detach_group_id(vm, grp->group_id);
	return vp_vm_detach_group(vm, grp->group_fd);
}

static int vp_attach_group(struct vp_vm *vm, union vp_ioctl_buf *buf,
			   void __user *uarg)
{
	return vp_group_ioctl(vm, buf, uarg, true);
}

static int vp_detach_group(struct vp_vm *vm, union vp_ioctl_buf *buf,
			   void __user *uarg)
{
	return vp_group_ioctl(vm, buf, uarg, false);
}

static int vp_bind(struct vp_vm *vm, union vp_ioctl_buf *buf,
		   void __user *uarg)
{
	struct vfio_iommu_type1_bind *hdr = (void *)buf->bind;
	struct iommu_gpasid_bind_data *data = (void *)(buf->bind + sizeof(*hdr));
	int ret;

	if (hdr->flags != VFIO_IOMMU_BIND_GUEST_PGTBL &&
	    hdr->flags != VFIO_IOMMU_UNBIND_GUEST_PGTBL)
		return -EINVAL;
	ret = vp_inner_struct(data, data->argsz,
			      offsetof(struct iommu_gpasid_bind_data, vendor),
			      sizeof(*data), hdr->argsz - sizeof(*hdr));
	if (ret)
		return ret;
	if (hdr->flags == VFIO_IOMMU_BIND_GUEST_PGTBL)
		return vp_vm_bind(vm, data);
	return vp_vm_unbind(vm, data);
}

static int vp_cache_invalidate(struct vp_vm *vm, union vp_ioctl_buf *buf,
			       void __user *uarg)
{
	struct vfio_iommu_type1_cache_invalidate *inv = &buf->inv;
	int ret;

	if (inv->flags)
		return -EINVAL;
	ret = vp_inner_struct(&inv->cache_info, inv->cache_info.argsz,
			      offsetof(struct iommu_cache_invalidate_info,
				       granu),
			      sizeof(inv->cache_info),
			      inv->argsz - offsetof(typeof(*inv), cache_info));
	if (ret)
		return ret;
	return vp_vm_invalidate(vm, &inv->cache_info);
}

/**
 * struct vp_ioctl_op - one ioctl
 * @cmd: ioctl number
 * @min_size: smallest argsz accepted
 * @size: the struct the kernel knows
 * @output: argsz is the size of an output buffer, its tail is not checked
 * @handler: the operation, given the copied-in struct
 */
struct vp_ioctl_op {
	unsigned int cmd;
	u32 min_size;
	u32 size;
	bool output;
	int (*handler)(struct vp_vm *vm, union vp_ioctl_buf *buf,
		       void __user *uarg);
};

#define VP_IOCTL(_cmd, _handler, _struct, _last, _output)		\
	{								\
		.cmd = _cmd,						\
		.min_size = offsetofend(_struct, _last),		\
		.size = sizeof(_struct),				\
		.output = _output,					\
		.handler = _handler,					\
	}

static const struct vp_ioctl_op vp_ioctl_ops[] = {
	VP_IOCTL(VFIO_IOMMU_PASID_REQUEST, vp_pasid_request,
		 struct vfio_iommu_type1_pasid_request, alloc_pasid, false),
	VP_IOCTL(VFIO_IOMMU_SET_PASID_QUOTA, vp_set_pasid_quota,
		 struct vfio_iommu_type1_pasid_quota, quota, false),
	VP_IOCTL(VFIO_PASID_GET_INFO, vp_get_info,
		 struct vfio_pasid_info, cap_offset, true),
	VP_IOCTL(VFIO_PASID_ATTACH_GROUP, vp_attach_group,
		 struct vfio_pasid_group, group_fd, false),
	VP_IOCTL(VFIO_PASID_DETACH_GROUP, vp_detach_group,
		 struct vfio_pasid_group, group_fd, false),
	VP_IOCTL(VFIO_IOMMU_CACHE_INVALIDATE, vp_cache_invalidate,
		 struct vfio_iommu_type1_cache_invalidate, cache_info.padding,
		 false),
	{
		/* the bind data, up to its vendor part, must be there */
		.cmd = VFIO_IOMMU_BIND,
		.min_size = sizeof(struct vfio_iommu_type1_bind) +
			    offsetof(struct iommu_gpasid_bind_data, vendor),
		.size = sizeof_field(union vp_ioctl_buf, bind),
		.handler = vp_bind,
	},
};

static long vp_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct vp_vm *vm = file->private_data;
	void __user *uarg = (void __user *)arg;
	const struct vp_ioctl_op *op;
	union vp_ioctl_buf buf;
	u32 argsz;
	int ret;

	if (cmd == VFIO_NESTING_GET_IOMMU_UAPI_VERSION)
		return VFIO_PASID_IOMMU_UAPI_VERSION;

	/*
	 * PASID requests are the VMM's hot path: one copy of a constant size
	 * (no table search, no run-time object size check), taken when argsz
	 * is the struct's size.  Anything else, a copy that faults included,
	 * takes the general path, which tells the errors apart.
	 */
	if (cmd == VFIO_IOMMU_PASID_REQUEST &&
	    !copy_from_user(&buf.req, uarg, sizeof(buf.req)) &&
	    buf.req.argsz == sizeof(buf.req))
		return vp_pasid_request(vm, &buf, uarg);

	for (op = vp_ioctl_ops; op < vp_ioctl_ops + ARRAY_SIZE(vp_ioctl_ops);
	     op++)
		if (op->cmd == cmd)
			break;
	if (op == vp_ioctl_ops + ARRAY_SIZE(vp_ioctl_ops))
		return -ENOTTY;

	if (get_user(argsz, (u32 __user *)uarg))
		return -EFAULT;
	if (argsz < op->min_size)
		return -EINVAL;

	if (op->output) {
		/* what the caller did not give is zero */
		memset(&buf, 0, op->size);
		if (copy_from_user(&buf, uarg, min(argsz, op->size)))
			return -EFAULT;
	} else {
		/*
		 * No request reads or zero-checks more than a page of user
		 * memory, whatever argsz says: a larger struct is refused as
		 * a tail the kernel does not take.
		 */
		if (argsz > PAGE_SIZE)
			return -E2BIG;
		/* copies argsz bytes, zeroes the rest of op->size */
		ret = copy_struct_from_user(&buf, op->size, uarg, argsz);
		if (ret)
			return ret;
	}
	/*
	 * The copy read argsz again, and a thread of the caller may have
	 * changed it since: handlers see the size checked above.
	 */
	buf.argsz = argsz;
	return op->handler(vm, &buf, uarg);
}

static int vp_open(struct inode *inode, struct file *file)
{
	struct vp_vm *vm;

	vm = vp_vm_get_current();
	if (IS_ERR(vm))
		return PTR_ERR(vm);
	file->private_data = vm;
	return 0;
}

static int vp_release(struct inode *inode, struct file *file)
{
	vp_vm_put(file->private_data);
	return 0;
}

static const struct file_operations vp_fops = {
	.owner		= THIS_MODULE,
	.open		= vp_open,
	.release	= vp_release,
	.unlocked_ioctl	= vp_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

static struct miscdevice vp_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "vfio-pasid",
	.fops	= &vp_fops,
	.mode	= 0660,
};

static int vp_check_params(void)
{
	if (vp_pasid_min < 1 || vp_pasid_min > vp_pasid_max ||
	    vp_pasid_max > VP_PASID_LIMIT) {
		pr_err("pasid_min %u and pasid_max %u must satisfy 1 <= pasid_min <= pasid_max <= %u\n",
		       vp_pasid_min, vp_pasid_max, VP_PASID_LIMIT);
		return -EINVAL;
	}
	if (default_quota > vp_pool_size()) {
		pr_err("default_quota %u is above the pool size %u\n",
		       default_quota, vp_pool_size());
		return -EINVAL;
	}
	if (vp_reclaim_log_size > VP_RECLAIM_LOG_MAX) {
		pr_err("reclaim_log_size %u is above %u\n",
		       vp_reclaim_log_size, VP_RECLAIM_LOG_MAX);
		return -EINVAL;
	}
	switch (vp_backend_init()) {
	case 0:
		break;
	case -EOPNOTSUPP:
		pr_err("backend=emulated programs no IOMMU and is in the test build only (tests/testmod/vfio_pasid.ko, made by 'make tests'); this module has backend=native\n");
		return -EINVAL;
	default:
		pr_err("backend '%s' is unknown: use %s\n", vp_backend,
		       VP_BACKEND_NAMES);
		return -EINVAL;
	}
	return 0;
}

/*
 * Teardown order is the reverse of this: the device first (no new VM), then
 * the admin API (genl_unregister_family() waits for requests in flight),
 * then the VM registry, which is empty by then because the module cannot be
 * removed while a descriptor is open or a dump is in flight.  Locks and the
 * teardown of a VM: vm.c.
 */
static int __init vp_init(void)
{
	int ret;

	ret = vp_check_params();
	if (ret)
		return ret;

	ret = vp_vm_init();
	if (ret)
		return ret;

	ret = vp_nl_init();
	if (ret)
		goto err_vm;

	ret = vp_fail("misc") ? -ENOMEM : misc_register(&vp_misc);
	if (ret)
		goto err_nl;

	WRITE_ONCE(vp_loaded, true);
	if (!strcmp(vp_backend, "emulated"))
		pr_warn("backend=emulated: guest page-table binds and invalidations are modelled in software and program no DMA translation; for testing only\n");
	pr_info("version %s%s loaded: PASIDs %u-%u, default quota %u, backend %s\n",
		VP_VERSION, VP_BUILD_NAME, vp_pasid_min, vp_pasid_max,
		default_quota, vp_backend);
	return 0;

err_nl:
	vp_nl_exit();
err_vm:
	vp_vm_exit();
	vp_limit_exit();
	return ret;
}

static void __exit vp_exit(void)
{
	misc_deregister(&vp_misc);
	vp_nl_exit();
	vp_vm_exit();
	vp_limit_exit();
	pr_info("unloaded\n");
}

module_init(vp_init);
module_exit(vp_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("PASID allocation, quotas, reclaim and vSVA for VMs");
MODULE_VERSION(VP_VERSION);
