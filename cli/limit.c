// SPDX-License-Identifier: GPL-2.0
/*
 * vfiopasidctl limit set CGROUP N | limit del CGROUP | limit list
 *
 * Copyright (C) 2026 The vfio-pasid authors
 *
 * PASID limits per cgroup v2: CGROUP is a path from the cgroup2 root
 * ("/machine.slice", "/" for the whole host).  Changes need CAP_NET_ADMIN.
 */
#include <argp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vfiopasidctl.h"
#include "error.h"
#include "nl.h"
#include "objects.h"

static const char *cgroup_arg(struct ctx *ctx, const char *s)
{
	int ret;

	if (!s)
		usage_die(ctx, "missing the CGROUP (a path from the cgroup2 root, such as /machine.slice)");
	ret = parse_cgroup_path(s);
	if (ret == -ENAMETOOLONG)
		usage_die(ctx, "the CGROUP path is longer than 4095 bytes");
	if (ret)
		usage_die(ctx, "'%s' is not a cgroup path: give it from the cgroup2 root, starting with '/', without '.' or '..'",
			  s);
	return s;
}

static uint32_t limit_arg(struct ctx *ctx, const char *s)
{
	uint32_t n;
	int ret;

	if (!s)
		usage_die(ctx, "missing the limit N (a number of PASIDs)");
	ret = parse_limit(s, &n);
	if (ret == -ERANGE)
		usage_die(ctx, "'%s' is above the largest limit, %u PASIDs", s,
			  LIMIT_MAX_PASIDS);
	if (ret)
		usage_die(ctx, "'%s' is not a limit (a number of PASIDs)", s);
	return n;
}

struct nl_msg *limit_msg(struct ctx *ctx, uint8_t cmd,
				const char *path, int64_t max)
{
	struct nl_msg *msg = vnl_msg_new(ctx, cmd, false);

	if (msg && (nla_put_string(msg, VFIO_PASID_A_CGROUP, path) < 0 ||
		    (max >= 0 &&
		     nla_put_u32(msg, VFIO_PASID_A_LIMIT_MAX, (uint32_t)max) < 0))) {
		nlmsg_free(msg);
		msg = NULL;
	}
	return msg;
}

static int limit_cb(uint8_t cmd, struct nlattr **tb, void *arg)
{
	json_object **o = arg;

	(void)cmd;
	if (!*o)
		*o = limit_obj(tb);
	return 0;
}

/* {"limit":{"cgroup","max","used","vms"}}, as the module has it now */
static int show_limit(struct ctx *ctx, const char *path)
{
	json_object *o = NULL, *root;
	int err;

	err = vnl_exec(ctx, limit_msg(ctx, VFIO_PASID_CMD_LIMIT_GET, path, -1),
		       limit_cb, &o);
	if (!err && !o)
		err = EPROTO;
	if (err) {
		json_object_put(o);
		return nl_failure(ctx, err, NULL, "%s: %s", ctx->cmd, path);
	}
	root = jobj();
	json_object_object_add(root, "limit", o);
	out_print(ctx, root);
	json_object_put(root);
	return EXIT_OK;
}

static const struct argp set_argp = {
	NULL, pos_parse, "CGROUP N",
	"Limit the PASIDs the VMs of cgroup CGROUP and of its descendants may "
	"hold together to N (0 to 1048575).  CGROUP is a cgroup v2 directory, "
	"named by its path from the cgroup2 root (/machine.slice; / is the "
	"whole host).  A limit may be below what the cgroup uses now: "
	"allocations are refused until use drops below it.  Needs "
	"CAP_NET_ADMIN.  Prints the limit afterwards, as 'limit list' does.",
	NULL, NULL, NULL
};

int cmd_limit_set(struct ctx *ctx, int argc, char **argv)
{
	struct pos_args a = { .ctx = ctx, .max = 2 };
	const char *path;
	uint32_t max;
	int err, ret;

	cmd_parse(ctx, &set_argp, argc, argv, &a);
	path = cgroup_arg(ctx, a.pos[0]);
	max = limit_arg(ctx, a.pos[1]);
	ret = vnl_open(ctx);
	if (ret)
		return ret;
	err = vnl_exec(ctx, limit_msg(ctx, VFIO_PASID_CMD_LIMIT_SET, path, max),
		       NULL, NULL);
	if (err)
		return nl_failure(ctx, err, NULL, "%s: %s", ctx->cmd, path);
	return show_limit(ctx, path);
}

/*
 * @path as the module names a cgroup: one slash between components, none at
 * the end but for "/"
 */
static void cgroup_canon(const char *path, char *buf, size_t len)
{
	size_t n = 0;

	for (const char *p = path; *p && n + 1 < len; p++) {
		if (*p == '/' && n && buf[n - 1] == '/')
			continue;
		buf[n++] = *p;
	}
	while (n > 1 && buf[n - 1] == '/')
		n--;
	buf[n] = '\0';
}

static const struct argp del_argp = {
	NULL, pos_parse, "CGROUP",
	"Delete the limit of cgroup CGROUP (a path from the cgroup2 root).  "
	"Limits of its ancestors still apply.  Needs CAP_NET_ADMIN.  Prints "
	"nothing; with --json, the cgroup without a limit: max, used and vms "
	"null.",
	NULL, NULL, NULL
};

int cmd_limit_del(struct ctx *ctx, int argc, char **argv)
{
	struct pos_args a = { .ctx = ctx, .max = 1 };
	const char *path;
	int err, ret;

	cmd_parse(ctx, &del_argp, argc, argv, &a);
	path = cgroup_arg(ctx, a.pos[0]);
	ret = vnl_open(ctx);
	if (ret)
		return ret;
	err = vnl_exec(ctx, limit_msg(ctx, VFIO_PASID_CMD_LIMIT_DEL, path, -1),
		       NULL, NULL);
	if (err)
		return nl_failure(ctx, err, NULL, "%s: %s", ctx->cmd, path);
	if (ctx->json) {
		/*
		 * The cgroup's limit now: none.  The keys of 'limit set', the
		 * numbers null: without a limit, the module counts nothing
		 * for the cgroup.
		 */
		json_object *root = jobj();
		json_object *o = jobj();
		char canon[4096];

		cgroup_canon(path, canon, sizeof(canon));
		jadd(root, "limit", o);
		jadd(o, "cgroup", jstr(canon));
		jadd(o, "max", NULL);
		jadd(o, "used", NULL);
		jadd(o, "vms", NULL);
		out_print(ctx, root);
		json_object_put(root);
	}
	return EXIT_OK;
}

static const struct argp list_argp = {
	NULL, NULL, "",
	"List the limits per cgroup: the cgroup, its limit (max), the PASIDs "
	"held by VMs charged to it or to its descendants (used) and those "
	"VMs (vms).",
	NULL, NULL, NULL
};

int cmd_limit_list(struct ctx *ctx, int argc, char **argv)
{
	struct dump_out d = {
		.list_key = "limits", .cols = limit_cols, .conv = limit_obj,
	};
	int err, ret;

	cmd_parse(ctx, &list_argp, argc, argv, NULL);
	ret = vnl_open(ctx);
	if (ret)
		return ret;
	err = dump_list(ctx, vnl_msg_new(ctx, VFIO_PASID_CMD_LIMIT_GET, true),
			&d);
	if (err)
		return nl_failure(ctx, err, NULL, "%s", ctx->cmd);
	return EXIT_OK;
}

/* limit_full(): the VM's cgroup, then the limits on it or above it */
struct full_walk {
	char		cgroup[4096];
	char		*path;
	size_t		len;
	uint32_t	*used;
	uint32_t	*max;
	bool		full;
};

static int vm_cgroup_cb(uint8_t cmd, struct nlattr **tb, void *arg)
{
	struct full_walk *w = arg;

	(void)cmd;
	if (tb[VFIO_PASID_A_CGROUP])
		snprintf(w->cgroup, sizeof(w->cgroup), "%s",
			 nla_get_string(tb[VFIO_PASID_A_CGROUP]));
	return 0;
}

/* Whether cgroup @anc is @path or one of its ancestors */
static bool cgroup_above(const char *anc, const char *path)
{
	size_t n = strlen(anc);

	if (!strcmp(anc, "/"))
		return true;
	return !strncmp(anc, path, n) && (path[n] == '\0' || path[n] == '/');
}

static int full_cb(uint8_t cmd, struct nlattr **tb, void *arg)
{
	struct full_walk *w = arg;
	uint32_t used, max;
	const char *cg;

	(void)cmd;
	if (w->full || !tb[VFIO_PASID_A_CGROUP] || !tb[VFIO_PASID_A_LIMIT_MAX] ||
	    !tb[VFIO_PASID_A_LIMIT_USED])
		return 0;
	cg = nla_get_string(tb[VFIO_PASID_A_CGROUP]);
	used = nla_get_u32(tb[VFIO_PASID_A_LIMIT_USED]);
	max = nla_get_u32(tb[VFIO_PASID_A_LIMIT_MAX]);
	if (used >= max && cgroup_above(cg, w->cgroup)) {
		snprintf(w->path, w->len, "%s", cg);
		*w->used = used;
		*w->max = max;
		w->full = true;
	}
	return 0;
}

bool limit_full(struct ctx *ctx, uint32_t vm_id, char *path, size_t len,
		uint32_t *used, uint32_t *max)
{
	struct full_walk *w = calloc(1, sizeof(*w));
	struct vm_sel sel = { VM_SEL_ID, vm_id };
	struct nl_msg *msg;
	bool full;

	if (!w || !vnl_try_open(ctx)) {
		free(w);
		return false;
	}
	w->path = path;
	w->len = len;
	w->used = used;
	w->max = max;
	msg = vnl_msg_new(ctx, VFIO_PASID_CMD_VM_GET, false);
	if (msg && vnl_put_vm_sel(msg, &sel) < 0) {
		nlmsg_free(msg);
		msg = NULL;
	}
	if (!vnl_exec(ctx, msg, vm_cgroup_cb, w) && w->cgroup[0])
		vnl_exec(ctx, vnl_msg_new(ctx, VFIO_PASID_CMD_LIMIT_GET, true),
			 full_cb, w);
	full = w->full;
	free(w);
	return full;
}
