// SPDX-License-Identifier: GPL-2.0
/*
 * vfiopasidctl hold - act as a VM, for drills and scripts
 *
 * Copyright (C) 2026 The vfio-pasid authors
 *
 *	hold [-n COUNT] [--min N] [--max N] [--group N]... [-- COMMAND [ARGS]]
 *
 * Opens the device (close-on-exec: COMMAND does not inherit it), attaches
 * the VFIO groups, allocates COUNT PASIDs, prints its VM id on one line and
 * its PASIDs on the next (with -j one line {"hold":{"vm_id":N,"pasids":[..]}})
 * and flushes; then runs COMMAND and exits with its status, or without
 * COMMAND waits for SIGINT, SIGTERM or the end of standard input and exits 0.
 * The VM ends when hold does, and the kernel reclaims its PASIDs.
 */
#include <argp.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/vfio_pasid.h>

#include "vfiopasidctl.h"
#include "error.h"
#include "kmodule.h"
#include "objects.h"
#include "output.h"
#include "parse.h"
#include "vfio.h"

struct hold_args {
	struct ctx	*ctx;
	uint32_t	count;
	uint32_t	min, max;
	bool		have_min, have_max;
	uint32_t	groups[MAX_GROUPS];
	int		ngroups;
	char		**cmd;		/* COMMAND [ARGS], NULL-terminated */
};

enum { OPT_MIN = 0x200, OPT_MAX, OPT_GROUP };

static const struct argp_option hold_options[] = {
	{ "count", 'n', "COUNT", 0, "Allocate COUNT PASIDs (default 1)", 0 },
	{ "min", OPT_MIN, "N", 0,
	  "Lowest PASID to accept (default: the module's pasid_min)", 0 },
	{ "max", OPT_MAX, "N", 0,
	  "Highest PASID to accept (default: the module's pasid_max)", 0 },
	{ "group", OPT_GROUP, "N", 0,
	  "Attach VFIO group N (/dev/vfio/N) first; may be repeated", 0 },
	{ 0 }
};

static uint32_t num(struct hold_args *a, const char *opt, const char *s)
{
	uint32_t v;

	if (parse_u32(s, &v))
		usage_die(a->ctx, "%s '%s' is not a number", opt, s);
	return v;
}

static error_t hold_parse(int key, char *arg, struct argp_state *state)
{
	struct hold_args *a = state->input;

	switch (key) {
	case 'n':
		a->count = num(a, "--count", arg);
		return 0;
	case OPT_MIN:
		a->min = num(a, "--min", arg);
		a->have_min = true;
		return 0;
	case OPT_MAX:
		a->max = num(a, "--max", arg);
		a->have_max = true;
		return 0;
	case OPT_GROUP:
		group_arg_add(a->ctx, a->groups, &a->ngroups,
			      num(a, "--group", arg));
		return 0;
	case ARGP_KEY_ARG:
		/* COMMAND: it and everything after it are its own */
		a->cmd = &state->argv[state->next - 1];
		state->next = state->argc;
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

static const struct argp hold_argp = {
	hold_options, hold_parse, "[-- COMMAND [ARGS]...]",
	"Act as a VM: open the device, attach VFIO groups, allocate PASIDs, "
	"print the VM id (first line) and the PASIDs (second line, separated "
	"by spaces), then run COMMAND and exit with its status, or, without "
	"COMMAND, wait for SIGINT, SIGTERM or the end of standard input.  The "
	"VM ends, and its PASIDs are reclaimed, when hold exits or is killed.",
	NULL, NULL, NULL
};

/*
 * Open /dev/vfio/N, keep it open (close-on-exec), put it into a container
 * as a VMM would, attach it
 */
static int attach_group(struct ctx *ctx, int fd, uint32_t group)
{
	int gfd, ret;

	ret = vfio_group_open(ctx, group, &gfd);
	if (ret)
		return ret;
	ret = vfio_group_contain(ctx, group, gfd);
	if (!ret)
		ret = pasid_attach_group(ctx, fd, group, gfd);
	if (ret)
		close(gfd);
	/* the group stays open, and attached, as long as we run */
	return ret;
}

static int get_info(int fd, struct vfio_pasid_info *info)
{
	memset(info, 0, sizeof(*info));
	info->argsz = sizeof(*info);
	return ioctl(fd, VFIO_PASID_GET_INFO, info);
}

static int alloc_failed(struct ctx *ctx, int fd, int err, uint32_t i,
			const struct hold_args *a)
{
	struct vfio_pasid_info info;
	uint32_t used, max;
	char path[4096];

	if (err == ENOSPC) {
		if (!get_info(fd, &info) && info.count >= info.quota)
			return fail(EXIT_FAIL,
				    "%s: allocating PASID %u of %u: the quota of VM %u is used up (it holds %u of %u): raise it with 'vfiopasidctl quota set %u N'",
				    ctx->cmd, i + 1, a->count, info.vm_id,
				    info.count, info.quota, info.vm_id);
		if (!get_info(fd, &info) &&
		    limit_full(ctx, info.vm_id, path, sizeof(path), &used, &max))
			return fail(EXIT_FAIL,
				    "%s: allocating PASID %u of %u: the PASID limit of cgroup %s is used up (its VMs hold %u of %u): raise it with 'vfiopasidctl limit set %s N'",
				    ctx->cmd, i + 1, a->count, path, used, max,
				    path);
		return fail(EXIT_FAIL,
			    "%s: allocating PASID %u of %u: the PASID pool is exhausted: no PASID is free in %u-%u",
			    ctx->cmd, i + 1, a->count, a->min, a->max);
	}
	if (err == EINVAL)
		return fail(EXIT_FAIL,
			    "%s: allocating PASIDs in %u-%u: invalid range: it must lie within the module's pasid_min-pasid_max",
			    ctx->cmd, a->min, a->max);
	return fail_errno(err, NULL, NULL, "%s: allocating PASID %u of %u",
			  ctx->cmd, i + 1, a->count);
}

static void print_hold(struct ctx *ctx, uint32_t vm_id, const uint32_t *p,
		       uint32_t n)
{
	if (ctx->json || ctx->pretty) {
		json_object *head = jobj();
		struct out_list *l;

		json_object_object_add(head, "vm_id", jnum(vm_id));
		l = out_list_begin(ctx, "hold", head, "pasids", NULL);
		for (uint32_t i = 0; i < n; i++)
			out_list_add(l, jnum(p[i]));
		out_list_end(l);
		json_object_put(head);
		return;
	}
	printf("%u\n", vm_id);
	for (uint32_t i = 0; i < n; i++)
		printf(i ? " %u" : "%u", p[i]);
	putchar('\n');
	fflush(stdout);
}

/* The dispositions hold found, for COMMAND */
static struct sigaction old_int, old_term;

static int signal_fd(sigset_t *old)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	sigset_t mask;

	/*
	 * A shell starts background jobs with SIGINT ignored; "until SIGINT"
	 * must hold there too.  The signals are blocked and read from a
	 * signalfd, so the default action never runs.
	 */
	sigaction(SIGINT, &dfl, &old_int);
	sigaction(SIGTERM, &dfl, &old_term);

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_BLOCK, &mask, old);
	return signalfd(-1, &mask, SFD_CLOEXEC);
}

/* Wait for SIGINT, SIGTERM or the end of standard input */
static int wait_for_end(int sfd)
{
	struct pollfd pfd[2] = {
		{ .fd = sfd, .events = POLLIN },
		{ .fd = STDIN_FILENO, .events = POLLIN },
	};
	char buf[4096];

	for (;;) {
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return EXIT_OK;
		}
		if (pfd[0].revents) {
			struct signalfd_siginfo si;

			if (read(sfd, &si, sizeof(si)) == sizeof(si) &&
			    si.ssi_signo == SIGCHLD)
				continue;
			return EXIT_OK;
		}
		if (pfd[1].revents & POLLNVAL)
			return EXIT_OK;	/* no standard input at all */
		if (pfd[1].revents) {
			ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));

			if (n <= 0)
				return EXIT_OK;
		}
	}
}

/* Run COMMAND, pass SIGINT and SIGTERM on, exit with its status */
static int run_command(struct ctx *ctx, int sfd, const sigset_t *old,
		       char **cmd)
{
	pid_t pid;
	int st;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return fail_errno(errno, NULL, NULL, "%s: fork", ctx->cmd);
	if (!pid) {
		sigaction(SIGINT, &old_int, NULL);
		sigaction(SIGTERM, &old_term, NULL);
		sigprocmask(SIG_SETMASK, old, NULL);
		execvp(cmd[0], cmd);
		fail_errno(errno, NULL, NULL, "%s: cannot run '%s'", ctx->cmd,
			   cmd[0]);
		_exit(errno == ENOENT ? 127 : 126);
	}
	for (;;) {
		struct signalfd_siginfo si;
		pid_t w;

		w = waitpid(pid, &st, WNOHANG);
		if (w == pid)
			break;
		if (w < 0 && errno != EINTR)
			return fail_errno(errno, NULL, NULL, "%s: waiting for '%s'",
					  ctx->cmd, cmd[0]);
		if (read(sfd, &si, sizeof(si)) != sizeof(si))
			continue;
		if (si.ssi_signo == SIGINT || si.ssi_signo == SIGTERM)
			kill(pid, (int)si.ssi_signo);
	}
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	return 128 + WTERMSIG(st);
}

int cmd_hold(struct ctx *ctx, int argc, char **argv)
{
	struct hold_args a = { .ctx = ctx, .count = 1 };
	struct vfio_pasid_info info;
	uint32_t *pasids;
	sigset_t old;
	int fd, sfd, ret;

	cmd_parse(ctx, &hold_argp, argc, argv, &a);
	if (a.have_min && a.have_max && a.min > a.max)
		usage_die(ctx, "--min %u is above --max %u", a.min, a.max);
	if (a.cmd && !a.cmd[0][0])
		usage_die(ctx, "the COMMAND is empty");

	ret = pasid_device_open(ctx, &fd);
	if (ret)
		return ret;
	if (!a.have_min && !mod_param_u32("pasid_min", &a.min))
		a.min = 1;
	if (!a.have_max && !mod_param_u32("pasid_max", &a.max))
		a.max = 0xFFFFF;

	for (int i = 0; i < a.ngroups; i++) {
		ret = attach_group(ctx, fd, a.groups[i]);
		if (ret)
			return ret;
	}

	pasids = calloc(a.count ? a.count : 1, sizeof(*pasids));
	if (!pasids)
		return fail_errno(ENOMEM, NULL, NULL, "%s", ctx->cmd);
	for (uint32_t i = 0; i < a.count; i++) {
		struct vfio_iommu_type1_pasid_request req = {
			.argsz = sizeof(req),
			.flags = VFIO_IOMMU_PASID_ALLOC,
			.alloc_pasid = { .min = a.min, .max = a.max },
		};

		if (ioctl(fd, VFIO_IOMMU_PASID_REQUEST, &req) < 0) {
			ret = alloc_failed(ctx, fd, errno, i, &a);
			free(pasids);
			return ret;
		}
		pasids[i] = req.alloc_pasid.result;
	}
	if (get_info(fd, &info) < 0)
		return fail_errno(errno, NULL, NULL, "%s: getting the VM id",
				  ctx->cmd);

	sfd = signal_fd(&old);
	if (sfd < 0)
		return fail_errno(errno, NULL, NULL, "%s: signalfd", ctx->cmd);
	print_hold(ctx, info.vm_id, pasids, a.count);
	free(pasids);
	if (ferror(stdout))
		return fail(EXIT_FAIL, "%s: writing the output failed",
			    ctx->cmd);

	if (a.cmd)
		ret = run_command(ctx, sfd, &old, a.cmd);
	else
		ret = wait_for_end(sfd);
	close(sfd);
	close(fd);
	return ret;
}
