// SPDX-License-Identifier: GPL-2.0
/*
 * vfiopasidctl - grammar and dispatch
 *
 * Copyright (C) 2026 The vfio-pasid authors
 *
 *	vfiopasidctl [GLOBAL OPTIONS] COMMAND [ARGS]
 *
 * The global parser runs argp with ARGP_IN_ORDER and stops at the first
 * word that is not an option: the command.  Commands are looked up in static
 * tables by exact keyword (no prefix matching); every command then parses
 * its own arguments with its own struct argp, to which the output options
 * (-j, -p) are added as an argp child, so they work on either side of the
 * command word.  "help" never touches the module or netlink.
 */
#include <argp.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vfiopasidctl.h"
#include "error.h"
#include "nl.h"

const char *argp_program_version = PROG_NAME " " VFIOPASIDCTL_VERSION;

static int cmd_help(struct ctx *ctx, int argc, char **argv);

static const struct cmd vm_cmds[] = {
	{ "list", cmd_vm_list, NULL, "", "list the VMs" },
	{ "show", cmd_vm_show, NULL, "VM", "show one VM and its PASIDs" },
	{ 0 }
};

static const struct cmd quota_cmds[] = {
	{ "get", cmd_quota_get, NULL, "VM", "show a VM's quota and count" },
	{ "set", cmd_quota_set, NULL, "VM N", "set a VM's quota to N" },
	{ "default", cmd_quota_default, NULL, "[N]",
	  "show, or set, the quota of new VMs" },
	{ 0 }
};

static const struct cmd pasid_cmds[] = {
	{ "list", cmd_pasid_list, NULL, "[VM]",
	  "list the PASIDs, of every VM or of one" },
	{ 0 }
};

static const struct cmd limit_cmds[] = {
	{ "set", cmd_limit_set, NULL, "CGROUP N",
	  "limit the PASIDs of a cgroup v2 and its descendants to N" },
	{ "del", cmd_limit_del, NULL, "CGROUP", "delete a cgroup's limit" },
	{ "list", cmd_limit_list, NULL, "", "list the limits and their use" },
	{ 0 }
};

static const struct cmd config_cmds[] = {
	{ "show", cmd_config_show, NULL, "",
	  "print the policy in force as a policy file" },
	{ "apply", cmd_config_apply, NULL, "[--keep] [FILE]",
	  "apply a policy file, all or nothing" },
	{ 0 }
};

static const struct cmd module_cmds[] = {
	{ "show", cmd_module_show, NULL, "",
	  "state, version, parameters, file" },
	{ "load", cmd_module_load, NULL, "[--file PATH] [PARAM=VALUE]...",
	  "load the module" },
	{ "unload", cmd_module_unload, NULL, "", "unload the module" },
	{ 0 }
};

const struct cmd top_cmds[] = {
	{ "status", cmd_status, NULL, "",
	  "module state, parameters, pool, VMs and totals" },
	{ "caps", cmd_caps, NULL, "[--group N]...",
	  "IOMMU units, VFIO container and nesting: what a VM can get" },
	{ "vm", NULL, vm_cmds, "list | show VM", "the VMs" },
	{ "quota", NULL, quota_cmds, "get VM | set VM N | default [N]",
	  "per-VM and default quotas" },
	{ "pasid", NULL, pasid_cmds, "list [VM]", "the PASIDs" },
	{ "limit", NULL, limit_cmds, "set CGROUP N | del CGROUP | list",
	  "PASID limits per cgroup v2" },
	{ "config", NULL, config_cmds, "show | apply [--keep] [FILE]",
	  "the policy file: default quota and limits" },
	{ "reclaimed", cmd_reclaimed, NULL, "[--vm VM] | --clear",
	  "the reclaim log" },
	{ "metrics", cmd_metrics, NULL, "[--output FILE]",
	  "the metrics, in the Prometheus text format" },
	{ "monitor", cmd_monitor, NULL, "[--follow]",
	  "print events until interrupted" },
	{ "hold", cmd_hold, NULL,
	  "[-n COUNT] [--min N] [--max N] [--group N]... [-- COMMAND [ARGS]]",
	  "act as a VM holding PASIDs" },
	{ "module", NULL, module_cmds, "show | load | unload",
	  "load, unload and show the module" },
	{ "help", cmd_help, NULL, "[COMMAND]", "show help" },
	{ 0 }
};

const struct cmd *cmd_lookup(const struct cmd *table, const char *name)
{
	if (!name)
		return NULL;
	for (const struct cmd *c = table; c->name; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

/* --- shared output options, and one-line errors ------------------------- */

static struct ctx *cur_ctx;
static char cur_name[256];

static ssize_t discard(void *cookie, const char *buf, size_t size)
{
	(void)cookie;
	(void)buf;
	return (ssize_t)size;
}

/*
 * argp follows a usage error with "Try `... --help'"; getopt already said
 * what was wrong on one line, and that one line is all we print.
 */
static FILE *silent_stream(void)
{
	static FILE *f;
	cookie_io_functions_t io = { .write = discard };

	if (!f)
		f = fopencookie(NULL, "w", io);
	return f ? f : stderr;
}

enum { OPT_USAGE = 0x100 };

static const struct argp_option out_options[] = {
	{ "json", 'j', NULL, 0, "Print JSON", -1 },
	{ "pretty", 'p', NULL, 0, "Print indented JSON (implies --json)", -1 },
	{ 0 }
};

/*
 * Commands parse with ARGP_NO_HELP and get --help and --usage from here, so
 * that their help is titled with the whole command ("vfiopasidctl vm show"),
 * while getopt's messages use argv[0], "vfiopasidctl: vm show".
 */
static const struct argp_option cmd_out_options[] = {
	{ "json", 'j', NULL, 0, "Print JSON", -1 },
	{ "pretty", 'p', NULL, 0, "Print indented JSON (implies --json)", -1 },
	{ "help", '?', NULL, 0, "Give this help list", -1 },
	{ "usage", OPT_USAGE, NULL, 0, "Give a short usage message", -1 },
	{ 0 }
};

static error_t out_parse(int key, char *arg, struct argp_state *state)
{
	struct ctx *ctx = cur_ctx;

	switch (key) {
	case ARGP_KEY_INIT:
		state->err_stream = silent_stream();
		return 0;
	case 'j':
		ctx->json = true;
		return 0;
	case 'p':
		ctx->json = ctx->pretty = true;
		return 0;
	case '?':
		state->name = cur_name;
		argp_state_help(state, state->out_stream, ARGP_HELP_STD_HELP);
		return 0;
	case OPT_USAGE:
		state->name = cur_name;
		argp_state_help(state, state->out_stream,
				ARGP_HELP_USAGE | ARGP_HELP_EXIT_OK);
		return 0;
	case ARGP_KEY_ARG:
		usage_die(ctx, "unexpected argument '%s'", arg);
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

static const struct argp out_argp = { out_options, out_parse, NULL, NULL,
				      NULL, NULL, NULL };

static const struct argp_child out_children[] = {
	{ &out_argp, 0, NULL, 0 },
	{ 0 }
};

static const struct argp cmd_out_argp = { cmd_out_options, out_parse, NULL,
					  NULL, NULL, NULL, NULL };

static const struct argp_child cmd_out_children[] = {
	{ &cmd_out_argp, 0, NULL, 0 },
	{ 0 }
};

void cmd_parse(struct ctx *ctx, const struct argp *argp, int argc,
	       char **argv, void *input)
{
	static char err_name[256];
	struct argp a = *argp;

	cur_ctx = ctx;
	snprintf(cur_name, sizeof(cur_name), "%s %s", PROG_NAME, ctx->cmd);
	/* getopt's messages start with argv[0]: "vfiopasidctl: vm show: " */
	snprintf(err_name, sizeof(err_name), "%s: %s", PROG_NAME, ctx->cmd);
	argv[0] = err_name;
	a.children = cmd_out_children;
	argp_parse(&a, argc, argv, ARGP_IN_ORDER | ARGP_NO_HELP, NULL, input);
}

int pos_parse(int key, char *arg, struct argp_state *state)
{
	struct pos_args *a = state->input;

	if (key != ARGP_KEY_ARG)
		return ARGP_ERR_UNKNOWN;
	if (a->npos >= a->max)
		usage_die(a->ctx, "unexpected argument '%s'", arg);
	a->pos[a->npos++] = arg;
	return 0;
}

void vm_sel_arg(struct ctx *ctx, const char *s, struct vm_sel *sel)
{
	if (!s)
		usage_die(ctx, "missing VM (an id, or pid:PID)");
	if (parse_vm_sel(s, sel))
		usage_die(ctx, "'%s' is not a VM (an id, or pid:PID)", s);
}

/* --- help ----------------------------------------------------------------- */

static void list_cmds(FILE *f, const struct cmd *table, const char *prefix)
{
	for (const struct cmd *c = table; c->name; c++) {
		char left[160];

		if (c->sub) {
			list_cmds(f, c->sub, c->name);
			continue;
		}
		snprintf(left, sizeof(left), "%s%s%s%s%s", prefix ? prefix : "",
			 prefix ? " " : "", c->name, *c->args ? " " : "",
			 c->args);
		if (strlen(left) > 28)
			fprintf(f, "  %s\n  %-28s %s\n", left, "", c->summary);
		else
			fprintf(f, "  %-28s %s\n", left, c->summary);
	}
}

static char *help_filter(int key, const char *text, void *input)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	(void)input;
	if (key != ARGP_KEY_HELP_POST_DOC)
		return (char *)text;
	f = open_memstream(&buf, &len);
	if (!f)
		return (char *)text;
	fputs("Commands:\n", f);
	list_cmds(f, top_cmds, NULL);
	fprintf(f, "\nVM is a VM id as 'vm list' prints it, or pid:PID.\n"
		   "'%s COMMAND --help' shows the options of a command.\n"
		   "Exit status: 0 success, 1 the operation failed, 2 usage "
		   "error, 3 module not loaded or device missing, 4 permission "
		   "denied.\n",
		PROG_NAME);
	if (text)
		fprintf(f, "\n%s", text);
	fclose(f);
	return buf;
}

static void group_help(FILE *f, const struct cmd *group)
{
	fprintf(f, "Usage: %s [OPTION...] %s COMMAND [ARGS]\n\nCommands:\n",
		PROG_NAME, group->name);
	list_cmds(f, group->sub, group->name);
	fprintf(f, "\n'%s %s COMMAND --help' shows the options of a command.\n",
		PROG_NAME, group->name);
}

/* --- global options and dispatch ---------------------------------------- */

static const struct argp_option global_options[] = {
	{ "device", 'd', "PATH", 0,
	  "The device node (default " DEFAULT_DEVICE ")", 0 },
	{ 0 }
};

struct global_args {
	struct ctx	*ctx;
	int		cmd_index;	/* argv index of the command word */
};

static error_t global_parse(int key, char *arg, struct argp_state *state)
{
	struct global_args *g = state->input;

	switch (key) {
	case 'd':
		if (!*arg)
			usage_die(NULL, "--device needs a path");
		g->ctx->device = arg;
		return 0;
	case ARGP_KEY_ARG:
		/* the command word: stop here, the command parses the rest */
		g->cmd_index = state->next - 1;
		state->next = state->argc;
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

static const struct argp global_argp = {
	global_options, global_parse, "COMMAND [ARGS]...",
	"Administer the vfio_pasid kernel module: its PASID pool, the VMs "
	"using /dev/vfio-pasid, their quotas and the reclaim log.\v",
	out_children, help_filter, NULL
};

/* The same text as --help, options included; exits 0 */
static void print_global_help(void)
{
	char *args[] = { (char *)PROG_NAME, (char *)"--help", NULL };
	struct global_args g = { .ctx = cur_ctx, .cmd_index = -1 };

	cur_name[0] = '\0';
	argp_parse(&global_argp, 2, args, ARGP_IN_ORDER, NULL, &g);
	exit(EXIT_OK);
}

static bool is_help_word(const char *s)
{
	return !strcmp(s, "--help") || !strcmp(s, "-?") || !strcmp(s, "help");
}

static int dispatch(struct ctx *ctx, const struct cmd *table,
		    const struct cmd *group, int argc, char **argv)
{
	const struct cmd *c;
	char name[128];

	if (argc < 1 || !argv[0]) {
		if (!group)
			usage_die(NULL, "no command given");
		ctx->cmd = group->name;
		usage_die(ctx, "missing command");
	}
	c = cmd_lookup(table, argv[0]);
	if (!c) {
		if (group) {
			if (is_help_word(argv[0]) || !strcmp(argv[0], "--usage")) {
				group_help(stdout, group);
				return EXIT_OK;
			}
			ctx->cmd = group->name;
			usage_die(ctx, "unknown command '%s'", argv[0]);
		}
		usage_die(NULL, "unknown command '%s'", argv[0]);
	}
	snprintf(name, sizeof(name), "%s%s%s", group ? group->name : "",
		 group ? " " : "", c->name);
	if (c->sub)
		return dispatch(ctx, c->sub, c, argc - 1, argv + 1);
	ctx->cmd = xstrdup(name);
	/*
	 * No command takes a negative number, and getopt would read "-1" as
	 * option '1': say what it is, before the command parses (up to "--",
	 * after which hold's COMMAND takes what it likes)
	 */
	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
		if (argv[i][0] == '-' && isdigit((unsigned char)argv[i][1]))
			usage_die(ctx, "'%s': negative numbers are not taken",
				  argv[i]);
	return c->fn(ctx, argc, argv);
}

/* help [COMMAND [SUBCOMMAND]] */
static int cmd_help(struct ctx *ctx, int argc, char **argv)
{
	const struct cmd *c, *s;
	char *args[4];

	if (argc < 2) {
		print_global_help();
	}
	c = cmd_lookup(top_cmds, argv[1]);
	if (!c)
		usage_die(ctx, "unknown command '%s'", argv[1]);
	if (c->fn == cmd_help) {
		if (argc > 2)
			usage_die(ctx, "too many arguments");
		printf("Usage: %s help [COMMAND [SUBCOMMAND]]\n"
		       "Show the commands of %s, of a group of commands, or the options of one\n"
		       "command (the same as '%s COMMAND --help').\n",
		       PROG_NAME, PROG_NAME, PROG_NAME);
		return EXIT_OK;
	}
	if (c->sub && argc < 3) {
		group_help(stdout, c);
		return EXIT_OK;
	}
	if (argc > (c->sub ? 3 : 2))
		usage_die(ctx, "too many arguments");
	s = c->sub ? cmd_lookup(c->sub, argv[2]) : c;
	if (!s)
		usage_die(ctx, "unknown command '%s %s'", argv[1], argv[2]);
	/* let the command's own argp print its help */
	args[0] = (char *)PROG_NAME;
	args[1] = (char *)"--help";
	args[2] = NULL;
	ctx->cmd = c->sub ? xstrdup(argv[1]) : argv[1];
	if (c->sub) {
		char name[128];

		snprintf(name, sizeof(name), "%s %s", c->name, s->name);
		ctx->cmd = xstrdup(name);
	}
	return s->fn(ctx, 2, args);
}

int vfiopasidctl_main(int argc, char **argv)
{
	static struct ctx ctx = { .device = DEFAULT_DEVICE };
	struct global_args g = { .ctx = &ctx, .cmd_index = -1 };
	int ret;

	argp_err_exit_status = EXIT_USAGE;
	/* getopt names argv[0] in its messages: "vfiopasidctl: ..." */
	if (argc > 0)
		argv[0] = (char *)PROG_NAME;
	cur_ctx = &ctx;
	cur_name[0] = '\0';
	argp_parse(&global_argp, argc, argv, ARGP_IN_ORDER, NULL, &g);
	if (g.cmd_index < 0)
		usage_die(NULL, "no command given");
	ret = dispatch(&ctx, top_cmds, NULL, argc - g.cmd_index,
		       argv + g.cmd_index);
	vnl_close(&ctx);
	return out_finish(ret);
}
