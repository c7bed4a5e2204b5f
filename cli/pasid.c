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

static const struct argp list_argp = {
	NULL, pos_parse, "[VM]",
	"List the PASIDs held by every VM, or by one (an id, or pid:PID): the "
	"PASID, its VM, whether a guest page table is bound to it, the guest "
	"PASID and address width of the binding, and the IOTLB and device-TLB "
	"invalidations passed for it.",
	NULL, NULL, NULL
};

int cmd_pasid_list(struct ctx *ctx, int argc, char **argv)
{
	struct pos_args a = { .ctx = ctx, .max = 1 };
	struct dump_out d = {
		.list_key = "pasids", .cols = pasid_cols, .conv = pasid_obj,
	};
	struct vm_sel sel;
	uint32_t vm_id = 0;
	int err, ret;

	cmd_parse(ctx, &list_argp, argc, argv, &a);
	if (a.npos)
		vm_sel_arg(ctx, a.pos[0], &sel);
	ret = vnl_open(ctx);
	if (ret)
		return ret;
	if (a.npos) {
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
	err = dump_list(ctx, vnl_dump_of_vm(ctx, VFIO_PASID_CMD_PASID_GET,
					    vm_id), &d);
	if (err && vm_id)
		return vm_failure(ctx, err, vm_id);
	if (err)
		return nl_failure(ctx, err, NULL, "%s", ctx->cmd);
	return EXIT_OK;
}
