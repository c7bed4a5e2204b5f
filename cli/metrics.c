// SPDX-License-Identifier: GPL-2.0
/*
 * vfiopasidctl metrics [--output FILE]
 *
 * Copyright (C) 2026 The vfio-pasid authors
 *
 * One collection - STATS_GET (status's read), the VM dump and the limit
 * dump - becomes one JSON object of metric families (metrics.h), rendered
 * in the Prometheus text format or, with -j, as JSON.  Everything is
 * rendered into memory before a byte is printed or written, so a failure
 * prints nothing and --output replaces FILE whole, or not at all: a dump
 * that VMs or limits changed under (EAGAIN) is simply read again.
 */
#include <argp.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vfiopasidctl.h"
#include "error.h"
#include "kmodule.h"
#include "metrics.h"
#include "nl.h"
#include "objects.h"
#include "output.h"

/* Tries of the whole collection when a dump says its list changed */
#define COLLECT_TRIES	4

/* --- text format ------------------------------------------------------------ */

/* The length of the well-formed UTF-8 sequence at @p, 0 when there is none */
static size_t utf8_seq(const unsigned char *p)
{
	unsigned char lo = 0x80, hi = 0xBF;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xC2 && p[0] <= 0xDF)
		return (p[1] & 0xC0) == 0x80 ? 2 : 0;
	if (p[0] >= 0xE0 && p[0] <= 0xEF) {
		if (p[0] == 0xE0)
			lo = 0xA0;	/* overlong */
		if (p[0] == 0xED)
			hi = 0x9F;	/* surrogates */
		if (p[1] < lo || p[1] > hi || (p[2] & 0xC0) != 0x80)
			return 0;
		return 3;
	}
	if (p[0] >= 0xF0 && p[0] <= 0xF4) {
		if (p[0] == 0xF0)
			lo = 0x90;	/* overlong */
		if (p[0] == 0xF4)
			hi = 0x8F;	/* above U+10FFFF */
		if (p[1] < lo || p[1] > hi || (p[2] & 0xC0) != 0x80 ||
		    (p[3] & 0xC0) != 0x80)
			return 0;
		return 4;
	}
	return 0;
}

char *utf8_clean(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	char *out = malloc(3 * strlen(s) + 1), *q = out;

	if (!out)
		return NULL;
	while (*p) {
		size_t n = utf8_seq(p);

		if (n) {
			memcpy(q, p, n);
			q += n;
			p += n;
		} else {
			memcpy(q, "\xEF\xBF\xBD", 3);
			q += 3;
			p++;
		}
	}
	*q = '\0';
	return out;
}

static void escaped(FILE *f, const char *s, bool quote)
{
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\\\", f);
		else if (*s == '\n')
			fputs("\\n", f);
		else if (quote && *s == '"')
			fputs("\\\"", f);
		else
			fputc(*s, f);
	}
}

void prom_label_value(FILE *f, const char *s)
{
	escaped(f, s, true);
}

void prom_help(FILE *f, const char *s)
{
	escaped(f, s, false);
}

static const char *get_str(const json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		return "";
	return json_object_get_string(v);
}

static void prom_labels(FILE *f, const json_object *labels)
{
	bool first = true;

	if (!labels || !json_object_object_length(labels))
		return;
	fputc('{', f);
	json_object_object_foreach((json_object *)labels, key, val) {
		fprintf(f, "%s%s=\"", first ? "" : ",", key);
		if (json_object_is_type(val, json_type_int))
			fprintf(f, "%" PRId64, json_object_get_int64(val));
		else if (val)
			prom_label_value(f, json_object_get_string(val));
		fputc('"', f);
		first = false;
	}
	fputc('}', f);
}

void prom_render(FILE *f, const json_object *root)
{
	json_object *fams, *samples, *labels, *value;

	if (!json_object_object_get_ex(root, "metrics", &fams))
		return;
	for (size_t i = 0; i < json_object_array_length(fams); i++) {
		const json_object *fam = json_object_array_get_idx(fams, i);
		const char *name = get_str(fam, "name");

		fprintf(f, "# HELP %s ", name);
		prom_help(f, get_str(fam, "help"));
		fprintf(f, "\n# TYPE %s %s\n", name, get_str(fam, "type"));
		if (!json_object_object_get_ex(fam, "samples", &samples))
			continue;
		for (size_t j = 0; j < json_object_array_length(samples); j++) {
			const json_object *s = json_object_array_get_idx(samples,
									 j);

			if (!json_object_object_get_ex(s, "value", &value))
				continue;
			fputs(name, f);
			if (json_object_object_get_ex(s, "labels", &labels))
				prom_labels(f, labels);
			fprintf(f, " %" PRIu64 "\n", json_object_get_uint64(value));
		}
	}
}

/* --- writing FILE ----------------------------------------------------------- */

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

int write_atomic(const char *path, const char *buf, size_t len, mode_t mode,
		 const char **step)
{
	char *dcopy = strdup(path), *bcopy = strdup(path), *tmp = NULL;
	const char *dir, *base;
	int fd = -1, err = 0, dfd;

	*step = "create a temporary file in its directory";
	if (!dcopy || !bcopy) {
		err = ENOMEM;
		goto out;
	}
	dir = dirname(dcopy);
	base = basename(bcopy);
	/*
	 * ".NAME.XXXXXX": hidden, and not ending in ".prom", so that the
	 * textfile collector never reads it half written
	 */
	if (asprintf(&tmp, "%s/.%s.XXXXXX", dir, base) < 0) {
		tmp = NULL;
		err = ENOMEM;
		goto out;
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		err = errno;
		free(tmp);
		tmp = NULL;
		goto out;
	}
	*step = "set the mode of the temporary file";
	if (fchmod(fd, mode)) {
		err = errno;
		goto out;
	}
	*step = "write the temporary file";
	err = write_all(fd, buf, len);
	if (err)
		goto out;
	*step = "fsync the temporary file";
	if (fsync(fd)) {
		err = errno;
		goto out;
	}
	*step = "close the temporary file";
	err = close(fd) ? errno : 0;
	fd = -1;
	if (err)
		goto out;
	*step = "rename the temporary file over it";
	if (rename(tmp, path)) {
		err = errno;
		goto out;
	}
	free(tmp);
	tmp = NULL;
	/* the rename itself, on disk: best effort, the file is in place */
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
out:
	if (fd >= 0)
		close(fd);
	if (tmp) {
		unlink(tmp);
		free(tmp);
	}
	free(dcopy);
	free(bcopy);
	return err;
}

/* --- collection ------------------------------------------------------------- */

struct collection {
	struct stats	st;
	json_object	*vms;		/* vm_obj() of each VM */
	json_object	*limits;	/* limit_obj() of each limit */
};

static int vm_cb(uint8_t cmd, struct nlattr **tb, void *arg)
{
	(void)cmd;
	json_object_array_add(((struct collection *)arg)->vms, vm_obj(tb));
	return 0;
}

static int limit_cb(uint8_t cmd, struct nlattr **tb, void *arg)
{
	(void)cmd;
	json_object_array_add(((struct collection *)arg)->limits, limit_obj(tb));
	return 0;
}

static void collection_free(struct collection *c)
{
	json_object_put(c->st.nesting);
	json_object_put(c->vms);
	json_object_put(c->limits);
	memset(c, 0, sizeof(*c));
}

/* 0 or a positive errno; EAGAIN when a list changed while it was read */
static int collect_once(struct ctx *ctx, struct collection *c)
{
	int err;

	err = stats_fetch(ctx, &c->st);
	if (err)
		return err;
	c->vms = jarr();
	err = vnl_exec(ctx, vnl_msg_new(ctx, VFIO_PASID_CMD_VM_GET, true),
		       vm_cb, c);
	if (err)
		return err;
	c->limits = jarr();
	return vnl_exec(ctx, vnl_msg_new(ctx, VFIO_PASID_CMD_LIMIT_GET, true),
			limit_cb, c);
}

/* --- the families ----------------------------------------------------------- */

/* A new family in list @fams; returns its list of samples */
static json_object *family(json_object *fams, const char *name,
			   const char *type, const char *help)
{
	json_object *f = jobj();
	json_object *samples = jarr();

	jadd(f, "name", jstr(name));
	jadd(f, "type", jstr(type));
	jadd(f, "help", jstr(help));
	jadd(f, "samples", samples);
	json_object_array_add(fams, f);
	return samples;
}

/* A sample of value @v with @labels (owned; NULL: none) */
static void sample(json_object *samples, json_object *labels, uint64_t v)
{
	json_object *s = jobj();

	jadd(s, "labels", labels ? labels : jobj());
	jadd(s, "value", ju64(v));
	json_object_array_add(samples, s);
}

/* Member @key of @o, a copy, strings made valid UTF-8; NULL when absent */
static json_object *label_of(const json_object *o, const char *key)
{
	json_object *v;
	char *clean;

	if (!json_object_object_get_ex(o, key, &v) || !v)
		return NULL;
	if (!json_object_is_type(v, json_type_string))
		return json_object_get(v);
	clean = utf8_clean(json_object_get_string(v));
	v = jstr(clean);
	free(clean);
	return v;
}

/* Member @key of @o as a number; false when absent or not a number */
static bool num_of(const json_object *o, const char *key, uint64_t *v)
{
	json_object *m;

	if (!json_object_object_get_ex(o, key, &m) ||
	    !json_object_is_type(m, json_type_int))
		return false;
	*v = json_object_get_uint64(m);
	return true;
}

/* The series from STATS_GET: one row per sample, a family per name */
struct stat_metric {
	const char	*name;
	const char	*type;
	const char	*help;
	int		attr;
	const char	*label[2][2];	/* {name, value}; NULL name: none */
};

#define HELP_REFUSALS "PASID allocations refused, by reason: the VM's " \
	"quota, the limit of a cgroup, or the pool."
#define HELP_CACHE_INV "Cache invalidations passed to the IOMMU, by cache " \
	"and granularity (a request for both caches counts once for each)."

static const struct stat_metric stat_metrics[] = {
	{ "vfio_pasid_pool_size", "gauge",
	  "PASIDs the module may hand out: pasid_max - pasid_min + 1.",
	  VFIO_PASID_A_POOL_SIZE, { { NULL } } },
	{ "vfio_pasid_pool_in_use", "gauge", "PASIDs held by VMs.",
	  VFIO_PASID_A_IN_USE, { { NULL } } },
	{ "vfio_pasid_pool_bound", "gauge",
	  "PASIDs with a guest page table bound.",
	  VFIO_PASID_A_BOUND_TOTAL, { { NULL } } },
	{ "vfio_pasid_vms", "gauge",
	  "VMs: processes with /dev/vfio-pasid open, of every user.",
	  VFIO_PASID_A_VM_COUNT, { { NULL } } },
	{ "vfio_pasid_default_quota", "gauge", "The quota of new VMs.",
	  VFIO_PASID_A_DEFAULT_QUOTA, { { NULL } } },
	{ "vfio_pasid_allocated_total", "counter",
	  "PASIDs allocated since the module was loaded.",
	  VFIO_PASID_A_ALLOCATED, { { NULL } } },
	{ "vfio_pasid_freed_total", "counter",
	  "PASIDs freed by their VMs since the module was loaded.",
	  VFIO_PASID_A_FREED, { { NULL } } },
	{ "vfio_pasid_reclaimed_total", "counter",
	  "PASIDs reclaimed from VMs that ended, since the module was loaded.",
	  VFIO_PASID_A_RECLAIMED, { { NULL } } },
	{ "vfio_pasid_refusals_total", "counter", HELP_REFUSALS,
	  VFIO_PASID_A_QUOTA_REFUSALS, { { "reason", "quota" } } },
	{ "vfio_pasid_refusals_total", "counter", HELP_REFUSALS,
	  VFIO_PASID_A_LIMIT_REFUSALS, { { "reason", "limit" } } },
	{ "vfio_pasid_refusals_total", "counter", HELP_REFUSALS,
	  VFIO_PASID_A_POOL_REFUSALS, { { "reason", "pool" } } },
	{ "vfio_pasid_binds_total", "counter",
	  "Guest page tables bound to PASIDs.",
	  VFIO_PASID_A_BINDS, { { NULL } } },
	{ "vfio_pasid_unbinds_total", "counter",
	  "Guest page-table bindings removed (by unbind, free, detach or reclaim).",
	  VFIO_PASID_A_UNBINDS, { { NULL } } },
	{ "vfio_pasid_invalidations_total", "counter",
	  "Cache invalidation requests passed to the IOMMU.",
	  VFIO_PASID_A_INVALIDATIONS, { { NULL } } },
	{ "vfio_pasid_cache_invalidations_total", "counter", HELP_CACHE_INV,
	  VFIO_PASID_A_INV_IOTLB_PASID,
	  { { "cache", "iotlb" }, { "granularity", "pasid" } } },
	{ "vfio_pasid_cache_invalidations_total", "counter", HELP_CACHE_INV,
	  VFIO_PASID_A_INV_IOTLB_ADDR,
	  { { "cache", "iotlb" }, { "granularity", "addr" } } },
	{ "vfio_pasid_cache_invalidations_total", "counter", HELP_CACHE_INV,
	  VFIO_PASID_A_INV_DEV_IOTLB_ADDR,
	  { { "cache", "dev_iotlb" }, { "granularity", "addr" } } },
	{ "vfio_pasid_reclaim_log_size", "gauge",
	  "Records the reclaim log keeps (reclaim_log_size).",
	  VFIO_PASID_A_RECLAIM_LOG_SIZE, { { NULL } } },
	{ "vfio_pasid_reclaim_log_records", "gauge",
	  "Records in the reclaim log.",
	  VFIO_PASID_A_RECLAIM_LOG_COUNT, { { NULL } } },
	{ "vfio_pasid_reclaim_log_dropped_total", "counter",
	  "Reclaim-log records overwritten by newer ones since the module was loaded.",
	  VFIO_PASID_A_RECLAIM_LOG_DROPPED, { { NULL } } },
};

static void add_stats(json_object *fams, const struct stats *st)
{
	json_object *samples = NULL;
	const char *last = NULL;

	for (size_t i = 0; i < sizeof(stat_metrics) / sizeof(*stat_metrics);
	     i++) {
		const struct stat_metric *m = &stat_metrics[i];
		json_object *labels = NULL;

		if (!last || strcmp(last, m->name))
			samples = family(fams, m->name, m->type, m->help);
		last = m->name;
		if (!st->has[m->attr])
			continue;
		for (int l = 0; l < 2 && m->label[l][0]; l++) {
			if (!labels)
				labels = jobj();
			jadd(labels, m->label[l][0], jstr(m->label[l][1]));
		}
		/* an attribute is a u32 or a u64 one: the other stays 0 */
		sample(samples, labels, st->u64[m->attr] + st->u32[m->attr]);
	}
}

/* Series per element of @list (VMs or limits), labelled with @keys */
struct list_metric {
	const char	*name;
	const char	*help;
	const char	*key;		/* the member that is the value */
};

static void add_list(json_object *fams, json_object *list,
		     const char *const *keys, const struct list_metric *m,
		     size_t n)
{
	for (size_t i = 0; i < n; i++) {
		json_object *samples = family(fams, m[i].name, "gauge",
					      m[i].help);

		for (size_t j = 0; j < json_object_array_length(list); j++) {
			const json_object *o = json_object_array_get_idx(list,
									 j);
			json_object *labels;
			uint64_t v;

			if (!num_of(o, m[i].key, &v))
				continue;
			labels = jobj();
			for (const char *const *k = keys; *k; k++) {
				json_object *l = label_of(o, *k);

				jadd(labels, *k, l ? l : jstr(""));
			}
			sample(samples, labels, v);
		}
	}
}

static const char *const vm_keys[] = { "vm_id", "pid", "comm", NULL };

static const struct list_metric vm_metrics[] = {
	{ "vfio_pasid_vm_pasids", "PASIDs a VM holds.", "count" },
	{ "vfio_pasid_vm_bound_pasids",
	  "PASIDs of a VM with a guest page table bound.", "bound_count" },
	{ "vfio_pasid_vm_quota", "The quota of a VM.", "quota" },
	{ "vfio_pasid_vm_groups", "VFIO groups attached to a VM.",
	  "group_count" },
};

static const char *const limit_keys[] = { "cgroup", NULL };

static const struct list_metric limit_metrics[] = {
	{ "vfio_pasid_cgroup_limit",
	  "The PASID limit of a cgroup v2 and its descendants.", "max" },
	{ "vfio_pasid_cgroup_pasids",
	  "PASIDs held by the VMs charged to a cgroup with a limit, or below it.",
	  "used" },
	{ "vfio_pasid_cgroup_vms",
	  "VMs charged to a cgroup with a limit, or below it.", "vms" },
};

static json_object *metrics_obj(const struct collection *c)
{
	json_object *root = jobj();
	json_object *fams = jarr();
	json_object *labels = jobj();
	char *version = mod_version();

	jadd(root, "metrics", fams);
	jadd(labels, "version", jstr(version ? version : ""));
	jadd(labels, "backend", jstr(c->st.backend));
	free(version);
	sample(family(fams, "vfio_pasid_module_info", "gauge",
		      "The loaded module: its version and backend (always 1)."),
	       labels, 1);
	add_stats(fams, &c->st);
	add_list(fams, c->vms, vm_keys, vm_metrics,
		 sizeof(vm_metrics) / sizeof(*vm_metrics));
	add_list(fams, c->limits, limit_keys, limit_metrics,
		 sizeof(limit_metrics) / sizeof(*limit_metrics));
	return root;
}

/* --- the command ------------------------------------------------------------ */

struct metrics_args {
	struct ctx	*ctx;
	const char	*output;
};

static const struct argp_option metrics_options[] = {
	{ "output", 'o', "FILE", 0,
	  "Replace FILE atomically (a temporary file in its directory, "
	  "fsync, rename; mode 0644) instead of printing", 0 },
	{ 0 }
};

static error_t metrics_parse(int key, char *arg, struct argp_state *state)
{
	struct metrics_args *a = state->input;

	switch (key) {
	case 'o':
		if (!*arg)
			usage_die(a->ctx, "--output needs a file name");
		a->output = arg;
		return 0;
	case ARGP_KEY_ARG:
		usage_die(a->ctx, "unexpected argument '%s'", arg);
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

static const struct argp metrics_argp = {
	metrics_options, metrics_parse, "",
	"Print the module's metrics in the Prometheus text exposition format "
	"(version 0.0.4), for a scrape or for node_exporter's textfile "
	"collector: the pool and its use, the counters (allocated, freed, "
	"reclaimed, refusals by reason, binds, invalidations, reclaim-log "
	"drops), the PASIDs and quota of each VM (labels vm_id, pid, comm) and "
	"the limits per cgroup and their use (label cgroup).  With -j, the "
	"same families as JSON.  A user without CAP_NET_ADMIN gets only its "
	"own VMs' series; the totals are everyone's.",
	NULL, NULL, NULL
};

int cmd_metrics(struct ctx *ctx, int argc, char **argv)
{
	struct metrics_args a = { .ctx = ctx };
	struct collection c = { 0 };
	json_object *root;
	const char *step;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	int err = 0, ret;

	cmd_parse(ctx, &metrics_argp, argc, argv, &a);
	ret = vnl_open(ctx);
	if (ret)
		return ret;
	/* nothing is out yet: a list that changed is read again, whole */
	for (int i = 0; i < COLLECT_TRIES; i++) {
		collection_free(&c);
		err = collect_once(ctx, &c);
		if (err != EAGAIN)
			break;
	}
	if (err) {
		collection_free(&c);
		/* a dump the kernel flagged, each time (vnl_exec's extack) */
		if (err == EAGAIN && ctx->nl->extack[0])
			return fail(EXIT_FAIL,
				    "%s: the VMs or limits changed while they were read, %d times in a row: run the command again",
				    ctx->cmd, COLLECT_TRIES);
		return nl_failure(ctx, err, NULL, "%s", ctx->cmd);
	}

	root = metrics_obj(&c);
	collection_free(&c);
	f = open_memstream(&buf, &len);
	if (!f) {
		json_object_put(root);
		return fail_errno(errno, NULL, NULL, "%s", ctx->cmd);
	}
	if (ctx->json)
		out_json(f, root, ctx->pretty);
	else
		prom_render(f, root);
	json_object_put(root);
	if (fclose(f)) {
		free(buf);
		return fail_errno(ENOMEM, NULL, NULL, "%s", ctx->cmd);
	}

	if (a.output) {
		err = write_atomic(a.output, buf, len, 0644, &step);
		free(buf);
		if (err)
			return fail_errno(err, NULL, NULL,
					  "%s: --output %s: cannot %s", ctx->cmd,
					  a.output, step);
		return EXIT_OK;
	}
	fwrite(buf, 1, len, stdout);
	free(buf);
	return EXIT_OK;
}
