// SPDX-License-Identifier: GPL-2.0
/*
 * vfiopasidctl config show | config apply [--keep] [FILE]
 *
 * Copyright (C) 2026 The vfio-pasid authors
 *
 * The policy an operator keeps across reboots and module reloads: the
 * default quota and the limits per cgroup, in the format of conf.h
 * (/etc/vfio-pasid.conf, which a udev rule applies when the module loads).
 *
 * "show" prints what is in force in that format.  "apply" is all or
 * nothing: it parses the whole file, reads what is in force, checks every
 * value and every cgroup, and only then changes what differs: the default
 * quota, then the limits in the file's order, then (without --keep) it
 * deletes the limits the file does not list.  When the kernel refuses a
 * change, the changes made before it are undone in reverse order, and the
 * message names the line.  Changes need CAP_NET_ADMIN.
 */
#include <argp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vfiopasidctl.h"
#include "conf.h"
#include "error.h"
#include "nl.h"
#include "objects.h"

/*
 * The module's extended ACK for LIMIT_GET of a cgroup that exists but has no
 * limit (driver/netlink.c, vp_limit_refused()); a path where no cgroup is
 * gets ENOENT as well, with another message.
 */
#define MSG_NO_LIMIT	"no limit is set on this cgroup"

enum { OPT_KEEP = 0x200 };

/* --- reading what is in force ------------------------------------------- */

static int quota_cb(uint8_t cmd, struct nlattr **tb, void *arg)
{
	struct conf *c = arg;

	(void)cmd;
	if (tb[VFIO_PASID_A_DEFAULT_QUOTA]) {
		c->default_quota = nla_get_u32(tb[VFIO_PASID_A_DEFAULT_QUOTA]);
		c->has_default_quota = true;
	}
	return 0;
}

static int dump_cb(uint8_t cmd, struct nlattr **tb, void *arg)
{
	(void)cmd;
	if (!tb[VFIO_PASID_A_CGROUP] || !tb[VFIO_PASID_A_LIMIT_MAX])
		return EPROTO;
	if (conf_add_limit(arg, nla_get_string(tb[VFIO_PASID_A_CGROUP]),
			   nla_get_u32(tb[VFIO_PASID_A_LIMIT_MAX]), 0))
		return ENOMEM;
	return 0;
}

enum cg_state {
	CG_LIMITED,	/* a cgroup with a limit */
	CG_FREE,	/* a cgroup without one */
	CG_NONE,	/* no cgroup at the path (the extended ACK says so) */
};

struct probe {
	bool		has;
	uint32_t	max;
};

static int probe_cb(uint8_t cmd, struct nlattr **tb, void *arg)
{
	struct probe *pr = arg;

	(void)cmd;
	if (tb[VFIO_PASID_A_LIMIT_MAX]) {
		pr->has = true;
		pr->max = nla_get_u32(tb[VFIO_PASID_A_LIMIT_MAX]);
	}
	return 0;
}

/*
 * What the module says of the cgroup at @path, resolved as a change would
 * resolve it: 0 with @st (and @max for CG_LIMITED), or a positive errno
 */
static int limit_probe(struct ctx *ctx, const char *path, enum cg_state *st,
		       uint32_t *max)
{
	struct probe pr = { 0 };
	int err;

	err = vnl_exec(ctx, limit_msg(ctx, VFIO_PASID_CMD_LIMIT_GET, path, -1),
		       probe_cb, &pr);
	if (err == ENOENT) {
		*st = strcmp(ctx->nl->extack, MSG_NO_LIMIT) ? CG_NONE : CG_FREE;
		return 0;
	}
	if (!err && !pr.has)
		err = EPROTO;
	if (err)
		return err;
	*st = CG_LIMITED;
	*max = pr.max;
	return 0;
}

/*
 * The policy in force: the default quota and every limit a file can name.
 * The dump lists the limits by the paths their cgroups had; a limit whose
 * cgroup was removed (it stays while VMs charged under it live) cannot be
 * set or deleted by path, so each path is asked again and only the limit
 * of the cgroup that is there now counts.  0 or a positive errno.
 */
static int read_policy(struct ctx *ctx, struct conf *p)
{
	struct conf dump = { 0 };
	int err, tries = 0;

	memset(p, 0, sizeof(*p));
	err = vnl_exec(ctx, vnl_msg_new(ctx, VFIO_PASID_CMD_DEFAULT_QUOTA_GET,
					false), quota_cb, p);
	if (!err && !p->has_default_quota)
		err = EPROTO;
	/* a dump that limits changed under is read again */
	while (!err) {
		conf_free(&dump);
		err = vnl_exec(ctx, vnl_msg_new(ctx, VFIO_PASID_CMD_LIMIT_GET,
						true), dump_cb, &dump);
		if (err != EAGAIN || ++tries == 5)
			break;
		err = 0;
	}
	for (size_t i = 0; !err && i < dump.nlimits; i++) {
		const char *path = dump.limits[i].path;
		enum cg_state st;
		uint32_t max;

		if (conf_find_limit(p, path))
			continue;
		err = limit_probe(ctx, path, &st, &max);
		if (!err && st == CG_LIMITED && conf_add_limit(p, path, max, 0))
			err = ENOMEM;
	}
	conf_free(&dump);
	if (err)
		conf_free(p);
	return err;
}

/* --- output --------------------------------------------------------------- */

/* {"config":{"default_quota":N,"limits":[{"cgroup":"/x","max":M}]}} */
static json_object *policy_json(const struct conf *p)
{
	json_object *root = jobj();
	json_object *cfg = jobj();
	json_object *limits = jarr();

	json_object_object_add(root, "config", cfg);
	json_object_object_add(cfg, "default_quota", jnum(p->default_quota));
	json_object_object_add(cfg, "limits", limits);
	for (size_t i = 0; i < p->nlimits; i++) {
		json_object *l = jobj();

		json_object_object_add(l, "cgroup", jstr(p->limits[i].path));
		json_object_object_add(l, "max", jnum(p->limits[i].max));
		json_object_array_add(limits, l);
	}
	return root;
}

/* The text of the object: a file that "config apply" takes back */
static int print_conf_text(FILE *f, const json_object *root)
{
	json_object *cfg, *v, *limits;

	if (!json_object_object_get_ex(root, "config", &cfg))
		return -EINVAL;
	if (json_object_object_get_ex(cfg, "default_quota", &v))
		fprintf(f, "default_quota %lld\n",
			(long long)json_object_get_int64(v));
	if (!json_object_object_get_ex(cfg, "limits", &limits))
		return 0;
	for (size_t i = 0; i < json_object_array_length(limits); i++) {
		json_object *l = json_object_array_get_idx(limits, i), *c, *m;
		char *path;

		if (!json_object_object_get_ex(l, "cgroup", &c) ||
		    !json_object_object_get_ex(l, "max", &m))
			continue;
		path = conf_path_escape(json_object_get_string(c));
		if (!path)
			return -ENOMEM;
		fprintf(f, "limit %s %lld\n", path,
			(long long)json_object_get_int64(m));
		free(path);
	}
	return 0;
}

static int print_policy(struct ctx *ctx, const struct conf *p)
{
	json_object *root = policy_json(p);
	int ret = 0;

	if (ctx->json || ctx->pretty)
		out_print(ctx, root);
	else
		ret = print_conf_text(stdout, root);
	fflush(stdout);
	json_object_put(root);
	if (ret)
		return fail(EXIT_FAIL, "%s: out of memory", ctx->cmd);
	return EXIT_OK;
}

/* --- config show ---------------------------------------------------------- */

static const struct argp show_argp = {
	NULL, NULL, "",
	"Print the policy in force as a file of vfio-pasid.conf(5): the "
	"default quota, then one line per limit per cgroup, in the order "
	"'limit list' has them.  'config apply' of that file changes nothing.",
	NULL, NULL, NULL
};

int cmd_config_show(struct ctx *ctx, int argc, char **argv)
{
	struct conf p;
	int err, ret;

	cmd_parse(ctx, &show_argp, argc, argv, NULL);
	ret = vnl_open(ctx);
	if (ret)
		return ret;
	err = read_policy(ctx, &p);
	if (err)
		return nl_failure(ctx, err, NULL, "%s", ctx->cmd);
	ret = print_policy(ctx, &p);
	conf_free(&p);
	return ret;
}

/* --- config apply --------------------------------------------------------- */

struct apply_args {
	struct ctx	*ctx;
	const char	*file;
	bool		keep;
};

static const struct argp_option apply_options[] = {
	{ "keep", OPT_KEEP, NULL, 0,
	  "Keep the limits in force that FILE does not list (without it, "
	  "they are deleted: the file is the whole policy)", 0 },
	{ 0 }
};

static error_t apply_parse(int key, char *arg, struct argp_state *state)
{
	struct apply_args *a = state->input;

	switch (key) {
	case OPT_KEEP:
		a->keep = true;
		return 0;
	case ARGP_KEY_ARG:
		if (a->file)
			usage_die(a->ctx, "unexpected argument '%s'", arg);
		if (!*arg)
			usage_die(a->ctx, "FILE is empty");
		a->file = arg;
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

static const struct argp apply_argp = {
	apply_options, apply_parse, "[FILE]",
	"Apply the policy file FILE (default " CONF_DEFAULT_PATH ", which "
	"may then be missing: nothing changes), vfio-pasid.conf(5): its "
	"default quota, its limits per cgroup, and, without --keep, no other "
	"limit.  All or nothing: a bad line, a value above the pool or the "
	"largest limit, or a cgroup that does not exist changes nothing; a "
	"change the kernel refuses undoes those before it.  The message names "
	"the line.  Needs CAP_NET_ADMIN when something changes.  Prints the "
	"policy in force afterwards, as 'config show' does.",
	NULL, NULL, NULL
};

enum change_kind {
	CHG_DEFAULT,	/* set the default quota */
	CHG_SET,	/* set a limit */
	CHG_DEL,	/* delete a limit the file does not list */
};

struct change {
	enum change_kind kind;
	const char	*path;
	uint32_t	val;		/* the quota or limit to set */
	bool		had;		/* CHG_SET: a limit was in force */
	uint32_t	old;		/* the quota or limit that was */
	unsigned int	line;		/* 0 for CHG_DEL */
	bool		done;		/* made, to be undone on failure */
};

static int set_default_quota(struct ctx *ctx, uint32_t quota)
{
	struct nl_msg *msg;

	msg = vnl_msg_new(ctx, VFIO_PASID_CMD_DEFAULT_QUOTA_SET, false);
	if (msg && nla_put_u32(msg, VFIO_PASID_A_DEFAULT_QUOTA, quota) < 0) {
		nlmsg_free(msg);
		msg = NULL;
	}
	return vnl_exec(ctx, msg, NULL, NULL);
}

static int set_limit(struct ctx *ctx, const char *path, uint32_t max)
{
	return vnl_exec(ctx, limit_msg(ctx, VFIO_PASID_CMD_LIMIT_SET, path,
					max), NULL, NULL);
}

static int del_limit(struct ctx *ctx, const char *path)
{
	return vnl_exec(ctx, limit_msg(ctx, VFIO_PASID_CMD_LIMIT_DEL, path,
					-1), NULL, NULL);
}

/* Make change @c; 0 or a positive errno */
static int change_do(struct ctx *ctx, struct change *c)
{
	int err;

	switch (c->kind) {
	case CHG_DEFAULT:
		err = set_default_quota(ctx, c->val);
		break;
	case CHG_SET:
		err = set_limit(ctx, c->path, c->val);
		break;
	default:
		err = del_limit(ctx, c->path);
		/* gone already (deleted, or its cgroup removed): as wanted */
		if (err == ENOENT)
			return 0;
		break;
	}
	c->done = !err;
	return err;
}

/* Undo change @c; 0 or a positive errno */
static int change_undo(struct ctx *ctx, const struct change *c)
{
	switch (c->kind) {
	case CHG_DEFAULT:
		return set_default_quota(ctx, c->old);
	case CHG_SET:
		return c->had ? set_limit(ctx, c->path, c->old)
			      : del_limit(ctx, c->path);
	default:
		return set_limit(ctx, c->path, c->old);
	}
}

/* "FILE:3: limit /a 5", "FILE: deleting the limit of /b (in force, ...)" */
static void change_str(const struct change *c, const char *file, char *buf,
		       size_t len)
{
	char *path = c->path ? conf_path_escape(c->path) : NULL;
	const char *p = path ? path : c->path;

	switch (c->kind) {
	case CHG_DEFAULT:
		snprintf(buf, len, "%s:%u: default_quota %u", file, c->line,
			 c->val);
		break;
	case CHG_SET:
		snprintf(buf, len, "%s:%u: limit %s %u", file, c->line, p,
			 c->val);
		break;
	default:
		snprintf(buf, len,
			 "%s: deleting the limit of %s (in force, not in the file)",
			 file, p);
		break;
	}
	free(path);
}

/*
 * Make @n changes in order; on a refusal undo those made, newest first, and
 * print the one line.  Returns the exit status.
 */
static int apply_changes(struct ctx *ctx, const char *file,
			 struct change *chg, size_t n)
{
	char what[1024], extack[sizeof(ctx->nl->extack)], hint[1536];
	char uwhat[1024], uwhy[sizeof(ctx->nl->extack)], words[128];
	size_t i, done = 0;
	int err = 0, uerr = 0;

	for (i = 0; i < n; i++) {
		err = change_do(ctx, &chg[i]);
		if (err)
			break;
		done += chg[i].done;
	}
	if (!err)
		return EXIT_OK;

	change_str(&chg[i], file, what, sizeof(what));
	snprintf(extack, sizeof(extack), "%s", ctx->nl->extack);
	while (i-- > 0) {
		int e;

		if (!chg[i].done)
			continue;
		e = change_undo(ctx, &chg[i]);
		if (e && !uerr) {
			uerr = e;
			change_str(&chg[i], file, uwhat, sizeof(uwhat));
			snprintf(uwhy, sizeof(uwhy), "%s",
				 ctx->nl->extack[0] ? ctx->nl->extack :
				 errno_words(e, words, sizeof(words)));
		}
	}
	if (uerr)
		snprintf(hint, sizeof(hint),
			 "undoing the changes before it failed too (%s: %s), so the policy in force is partly changed: see 'vfiopasidctl config show'",
			 uwhat, uwhy);
	else if (done == 1)
		snprintf(hint, sizeof(hint),
			 "nothing changed (the change before it was undone)");
	else if (done)
		snprintf(hint, sizeof(hint),
			 "nothing changed (the %zu changes before it were undone)",
			 done);
	else
		snprintf(hint, sizeof(hint), "nothing changed%s",
			 err == EPERM || err == EACCES ? ": " HINT_NET_ADMIN : "");
	return fail_errno(err, extack, hint, "%s: %s", ctx->cmd, what);
}

/*
 * Check @want against what is in force (@have) and the module, then plan
 * the changes into @chg (room for 1 + want's and have's limits).  Prints
 * the failure and returns its exit status, or 0 with *@n set.
 */
static int plan(struct ctx *ctx, const char *file, const struct conf *want,
		const struct conf *have, bool keep, struct change *chg,
		size_t *n)
{
	size_t k = 0;

	if (want->has_default_quota) {
		uint32_t size = pool_size(ctx);

		if (size && want->default_quota > size)
			return fail(EXIT_FAIL,
				    "%s: %s:%u: default_quota %u is above the pool size %u: nothing changed",
				    ctx->cmd, file, want->default_quota_line,
				    want->default_quota, size);
		if (want->default_quota != have->default_quota)
			chg[k++] = (struct change){
				.kind = CHG_DEFAULT, .val = want->default_quota,
				.old = have->default_quota,
				.line = want->default_quota_line,
			};
	}
	for (size_t i = 0; i < want->nlimits; i++) {
		const struct conf_limit *w = &want->limits[i];
		const struct conf_limit *h = conf_find_limit(have, w->path);
		enum cg_state st = CG_LIMITED;
		uint32_t max;
		int err = 0;

		if (!h)
			err = limit_probe(ctx, w->path, &st, &max);
		if (err || st == CG_NONE) {
			char *path = conf_path_escape(w->path);
			int ret;

			ret = fail_errno(err ? err : ENOENT, ctx->nl->extack,
					 "nothing changed",
					 "%s: %s:%u: limit %s %u", ctx->cmd,
					 file, w->line, path ? path : w->path,
					 w->max);
			free(path);
			return ret;
		}
		if (h && h->max == w->max)
			continue;
		chg[k++] = (struct change){
			.kind = CHG_SET, .path = w->path, .val = w->max,
			.had = h != NULL, .old = h ? h->max : 0,
			.line = w->line,
		};
	}
	for (size_t i = 0; !keep && i < have->nlimits; i++) {
		const struct conf_limit *h = &have->limits[i];

		if (conf_find_limit(want, h->path))
			continue;
		chg[k++] = (struct change){
			.kind = CHG_DEL, .path = h->path, .old = h->max,
		};
	}
	*n = k;
	return 0;
}

int cmd_config_apply(struct ctx *ctx, int argc, char **argv)
{
	struct apply_args a = { .ctx = ctx };
	struct conf want = { 0 }, have = { 0 };
	struct change *chg = NULL;
	char err_text[2048];
	bool have_file;
	const char *file;
	size_t n = 0;
	FILE *f;
	int err, ret;

	cmd_parse(ctx, &apply_argp, argc, argv, &a);
	file = a.file ? a.file : CONF_DEFAULT_PATH;
	f = fopen(file, "re");
	if (!f && (a.file || errno != ENOENT))
		return fail_errno(errno, NULL, "nothing changed", "%s: %s",
				  ctx->cmd, file);
	have_file = f != NULL;
	if (have_file) {
		ret = conf_parse(f, file, &want, err_text, sizeof(err_text));
		fclose(f);
		if (ret)
			return fail(ret, "%s: %s: nothing changed", ctx->cmd,
				    err_text);
	}

	ret = vnl_open(ctx);
	if (ret)
		goto out;
	err = read_policy(ctx, &have);
	if (err) {
		ret = nl_failure(ctx, err, "nothing changed",
				 "%s: reading the policy in force", ctx->cmd);
		goto out;
	}
	/* no file at the default path: nothing to apply */
	if (have_file) {
		chg = calloc(1 + want.nlimits + have.nlimits, sizeof(*chg));
		if (!chg) {
			ret = fail(EXIT_FAIL, "%s: out of memory", ctx->cmd);
			goto out;
		}
		ret = plan(ctx, file, &want, &have, a.keep, chg, &n);
		if (ret)
			goto out;
		ret = apply_changes(ctx, file, chg, n);
		if (ret)
			goto out;
	}
	if (n) {
		conf_free(&have);
		err = read_policy(ctx, &have);
		if (err) {
			ret = nl_failure(ctx, err, "run 'vfiopasidctl config show'",
					 "%s: %s: applied, but reading the policy in force back failed",
					 ctx->cmd, file);
			goto out;
		}
	}
	ret = print_policy(ctx, &have);
out:
	free(chg);
	conf_free(&want);
	conf_free(&have);
	return ret;
}
