// SPDX-License-Identifier: GPL-2.0
/*
 * vfiopasidctl vm list | vm show VM
 *
 * Copyright (C) 2026 The vfio-pasid authors
 */
#include <argp.h>
#include <errno.h>

#include "vfiopasidctl.h"
#include "error.h"
#include "nl.h"
#include "objects.h"

static const struct argp list_argp = {
	NULL, NULL, "",
	"List the VMs: every process that has /dev/vfio-pasid open, with its "
	"id, pid, command name, quota, PASIDs held, PASIDs bound and VFIO "
	"groups attached.",
	NULL, NULL, NULL
};

int cmd_vm_list(struct ctx *ctx, int argc, char **argv)
{
	struct dump_out d = {
		.list_key = "vms", .cols = vm_cols, .conv = vm_obj,
	};
	int err, ret;

	cmd_parse(ctx, &list_argp, argc, argv, NULL);
	ret = vnl_open(ctx);
	if (ret)
		return ret;
	err = dump_list(ctx, vnl_msg_new(ctx, VFIO_PASID_CMD_VM_GET, true),
			&d);
	if (err)
		return nl_failure(ctx, err, NULL, "%s", ctx->cmd);
	return EXIT_OK;
}

static const struct argp show_argp = {
	NULL, pos_parse, "VM",
	"Show one VM, the devices of the VFIO groups attached to it and the "
	"PASIDs it holds, with their binding state.  VM is a VM id as "
	"'vm list' prints it, or pid:PID.",
	NULL, NULL, NULL
};

static int device_cb(uint8_t cmd, struct nlattr **tb, void *arg)
{
	(void)cmd;
	json_object_array_add(arg, device_obj(tb));
	return 0;
}

int cmd_vm_show(struct ctx *ctx, int argc, char **argv)
{
	struct pos_args a = { .ctx = ctx, .max = 1 };
	struct dump_out d = {
		.outer_key = "vm", .list_key = "pasids", .cols = pasid_cols,
		.conv = pasid_obj,
	};
	struct vm_info vi;
	struct vm_sel sel;
	json_object *devs;
	int err, ret;

	cmd_parse(ctx, &show_argp, argc, argv, &a);
	vm_sel_arg(ctx, a.pos[0], &sel);
	ret = vnl_open(ctx);
	if (ret)
		return ret;
	ret = vm_get(ctx, &sel, &vi);
	if (ret)
		return ret;

	/* the devices of its attached groups; absent from older modules */
	devs = jarr();
	err = vnl_exec(ctx, vnl_dump_of_vm(ctx, VFIO_PASID_CMD_DEVICE_GET,
					   vi.vm_id), device_cb, devs);
	if (err == ENOENT) {
		json_object_put(devs);
		json_object_put(vi.obj);
		return vm_failure(ctx, err, vi.vm_id);
	}
	if (err) {
		json_object_put(devs);
		devs = NULL;
	}
	json_object_object_add(vi.obj, "devices", devs);

	d.head = vi.obj;
	err = dump_list(ctx, vnl_dump_of_vm(ctx, VFIO_PASID_CMD_PASID_GET,
					    vi.vm_id), &d);
	json_object_put(vi.obj);
	if (err)
		return vm_failure(ctx, err, vi.vm_id);
	return EXIT_OK;
}
