/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vfiopasidctl - shared definitions: the run context and the command table
 *
 * Copyright (C) 2026 The vfio-pasid authors
 */
#ifndef VFIOPASIDCTL_H
#define VFIOPASIDCTL_H

#include <stdbool.h>

#ifndef VFIOPASIDCTL_VERSION
#define VFIOPASIDCTL_VERSION "0.1.0"
#endif

#define PROG_NAME		"vfiopasidctl"
#define DEFAULT_DEVICE		"/dev/vfio-pasid"
#define MODULE_NAME		"vfio_pasid"
#define SYSFS_MODULE_DIR	"/sys/module/" MODULE_NAME

/* Exit statuses (SPEC section 7) */
enum {
	EXIT_OK		= 0,	/* success */
	EXIT_FAIL	= 1,	/* the operation failed, the kernel refused it */
	EXIT_USAGE	= 2,	/* usage error */
	EXIT_NOMOD	= 3,	/* module not loaded, or device missing */
	EXIT_PERM	= 4,	/* permission denied */
};

struct nl;

/* Everything a command needs to know about the global options */
struct ctx {
	bool		json;		/* -j */
	bool		pretty;		/* -p, implies json */
	const char	*device;	/* -d */
	const char	*cmd;		/* "vm show": the command words */
	struct nl	*nl;		/* opened on demand by vnl_open() */
};

/*
 * A command: @argv[0] is the command's full name ("vfiopasidctl vm show")
 * and the rest are its arguments.  Returns an exit status.
 */
typedef int (*cmd_fn)(struct ctx *ctx, int argc, char **argv);

struct cmd {
	const char		*name;
	cmd_fn			fn;	/* NULL for a group */
	const struct cmd	*sub;	/* subcommands of a group */
	const char		*args;	/* argument synopsis, for help */
	const char		*summary;
};

/* Exact keyword lookup, no prefix matching.  NULL when unknown. */
const struct cmd *cmd_lookup(const struct cmd *table, const char *name);

/* The command tables, in cli.c */
extern const struct cmd top_cmds[];

/* Entry point (everything but main()); returns the exit status */
int vfiopasidctl_main(int argc, char **argv);

/*
 * Parse a command's own options with @argp.  Takes care of the shared
 * output options (-j, -p) so they work after the command word too, of exit
 * statuses and of one-line error messages.
 */
struct argp;
struct argp_state;
void cmd_parse(struct ctx *ctx, const struct argp *argp, int argc,
	       char **argv, void *input);

/*
 * Positional arguments of a command, for cmd_parse(): at most @max of them
 * (up to 2), a usage error beyond.  pos_parse is the argp parser.
 */
struct pos_args {
	struct ctx	*ctx;
	const char	*pos[2];
	int		npos;
	int		max;
};

int pos_parse(int key, char *arg, struct argp_state *state);

/* A VM argument (an id, or pid:PID); a usage error when missing or bad */
struct vm_sel;
void vm_sel_arg(struct ctx *ctx, const char *s, struct vm_sel *sel);

/* Command handlers */
int cmd_status(struct ctx *ctx, int argc, char **argv);
int cmd_caps(struct ctx *ctx, int argc, char **argv);
int cmd_module_show(struct ctx *ctx, int argc, char **argv);
int cmd_module_load(struct ctx *ctx, int argc, char **argv);
int cmd_module_unload(struct ctx *ctx, int argc, char **argv);
int cmd_vm_list(struct ctx *ctx, int argc, char **argv);
int cmd_vm_show(struct ctx *ctx, int argc, char **argv);
int cmd_quota_get(struct ctx *ctx, int argc, char **argv);
int cmd_quota_set(struct ctx *ctx, int argc, char **argv);
int cmd_quota_default(struct ctx *ctx, int argc, char **argv);
int cmd_limit_set(struct ctx *ctx, int argc, char **argv);
int cmd_limit_del(struct ctx *ctx, int argc, char **argv);
int cmd_limit_list(struct ctx *ctx, int argc, char **argv);
int cmd_config_show(struct ctx *ctx, int argc, char **argv);
int cmd_config_apply(struct ctx *ctx, int argc, char **argv);
int cmd_pasid_list(struct ctx *ctx, int argc, char **argv);
int cmd_reclaimed(struct ctx *ctx, int argc, char **argv);
int cmd_monitor(struct ctx *ctx, int argc, char **argv);
int cmd_metrics(struct ctx *ctx, int argc, char **argv);
int cmd_hold(struct ctx *ctx, int argc, char **argv);

#endif /* VFIOPASIDCTL_H */
