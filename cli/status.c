// SPDX-License-Identifier: GPL-2.0
/*
 * vfiopasidctl status - one look at everything, module loaded or not
 *
 * Copyright (C) 2026 The vfio-pasid authors
 *
 * Always exits 0.  Whatever cannot be had (module not loaded, netlink
 * family not registered, device node missing) is left out, not an error.
 */
#include <argp.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/vfio_pasid.h>

#include "vfiopasidctl.h"
#include "error.h"
#include "kmodule.h"
#include "nl.h"
#include "objects.h"
#include "output.h"

static const int stat_u32[] = {
	VFIO_PASID_A_POOL_MIN, VFIO_PASID_A_POOL_MAX, VFIO_PASID_A_POOL_SIZE,
	VFIO_PASID_A_IN_USE, VFIO_PASID_A_VM_COUNT, VFIO_PASID_A_DEFAULT_QUOTA,
	VFIO_PASID_A_RECLAIM_LOG_SIZE, VFIO_PASID_A_RECLAIM_LOG_COUNT,
	VFIO_PASID_A_UAPI_VERSION, VFIO_PASID_A_BOUND_TOTAL,
};

static const int stat_u64[] = {
	VFIO_PASID_A_ALLOCATED, VFIO_PASID_A_FREED, VFIO_PASID_A_RECLAIMED,
	VFIO_PASID_A_QUOTA_REFUSALS, VFIO_PASID_A_POOL_REFUSALS,
	VFIO_PASID_A_LIMIT_REFUSALS,
	VFIO_PASID_A_BINDS, VFIO_PASID_A_INVALIDATIONS,
	VFIO_PASID_A_RECLAIM_LOG_DROPPED, VFIO_PASID_A_UNBINDS,
	VFIO_PASID_A_INV_IOTLB_PASID, VFIO_PASID_A_INV_IOTLB_ADDR,
	VFIO_PASID_A_INV_DEV_IOTLB_ADDR,
};

static int stats_cb(uint8_t cmd, struct nlattr **tb, void *arg)
{
	struct stats *st = arg;

	(void)cmd;
	st->ok = true;
	for (size_t i = 0; i < sizeof(stat_u32) / sizeof(*stat_u32); i++) {
		int a = stat_u32[i];

		if (tb[a]) {
			st->u32[a] = nla_get_u32(tb[a]);
			st->has[a] = true;
		}
	}
	for (size_t i = 0; i < sizeof(stat_u64) / sizeof(*stat_u64); i++) {
		int a = stat_u64[i];

		if (tb[a]) {
			st->u64[a] = nla_get_u64(tb[a]);
			st->has[a] = true;
		}
	}
	if (tb[VFIO_PASID_A_BACKEND]) {
		snprintf(st->backend, sizeof(st->backend), "%s",
			 nla_get_string(tb[VFIO_PASID_A_BACKEND]));
		st->has[VFIO_PASID_A_BACKEND] = true;
	}
	json_object_put(st->nesting);
	st->nesting = backend_nesting_obj(tb);
	return 0;
}

int stats_fetch(struct ctx *ctx, struct stats *st)
{
	int err;

	memset(st, 0, sizeof(*st));
	err = vnl_exec(ctx, vnl_msg_new(ctx, VFIO_PASID_CMD_STATS_GET, false),
		       stats_cb, st);
	if (!err && !st->ok)
		err = EPROTO;
	if (err)
		st->ok = false;
	return err;
}

struct committed {
	uint64_t	quota;
	uint64_t	count;
};

static int vm_sum_cb(uint8_t cmd, struct nlattr **tb, void *arg)
{
	struct committed *c = arg;

	(void)cmd;
	if (tb[VFIO_PASID_A_QUOTA])
		c->quota += nla_get_u32(tb[VFIO_PASID_A_QUOTA]);
	if (tb[VFIO_PASID_A_COUNT])
		c->count += nla_get_u32(tb[VFIO_PASID_A_COUNT]);
	return 0;
}

static void add_u32(json_object *o, const struct stats *st, const char *key,
		    int a)
{
	if (st->has[a])
		json_object_object_add(o, key, jnum(st->u32[a]));
}

static void add_u64(json_object *o, const struct stats *st, const char *key,
		    int a)
{
	if (st->has[a])
		json_object_object_add(o, key, ju64(st->u64[a]));
}

/* The uAPI version from the device itself, when netlink cannot say */
static bool device_uapi_version(const char *dev, int *version)
{
	int fd = open(dev, O_RDWR | O_CLOEXEC);
	int v;

	if (fd < 0)
		return false;
	v = ioctl(fd, VFIO_NESTING_GET_IOMMU_UAPI_VERSION);
	close(fd);
	if (v < 0)
		return false;
	*version = v;
	return true;
}

static const struct argp status_argp = {
	NULL, NULL, "",
	"Show the module's state, version and parameters, the device node, "
	"the uAPI version, the backend and its nesting, the PASID pool and "
	"its use (PASIDs in use and bound), the VMs, the committed quota and "
	"the totals (allocations, binds, unbinds, invalidations by type).  "
	"Exits 0 whether the module is loaded or not.",
	NULL, NULL, NULL
};

int cmd_status(struct ctx *ctx, int argc, char **argv)
{
	json_object *root, *s, *o;
	struct committed com = { 0 };
	struct stats st = { 0 };
	enum mod_state state;
	bool present, have_vms = false;
	struct stat sb;
	int uapi;

	cmd_parse(ctx, &status_argp, argc, argv, NULL);

	state = mod_state();
	present = !stat(ctx->device, &sb) && S_ISCHR(sb.st_mode);
	if (state != MOD_NOT_LOADED && vnl_try_open(ctx)) {
		stats_fetch(ctx, &st);
		have_vms = !vnl_exec(ctx, vnl_msg_new(ctx, VFIO_PASID_CMD_VM_GET,
						    true), vm_sum_cb, &com);
	}

	root = jobj();
	s = jobj();
	json_object_object_add(root, "status", s);
	json_object_object_add(s, "module", jstr(mod_state_str(state)));
	if (state != MOD_NOT_LOADED) {
		char *version = mod_version();

		if (version)
			json_object_object_add(s, "version", jstr(version));
		free(version);
		o = mod_params_json();
		if (o)
			json_object_object_add(s, "parameters", o);
	}
	json_object_object_add(s, "device", jstr(ctx->device));
	json_object_object_add(s, "device_present", jbool(present));

	if (st.ok && st.has[VFIO_PASID_A_UAPI_VERSION])
		add_u32(s, &st, "uapi_version", VFIO_PASID_A_UAPI_VERSION);
	else if (state != MOD_NOT_LOADED && present &&
		 device_uapi_version(ctx->device, &uapi))
		json_object_object_add(s, "uapi_version", jnum(uapi));

	if (st.ok) {
		if (st.has[VFIO_PASID_A_BACKEND])
			json_object_object_add(s, "backend", jstr(st.backend));
		if (st.nesting) {
			json_object_object_add(s, "nesting", st.nesting);
			st.nesting = NULL;
		}
		o = jobj();
		add_u32(o, &st, "min", VFIO_PASID_A_POOL_MIN);
		add_u32(o, &st, "max", VFIO_PASID_A_POOL_MAX);
		add_u32(o, &st, "size", VFIO_PASID_A_POOL_SIZE);
		add_u32(o, &st, "in_use", VFIO_PASID_A_IN_USE);
		add_u32(o, &st, "bound", VFIO_PASID_A_BOUND_TOTAL);
		json_object_object_add(s, "pool", o);
		add_u32(s, &st, "vm_count", VFIO_PASID_A_VM_COUNT);
		add_u32(s, &st, "default_quota", VFIO_PASID_A_DEFAULT_QUOTA);
	}
	if (have_vms) {
		json_object_object_add(s, "quota_committed", ju64(com.quota));
		/*
		 * Over-committed: the VMs may still ask, within their quotas,
		 * for more PASIDs than the pool has free.
		 */
		if (st.ok && st.has[VFIO_PASID_A_POOL_SIZE] &&
		    st.has[VFIO_PASID_A_IN_USE]) {
			uint64_t room = com.quota > com.count ?
					com.quota - com.count : 0;
			uint64_t free_ = st.u32[VFIO_PASID_A_POOL_SIZE] >
					 st.u32[VFIO_PASID_A_IN_USE] ?
					 st.u32[VFIO_PASID_A_POOL_SIZE] -
					 st.u32[VFIO_PASID_A_IN_USE] : 0;

			json_object_object_add(s, "quota_overcommitted",
					       jbool(room > free_));
		}
	}
	if (st.ok) {
		o = jobj();
		add_u64(o, &st, "allocated", VFIO_PASID_A_ALLOCATED);
		add_u64(o, &st, "freed", VFIO_PASID_A_FREED);
		add_u64(o, &st, "reclaimed", VFIO_PASID_A_RECLAIMED);
		add_u64(o, &st, "quota_refusals", VFIO_PASID_A_QUOTA_REFUSALS);
		add_u64(o, &st, "pool_refusals", VFIO_PASID_A_POOL_REFUSALS);
		add_u64(o, &st, "limit_refusals", VFIO_PASID_A_LIMIT_REFUSALS);
		add_u64(o, &st, "binds", VFIO_PASID_A_BINDS);
		add_u64(o, &st, "unbinds", VFIO_PASID_A_UNBINDS);
		add_u64(o, &st, "invalidations", VFIO_PASID_A_INVALIDATIONS);
		add_u64(o, &st, "inv_iotlb_pasid", VFIO_PASID_A_INV_IOTLB_PASID);
		add_u64(o, &st, "inv_iotlb_addr", VFIO_PASID_A_INV_IOTLB_ADDR);
		add_u64(o, &st, "inv_dev_iotlb_addr",
			VFIO_PASID_A_INV_DEV_IOTLB_ADDR);
		json_object_object_add(s, "totals", o);
		o = jobj();
		add_u32(o, &st, "size", VFIO_PASID_A_RECLAIM_LOG_SIZE);
		add_u32(o, &st, "count", VFIO_PASID_A_RECLAIM_LOG_COUNT);
		add_u64(o, &st, "dropped", VFIO_PASID_A_RECLAIM_LOG_DROPPED);
		json_object_object_add(s, "reclaim_log", o);
	}

	out_print(ctx, root);
	json_object_put(root);
	json_object_put(st.nesting);
	return EXIT_OK;
}
