// SPDX-License-Identifier: GPL-2.0
/*
 * vfiopasidctl module show|load|unload - through libkmod
 *
 * Copyright (C) 2026 The vfio-pasid authors
 *
 * In the manner of systemd's module-util.c: look the module up, check its
 * init state, probe-insert it honouring the blacklist, and turn each errno
 * into a sentence.  "load --file PATH" inserts a module file that is not
 * installed; libkmod does not resolve the dependencies of such a file, so
 * its modinfo "depends=" list is probe-inserted by name first.
 */
#include <argp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include <libkmod.h>

#include "vfiopasidctl.h"
#include "error.h"
#include "kmodule.h"
#include "output.h"
#include "parse.h"
#include "sysfs.h"

static struct kmod_ctx *kmod_open(void)
{
	struct kmod_ctx *k = kmod_new(NULL, NULL);

	if (!k) {
		fail(EXIT_FAIL, "cannot initialise libkmod");
		exit(EXIT_FAIL);
	}
	kmod_silence(k);
	kmod_load_resources(k);
	return k;
}

/* The installed module vfio_pasid, or NULL */
static struct kmod_module *lookup_installed(struct kmod_ctx *k)
{
	struct kmod_list *list = NULL, *l;
	struct kmod_module *mod = NULL;

	if (kmod_module_new_from_lookup(k, MODULE_NAME, &list) < 0 || !list)
		return NULL;
	kmod_list_foreach(l, list) {
		mod = kmod_module_get_module(l);
		break;
	}
	kmod_module_unref_list(list);
	return mod;
}

/* --- module show --------------------------------------------------------- */

static const struct argp show_argp = {
	NULL, NULL, "",
	"Show the module's state (live, coming, going or not loaded), version, "
	"reference count, holders, taint flags, file and parameters.  Exits 0 "
	"whether the module is loaded or not.",
	NULL, NULL, NULL
};

/*
 * {"module":{"name","state","version","refcount","holders","size","taint",
 * "path","parameters"}} as the kernel has it now; without the module only
 * "name", "state" and "path"
 */
static json_object *module_json(struct kmod_ctx *k)
{
	struct kmod_module *mod = NULL, *inst;
	json_object *root, *m, *o;
	enum mod_state state;
	const char *path = NULL;

	state = mod_state();
	inst = lookup_installed(k);
	if (inst)
		path = kmod_module_get_path(inst);

	root = jobj();
	m = jobj();
	json_object_object_add(root, "module", m);
	json_object_object_add(m, "name", jstr(MODULE_NAME));
	json_object_object_add(m, "state", jstr(mod_state_str(state)));
	if (state != MOD_NOT_LOADED &&
	    kmod_module_new_from_name(k, MODULE_NAME, &mod) >= 0) {
		struct kmod_list *holders, *l;
		char *s;

		s = mod_version();
		json_object_object_add(m, "version", jstr(s));
		free(s);
		json_object_object_add(m, "refcount",
				       jnum(kmod_module_get_refcnt(mod)));
		o = jarr();
		holders = kmod_module_get_holders(mod);
		kmod_list_foreach(l, holders) {
			struct kmod_module *h = kmod_module_get_module(l);

			json_object_array_add(o, jstr(kmod_module_get_name(h)));
			kmod_module_unref(h);
		}
		kmod_module_unref_list(holders);
		json_object_object_add(m, "holders", o);
		json_object_object_add(m, "size",
				       jnum(kmod_module_get_size(mod)));
		s = read_trimmed(SYSFS_MODULE_DIR "/taint");
		json_object_object_add(m, "taint", jstr(s ? s : ""));
		free(s);
	}
	json_object_object_add(m, "path", jstr(path));
	if (state != MOD_NOT_LOADED) {
		o = mod_params_json();
		if (o)
			json_object_object_add(m, "parameters", o);
	}
	kmod_module_unref(mod);
	kmod_module_unref(inst);
	return root;
}

/* module show's object, printed */
static void print_module(struct ctx *ctx, struct kmod_ctx *k)
{
	json_object *root = module_json(k);

	out_print(ctx, root);
	json_object_put(root);
}

int cmd_module_show(struct ctx *ctx, int argc, char **argv)
{
	struct kmod_ctx *k;

	cmd_parse(ctx, &show_argp, argc, argv, NULL);
	k = kmod_open();
	print_module(ctx, k);
	kmod_unref(k);
	return EXIT_OK;
}

/* --- module load --------------------------------------------------------- */

struct load_args {
	struct ctx	*ctx;
	const char	*file;
	char		**params;
	int		nparams;
};

static const struct argp_option load_options[] = {
	{ "file", 'f', "PATH", 0,
	  "Load this module file instead of the installed module", 0 },
	{ 0 }
};

static error_t load_parse(int key, char *arg, struct argp_state *state)
{
	struct load_args *a = state->input;
	char name[64];
	const char *val;

	switch (key) {
	case 'f':
		if (!*arg)
			usage_die(a->ctx, "--file needs a path");
		a->file = arg;
		return 0;
	case ARGP_KEY_ARG:
		if (parse_param(arg, name, sizeof(name), &val))
			usage_die(a->ctx,
				  "'%s' is not PARAM=VALUE (a parameter name, '=' and a value without quotes)",
				  arg);
		a->params[a->nparams++] = arg;
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

static const struct argp load_argp = {
	load_options, load_parse, "[PARAM=VALUE]...",
	"Load the vfio_pasid module: the one installed for the running kernel, "
	"or the file given with --file (its dependencies are loaded first).  "
	"Parameters: default_quota, pasid_min, pasid_max, reclaim_log_size, "
	"backend (native or emulated).  Prints nothing; with --json, the "
	"module as 'module show' prints it.",
	NULL, NULL, NULL
};

/* The sentence for an init_module() failure */
static int load_error(const struct ctx *ctx, int err, const char *what)
{
	struct utsname u;

	switch (err) {
	case EEXIST:
		return fail(EXIT_FAIL, "%s: module already loaded", ctx->cmd);
	case EPERM:
	case EACCES:
		return fail(EXIT_PERM,
			    "%s: permission denied: run as root (loading modules needs CAP_SYS_MODULE)",
			    ctx->cmd);
	case ENOEXEC:
		uname(&u);
		return fail(EXIT_FAIL,
			    "%s: %s: invalid module format: it was not built for the running kernel %s",
			    ctx->cmd, what, u.release);
	case EINVAL:
		return fail(EXIT_FAIL,
			    "%s: invalid parameter: the module refused a parameter value or failed to initialise (see 'dmesg')",
			    ctx->cmd);
	case ENOENT:
		return fail(EXIT_FAIL,
			    "%s: invalid parameter or unknown symbol: a parameter or a module %s needs is missing (see 'dmesg')",
			    ctx->cmd, MODULE_NAME);
	case EKEYREJECTED:
	case ENOKEY:
	case EKEYEXPIRED:
		return fail(EXIT_FAIL,
			    "%s: %s: the module's signature was rejected: this kernel only loads signed modules",
			    ctx->cmd, what);
	case EBUSY:
		return fail(EXIT_FAIL,
			    "%s: the module is being loaded or unloaded right now: try again",
			    ctx->cmd);
	case ENODEV:
		return fail(EXIT_FAIL,
			    "%s: the module refused to initialise: no suitable device or IOMMU (see 'dmesg')",
			    ctx->cmd);
	default:
		return fail_errno(err, NULL, "see 'dmesg'", "%s: %s", ctx->cmd,
				  what);
	}
}

/*
 * Reject parameter names the module does not declare: the kernel would
 * ignore them with a warning and load the module anyway.
 */
static int check_params(const struct ctx *ctx, struct kmod_module *mod,
			struct load_args *a, char **depends)
{
	struct kmod_list *info = NULL, *l;
	char known[1024] = "";
	bool have_parms = false, test_build = false;

	*depends = NULL;
	if (kmod_module_get_info(mod, &info) < 0)
		return 0;	/* no modinfo: let the kernel judge */
	kmod_list_foreach(l, info) {
		const char *key = kmod_module_info_get_key(l);
		const char *val = kmod_module_info_get_value(l);

		if (!key || !val)
			continue;
		if (!strcmp(key, "test"))
			test_build = !strcmp(val, "Y");
		else if (!strcmp(key, "depends") && *val) {
			free(*depends);
			*depends = xstrdup(val);
		} else if (!strcmp(key, "parm")) {
			size_t n = strcspn(val, ":");

			have_parms = true;
			if (strlen(known) + n + 3 < sizeof(known)) {
				if (*known)
					strcat(known, ", ");
				strncat(known, val, n);
			}
		}
	}
	kmod_module_info_free_list(info);
	/* the kernel would refuse it too, in words only dmesg shows */
	for (int i = 0; i < a->nparams && !test_build; i++) {
		if (!strcmp(a->params[i], "backend=emulated"))
			return fail(EXIT_FAIL,
				    "%s: backend=emulated is in the test build only (tests/testmod/vfio_pasid.ko, made by 'make tests'): %s has backend=native only",
				    ctx->cmd, a->file ? a->file : "the installed module");
	}
	if (!have_parms)
		return 0;

	for (int i = 0; i < a->nparams; i++) {
		char name[64], pat[72];
		const char *val;
		bool found = false;
		const char *p = known;

		parse_param(a->params[i], name, sizeof(name), &val);
		snprintf(pat, sizeof(pat), "%s", name);
		while (*p) {
			size_t n = strcspn(p, ",");

			if (n == strlen(pat) && !strncmp(p, pat, n))
				found = true;
			p += n;
			while (*p == ',' || *p == ' ')
				p++;
		}
		if (!found) {
			fail(EXIT_USAGE,
			     "%s: invalid parameter '%s': %s takes %s (try '%s %s --help')",
			     ctx->cmd, name, MODULE_NAME, known, PROG_NAME,
			     ctx->cmd);
			return EXIT_USAGE;
		}
	}
	return 0;
}

static int load_depends(const struct ctx *ctx, struct kmod_ctx *k,
			const char *depends)
{
	char *list = xstrdup(depends), *save = NULL;
	int ret = 0;

	for (char *d = strtok_r(list, ",", &save); d && !ret;
	     d = strtok_r(NULL, ",", &save)) {
		struct kmod_list *mods = NULL, *l;
		int err;

		if (kmod_module_new_from_lookup(k, d, &mods) < 0 || !mods) {
			ret = fail(EXIT_FAIL,
				   "%s: the module needs '%s', which is not installed for the running kernel",
				   ctx->cmd, d);
			break;
		}
		kmod_list_foreach(l, mods) {
			struct kmod_module *m = kmod_module_get_module(l);

			err = kmod_module_probe_insert_module(m,
					KMOD_PROBE_APPLY_BLACKLIST, NULL,
					NULL, NULL, NULL);
			kmod_module_unref(m);
			if (err == KMOD_PROBE_APPLY_BLACKLIST) {
				ret = fail(EXIT_FAIL,
					   "%s: the module needs '%s', which is blacklisted",
					   ctx->cmd, d);
				break;
			}
			if (err < 0) {
				char what[128];

				snprintf(what, sizeof(what),
					 "loading the dependency '%s'", d);
				ret = load_error(ctx, -err, what);
				break;
			}
		}
		kmod_module_unref_list(mods);
	}
	free(list);
	return ret;
}

int cmd_module_load(struct ctx *ctx, int argc, char **argv)
{
	struct load_args a = { .ctx = ctx };
	struct kmod_module *mod = NULL;
	char *options, *depends = NULL;
	struct kmod_ctx *k;
	int err, ret;

	a.params = calloc((size_t)argc + 1, sizeof(*a.params));
	if (!a.params)
		return fail_errno(ENOMEM, NULL, NULL, "%s", ctx->cmd);
	cmd_parse(ctx, &load_argp, argc, argv, &a);

	if (mod_state() != MOD_NOT_LOADED)
		return fail(EXIT_FAIL, "%s: module already loaded", ctx->cmd);

	k = kmod_open();
	if (a.file) {
		err = kmod_module_new_from_path(k, a.file, &mod);
		if (err < 0) {
			ret = fail_errno(-err, NULL, NULL, "%s: %s", ctx->cmd,
					 a.file);
			goto out;
		}
		struct kmod_list *info = NULL;

		if (kmod_module_get_info(mod, &info) < 0) {
			ret = fail(EXIT_FAIL, "%s: %s is not a kernel module file",
				   ctx->cmd, a.file);
			goto out;
		}
		kmod_module_info_free_list(info);
		if (strcmp(kmod_module_get_name(mod), MODULE_NAME)) {
			ret = fail(EXIT_USAGE,
				   "%s: %s is the module '%s', not %s",
				   ctx->cmd, a.file, kmod_module_get_name(mod),
				   MODULE_NAME);
			goto out;
		}
	} else {
		mod = lookup_installed(k);
		if (!mod) {
			struct utsname u;

			uname(&u);
			ret = fail(EXIT_FAIL,
				   "%s: module %s is not installed for the running kernel %s: install it, or give the file with --file PATH",
				   ctx->cmd, MODULE_NAME, u.release);
			goto out;
		}
	}

	ret = check_params(ctx, mod, &a, &depends);
	if (ret)
		goto out;
	options = join_params(a.params, a.nparams);
	if (!options) {
		ret = fail_errno(ENOMEM, NULL, NULL, "%s", ctx->cmd);
		goto out;
	}

	if (a.file) {
		if (depends) {
			ret = load_depends(ctx, k, depends);
			if (ret) {
				free(options);
				goto out;
			}
		}
		err = kmod_module_insert_module(mod, 0, options);
	} else {
		err = kmod_module_probe_insert_module(mod,
				KMOD_PROBE_APPLY_BLACKLIST |
				KMOD_PROBE_FAIL_ON_LOADED,
				options, NULL, NULL, NULL);
		if (err == KMOD_PROBE_APPLY_BLACKLIST) {
			free(options);
			ret = fail(EXIT_FAIL,
				   "%s: module %s is blacklisted (see modprobe.d(5))",
				   ctx->cmd, MODULE_NAME);
			goto out;
		}
	}
	free(options);
	if (err < 0) {
		ret = load_error(ctx, -err, a.file ? a.file : MODULE_NAME);
		goto out;
	}
	/* quiet in text; with -j the module as 'module show' has it now */
	if (ctx->json)
		print_module(ctx, k);
	ret = EXIT_OK;
out:
	free(depends);
	free(a.params);
	kmod_module_unref(mod);
	kmod_unref(k);
	return ret;
}

/* --- module unload ------------------------------------------------------- */

static const struct argp unload_argp = {
	NULL, NULL, "",
	"Unload the vfio_pasid module.  Fails while any process holds "
	"/dev/vfio-pasid open.  Prints nothing; with --json, the module as "
	"'module show' prints it (state \"not loaded\").",
	NULL, NULL, NULL
};

int cmd_module_unload(struct ctx *ctx, int argc, char **argv)
{
	struct kmod_module *mod = NULL;
	struct kmod_ctx *k;
	int err, ret = EXIT_OK;

	cmd_parse(ctx, &unload_argp, argc, argv, NULL);
	if (mod_state() == MOD_NOT_LOADED)
		return fail(EXIT_NOMOD, "%s: module not loaded", ctx->cmd);
	if (mod_state() == MOD_BUILTIN)
		return fail(EXIT_FAIL, "%s: the module is built into the kernel",
			    ctx->cmd);

	k = kmod_open();
	err = kmod_module_new_from_name(k, MODULE_NAME, &mod);
	if (err < 0) {
		ret = fail_errno(-err, NULL, NULL, "%s", ctx->cmd);
		goto out;
	}
	err = kmod_module_remove_module(mod, 0);
	switch (-err) {
	case 0:
		break;
	case EBUSY:
	case EAGAIN:
		ret = fail(EXIT_FAIL,
			   "%s: module is in use: close every %s descriptor first",
			   ctx->cmd, DEFAULT_DEVICE);
		break;
	case ENOENT:
		ret = fail(EXIT_NOMOD, "%s: module not loaded", ctx->cmd);
		break;
	case EPERM:
	case EACCES:
		ret = fail(EXIT_PERM,
			   "%s: permission denied: run as root (unloading modules needs CAP_SYS_MODULE)",
			   ctx->cmd);
		break;
	default:
		ret = fail_errno(-err, NULL, NULL, "%s", ctx->cmd);
		break;
	}
	if (!ret && ctx->json)
		print_module(ctx, k);
out:
	kmod_module_unref(mod);
	kmod_unref(k);
	return ret;
}
