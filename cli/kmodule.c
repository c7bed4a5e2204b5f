// SPDX-License-Identifier: GPL-2.0
/*
 * vfiopasidctl - what the running kernel says about the vfio_pasid module
 *
 * Copyright (C) 2026 The vfio-pasid authors
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libkmod.h>

#include "vfiopasidctl.h"
#include "kmodule.h"
#include "output.h"
#include "parse.h"
#include "sysfs.h"

static const char *const known_params[] = {
	"default_quota", "pasid_min", "pasid_max", "reclaim_log_size",
	"backend",
};

static void null_log(void *data, int priority, const char *file, int line,
		     const char *fn, const char *format, va_list args)
{
	(void)data;
	(void)priority;
	(void)file;
	(void)line;
	(void)fn;
	(void)format;
	(void)args;
}

void kmod_silence(struct kmod_ctx *k)
{
	kmod_set_log_fn(k, null_log, NULL);
}

enum mod_state mod_state(void)
{
	struct kmod_module *mod = NULL;
	struct kmod_ctx *kctx;
	int st;

	kctx = kmod_new(NULL, NULL);
	if (kctx)
		kmod_silence(kctx);
	if (!kctx || kmod_module_new_from_name(kctx, MODULE_NAME, &mod) < 0) {
		kmod_unref(kctx);
		/* libkmod unusable: fall back to sysfs */
		FILE *f = fopen(SYSFS_MODULE_DIR "/initstate", "re");

		if (!f)
			return MOD_NOT_LOADED;
		fclose(f);
		return MOD_LIVE;
	}
	st = kmod_module_get_initstate(mod);
	kmod_module_unref(mod);
	kmod_unref(kctx);
	switch (st) {
	case KMOD_MODULE_LIVE:
		return MOD_LIVE;
	case KMOD_MODULE_COMING:
		return MOD_COMING;
	case KMOD_MODULE_GOING:
		return MOD_GOING;
	case KMOD_MODULE_BUILTIN:
		return MOD_BUILTIN;
	default:
		return MOD_NOT_LOADED;
	}
}

const char *mod_state_str(enum mod_state state)
{
	switch (state) {
	case MOD_LIVE:
		return "live";
	case MOD_COMING:
		return "coming";
	case MOD_GOING:
		return "going";
	case MOD_BUILTIN:
		return "builtin";
	default:
		return "not loaded";
	}
}

char *mod_version(void)
{
	return read_trimmed(SYSFS_MODULE_DIR "/version");
}

static json_object *param_value(const char *name)
{
	char path[512];
	json_object *v;
	uint32_t u;
	char *s;

	snprintf(path, sizeof(path), SYSFS_MODULE_DIR "/parameters/%s", name);
	s = read_trimmed(path);
	if (!s)
		return NULL;
	if (*s && isdigit((unsigned char)*s) && !parse_u32(s, &u))
		v = jnum(u);
	else
		v = jstr(s);
	free(s);
	return v;
}

bool mod_param_u32(const char *name, uint32_t *val)
{
	char path[512];
	bool ok;
	char *s;

	snprintf(path, sizeof(path), SYSFS_MODULE_DIR "/parameters/%s", name);
	s = read_trimmed(path);
	if (!s)
		return false;
	ok = !parse_u32(s, val);
	free(s);
	return ok;
}

static bool is_known(const char *name)
{
	for (size_t i = 0; i < sizeof(known_params) / sizeof(*known_params);
	     i++)
		if (!strcmp(name, known_params[i]))
			return true;
	return false;
}

static int name_cmp(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

json_object *mod_params_json(void)
{
	struct dirent **ents;
	json_object *obj;
	int n;

	n = scandir(SYSFS_MODULE_DIR "/parameters", &ents, NULL, name_cmp);
	if (n < 0)
		return NULL;
	obj = jobj();
	for (size_t i = 0; i < sizeof(known_params) / sizeof(*known_params);
	     i++) {
		json_object *v = param_value(known_params[i]);

		/* unreadable parameters (mode 0400 and not root) are left out */
		if (v)
			json_object_object_add(obj, known_params[i], v);
	}
	for (int i = 0; i < n; i++) {
		const char *name = ents[i]->d_name;

		if (name[0] != '.' && !is_known(name)) {
			json_object *v = param_value(name);

			if (v)
				json_object_object_add(obj, name, v);
		}
		free(ents[i]);
	}
	free(ents);
	return obj;
}
