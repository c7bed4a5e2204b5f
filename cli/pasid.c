// SPDX-License-Identifier: GPL-2.0
/*
 * vfiopasidctl pasid list [VM]
 *
 * Copyright (C) 2026 The vfio-pasid authors
 *
 * A dump may hold every PASID of the pool (a million): it is printed as it
 * arrives, and memory stays flat.
 */
#include <argp.h>

#include "vfiopasidctl.h"
#include "error.h"
#include "nl.h"
#include "objects.h"

struct pasid_args {
	struct ctx	*ctx;
	const char	*vm;
};

static error_t pasid_parse(int key, char *arg, struct argp_state *state)
{
	struct pasid_args *a = state->input;

	switch (key) {
	case ARGP_KEY_ARG:
		if (a->vm)
			usage_die(a->ctx, "unexpected argument '%s'", arg);
		a->vm = arg;
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

static const struct argp list_argp = {
	NULL, pasid_parse, "[VM]",
	"List the PASIDs held by every VM, or by one (an id, or pid:PID): the "
	"PASID, its VM, whether a guest page table is bound to it, the guest "
	"PASID and address width of the binding, and the IOTLB and device-TLB "
	"invalidations passed for it.",
	NULL, NULL, NULL
};

int cmd_pasid_list(struct ctx *ctx, int argc, char **argv)
{
	struct pasid_args a = { .ctx = ctx };
	struct dump_out d = {
		.list_key = "pasids", .cols = pasid_cols, .conv = pasid_obj,
	};
	struct vm_sel sel;
	struct nl_msg *msg;
	uint32_t vm_id = 0;
	int err, ret;

	cmd_parse(ctx, &list_argp, argc, argv, &a);
	if (a.vm && parse_vm_sel(a.vm, &sel))
		usage_die(ctx, "'%s' is not a VM (an id, or pid:PID)", a.vm);
	ret = vnl_open(ctx);
	if (ret)
		return ret;
	if (a.vm) {
		vm_id = sel.val;
		if (sel.kind == VM_SEL_PID) {
			struct vm_info vi;

			ret = vm_get(ctx, &sel, &vi);
			if (ret)
				return ret;
			vm_id = vi.vm_id;
			json_object_put(vi.obj);
		}
	}
	msg = vnl_msg_new(ctx, VFIO_PASID_CMD_PASID_GET, true);
	if (msg && vm_id && nla_put_u32(msg, VFIO_PASID_A_VM_ID, vm_id) < 0) {
		nlmsg_free(msg);
		msg = NULL;
	}
	err = dump_list(ctx, msg, &d);
	if (err && vm_id)
		return vm_failure(ctx, err, vm_id);
	if (err)
		return nl_failure(ctx, err, NULL, "%s", ctx->cmd);
	return EXIT_OK;
}
