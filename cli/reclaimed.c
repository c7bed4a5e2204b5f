// SPDX-License-Identifier: GPL-2.0
/*
 * vfiopasidctl reclaimed [--vm VM] | reclaimed --clear
 *
 * Copyright (C) 2026 The vfio-pasid authors
 *
 * The reclaim log outlives the VMs it records, so --vm is matched here on
 * each record (by VM id, or by pid), not by asking the kernel about a VM
 * that is usually gone.
 */
#include <argp.h>
#include <errno.h>

#include "vfiopasidctl.h"
#include "error.h"
#include "nl.h"
#include "objects.h"

struct reclaimed_args {
	struct ctx	*ctx;
	const char	*vm;
	bool		clear;
};

static const struct argp_option reclaimed_options[] = {
	{ "vm", 'v', "VM", 0,
	  "Only the records of this VM (an id, or pid:PID)", 0 },
	{ "clear", 'c', NULL, 0,
	  "Empty the log (needs CAP_NET_ADMIN)", 0 },
	{ 0 }
};

static error_t reclaimed_parse(int key, char *arg, struct argp_state *state)
{
	struct reclaimed_args *a = state->input;

	switch (key) {
	case 'v':
		a->vm = arg;
		return 0;
	case 'c':
		a->clear = true;
		return 0;
	case ARGP_KEY_ARG:
		usage_die(a->ctx, "unexpected argument '%s'", arg);
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

static const struct argp reclaimed_argp = {
	reclaimed_options, reclaimed_parse, "",
	"List the reclaim log: one record per PASID the module took back from "
	"a VM that ended, with its sequence number, time, VM id, pid, command "
	"name, and whether a guest page table was bound to it.  --clear "
	"empties the log and prints nothing; with --json, the log's size, "
	"count and dropped records afterwards, as 'status' shows them.",
	NULL, NULL, NULL
};

static int log_cb(uint8_t cmd, struct nlattr **tb, void *arg)
{
	static const struct attr_field fields[] = {
		{ "size",	VFIO_PASID_A_RECLAIM_LOG_SIZE,		A_U32 },
		{ "count",	VFIO_PASID_A_RECLAIM_LOG_COUNT,		A_U32 },
		{ "dropped",	VFIO_PASID_A_RECLAIM_LOG_DROPPED,	A_U64 },
		{ NULL, 0, 0 }
	};
	json_object **o = arg;

	(void)cmd;
	if (!*o) {
		*o = jobj();
		add_attrs(*o, tb, fields);
	}
	return 0;
}

/*
 * After --clear, with -j: {"reclaim_log":{"size","count","dropped"}}, the
 * log as the module has it now, as 'status' shows it
 */
static int print_log(struct ctx *ctx)
{
	json_object *o = NULL, *root;
	int err;

	err = vnl_exec(ctx, vnl_msg_new(ctx, VFIO_PASID_CMD_STATS_GET, false),
		       log_cb, &o);
	if (!err && !o)
		err = EPROTO;
	if (err) {
		json_object_put(o);
		return nl_failure(ctx, err, NULL,
				  "%s --clear: the log was emptied, but reading it back failed",
				  ctx->cmd);
	}
	root = jobj();
	jadd(root, "reclaim_log", o);
	out_print(ctx, root);
	json_object_put(root);
	return EXIT_OK;
}

static bool keep_rec(struct nlattr **tb, void *arg)
{
	const struct vm_sel *sel = arg;
	int a = sel->kind == VM_SEL_PID ? VFIO_PASID_A_PID : VFIO_PASID_A_VM_ID;

	return tb[a] && nla_get_u32(tb[a]) == sel->val;
}

int cmd_reclaimed(struct ctx *ctx, int argc, char **argv)
{
	struct reclaimed_args a = { .ctx = ctx };
	struct dump_out d = {
		.list_key = "reclaimed", .cols = reclaim_cols,
		.conv = reclaim_obj,
	};
	struct vm_sel sel;
	int err, ret;

	cmd_parse(ctx, &reclaimed_argp, argc, argv, &a);
	if (a.clear && a.vm)
		usage_die(ctx, "--clear empties the whole log: it takes no --vm");
	if (a.vm)
		vm_sel_arg(ctx, a.vm, &sel);
	ret = vnl_open(ctx);
	if (ret)
		return ret;

	if (a.clear) {
		err = vnl_exec(ctx, vnl_msg_new(ctx,
						VFIO_PASID_CMD_RECLAIM_CLEAR,
						false), NULL, NULL);
		if (err)
			return nl_failure(ctx, err, NULL, "%s --clear",
					  ctx->cmd);
		/* quiet in text */
		return ctx->json ? print_log(ctx) : EXIT_OK;
	}
	if (a.vm) {
		d.keep = keep_rec;
		d.keep_arg = &sel;
	}
	err = dump_list(ctx, vnl_msg_new(ctx, VFIO_PASID_CMD_RECLAIM_GET, true),
			&d);
	if (err)
		return nl_failure(ctx, err, NULL, "%s", ctx->cmd);
	return EXIT_OK;
}
