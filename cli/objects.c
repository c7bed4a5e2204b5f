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
	{ "group_count", NULL }, { "cgroup", NULL },
	{ 0 }
};

const struct out_col limit_cols[] = {
	{ "cgroup", NULL }, { "max", NULL }, { "used", NULL }, { "vms", NULL },
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

json_object *attr_json(struct nlattr **tb, int attr, enum attr_kind kind)
{
	const struct nlattr *a = tb[attr];

	if (!a)
		return kind == A_FLAG ? jbool(false) : NULL;
	switch (kind) {
	case A_U32:
		return jnum(nla_get_u32(a));
	case A_U64:
		return ju64(nla_get_u64(a));
	case A_STR:
		return jstr(nla_get_string(a));
	case A_BOOL:
	case A_FLAG:
		return jbool(nla_get_u8(a) != 0);
	case A_TIME:
		return jtime_ns(nla_get_u64(a));
	}
	return NULL;
}

void add_attrs(json_object *o, struct nlattr **tb,
	       const struct attr_field *fields)
{
	for (const struct attr_field *f = fields; f->key; f++)
		jadd(o, f->key, attr_json(tb, f->attr, f->kind));
}

static json_object *attrs_obj(struct nlattr **tb,
			      const struct attr_field *fields)
{
	json_object *o = jobj();

	add_attrs(o, tb, fields);
	return o;
}

static const struct attr_field vm_fields[] = {
	{ "vm_id",		VFIO_PASID_A_VM_ID,		A_U32 },
	{ "pid",		VFIO_PASID_A_PID,		A_U32 },
	{ "comm",		VFIO_PASID_A_COMM,		A_STR },
	{ "quota",		VFIO_PASID_A_QUOTA,		A_U32 },
	{ "count",		VFIO_PASID_A_COUNT,		A_U32 },
	{ "bound_count",	VFIO_PASID_A_BOUND_COUNT,	A_U32 },
	{ "group_count",	VFIO_PASID_A_GROUP_COUNT,	A_U32 },
	{ "cgroup",		VFIO_PASID_A_CGROUP,		A_STR },
	{ NULL, 0, 0 }
};

static const struct attr_field limit_fields[] = {
	{ "cgroup",		VFIO_PASID_A_CGROUP,		A_STR },
	{ "max",		VFIO_PASID_A_LIMIT_MAX,		A_U32 },
	{ "used",		VFIO_PASID_A_LIMIT_USED,	A_U32 },
	{ "vms",		VFIO_PASID_A_LIMIT_VMS,		A_U32 },
	{ NULL, 0, 0 }
};

static const struct attr_field pasid_fields[] = {
	{ "pasid",		VFIO_PASID_A_PASID,		A_U32 },
	{ "vm_id",		VFIO_PASID_A_VM_ID,		A_U32 },
	{ "bound",		VFIO_PASID_A_BOUND,		A_FLAG },
	{ "gpasid",		VFIO_PASID_A_GPASID,		A_U32 },
	{ "addr_width",		VFIO_PASID_A_ADDR_WIDTH,	A_U32 },
	{ "devices",		VFIO_PASID_A_DEVICES,		A_U32 },
	{ "inv_iotlb",		VFIO_PASID_A_INV_IOTLB,		A_U64 },
	{ "inv_dev_iotlb",	VFIO_PASID_A_INV_DEV_IOTLB,	A_U64 },
	{ "bind_flags",		VFIO_PASID_A_BIND_FLAGS,	A_U64 },
	{ "vtd_flags",		VFIO_PASID_A_VTD_FLAGS,		A_U64 },
	{ NULL, 0, 0 }
};

static const struct attr_field device_fields[] = {
	{ "group",		VFIO_PASID_A_GROUP,		A_U32 },
	{ "device",		VFIO_PASID_A_DEV_NAME,		A_STR },
	{ "bus",		VFIO_PASID_A_DEV_BUS,		A_STR },
	{ "parent",		VFIO_PASID_A_DEV_PARENT,	A_STR },
	{ "iommu_unit",		VFIO_PASID_A_IOMMU_UNIT,	A_STR },
	{ "iommu_backed",	VFIO_PASID_A_IOMMU_BACKED,	A_BOOL },
	{ "pci_pasid_width",	VFIO_PASID_A_PCI_PASID_WIDTH,	A_U32 },
	{ "pci_pasid_exec",	VFIO_PASID_A_PCI_PASID_EXEC,	A_BOOL },
	{ "pci_pasid_priv",	VFIO_PASID_A_PCI_PASID_PRIV,	A_BOOL },
	{ "pci_ats",		VFIO_PASID_A_PCI_ATS,		A_BOOL },
	{ "pci_pri",		VFIO_PASID_A_PCI_PRI,		A_BOOL },
	{ "binds",		VFIO_PASID_A_DEV_BINDS,		A_U32 },
	{ NULL, 0, 0 }
};

static const struct attr_field reclaim_fields[] = {
	{ "seq",		VFIO_PASID_A_SEQ,		A_U64 },
	{ "time",		VFIO_PASID_A_TIME_NS,		A_TIME },
	{ "vm_id",		VFIO_PASID_A_VM_ID,		A_U32 },
	{ "pid",		VFIO_PASID_A_PID,		A_U32 },
	{ "comm",		VFIO_PASID_A_COMM,		A_STR },
	{ "pasid",		VFIO_PASID_A_PASID,		A_U32 },
	{ "bound",		VFIO_PASID_A_BOUND,		A_FLAG },
	{ NULL, 0, 0 }
};

json_object *vm_obj(struct nlattr **tb)
{
	return attrs_obj(tb, vm_fields);
}

json_object *limit_obj(struct nlattr **tb)
{
	return attrs_obj(tb, limit_fields);
}

json_object *pasid_obj(struct nlattr **tb)
{
	return attrs_obj(tb, pasid_fields);
}

json_object *device_obj(struct nlattr **tb)
{
	return attrs_obj(tb, device_fields);
}

json_object *reclaim_obj(struct nlattr **tb)
{
	return attrs_obj(tb, reclaim_fields);
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
	o = jobj();
	if (!nla_get_u8(tb[VFIO_PASID_A_NESTING])) {
		jadd(o, "available", jbool(false));
		jadd(o, "reason", jstr(no_nesting_reason(
			tb[VFIO_PASID_A_BACKEND] ?
			nla_get_string(tb[VFIO_PASID_A_BACKEND]) : NULL)));
		return o;
	}
	jadd(o, "available", jbool(true));
	jadd(o, "pasid_format", tb[VFIO_PASID_A_PASID_FORMAT] ?
				pasid_format_json(nla_get_u32(
					tb[VFIO_PASID_A_PASID_FORMAT])) : NULL);
	jadd(o, "addr_width", attr_json(tb, VFIO_PASID_A_NEST_ADDR_WIDTH, A_U32));
	jadd(o, "pasid_bits", attr_json(tb, VFIO_PASID_A_NEST_PASID_BITS, A_U32));
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
