// SPDX-License-Identifier: GPL-2.0
/*
 * vfio_pasid - the admin API: generic netlink family "vfio_pasid"
 *
 * Copyright (C) 2026 The vfio-pasid authors
 *
 * The family is written down in vfio_pasid.yaml.  Reads are open to every
 * user, but show a user without CAP_NET_ADMIN only the VMs it created (the
 * totals of STATS_GET stay open); changes, and the monitor group, need
 * CAP_NET_ADMIN.  Every operation has
 * its own strict policy; every refusal carries an extended-ack message.
 * Dumps keep their position in cb->args and resume from it.  This file takes
 * no lock of its own: vm.c owns the locks and their order.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cred.h>
#include <linux/pid_namespace.h>
#include <net/genetlink.h>
#include <net/sock.h>

#include <linux/vfio_pasid.h>
#include <linux/vfio_pasid_netlink.h>

#include "vfio_pasid.h"

static struct genl_family vp_family;

enum vp_mcgrp {
	VP_MCGRP_MONITOR,
};

static const struct genl_multicast_group vp_mcgrps[] = {
	/* events name the processes of every user: admins only */
	[VP_MCGRP_MONITOR] = { .name = VFIO_PASID_MCGRP_MONITOR,
			       .flags = GENL_MCAST_CAP_NET_ADMIN },
};

static struct netlink_range_validation vp_quota_range = {
	.max = VP_PASID_LIMIT,
};

static const struct nla_policy vp_vm_sel_policy[VFIO_PASID_A_MAX + 1] = {
	[VFIO_PASID_A_VM_ID]	= NLA_POLICY_MIN(NLA_U32, 1),
	[VFIO_PASID_A_PID]	= NLA_POLICY_MIN(NLA_U32, 1),
};

static const struct nla_policy vp_vm_filter_policy[VFIO_PASID_A_MAX + 1] = {
	[VFIO_PASID_A_VM_ID]	= NLA_POLICY_MIN(NLA_U32, 1),
};

static const struct nla_policy vp_quota_set_policy[VFIO_PASID_A_MAX + 1] = {
	[VFIO_PASID_A_VM_ID]	= NLA_POLICY_MIN(NLA_U32, 1),
	[VFIO_PASID_A_PID]	= NLA_POLICY_MIN(NLA_U32, 1),
	[VFIO_PASID_A_QUOTA]	= NLA_POLICY_FULL_RANGE(NLA_U32, &vp_quota_range),
};

static const struct nla_policy vp_limit_sel_policy[VFIO_PASID_A_MAX + 1] = {
	[VFIO_PASID_A_CGROUP]	= { .type = NLA_NUL_STRING, .len = PATH_MAX - 1 },
};

static const struct nla_policy vp_limit_set_policy[VFIO_PASID_A_MAX + 1] = {
	[VFIO_PASID_A_CGROUP]	= { .type = NLA_NUL_STRING, .len = PATH_MAX - 1 },
	[VFIO_PASID_A_LIMIT_MAX] = NLA_POLICY_FULL_RANGE(NLA_U32, &vp_quota_range),
};

static const struct nla_policy vp_default_quota_policy[VFIO_PASID_A_MAX + 1] = {
	[VFIO_PASID_A_DEFAULT_QUOTA] = NLA_POLICY_FULL_RANGE(NLA_U32, &vp_quota_range),
};

static int vp_put_vm(struct sk_buff *skb, const struct vp_vm_info *vi)
{
	if (nla_put_u32(skb, VFIO_PASID_A_VM_ID, vi->id) ||
	    nla_put_u32(skb, VFIO_PASID_A_PID, vi->pid) ||
	    nla_put_string(skb, VFIO_PASID_A_COMM, vi->comm) ||
	    nla_put_u32(skb, VFIO_PASID_A_QUOTA, vi->quota) ||
	    nla_put_u32(skb, VFIO_PASID_A_COUNT, vi->count) ||
	    nla_put_u32(skb, VFIO_PASID_A_BOUND_COUNT, vi->bound) ||
	    nla_put_u32(skb, VFIO_PASID_A_GROUP_COUNT, vi->ngroups) ||
	    (vi->cgroup && nla_put_string(skb, VFIO_PASID_A_CGROUP, vi->cgroup)))
		return -EMSGSIZE;
	return 0;
}

static int vp_put_u64(struct sk_buff *skb, int type, u64 val)
{
	return nla_put_u64_64bit(skb, type, val, VFIO_PASID_A_PAD);
}

static int vp_put_rec(struct sk_buff *skb, const struct vp_reclaim_rec *rec)
{
	if (vp_put_u64(skb, VFIO_PASID_A_SEQ, rec->seq) ||
	    vp_put_u64(skb, VFIO_PASID_A_TIME_NS, rec->time_ns) ||
	    nla_put_u32(skb, VFIO_PASID_A_VM_ID, rec->vm_id) ||
	    nla_put_u32(skb, VFIO_PASID_A_PID, rec->pid) ||
	    nla_put_string(skb, VFIO_PASID_A_COMM, rec->comm) ||
	    nla_put_u32(skb, VFIO_PASID_A_PASID, rec->pasid) ||
	    nla_put_u8(skb, VFIO_PASID_A_BOUND, rec->bound))
		return -EMSGSIZE;
	return 0;
}

/* A reply to a do request, filled by @fill */
static int vp_reply(struct genl_info *info, u8 cmd,
		    int (*fill)(struct sk_buff *skb, const void *arg),
		    const void *arg)
{
	struct sk_buff *msg;
	void *hdr;
	int ret;

	msg = vp_fail("nl-reply") ? NULL : genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &vp_family, 0, cmd);
	if (!hdr) {
		ret = -EMSGSIZE;
		goto err;
	}
	ret = fill(msg, arg);
	if (ret)
		goto err;
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
err:
	nlmsg_free(msg);
	return ret;
}

static int vp_fill_stats(struct sk_buff *skb, const void *arg)
{
	u64 dropped;
	u32 count;

	vp_log_counts(&count, &dropped);
	if (nla_put_u32(skb, VFIO_PASID_A_POOL_MIN, vp_pasid_min) ||
	    nla_put_u32(skb, VFIO_PASID_A_POOL_MAX, vp_pasid_max) ||
	    nla_put_u32(skb, VFIO_PASID_A_POOL_SIZE, vp_pool_size()) ||
	    nla_put_u32(skb, VFIO_PASID_A_IN_USE,
			atomic_read(&vp_stats.in_use)) ||
	    nla_put_u32(skb, VFIO_PASID_A_VM_COUNT,
			atomic_read(&vp_stats.vm_count)) ||
	    vp_put_u64(skb, VFIO_PASID_A_ALLOCATED,
		       vp_stats_sum(allocated)) ||
	    vp_put_u64(skb, VFIO_PASID_A_FREED,
		       vp_stats_sum(freed)) ||
	    vp_put_u64(skb, VFIO_PASID_A_RECLAIMED,
		       vp_stats_sum(reclaimed)) ||
	    vp_put_u64(skb, VFIO_PASID_A_QUOTA_REFUSALS,
		       atomic64_read(&vp_stats.quota_refusals)) ||
	    vp_put_u64(skb, VFIO_PASID_A_POOL_REFUSALS,
		       atomic64_read(&vp_stats.pool_refusals)) ||
	    vp_put_u64(skb, VFIO_PASID_A_LIMIT_REFUSALS,
		       atomic64_read(&vp_stats.limit_refusals)) ||
	    vp_put_u64(skb, VFIO_PASID_A_BINDS,
		       atomic64_read(&vp_stats.binds)) ||
	    vp_put_u64(skb, VFIO_PASID_A_INVALIDATIONS,
		       atomic64_read(&vp_stats.invalidations)) ||
	    nla_put_string(skb, VFIO_PASID_A_BACKEND, vp_backend) ||
	    nla_put_u32(skb, VFIO_PASID_A_DEFAULT_QUOTA,
			vp_default_quota()) ||
	    nla_put_u32(skb, VFIO_PASID_A_RECLAIM_LOG_SIZE,
			vp_reclaim_log_size) ||
	    nla_put_u32(skb, VFIO_PASID_A_RECLAIM_LOG_COUNT, count) ||
	    vp_put_u64(skb, VFIO_PASID_A_RECLAIM_LOG_DROPPED, dropped) ||
	    nla_put_u32(skb, VFIO_PASID_A_UAPI_VERSION,
			VFIO_PASID_IOMMU_UAPI_VERSION) ||
	    vp_put_u64(skb, VFIO_PASID_A_UNBINDS,
		       atomic64_read(&vp_stats.unbinds)) ||
	    nla_put_u32(skb, VFIO_PASID_A_BOUND_TOTAL,
			atomic_read(&vp_stats.bound)) ||
	    vp_put_u64(skb, VFIO_PASID_A_INV_IOTLB_PASID,
		       atomic64_read(&vp_stats.inv_iotlb_pasid)) ||
	    vp_put_u64(skb, VFIO_PASID_A_INV_IOTLB_ADDR,
		       atomic64_read(&vp_stats.inv_iotlb_addr)) ||
	    vp_put_u64(skb, VFIO_PASID_A_INV_DEV_IOTLB_ADDR,
		       atomic64_read(&vp_stats.inv_dev_iotlb_addr)) ||
	    nla_put_u8(skb, VFIO_PASID_A_NESTING, vp_be->nesting))
		return -EMSGSIZE;
	if (vp_be->nesting &&
	    (nla_put_u32(skb, VFIO_PASID_A_PASID_FORMAT, vp_be->format) ||
	     nla_put_u32(skb, VFIO_PASID_A_NEST_ADDR_WIDTH,
			 vp_be->addr_width) ||
	     nla_put_u32(skb, VFIO_PASID_A_NEST_PASID_BITS,
			 vp_be->pasid_bits)))
		return -EMSGSIZE;
	return 0;
}

static int vp_nl_stats_get(struct sk_buff *skb, struct genl_info *info)
{
	return vp_reply(info, VFIO_PASID_CMD_STATS_GET, vp_fill_stats, NULL);
}

/*
 * Who asks: CAP_NET_ADMIN (checked as GENL_ADMIN_PERM checks it) sees every
 * VM; another user only the VMs its effective uid created.  Pids are shown,
 * and PID selectors read, in the asking process's pid namespace.
 */
static void vp_viewer_of(struct sk_buff *skb, struct vp_viewer *who)
{
	struct sock *sk = NETLINK_CB(skb).sk;
	const struct cred *cred = current_cred();

	if (sk && sk->sk_socket && sk->sk_socket->file)
		cred = sk->sk_socket->file->f_cred;
	who->all = netlink_capable(skb, CAP_NET_ADMIN);
	who->uid = cred->euid;
	who->ns = task_active_pid_ns(current);
}

/*
 * VM_ID or PID selects a VM; exactly one of them.  A PID is the live
 * process (thread-group leader) of that number in the caller's pid
 * namespace, referenced (put_pid() it); NULL when there is none.
 */
static int vp_vm_selector(struct genl_info *info, u32 *id, struct pid **pid)
{
	struct nlattr *a_id = info->attrs[VFIO_PASID_A_VM_ID];
	struct nlattr *a_pid = info->attrs[VFIO_PASID_A_PID];

	if (!a_id == !a_pid) {
		NL_SET_ERR_MSG(info->extack,
			       "give exactly one of VM_ID and PID to select a VM");
		return -EINVAL;
	}
	*id = a_id ? nla_get_u32(a_id) : 0;
	*pid = a_pid ? find_get_pid(nla_get_u32(a_pid)) : NULL;
	if (*pid && !pid_has_task(*pid, PIDTYPE_TGID)) {
		put_pid(*pid);
		*pid = NULL;
	}
	return 0;
}

static void vp_no_vm(struct genl_info *info, u32 id)
{
	if (id)
		NL_SET_ERR_MSG_ATTR(info->extack,
				    info->attrs[VFIO_PASID_A_VM_ID],
				    "no VM with this id");
	else
		NL_SET_ERR_MSG_ATTR(info->extack,
				    info->attrs[VFIO_PASID_A_PID],
				    "no VM is owned by this pid");
}

static int vp_fill_vm(struct sk_buff *skb, const void *arg)
{
	return vp_put_vm(skb, arg);
}

/*
 * A reply made in two steps: vp_reply_begin(), a fill by the caller (under
 * a lock of the model, which the allocation must not be under), then
 * vp_reply_end() or nlmsg_free() of r->msg
 */
struct vp_reply_msg {
	struct sk_buff	*msg;
	void		*hdr;
};

static int vp_reply_begin(struct genl_info *info, u8 cmd,
			  struct vp_reply_msg *r)
{
	r->msg = vp_fail("nl-reply") ? NULL :
		genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!r->msg)
		return -ENOMEM;
	r->hdr = genlmsg_put_reply(r->msg, info, &vp_family, 0, cmd);
	if (!r->hdr) {
		nlmsg_free(r->msg);
		return -EMSGSIZE;
	}
	return 0;
}

static int vp_reply_end(struct genl_info *info, struct vp_reply_msg *r,
			int ret)
{
	if (ret) {
		nlmsg_free(r->msg);
		return ret;
	}
	genlmsg_end(r->msg, r->hdr);
	return genlmsg_reply(r->msg, info);
}

static int vp_fill_vm_visit(const struct vp_vm_info *vi, void *arg)
{
	return vp_put_vm(arg, vi);
}

static int vp_nl_vm_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct vp_reply_msg r;
	struct vp_viewer who;
	struct pid *pid;
	u32 id;
	int ret;

	ret = vp_vm_selector(info, &id, &pid);
	if (ret)
		return ret;
	ret = vp_reply_begin(info, VFIO_PASID_CMD_VM_GET, &r);
	if (ret) {
		put_pid(pid);
		return ret;
	}
	vp_viewer_of(skb, &who);
	/* filled under the registry's lock: the VM's cgroup path holds */
	ret = vp_vm_find_visit(id, pid, &who, vp_fill_vm_visit, r.msg);
	put_pid(pid);
	if (ret == -ENOENT)
		vp_no_vm(info, id);
	return vp_reply_end(info, &r, ret);
}

struct vp_dump_ctx {
	struct sk_buff *skb;
	struct netlink_callback *cb;
	u8 cmd;
	struct vp_viewer who;
};

/*
 * A dump entry's header.  Each part of a dump takes the generation of the
 * lists (vm.c) as it starts; netlink flags NLM_F_DUMP_INTR on the first
 * message of a part that starts after a change (on NLMSG_DONE when that
 * part is the empty last one).
 */
static void *vp_dump_put(struct vp_dump_ctx *ctx)
{
	void *hdr;

	hdr = genlmsg_put(ctx->skb, NETLINK_CB(ctx->cb->skb).portid,
			  ctx->cb->nlh->nlmsg_seq, &vp_family, NLM_F_MULTI,
			  ctx->cmd);
	if (hdr)
		genl_dump_check_consistent(ctx->cb, hdr);
	return hdr;
}

/* Every dump entry is small: a failure means the skb is full */
static int vp_dump_end(struct vp_dump_ctx *ctx, void *hdr, int ret)
{
	if (ret) {
		genlmsg_cancel(ctx->skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(ctx->skb, hdr);
	return 0;
}

/* A dump's return: what it has so far, or its end */
static int vp_dump_ret(struct sk_buff *skb, int ret)
{
	if (ret == -EMSGSIZE && skb->len)
		return skb->len;
	return ret ? ret : skb->len;
}

static int vp_dump_vm(const struct vp_vm_info *vi, void *arg)
{
	struct vp_dump_ctx *ctx = arg;
	void *hdr = vp_dump_put(ctx);

	if (!hdr)
		return -EMSGSIZE;
	return vp_dump_end(ctx, hdr, vp_put_vm(ctx->skb, vi));
}

static int vp_nl_vm_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct vp_dump_ctx ctx = { skb, cb, VFIO_PASID_CMD_VM_GET };
	unsigned long pos = cb->args[0];
	int ret;

	vp_viewer_of(cb->skb, &ctx.who);
	cb->seq = vp_dump_seq();
	ret = vp_vm_visit_from(&pos, &ctx.who, vp_dump_vm, &ctx);
	cb->args[0] = pos;
	return vp_dump_ret(skb, ret);
}

/*
 * A dump filtered by VM_ID: an unknown VM is refused in the dump's first
 * part, where 6.1 gives the callback an extended ack (it gives .start none),
 * so the error and its message come in the dump's NLMSG_DONE.  (The reclaim
 * log is filtered without this check: its VMs are gone.)
 */
static int vp_dump_vm_check(struct netlink_callback *cb,
			    const struct vp_viewer *who)
{
	struct nlattr *a_id = vp_compat_dump_attrs(cb)[VFIO_PASID_A_VM_ID];
	struct vp_vm_info vi;

	if (!a_id || cb->args[2])
		return 0;
	cb->args[2] = 1;
	if (vp_vm_find_info(nla_get_u32(a_id), NULL, who, &vi)) {
		NL_SET_ERR_MSG(cb->extack, "no VM with this id");
		return -ENOENT;
	}
	return 0;
}

static u32 vp_dump_vm_filter(struct netlink_callback *cb)
{
	struct nlattr *a_id = vp_compat_dump_attrs(cb)[VFIO_PASID_A_VM_ID];

	return a_id ? nla_get_u32(a_id) : 0;
}

/* A PASID's binding; called under its VM's lock */
static int vp_put_binding(struct sk_buff *skb, const struct vp_pasid *st)
{
	if (!st->bound)
		return 0;
	if (nla_put_u32(skb, VFIO_PASID_A_ADDR_WIDTH, st->addr_width) ||
	    nla_put_u32(skb, VFIO_PASID_A_DEVICES, st->devices) ||
	    vp_put_u64(skb, VFIO_PASID_A_BIND_FLAGS, st->flags) ||
	    vp_put_u64(skb, VFIO_PASID_A_VTD_FLAGS, st->vtd_flags))
		return -EMSGSIZE;
	if (st->flags & IOMMU_SVA_GPASID_VAL &&
	    nla_put_u32(skb, VFIO_PASID_A_GPASID, st->gpasid))
		return -EMSGSIZE;
	return 0;
}

static int vp_dump_pasid(u32 vm_id, u32 pasid, const struct vp_pasid *st,
			 void *arg)
{
	struct vp_dump_ctx *ctx = arg;
	void *hdr = vp_dump_put(ctx);
	int ret;

	if (!hdr)
		return -EMSGSIZE;
	ret = nla_put_u32(ctx->skb, VFIO_PASID_A_PASID, pasid) ||
	      nla_put_u32(ctx->skb, VFIO_PASID_A_VM_ID, vm_id) ||
	      nla_put_u8(ctx->skb, VFIO_PASID_A_BOUND, st && st->bound) ||
	      vp_put_u64(ctx->skb, VFIO_PASID_A_INV_IOTLB,
			 st ? st->inv_iotlb : 0) ||
	      vp_put_u64(ctx->skb, VFIO_PASID_A_INV_DEV_IOTLB,
			 st ? st->inv_dev_iotlb : 0) ||
	      (st && vp_put_binding(ctx->skb, st));
	return vp_dump_end(ctx, hdr, ret);
}

static int vp_nl_pasid_get_dumpit(struct sk_buff *skb,
				  struct netlink_callback *cb)
{
	struct vp_dump_ctx ctx = { skb, cb, VFIO_PASID_CMD_PASID_GET };
	unsigned long vm_pos = cb->args[0], pasid_pos = cb->args[1];
	int ret;

	vp_viewer_of(cb->skb, &ctx.who);
	cb->seq = vp_dump_seq();
	ret = vp_dump_vm_check(cb, &ctx.who);
	if (ret)
		return ret;
	ret = vp_pasid_visit_from(vp_dump_vm_filter(cb), &ctx.who, &vm_pos,
				  &pasid_pos, vp_dump_pasid, &ctx);
	cb->args[0] = vm_pos;
	cb->args[1] = pasid_pos;
	return vp_dump_ret(skb, ret);
}

/* A device of an attached group; called under its VM's lock */
static int vp_dump_dev(u32 vm_id, const struct vp_group *g,
		       const struct vp_dev *d, void *arg)
{
	struct vp_dump_ctx *ctx = arg;
	struct sk_buff *skb = ctx->skb;
	void *hdr = vp_dump_put(ctx);
	int ret;

	if (!hdr)
		return -EMSGSIZE;
	ret = nla_put_u32(skb, VFIO_PASID_A_VM_ID, vm_id) ||
	      nla_put_u32(skb, VFIO_PASID_A_GROUP, g->id) ||
	      nla_put_string(skb, VFIO_PASID_A_DEV_NAME, d->name) ||
	      (d->bus[0] &&
	       nla_put_string(skb, VFIO_PASID_A_DEV_BUS, d->bus)) ||
	      (d->parent[0] &&
	       nla_put_string(skb, VFIO_PASID_A_DEV_PARENT, d->parent)) ||
	      nla_put_u8(skb, VFIO_PASID_A_IOMMU_BACKED, d->backed) ||
	      (d->unit[0] &&
	       nla_put_string(skb, VFIO_PASID_A_IOMMU_UNIT, d->unit)) ||
	      nla_put_u32(skb, VFIO_PASID_A_PCI_PASID_WIDTH, d->pasid_width) ||
	      nla_put_u8(skb, VFIO_PASID_A_PCI_PASID_EXEC, d->pasid_exec) ||
	      nla_put_u8(skb, VFIO_PASID_A_PCI_PASID_PRIV, d->pasid_priv) ||
	      nla_put_u8(skb, VFIO_PASID_A_PCI_ATS, d->ats) ||
	      nla_put_u8(skb, VFIO_PASID_A_PCI_PRI, d->pri) ||
	      nla_put_u32(skb, VFIO_PASID_A_DEV_BINDS, d->binds);
	return vp_dump_end(ctx, hdr, ret);
}

static int vp_nl_device_get_dumpit(struct sk_buff *skb,
				   struct netlink_callback *cb)
{
	struct vp_dump_ctx ctx = { skb, cb, VFIO_PASID_CMD_DEVICE_GET };
	unsigned long vm_pos = cb->args[0], dev_pos = cb->args[1];
	int ret;

	vp_viewer_of(cb->skb, &ctx.who);
	cb->seq = vp_dump_seq();
	ret = vp_dump_vm_check(cb, &ctx.who);
	if (ret)
		return ret;
	ret = vp_dev_visit_from(vp_dump_vm_filter(cb), &ctx.who, &vm_pos,
				&dev_pos,
				vp_dump_dev, &ctx);
	cb->args[0] = vm_pos;
	cb->args[1] = dev_pos;
	return vp_dump_ret(skb, ret);
}

static int vp_nl_quota_set(struct sk_buff *skb, struct genl_info *info)
{
	struct vp_vm_info vi;
	u32 id, quota, old;
	struct pid *pid;
	int ret;

	if (GENL_REQ_ATTR_CHECK(info, VFIO_PASID_A_QUOTA)) {
		NL_SET_ERR_MSG(info->extack, "QUOTA is required");
		return -EINVAL;
	}
	ret = vp_vm_selector(info, &id, &pid);
	if (ret)
		return ret;
	quota = nla_get_u32(info->attrs[VFIO_PASID_A_QUOTA]);

	ret = vp_vm_set_quota_by_id(id, pid, quota, &old, &vi);
	put_pid(pid);
	if (ret == -ENOENT) {
		vp_no_vm(info, id);
	} else if (ret == -EINVAL && quota > vp_pool_size()) {
		NL_SET_ERR_MSG_ATTR(info->extack,
				    info->attrs[VFIO_PASID_A_QUOTA],
				    "quota is above the PASID pool size");
	} else if (ret == -EINVAL) {
		NL_SET_ERR_MSG_ATTR(info->extack,
				    info->attrs[VFIO_PASID_A_QUOTA],
				    "quota is below the PASIDs the VM holds");
	}
	return ret;
}

static int vp_fill_default_quota(struct sk_buff *skb, const void *arg)
{
	return nla_put_u32(skb, VFIO_PASID_A_DEFAULT_QUOTA,
			   vp_default_quota());
}

static int vp_nl_default_quota_get(struct sk_buff *skb, struct genl_info *info)
{
	return vp_reply(info, VFIO_PASID_CMD_DEFAULT_QUOTA_GET,
			vp_fill_default_quota, NULL);
}

static int vp_nl_default_quota_set(struct sk_buff *skb, struct genl_info *info)
{
	u32 old = vp_default_quota(), quota;

	if (GENL_REQ_ATTR_CHECK(info, VFIO_PASID_A_DEFAULT_QUOTA)) {
		NL_SET_ERR_MSG(info->extack, "DEFAULT_QUOTA is required");
		return -EINVAL;
	}
	quota = nla_get_u32(info->attrs[VFIO_PASID_A_DEFAULT_QUOTA]);
	if (vp_set_default_quota(quota)) {
		NL_SET_ERR_MSG_ATTR(info->extack,
				    info->attrs[VFIO_PASID_A_DEFAULT_QUOTA],
				    "default quota is above the PASID pool size");
		return -EINVAL;
	}
	if (old != quota)
		vp_nl_quota_event(0, old, quota);
	return 0;
}

static int vp_put_limit(struct sk_buff *skb, const struct vp_limit_info *li)
{
	if (nla_put_string(skb, VFIO_PASID_A_CGROUP, li->path) ||
	    nla_put_u32(skb, VFIO_PASID_A_LIMIT_MAX, li->max) ||
	    nla_put_u32(skb, VFIO_PASID_A_LIMIT_USED, li->used) ||
	    nla_put_u32(skb, VFIO_PASID_A_LIMIT_VMS, li->vms))
		return -EMSGSIZE;
	return 0;
}

/* The cgroup path of a limit request, or a refusal with its message */
static int vp_limit_path(struct genl_info *info, const char **path)
{
	struct nlattr *a = info->attrs[VFIO_PASID_A_CGROUP];

	if (GENL_REQ_ATTR_CHECK(info, VFIO_PASID_A_CGROUP)) {
		NL_SET_ERR_MSG(info->extack, "CGROUP is required");
		return -EINVAL;
	}
	*path = nla_data(a);
	if ((*path)[0] != '/') {
		NL_SET_ERR_MSG_ATTR(info->extack, a,
				    "a cgroup path starts with '/' (the cgroup2 root)");
		return -EINVAL;
	}
	return 0;
}

/* The message of a refused limit request */
static int vp_limit_refused(struct genl_info *info, int ret)
{
	struct nlattr *a = info->attrs[VFIO_PASID_A_CGROUP];

	switch (ret) {
	case -ENOENT:
		NL_SET_ERR_MSG_ATTR(info->extack, a,
				    "no cgroup v2 directory at this path");
		break;
	case -ESRCH:
		NL_SET_ERR_MSG_ATTR(info->extack, a,
				    "no limit is set on this cgroup");
		ret = -ENOENT;
		break;
	case -EOPNOTSUPP:
		NL_SET_ERR_MSG(info->extack,
			       "cgroup v2 is not mounted on this host");
		break;
	case -ENOMEM:
		NL_SET_ERR_MSG(info->extack, "out of memory");
		break;
	}
	return ret;
}

static int vp_fill_limit_visit(const struct vp_limit_info *li, void *arg)
{
	return vp_put_limit(arg, li);
}

static int vp_nl_limit_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct vp_reply_msg r;
	const char *path;
	int ret;

	ret = vp_limit_path(info, &path);
	if (ret)
		return ret;
	ret = vp_reply_begin(info, VFIO_PASID_CMD_LIMIT_GET, &r);
	if (ret)
		return ret;
	ret = vp_limit_get(path, vp_fill_limit_visit, r.msg);
	return vp_reply_end(info, &r, vp_limit_refused(info, ret));
}

static int vp_dump_limit(const struct vp_limit_info *li, void *arg)
{
	struct vp_dump_ctx *ctx = arg;
	void *hdr = vp_dump_put(ctx);

	if (!hdr)
		return -EMSGSIZE;
	return vp_dump_end(ctx, hdr, vp_put_limit(ctx->skb, li));
}

static int vp_nl_limit_get_dumpit(struct sk_buff *skb,
				  struct netlink_callback *cb)
{
	struct vp_dump_ctx ctx = { skb, cb, VFIO_PASID_CMD_LIMIT_GET };
	unsigned long pos = cb->args[0];
	int ret;

	cb->seq = vp_dump_seq();
	ret = vp_limit_visit_from(&pos, vp_dump_limit, &ctx);
	cb->args[0] = pos;
	return vp_dump_ret(skb, ret);
}

static int vp_nl_limit_set(struct sk_buff *skb, struct genl_info *info)
{
	const char *path;
	int ret;

	ret = vp_limit_path(info, &path);
	if (ret)
		return ret;
	if (GENL_REQ_ATTR_CHECK(info, VFIO_PASID_A_LIMIT_MAX)) {
		NL_SET_ERR_MSG(info->extack, "LIMIT_MAX is required");
		return -EINVAL;
	}
	ret = vp_limit_set(path,
			   nla_get_u32(info->attrs[VFIO_PASID_A_LIMIT_MAX]));
	return vp_limit_refused(info, ret);
}

static int vp_nl_limit_del(struct sk_buff *skb, struct genl_info *info)
{
	const char *path;
	int ret;

	ret = vp_limit_path(info, &path);
	if (ret)
		return ret;
	return vp_limit_refused(info, vp_limit_del(path));
}

static int vp_dump_rec(const struct vp_reclaim_rec *rec, void *arg)
{
	struct vp_dump_ctx *ctx = arg;
	void *hdr = vp_dump_put(ctx);

	if (!hdr)
		return -EMSGSIZE;
	return vp_dump_end(ctx, hdr, vp_put_rec(ctx->skb, rec));
}

static int vp_nl_reclaim_get_dumpit(struct sk_buff *skb,
				    struct netlink_callback *cb)
{
	struct vp_dump_ctx ctx = { skb, cb, VFIO_PASID_CMD_RECLAIM_GET };
	u64 seq = cb->args[0];
	int ret;

	/* a log read by sequence number: records come, none moves */
	vp_viewer_of(cb->skb, &ctx.who);
	ret = vp_log_visit_from(&seq, vp_dump_vm_filter(cb), &ctx.who,
				vp_dump_rec, &ctx);
	cb->args[0] = seq;
	return vp_dump_ret(skb, ret);
}

static int vp_nl_reclaim_clear(struct sk_buff *skb, struct genl_info *info)
{
	vp_log_clear();
	return 0;
}

static const struct genl_ops vp_ops[] = {
	{
		.cmd	= VFIO_PASID_CMD_STATS_GET,
		.doit	= vp_nl_stats_get,
	},
	{
		.cmd	= VFIO_PASID_CMD_VM_GET,
		.doit	= vp_nl_vm_get_doit,
		.dumpit	= vp_nl_vm_get_dumpit,
		.policy	= vp_vm_sel_policy,
		.maxattr = VFIO_PASID_A_MAX,
	},
	{
		.cmd	= VFIO_PASID_CMD_PASID_GET,
		.dumpit	= vp_nl_pasid_get_dumpit,
		.policy	= vp_vm_filter_policy,
		.maxattr = VFIO_PASID_A_MAX,
	},
	{
		.cmd	= VFIO_PASID_CMD_QUOTA_SET,
		.doit	= vp_nl_quota_set,
		.policy	= vp_quota_set_policy,
		.maxattr = VFIO_PASID_A_MAX,
		.flags	= GENL_ADMIN_PERM,
	},
	{
		.cmd	= VFIO_PASID_CMD_DEFAULT_QUOTA_GET,
		.doit	= vp_nl_default_quota_get,
	},
	{
		.cmd	= VFIO_PASID_CMD_DEFAULT_QUOTA_SET,
		.doit	= vp_nl_default_quota_set,
		.policy	= vp_default_quota_policy,
		.maxattr = VFIO_PASID_A_MAX,
		.flags	= GENL_ADMIN_PERM,
	},
	{
		.cmd	= VFIO_PASID_CMD_RECLAIM_GET,
		.dumpit	= vp_nl_reclaim_get_dumpit,
		.policy	= vp_vm_filter_policy,
		.maxattr = VFIO_PASID_A_MAX,
	},
	{
		.cmd	= VFIO_PASID_CMD_RECLAIM_CLEAR,
		.doit	= vp_nl_reclaim_clear,
		.flags	= GENL_ADMIN_PERM,
	},
	{
		.cmd	= VFIO_PASID_CMD_DEVICE_GET,
		.dumpit	= vp_nl_device_get_dumpit,
		.policy	= vp_vm_filter_policy,
		.maxattr = VFIO_PASID_A_MAX,
	},
	{
		.cmd	= VFIO_PASID_CMD_LIMIT_GET,
		.doit	= vp_nl_limit_get_doit,
		.dumpit	= vp_nl_limit_get_dumpit,
		.policy	= vp_limit_sel_policy,
		.maxattr = VFIO_PASID_A_MAX,
	},
	{
		.cmd	= VFIO_PASID_CMD_LIMIT_SET,
		.doit	= vp_nl_limit_set,
		.policy	= vp_limit_set_policy,
		.maxattr = VFIO_PASID_A_MAX,
		.flags	= GENL_ADMIN_PERM,
	},
	{
		.cmd	= VFIO_PASID_CMD_LIMIT_DEL,
		.doit	= vp_nl_limit_del,
		.policy	= vp_limit_sel_policy,
		.maxattr = VFIO_PASID_A_MAX,
		.flags	= GENL_ADMIN_PERM,
	},
};

static struct genl_family vp_family = {
	.name		= VFIO_PASID_FAMILY_NAME,
	.version	= VFIO_PASID_FAMILY_VERSION,
	.netnsok	= false,
	.parallel_ops	= true,
	.module		= THIS_MODULE,
	.ops		= vp_ops,
	.n_ops		= ARRAY_SIZE(vp_ops),
	.mcgrps		= vp_mcgrps,
	.n_mcgrps	= ARRAY_SIZE(vp_mcgrps),
};

static bool vp_nl_listeners(void)
{
	return genl_has_listeners(&vp_family, &init_net, VP_MCGRP_MONITOR) > 0;
}

static void vp_nl_event(u8 cmd, int (*fill)(struct sk_buff *skb,
					    const void *arg),
			const void *arg)
{
	struct sk_buff *msg;
	void *hdr;

	if (!vp_nl_listeners())
		return;
	/* events are best effort: one that cannot be made is not sent */
	msg = vp_fail("nl-event") ? NULL :
		genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return;
	hdr = genlmsg_put(msg, 0, 0, &vp_family, 0, cmd);
	if (!hdr || fill(msg, arg)) {
		nlmsg_free(msg);
		return;
	}
	genlmsg_end(msg, hdr);
	genlmsg_multicast(&vp_family, msg, 0, VP_MCGRP_MONITOR, GFP_KERNEL);
}

void vp_nl_vm_event(u8 cmd, const struct vp_vm_info *info)
{
	vp_nl_event(cmd, vp_fill_vm, info);
}

struct vp_quota_event {
	u32 vm_id;
	u32 old;
	u32 quota;
};

static int vp_fill_quota_event(struct sk_buff *skb, const void *arg)
{
	const struct vp_quota_event *ev = arg;

	if ((ev->vm_id && nla_put_u32(skb, VFIO_PASID_A_VM_ID, ev->vm_id)) ||
	    nla_put_u32(skb, VFIO_PASID_A_OLD_QUOTA, ev->old) ||
	    nla_put_u32(skb, VFIO_PASID_A_QUOTA, ev->quota))
		return -EMSGSIZE;
	return 0;
}

void vp_nl_quota_event(u32 vm_id, u32 old, u32 quota)
{
	struct vp_quota_event ev = { vm_id, old, quota };

	vp_nl_event(VFIO_PASID_CMD_QUOTA_NTF, vp_fill_quota_event, &ev);
}

bool vp_nl_reclaim_listeners(void)
{
	return vp_nl_listeners();
}

static int vp_fill_rec(struct sk_buff *skb, const void *arg)
{
	return vp_put_rec(skb, arg);
}

void vp_nl_reclaim_event(const struct vp_reclaim_rec *rec)
{
	vp_nl_event(VFIO_PASID_CMD_RECLAIM_NTF, vp_fill_rec, rec);
}

static int vp_fill_limit(struct sk_buff *skb, const void *arg)
{
	return vp_put_limit(skb, arg);
}

/* A limit set (@set) or deleted; sent under the limits' lock */
void vp_nl_limit_event(bool set, const struct vp_limit_info *li)
{
	vp_nl_event(set ? VFIO_PASID_CMD_LIMIT_SET_NTF :
		    VFIO_PASID_CMD_LIMIT_DEL_NTF, vp_fill_limit, li);
}

int __init vp_nl_init(void)
{
	return vp_fail("nl-family") ? -ENOMEM : genl_register_family(&vp_family);
}

void vp_nl_exit(void)
{
	genl_unregister_family(&vp_family);
}
