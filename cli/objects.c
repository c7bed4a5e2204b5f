// SPDX-License-Identifier: GPL-2.0
/*
 * vfiopasidctl - the objects the admin API returns, as JSON
 *
 * Copyright (C) 2026 The vfio-pasid authors
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <linux/vfio_pasid.h>

#include "vfiopasidctl.h"
#include "error.h"
#include "nl.h"
#include "objects.h"

const struct out_col vm_cols[] = {
	{ "vm_id", NULL }, { "pid", NULL }, { "comm", NULL },
	{ "quota", NULL }, { "count", NULL }, { "bound_count", NULL },
	{ "group_count", NULL },
	{ 0 }
};

const struct out_col pasid_cols[] = {
	{ "pasid", NULL }, { "vm_id", NULL }, { "bound", NULL },
	{ "gpasid", NULL }, { "addr_width", NULL }, { "devices", NULL },
	{ "inv_iotlb", NULL }, { "inv_dev_iotlb", NULL },
	{ 0 }
};

const struct out_col reclaim_cols[] = {
	{ "seq", NULL }, { "time", NULL }, { "vm_id", NULL }, { "pid", NULL },
	{ "comm", NULL }, { "pasid", NULL }, { "bound", NULL },
	{ 0 }
};

static json_object *u32_or_null(struct nlattr **tb, int a)
{
	return tb[a] ? jnum(nla_get_u32(tb[a])) : NULL;
}

static json_object *u64_or_null(struct nlattr **tb, int a)
{
	return tb[a] ? ju64(nla_get_u64(tb[a])) : NULL;
}

static json_object *str_or_null(struct nlattr **tb, int a)
{
	return tb[a] ? jstr(nla_get_string(tb[a])) : NULL;
}

static json_object *bool_or_null(struct nlattr **tb, int a)
{
	return tb[a] ? jbool(nla_get_u8(tb[a]) != 0) : NULL;
}

static void add(json_object *o, const char *key, json_object *v)
{
	json_object_object_add(o, key, v);
}

json_object *vm_obj(struct nlattr **tb)
{
	json_object *o = json_object_new_object();

	add(o, "vm_id", u32_or_null(tb, VFIO_PASID_A_VM_ID));
	add(o, "pid", u32_or_null(tb, VFIO_PASID_A_PID));
	add(o, "comm", str_or_null(tb, VFIO_PASID_A_COMM));
	add(o, "quota", u32_or_null(tb, VFIO_PASID_A_QUOTA));
	add(o, "count", u32_or_null(tb, VFIO_PASID_A_COUNT));
	add(o, "bound_count", u32_or_null(tb, VFIO_PASID_A_BOUND_COUNT));
	add(o, "group_count", u32_or_null(tb, VFIO_PASID_A_GROUP_COUNT));
	return o;
}

json_object *pasid_obj(struct nlattr **tb)
{
	json_object *o = json_object_new_object();

	add(o, "pasid", u32_or_null(tb, VFIO_PASID_A_PASID));
	add(o, "vm_id", u32_or_null(tb, VFIO_PASID_A_VM_ID));
	add(o, "bound", tb[VFIO_PASID_A_BOUND] ?
			bool_or_null(tb, VFIO_PASID_A_BOUND) : jbool(false));
	add(o, "gpasid", u32_or_null(tb, VFIO_PASID_A_GPASID));
	add(o, "addr_width", u32_or_null(tb, VFIO_PASID_A_ADDR_WIDTH));
	add(o, "devices", u32_or_null(tb, VFIO_PASID_A_DEVICES));
	add(o, "inv_iotlb", u64_or_null(tb, VFIO_PASID_A_INV_IOTLB));
	add(o, "inv_dev_iotlb", u64_or_null(tb, VFIO_PASID_A_INV_DEV_IOTLB));
	add(o, "bind_flags", u64_or_null(tb, VFIO_PASID_A_BIND_FLAGS));
	add(o, "vtd_flags", u64_or_null(tb, VFIO_PASID_A_VTD_FLAGS));
	return o;
}

json_object *device_obj(struct nlattr **tb)
{
	json_object *o = json_object_new_object();

	add(o, "group", u32_or_null(tb, VFIO_PASID_A_GROUP));
	add(o, "device", str_or_null(tb, VFIO_PASID_A_DEV_NAME));
	add(o, "bus", str_or_null(tb, VFIO_PASID_A_DEV_BUS));
	add(o, "parent", str_or_null(tb, VFIO_PASID_A_DEV_PARENT));
	add(o, "iommu_unit", str_or_null(tb, VFIO_PASID_A_IOMMU_UNIT));
	add(o, "iommu_backed", bool_or_null(tb, VFIO_PASID_A_IOMMU_BACKED));
	add(o, "pci_pasid_width", u32_or_null(tb, VFIO_PASID_A_PCI_PASID_WIDTH));
	add(o, "pci_pasid_exec", bool_or_null(tb, VFIO_PASID_A_PCI_PASID_EXEC));
	add(o, "pci_pasid_priv", bool_or_null(tb, VFIO_PASID_A_PCI_PASID_PRIV));
	add(o, "pci_ats", bool_or_null(tb, VFIO_PASID_A_PCI_ATS));
	add(o, "pci_pri", bool_or_null(tb, VFIO_PASID_A_PCI_PRI));
	add(o, "binds", u32_or_null(tb, VFIO_PASID_A_DEV_BINDS));
	return o;
}

json_object *pasid_format_json(uint32_t format)
{
	char buf[32];

	if (format == IOMMU_PASID_FORMAT_INTEL_VTD)
		return jstr("intel-vtd");
	snprintf(buf, sizeof(buf), "unknown-%u", format);
	return jstr(buf);
}

const char *no_nesting_reason(const char *backend)
{
	if (backend && !strcmp(backend, "native"))
		return "the native backend cannot nest: this kernel has no API to bind guest first-level page tables (Linux 5.18 removed it)";
	if (backend && !strcmp(backend, "emulated"))
		return "the emulated backend reports no nesting capability";
	return "the backend cannot nest";
}

json_object *backend_nesting_obj(struct nlattr **tb)
{
	json_object *o;

	if (!tb[VFIO_PASID_A_NESTING])
		return NULL;
	o = json_object_new_object();
	if (!nla_get_u8(tb[VFIO_PASID_A_NESTING])) {
		add(o, "available", jbool(false));
		add(o, "reason", jstr(no_nesting_reason(
			tb[VFIO_PASID_A_BACKEND] ?
			nla_get_string(tb[VFIO_PASID_A_BACKEND]) : NULL)));
		return o;
	}
	add(o, "available", jbool(true));
	add(o, "pasid_format", tb[VFIO_PASID_A_PASID_FORMAT] ?
			       pasid_format_json(nla_get_u32(
				       tb[VFIO_PASID_A_PASID_FORMAT])) : NULL);
	add(o, "addr_width", u32_or_null(tb, VFIO_PASID_A_NEST_ADDR_WIDTH));
	add(o, "pasid_bits", u32_or_null(tb, VFIO_PASID_A_NEST_PASID_BITS));
	return o;
}

json_object *reclaim_obj(struct nlattr **tb)
{
	json_object *o = json_object_new_object();

	add(o, "seq", u64_or_null(tb, VFIO_PASID_A_SEQ));
	add(o, "time", tb[VFIO_PASID_A_TIME_NS] ?
		       jtime_ns(nla_get_u64(tb[VFIO_PASID_A_TIME_NS])) : NULL);
	add(o, "vm_id", u32_or_null(tb, VFIO_PASID_A_VM_ID));
	add(o, "pid", u32_or_null(tb, VFIO_PASID_A_PID));
	add(o, "comm", str_or_null(tb, VFIO_PASID_A_COMM));
	add(o, "pasid", u32_or_null(tb, VFIO_PASID_A_PASID));
	add(o, "bound", tb[VFIO_PASID_A_BOUND] ?
			bool_or_null(tb, VFIO_PASID_A_BOUND) : jbool(false));
	return o;
}

int vm_failure(struct ctx *ctx, int err, uint32_t vm_id)
{
	if (err == ENOENT && !ctx->nl->extack[0])
		return fail(EXIT_FAIL, "%s: VM %u: no such VM", ctx->cmd,
			    vm_id);
	return nl_failure(ctx, err, NULL, "%s: VM %u", ctx->cmd, vm_id);
}

int nl_failure(struct ctx *ctx, int err, const char *hint, const char *fmt,
	       ...)
{
	char what[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (!hint && (err == EPERM || err == EACCES))
		hint = HINT_NET_ADMIN;
	return fail_errno(err, ctx->nl ? ctx->nl->extack : NULL, hint, "%s",
			  what);
}

static int vm_get_cb(uint8_t cmd, struct nlattr **tb, void *arg)
{
	struct vm_info *vi = arg;

	(void)cmd;
	if (vi->obj)
		return 0;
	vi->obj = vm_obj(tb);
	if (tb[VFIO_PASID_A_VM_ID])
		vi->vm_id = nla_get_u32(tb[VFIO_PASID_A_VM_ID]);
	if (tb[VFIO_PASID_A_PID])
		vi->pid = nla_get_u32(tb[VFIO_PASID_A_PID]);
	if (tb[VFIO_PASID_A_QUOTA])
		vi->quota = nla_get_u32(tb[VFIO_PASID_A_QUOTA]);
	if (tb[VFIO_PASID_A_COUNT])
		vi->count = nla_get_u32(tb[VFIO_PASID_A_COUNT]);
	return 0;
}

int vm_fetch(struct ctx *ctx, const struct vm_sel *sel, struct vm_info *vi)
{
	struct nl_msg *msg;
	int err;

	memset(vi, 0, sizeof(*vi));
	msg = vnl_msg_new(ctx, VFIO_PASID_CMD_VM_GET, false);
	if (msg && vnl_put_vm_sel(msg, sel) < 0) {
		nlmsg_free(msg);
		msg = NULL;
	}
	err = vnl_exec(ctx, msg, vm_get_cb, vi);
	if (!err && !vi->obj)
		err = ENOENT;
	if (err) {
		json_object_put(vi->obj);
		vi->obj = NULL;
	}
	return err;
}

int vm_get(struct ctx *ctx, const struct vm_sel *sel, struct vm_info *vi)
{
	char name[64];
	int err;

	err = vm_fetch(ctx, sel, vi);
	if (err) {
		vm_sel_str(sel, name, sizeof(name));
		if (err == ENOENT && !ctx->nl->extack[0])
			return fail(EXIT_FAIL, "%s: %s: no such VM", ctx->cmd,
				    name);
		return nl_failure(ctx, err, NULL, "%s: %s", ctx->cmd, name);
	}
	return 0;
}

static int pool_cb(uint8_t cmd, struct nlattr **tb, void *arg)
{
	(void)cmd;
	if (tb[VFIO_PASID_A_POOL_SIZE])
		*(uint32_t *)arg = nla_get_u32(tb[VFIO_PASID_A_POOL_SIZE]);
	return 0;
}

uint32_t pool_size(struct ctx *ctx)
{
	uint32_t size = 0;

	if (vnl_exec(ctx, vnl_msg_new(ctx, VFIO_PASID_CMD_STATS_GET, false),
		     pool_cb, &size))
		return 0;
	return size;
}

static int dump_cb(uint8_t cmd, struct nlattr **tb, void *arg)
{
	struct dump_out *d = arg;

	(void)cmd;
	if (d->keep && !d->keep(tb, d->keep_arg))
		return 0;
	if (!d->list)
		d->list = out_list_begin(d->ctx, d->outer_key, d->head,
					 d->list_key, d->cols);
	out_list_add(d->list, d->conv(tb));
	return 0;
}

int dump_list(struct ctx *ctx, struct nl_msg *msg, struct dump_out *d)
{
	int err;

	d->ctx = ctx;
	d->list = NULL;
	err = vnl_exec(ctx, msg, dump_cb, d);
	if (!err && !d->list)
		d->list = out_list_begin(ctx, d->outer_key, d->head,
					 d->list_key, d->cols);
	if (d->list)
		out_list_end(d->list);
	d->list = NULL;
	return err;
}
