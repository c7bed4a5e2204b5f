// SPDX-License-Identifier: GPL-2.0
/*
 * vfiopasidctl - the generic netlink core
 *
 * Copyright (C) 2026 The vfio-pasid authors
 *
 * libnl-genl does the socket and the framing.  libnl turns kernel errors
 * into its own codes and drops the extended ACK, so an error callback and a
 * finish callback keep the raw errno and the NLMSGERR_ATTR_MSG text (of an
 * NLMSG_ERROR, or of the NLMSG_DONE that ends a failed dump).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/netlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/socket.h>

#include "vfiopasidctl.h"
#include "error.h"
#include "kmodule.h"
#include "nl.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

/* How replies are validated before a command sees them */
static struct nla_policy attr_policy[VFIO_PASID_A_MAX + 1] = {
	[VFIO_PASID_A_VM_ID]		= { .type = NLA_U32 },
	[VFIO_PASID_A_PID]		= { .type = NLA_U32 },
	[VFIO_PASID_A_COMM]		= { .type = NLA_STRING },
	[VFIO_PASID_A_QUOTA]		= { .type = NLA_U32 },
	[VFIO_PASID_A_COUNT]		= { .type = NLA_U32 },
	[VFIO_PASID_A_BOUND_COUNT]	= { .type = NLA_U32 },
	[VFIO_PASID_A_PASID]		= { .type = NLA_U32 },
	[VFIO_PASID_A_BOUND]		= { .type = NLA_U8 },
	[VFIO_PASID_A_GPASID]		= { .type = NLA_U32 },
	[VFIO_PASID_A_ADDR_WIDTH]	= { .type = NLA_U32 },
	[VFIO_PASID_A_INV_IOTLB]	= { .type = NLA_U64 },
	[VFIO_PASID_A_INV_DEV_IOTLB]	= { .type = NLA_U64 },
	[VFIO_PASID_A_POOL_MIN]		= { .type = NLA_U32 },
	[VFIO_PASID_A_POOL_MAX]		= { .type = NLA_U32 },
	[VFIO_PASID_A_POOL_SIZE]	= { .type = NLA_U32 },
	[VFIO_PASID_A_IN_USE]		= { .type = NLA_U32 },
	[VFIO_PASID_A_VM_COUNT]		= { .type = NLA_U32 },
	[VFIO_PASID_A_ALLOCATED]	= { .type = NLA_U64 },
	[VFIO_PASID_A_FREED]		= { .type = NLA_U64 },
	[VFIO_PASID_A_RECLAIMED]	= { .type = NLA_U64 },
	[VFIO_PASID_A_QUOTA_REFUSALS]	= { .type = NLA_U64 },
	[VFIO_PASID_A_POOL_REFUSALS]	= { .type = NLA_U64 },
	[VFIO_PASID_A_BINDS]		= { .type = NLA_U64 },
	[VFIO_PASID_A_INVALIDATIONS]	= { .type = NLA_U64 },
	[VFIO_PASID_A_BACKEND]		= { .type = NLA_STRING },
	[VFIO_PASID_A_DEFAULT_QUOTA]	= { .type = NLA_U32 },
	[VFIO_PASID_A_TIME_NS]		= { .type = NLA_U64 },
	[VFIO_PASID_A_OLD_QUOTA]	= { .type = NLA_U32 },
	[VFIO_PASID_A_RECLAIM_LOG_SIZE]	= { .type = NLA_U32 },
	[VFIO_PASID_A_RECLAIM_LOG_COUNT] = { .type = NLA_U32 },
	[VFIO_PASID_A_RECLAIM_LOG_DROPPED] = { .type = NLA_U64 },
	[VFIO_PASID_A_SEQ]		= { .type = NLA_U64 },
	[VFIO_PASID_A_UAPI_VERSION]	= { .type = NLA_U32 },
	[VFIO_PASID_A_GROUP_COUNT]	= { .type = NLA_U32 },
	[VFIO_PASID_A_GROUP]		= { .type = NLA_U32 },
	[VFIO_PASID_A_DEV_NAME]		= { .type = NLA_STRING },
	[VFIO_PASID_A_DEV_BUS]		= { .type = NLA_STRING },
	[VFIO_PASID_A_DEV_PARENT]	= { .type = NLA_STRING },
	[VFIO_PASID_A_IOMMU_BACKED]	= { .type = NLA_U8 },
	[VFIO_PASID_A_IOMMU_UNIT]	= { .type = NLA_STRING },
	[VFIO_PASID_A_PCI_PASID_WIDTH]	= { .type = NLA_U32 },
	[VFIO_PASID_A_PCI_PASID_EXEC]	= { .type = NLA_U8 },
	[VFIO_PASID_A_PCI_PASID_PRIV]	= { .type = NLA_U8 },
	[VFIO_PASID_A_PCI_ATS]		= { .type = NLA_U8 },
	[VFIO_PASID_A_PCI_PRI]		= { .type = NLA_U8 },
	[VFIO_PASID_A_DEV_BINDS]	= { .type = NLA_U32 },
	[VFIO_PASID_A_DEVICES]		= { .type = NLA_U32 },
	[VFIO_PASID_A_BIND_FLAGS]	= { .type = NLA_U64 },
	[VFIO_PASID_A_VTD_FLAGS]	= { .type = NLA_U64 },
	[VFIO_PASID_A_UNBINDS]		= { .type = NLA_U64 },
	[VFIO_PASID_A_BOUND_TOTAL]	= { .type = NLA_U32 },
	[VFIO_PASID_A_INV_IOTLB_PASID]	= { .type = NLA_U64 },
	[VFIO_PASID_A_INV_IOTLB_ADDR]	= { .type = NLA_U64 },
	[VFIO_PASID_A_INV_DEV_IOTLB_ADDR] = { .type = NLA_U64 },
	[VFIO_PASID_A_NESTING]		= { .type = NLA_U8 },
	[VFIO_PASID_A_PASID_FORMAT]	= { .type = NLA_U32 },
	[VFIO_PASID_A_NEST_ADDR_WIDTH]	= { .type = NLA_U32 },
	[VFIO_PASID_A_NEST_PASID_BITS]	= { .type = NLA_U32 },
};

/* libnl's own error codes, for failures that never reached the kernel */
static int nlerr_to_errno(int nlerr)
{
	switch (nlerr < 0 ? -nlerr : nlerr) {
	case NLE_NOMEM:			return ENOBUFS;
	case NLE_PERM:			return EPERM;
	case NLE_NOACCESS:		return EACCES;
	case NLE_AGAIN:			return EAGAIN;
	case NLE_INTR:			return EINTR;
	case NLE_INVAL:			return EINVAL;
	case NLE_RANGE:			return ERANGE;
	case NLE_OBJ_NOTFOUND:		return ENOENT;
	case NLE_NOADDR:		return EADDRNOTAVAIL;
	case NLE_OPNOTSUPP:		return EOPNOTSUPP;
	case NLE_PROTO_MISMATCH:	return EPROTONOSUPPORT;
	case NLE_BUSY:			return EBUSY;
	case NLE_BAD_SOCK:		return ENOTSOCK;
	default:			return EPROTO;
	}
}

/* Find NLMSGERR_ATTR_MSG among the TLVs at @tlv (@len bytes) */
static void keep_extack(struct nl *nl, const void *tlv, int len)
{
	const struct nlattr *a;
	int rem;

	if (len <= 0)
		return;
	nla_for_each_attr(a, (struct nlattr *)tlv, len, rem) {
		int n = nla_len(a);

		if (nla_type(a) != NLMSGERR_ATTR_MSG || n <= 0)
			continue;
		if ((size_t)n >= sizeof(nl->extack))
			n = sizeof(nl->extack) - 1;
		memcpy(nl->extack, nla_data(a), (size_t)n);
		nl->extack[n] = '\0';
		/* the kernel's texts have no final newline, but be sure */
		n = (int)strcspn(nl->extack, "\n");
		nl->extack[n] = '\0';
	}
}

static int err_cb(struct sockaddr_nl *who, struct nlmsgerr *e, void *arg)
{
	const struct nlmsghdr *hdr = (const void *)((const char *)e -
						    NLMSG_HDRLEN);
	struct nl *nl = arg;
	size_t ack_len = sizeof(*e);

	(void)who;
	nl->err = e->error < 0 ? -e->error : e->error;
	nl->done = true;
	if (!(hdr->nlmsg_flags & NLM_F_ACK_TLVS))
		return NL_STOP;
	if (!(hdr->nlmsg_flags & NLM_F_CAPPED))
		ack_len += e->msg.nlmsg_len - NLMSG_HDRLEN;
	if (hdr->nlmsg_len < NLMSG_HDRLEN + ack_len)
		return NL_STOP;
	keep_extack(nl, (const char *)e + ack_len,
		    (int)(hdr->nlmsg_len - NLMSG_HDRLEN - ack_len));
	return NL_STOP;
}

/* NLM_F_DUMP_INTR: the entry still counts, the dump is marked */
static int dump_intr_cb(struct nl_msg *msg, void *arg)
{
	struct nl *nl = arg;

	(void)msg;
	nl->intr = true;
	return NL_OK;
}

static int finish_cb(struct nl_msg *msg, void *arg)
{
	const struct nlmsghdr *hdr = nlmsg_hdr(msg);
	struct nl *nl = arg;
	int err;

	nl->done = true;
	if (hdr->nlmsg_len < NLMSG_HDRLEN + sizeof(int))
		return NL_STOP;
	memcpy(&err, nlmsg_data(hdr), sizeof(err));
	if (err < 0) {
		nl->err = -err;
		if (hdr->nlmsg_flags & NLM_F_ACK_TLVS)
			keep_extack(nl, (const char *)nlmsg_data(hdr) +
					sizeof(int),
				    (int)(hdr->nlmsg_len - NLMSG_HDRLEN -
					  sizeof(int)));
	}
	return NL_STOP;
}

static int ack_cb(struct nl_msg *msg, void *arg)
{
	struct nl *nl = arg;

	(void)msg;
	nl->done = true;
	return NL_STOP;
}

struct valid_arg {
	struct nl	*nl;
	vnl_reply_fn	fn;
	void		*arg;
};

static int valid_cb(struct nl_msg *msg, void *arg)
{
	struct valid_arg *va = arg;
	struct nlmsghdr *hdr = nlmsg_hdr(msg);
	struct nlattr *tb[VFIO_PASID_A_MAX + 1];
	struct genlmsghdr *gh = nlmsg_data(hdr);
	int ret;

	if (genlmsg_parse(hdr, 0, tb, VFIO_PASID_A_MAX, attr_policy) < 0) {
		va->nl->err = EPROTO;
		snprintf(va->nl->extack, sizeof(va->nl->extack),
			 "malformed reply from the kernel");
		va->nl->done = true;
		return NL_STOP;
	}
	if (!va->fn)
		return NL_OK;
	ret = va->fn(gh->cmd, tb, va->arg);
	if (ret) {
		va->nl->err = ret;
		va->nl->done = true;
		return NL_STOP;
	}
	return NL_OK;
}

static void set_opt(struct nl_sock *sk, int opt)
{
	int one = 1;

	/* Older kernels lack these; messages are then just less helpful */
	setsockopt(nl_socket_get_fd(sk), SOL_NETLINK, opt, &one, sizeof(one));
}

static int connect_sock(struct nl *nl)
{
	int ret;

	nl->sk = nl_socket_alloc();
	if (!nl->sk)
		return ENOMEM;
	ret = genl_connect(nl->sk);
	if (ret < 0)
		return nlerr_to_errno(ret);
	set_opt(nl->sk, NETLINK_EXT_ACK);
	set_opt(nl->sk, NETLINK_CAP_ACK);
	nl_socket_enable_msg_peek(nl->sk);
	/* a burst of notifications (a big VM reclaimed) needs room */
	nl_socket_set_buffer_size(nl->sk, 4 << 20, 0);
	return 0;
}

static void free_nl(struct nl *nl)
{
	if (!nl)
		return;
	if (nl->sk)
		nl_socket_free(nl->sk);
	free(nl);
}

/* A new struct nl, its socket connected; NULL with *err set */
static struct nl *nl_new(int *err)
{
	struct nl *nl = calloc(1, sizeof(*nl));

	*err = ENOMEM;
	if (!nl)
		return NULL;
	nl->family = -1;
	nl->came = -1;
	*err = connect_sock(nl);
	if (*err) {
		free_nl(nl);
		return NULL;
	}
	return nl;
}

bool vnl_try_open(struct ctx *ctx)
{
	struct nl *nl;
	int err;

	if (ctx->nl)
		return true;
	nl = nl_new(&err);
	if (!nl)
		return false;
	nl->family = genl_ctrl_resolve(nl->sk, VFIO_PASID_FAMILY_NAME);
	if (nl->family < 0) {
		free_nl(nl);
		return false;
	}
	ctx->nl = nl;
	return true;
}

static int open_failed(struct ctx *ctx, int err)
{
	if (err == ENOMEM)
		return fail_errno(ENOMEM, NULL, NULL, "%s", ctx->cmd);
	return fail_errno(err, NULL, NULL,
			  "%s: cannot open a generic netlink socket", ctx->cmd);
}

int vnl_connect(struct ctx *ctx)
{
	struct nl *nl;
	int err;

	if (ctx->nl)
		return 0;
	nl = nl_new(&err);
	if (!nl)
		return open_failed(ctx, err);
	nl->gone = true;
	ctx->nl = nl;
	return 0;
}

int vnl_open(struct ctx *ctx)
{
	struct nl *nl;
	int ret;

	if (ctx->nl)
		return 0;
	ret = vnl_connect(ctx);
	if (ret)
		return ret;
	nl = ctx->nl;
	nl->family = genl_ctrl_resolve(nl->sk, VFIO_PASID_FAMILY_NAME);
	if (nl->family < 0) {
		ctx->nl = NULL;
		free_nl(nl);
		if (mod_state() == MOD_NOT_LOADED)
			return fail(EXIT_NOMOD, MSG_NOT_LOADED);
		return fail(EXIT_NOMOD,
			    "module %s is loaded but its netlink family '%s' is not registered: reload the module (vfiopasidctl module unload; vfiopasidctl module load)",
			    MODULE_NAME, VFIO_PASID_FAMILY_NAME);
	}
	nl->gone = false;
	return 0;
}

void vnl_close(struct ctx *ctx)
{
	free_nl(ctx->nl);
	ctx->nl = NULL;
}

struct nl_msg *vnl_msg_new(struct ctx *ctx, uint8_t cmd, bool dump)
{
	struct nl_msg *msg = nlmsg_alloc();

	if (!msg)
		return NULL;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, ctx->nl->family, 0,
			 dump ? NLM_F_DUMP : 0, cmd,
			 VFIO_PASID_FAMILY_VERSION)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

struct nl_msg *vnl_dump_of_vm(struct ctx *ctx, uint8_t cmd, uint32_t vm_id)
{
	struct nl_msg *msg = vnl_msg_new(ctx, cmd, true);

	if (msg && vm_id && nla_put_u32(msg, VFIO_PASID_A_VM_ID, vm_id) < 0) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

int vnl_put_vm_sel(struct nl_msg *msg, const struct vm_sel *sel)
{
	return nla_put_u32(msg, sel->kind == VM_SEL_PID ? VFIO_PASID_A_PID
							: VFIO_PASID_A_VM_ID,
			   sel->val);
}

int vnl_exec(struct ctx *ctx, struct nl_msg *msg, vnl_reply_fn fn, void *arg)
{
	struct nl *nl = ctx->nl;
	struct valid_arg va = { nl, fn, arg };
	struct nl_cb *cb;
	int ret;

	nl->err = 0;
	nl->extack[0] = '\0';
	nl->done = false;
	nl->intr = false;
	if (!msg)
		return ENOMEM;

	cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!cb) {
		nlmsg_free(msg);
		return ENOMEM;
	}
	nl_cb_err(cb, NL_CB_CUSTOM, err_cb, nl);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, finish_cb, nl);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, ack_cb, nl);
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, valid_cb, &va);
	nl_cb_set(cb, NL_CB_DUMP_INTR, NL_CB_CUSTOM, dump_intr_cb, nl);

	ret = nl_send_auto(nl->sk, msg);
	nlmsg_free(msg);
	if (ret < 0) {
		nl_cb_put(cb);
		return nlerr_to_errno(ret);
	}
	while (!nl->done) {
		ret = nl_recvmsgs(nl->sk, cb);
		if (ret < 0 && !nl->err) {
			nl->err = nlerr_to_errno(ret);
			break;
		}
	}
	nl_cb_put(cb);
	/*
	 * A dump the kernel flagged: VMs, groups or limits came or went
	 * between its messages, so what was shown may miss or repeat an
	 * entry.  The caller shows it whole, then says so (EAGAIN).
	 */
	if (!nl->err && nl->intr) {
		nl->err = EAGAIN;
		snprintf(nl->extack, sizeof(nl->extack), "%s",
			 "the list changed while it was read (VMs, groups or limits came or went), so it may miss or repeat entries: run the command again");
	}
	return nl->err;
}

/*
 * The id of family @name (when @family) and of its multicast group @group
 * (when @group), asked on a socket of their own: a socket that has joined
 * groups may find an event where it waits for a reply.  0, or a positive
 * errno: ENOENT when the family (or the group) is not registered.
 */
static int ctrl_resolve(const char *name, int *family, const char *group,
			int *grp)
{
	struct nl_sock *sk = nl_socket_alloc();
	int ret;

	if (!sk)
		return ENOMEM;
	ret = genl_connect(sk);
	if (ret >= 0 && family) {
		ret = genl_ctrl_resolve(sk, name);
		if (ret >= 0)
			*family = ret;
	}
	if (ret >= 0 && group) {
		ret = genl_ctrl_resolve_grp(sk, name, group);
		if (ret >= 0)
			*grp = ret;
	}
	nl_socket_free(sk);
	return ret < 0 ? nlerr_to_errno(ret) : 0;
}

int vnl_subscribe(struct ctx *ctx, const char *group)
{
	struct nl *nl = ctx->nl;
	int family, grp, err;

	if (!nl->watching) {
		/*
		 * nlctrl's first: it says when the family goes away with the
		 * module, and when it comes back after this point
		 */
		if (!ctrl_resolve("nlctrl", NULL, "notify", &grp) &&
		    nl_socket_add_membership(nl->sk, grp) >= 0)
			nl->watching = true;
		/* notifications carry no sequence number of ours */
		nl_socket_disable_seq_check(nl->sk);
	}
	nl->came = -1;
	err = ctrl_resolve(VFIO_PASID_FAMILY_NAME, &family, group, &grp);
	if (err == ENOENT) {
		nl->gone = true;
		nl->family = -1;
	}
	if (err)
		return err;
	err = nl_socket_add_membership(nl->sk, grp);
	if (err < 0)
		return nlerr_to_errno(err);
	nl->family = family;
	nl->gone = false;
	return 0;
}

bool vnl_family_current(struct ctx *ctx)
{
	int family = -1, err;

	err = ctrl_resolve(VFIO_PASID_FAMILY_NAME, &family, NULL, NULL);
	/* a failure to ask is no news */
	if (err && err != ENOENT)
		return true;
	return !err && family == ctx->nl->family;
}

int vnl_fd(struct ctx *ctx)
{
	return nl_socket_get_fd(ctx->nl->sk);
}

/*
 * Notifications: ours, and nlctrl's, which say when the family goes away
 * (the module was unloaded) and when it is registered again (loaded).
 * Each carries the family's id, which a new registration rarely reuses: a
 * removal of another registration than the one subscribed to, or the late
 * announcement of that one, is old news.
 */
static int ctrl_event(struct nl *nl, struct nlmsghdr *hdr)
{
	struct nlattr *tb[CTRL_ATTR_MAX + 1];
	struct genlmsghdr *gh = nlmsg_data(hdr);
	int id;

	if ((gh->cmd != CTRL_CMD_DELFAMILY && gh->cmd != CTRL_CMD_NEWFAMILY) ||
	    genlmsg_parse(hdr, 0, tb, CTRL_ATTR_MAX, NULL) < 0 ||
	    !tb[CTRL_ATTR_FAMILY_NAME] ||
	    nla_strcmp(tb[CTRL_ATTR_FAMILY_NAME], VFIO_PASID_FAMILY_NAME))
		return NL_OK;
	id = tb[CTRL_ATTR_FAMILY_ID] ? nla_get_u16(tb[CTRL_ATTR_FAMILY_ID])
				     : -1;
	if (gh->cmd == CTRL_CMD_DELFAMILY) {
		if (nl->gone || (id >= 0 && id != nl->family))
			return NL_OK;
		nl->gone = true;
		nl->err = ENODEV;
		nl->done = true;
		return NL_STOP;
	}
	if (!nl->gone && id == nl->family)
		return NL_OK;
	nl->came = id;
	nl->done = true;
	return NL_STOP;
}

static int event_cb(struct nl_msg *msg, void *arg)
{
	struct valid_arg *va = arg;
	struct nlmsghdr *hdr = nlmsg_hdr(msg);

	if (hdr->nlmsg_type == GENL_ID_CTRL)
		return ctrl_event(va->nl, hdr);
	if (va->nl->gone || hdr->nlmsg_type != va->nl->family)
		return NL_OK;
	return valid_cb(msg, arg);
}

static int no_seq_check(struct nl_msg *msg, void *arg)
{
	(void)msg;
	(void)arg;
	return NL_OK;
}

int vnl_recv_events(struct ctx *ctx, vnl_reply_fn fn, void *arg)
{
	struct nl *nl = ctx->nl;
	struct valid_arg va = { nl, fn, arg };
	struct nl_cb *cb;
	int ret;

	nl->err = 0;
	nl->done = false;
	nl->came = -1;
	cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!cb)
		return ENOMEM;
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, event_cb, &va);
	/* notifications carry no sequence number of ours */
	nl_cb_set(cb, NL_CB_SEQ_CHECK, NL_CB_CUSTOM, no_seq_check, NULL);
	/* one datagram: the caller polls for the next */
	ret = nl_recvmsgs(nl->sk, cb);
	nl_cb_put(cb);
	if (nl->err)
		return nl->err;
	if (ret < 0)
		return nlerr_to_errno(ret);
	return 0;
}
