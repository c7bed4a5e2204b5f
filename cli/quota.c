// SPDX-License-Identifier: GPL-2.0
/*
 * vfiopasidctl quota get VM | quota set VM N | quota default [N]
 *
 * Copyright (C) 2026 The vfio-pasid authors
 *
 * Changes need CAP_NET_ADMIN.  A refused quota is explained with numbers:
 * the VM's count, or the pool size.
 */
#include <argp.h>
#include <errno.h>

#include "vfiopasidctl.h"
#include "error.h"
#include "nl.h"
#include "objects.h"

static uint32_t parse_quota(struct ctx *ctx, const char *s)
{
	uint32_t n;

	if (!s)
		usage_die(ctx, "missing the quota N");
	if (parse_u32(s, &n))
		usage_die(ctx, "'%s' is not a quota (a number of PASIDs)", s);
	return n;
}

/* {"quota":{"vm_id","quota","count"}} */
static int print_quota(struct ctx *ctx, const struct vm_info *vi)
{
	json_object *root = jobj();
	json_object *q = jobj();

	json_object_object_add(root, "quota", q);
	json_object_object_add(q, "vm_id", jnum(vi->vm_id));
	json_object_object_add(q, "quota", jnum(vi->quota));
	json_object_object_add(q, "count", jnum(vi->count));
	out_print(ctx, root);
	json_object_put(root);
	return EXIT_OK;
}

/* Fetch the VM and print its quota */
static int show_quota(struct ctx *ctx, const struct vm_sel *sel)
{
	struct vm_info vi;
	int ret;

	ret = vm_get(ctx, sel, &vi);
	if (ret)
		return ret;
	ret = print_quota(ctx, &vi);
	json_object_put(vi.obj);
	return ret;
}

static const struct argp get_argp = {
	NULL, pos_parse, "VM",
	"Show a VM's quota and how many PASIDs it holds.  VM is a VM id as "
	"'vm list' prints it, or pid:PID.",
	NULL, NULL, NULL
};

int cmd_quota_get(struct ctx *ctx, int argc, char **argv)
{
	struct pos_args a = { .ctx = ctx, .max = 1 };
	struct vm_sel sel;
	int ret;

	cmd_parse(ctx, &get_argp, argc, argv, &a);
	vm_sel_arg(ctx, a.pos[0], &sel);
	ret = vnl_open(ctx);
	if (ret)
		return ret;
	return show_quota(ctx, &sel);
}

static const struct argp set_argp = {
	NULL, pos_parse, "VM N",
	"Set a VM's quota to N PASIDs.  N may not be below the PASIDs the VM "
	"holds, nor above the pool size.  Needs CAP_NET_ADMIN.  Prints the "
	"VM's quota afterwards, as 'quota get' does.",
	NULL, NULL, NULL
};

int cmd_quota_set(struct ctx *ctx, int argc, char **argv)
{
	struct pos_args a = { .ctx = ctx, .max = 2 };
	struct vm_info vi;
	struct vm_sel sel;
	struct nl_msg *msg;
	char name[64];
	uint32_t quota;
	int err, ret;

	cmd_parse(ctx, &set_argp, argc, argv, &a);
	vm_sel_arg(ctx, a.pos[0], &sel);
	quota = parse_quota(ctx, a.pos[1]);
	ret = vnl_open(ctx);
	if (ret)
		return ret;

	msg = vnl_msg_new(ctx, VFIO_PASID_CMD_QUOTA_SET, false);
	if (msg && (vnl_put_vm_sel(msg, &sel) < 0 ||
		    nla_put_u32(msg, VFIO_PASID_A_QUOTA, quota) < 0)) {
		nlmsg_free(msg);
		msg = NULL;
	}
	err = vnl_exec(ctx, msg, NULL, NULL);
	vm_sel_str(&sel, name, sizeof(name));
	/* EINVAL from the module, ERANGE from the attribute policy */
	if (err == EINVAL || err == ERANGE) {
		/* say why with numbers: the VM's count, or the pool's size */
		char extack[sizeof(ctx->nl->extack)];
		uint32_t size;

		snprintf(extack, sizeof(extack), "%s", ctx->nl->extack);
		if (!vm_fetch(ctx, &sel, &vi)) {
			json_object_put(vi.obj);
			if (quota < vi.count)
				return fail(EXIT_FAIL,
					    "%s: quota %u is below the %u PASIDs VM %u holds",
					    ctx->cmd, quota, vi.count,
					    vi.vm_id);
		}
		size = pool_size(ctx);
		if (size && quota > size)
			return fail(EXIT_FAIL,
				    "%s: quota %u is above the pool size %u",
				    ctx->cmd, quota, size);
		return fail_errno(err, extack, NULL, "%s: %s", ctx->cmd, name);
	}
	if (err == ENOENT && !ctx->nl->extack[0])
		return fail(EXIT_FAIL, "%s: %s: no such VM", ctx->cmd, name);
	if (err)
		return nl_failure(ctx, err, NULL, "%s: %s", ctx->cmd, name);

	return show_quota(ctx, &sel);
}

static const struct argp default_argp = {
	NULL, pos_parse, "[N]",
	"Show the quota new VMs get, or set it to N (at most the pool size; "
	"needs CAP_NET_ADMIN).  Existing VMs keep theirs.",
	NULL, NULL, NULL
};

static int default_cb(uint8_t cmd, struct nlattr **tb, void *arg)
{
	(void)cmd;
	if (tb[VFIO_PASID_A_DEFAULT_QUOTA]) {
		*(int64_t *)arg = nla_get_u32(tb[VFIO_PASID_A_DEFAULT_QUOTA]);
	}
	return 0;
}

int cmd_quota_default(struct ctx *ctx, int argc, char **argv)
{
	struct pos_args a = { .ctx = ctx, .max = 1 };
	json_object *root;
	int64_t value = -1;
	uint32_t quota = 0;
	int err, ret;

	cmd_parse(ctx, &default_argp, argc, argv, &a);
	if (a.npos)
		quota = parse_quota(ctx, a.pos[0]);
	ret = vnl_open(ctx);
	if (ret)
		return ret;

	if (a.npos) {
		struct nl_msg *msg;

		msg = vnl_msg_new(ctx, VFIO_PASID_CMD_DEFAULT_QUOTA_SET, false);
		if (msg && nla_put_u32(msg, VFIO_PASID_A_DEFAULT_QUOTA,
				       quota) < 0) {
			nlmsg_free(msg);
			msg = NULL;
		}
		err = vnl_exec(ctx, msg, NULL, NULL);
		if (err == EINVAL || err == ERANGE) {
			char extack[sizeof(ctx->nl->extack)];
			uint32_t size;

			snprintf(extack, sizeof(extack), "%s", ctx->nl->extack);
			size = pool_size(ctx);
			if (size && quota > size)
				return fail(EXIT_FAIL,
					    "%s: quota %u is above the pool size %u",
					    ctx->cmd, quota, size);
			return fail_errno(err, extack, NULL, "%s: %u",
					  ctx->cmd, quota);
		}
		if (err)
			return nl_failure(ctx, err, NULL, "%s: %u", ctx->cmd,
					  quota);
	}

	err = vnl_exec(ctx, vnl_msg_new(ctx, VFIO_PASID_CMD_DEFAULT_QUOTA_GET,
					false), default_cb, &value);
	if (!err && value < 0)
		err = EPROTO;
	if (err)
		return nl_failure(ctx, err, NULL, "%s", ctx->cmd);
	root = jobj();
	json_object_object_add(root, "default_quota", jnum(value));
	out_print(ctx, root);
	json_object_put(root);
	return EXIT_OK;
}
