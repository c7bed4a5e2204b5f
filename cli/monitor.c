// SPDX-License-Identifier: GPL-2.0
/*
 * vfiopasidctl monitor [--follow] - print the module's events until interrupted
 *
 * Copyright (C) 2026 The vfio-pasid authors
 *
 * Joins the "monitor" multicast group.  One line per event, flushed at once:
 *	<time> vm_new vm_id=3 pid=1234 comm=qemu quota=1000
 * or with -j one JSON object per line:
 *	{"event":"vm_new","time":"...","vm_id":3,...}
 * Events: vm_new, vm_del (with "reclaimed", the PASIDs taken back), quota
 * (a VM's quota, or with "default":true the default quota, changed),
 * reclaim (one per PASID reclaimed, timed by the kernel), limit_set and
 * limit_del; and lost, when the kernel dropped events because the socket's
 * buffer was full.  SIGINT or SIGTERM end it with status 0, and so does the
 * reader going away (a write fails with EPIPE, or a pipe on standard output
 * has no reader left); the module going away ends it with 3.
 *
 * With --follow the module going away is an event, module_unloaded, and the
 * monitor waits for the family to be registered again: nlctrl announces it
 * (and, in case that announcement is lost, the family is looked up every
 * few seconds); then it joins the new multicast group and says
 * module_loaded.  Started without the module, it waits in the same way,
 * without a line.
 */
#include <argp.h>
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <signal.h>
#include <stdio_ext.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "vfiopasidctl.h"
#include "error.h"
#include "nl.h"
#include "objects.h"

/* While the family is away, look it up this often (milliseconds) */
#define FOLLOW_POLL_MS	2000

struct monitor_args {
	struct ctx	*ctx;
	bool		follow;
	int		werr;		/* errno of a failed write of an event */
	int64_t		next_look;	/* when to look for the family (ms) */
};

/* CLOCK_MONOTONIC in milliseconds */
static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

enum { OPT_FOLLOW = 'f' };

static const struct argp_option monitor_options[] = {
	{ "follow", OPT_FOLLOW, NULL, 0,
	  "Keep running when the module is unloaded (module_unloaded), wait "
	  "for it to be loaded again (module_loaded) and go on; started "
	  "without the module, wait for it", 0 },
	{ 0 }
};

static error_t monitor_parse(int key, char *arg, struct argp_state *state)
{
	struct monitor_args *a = state->input;

	switch (key) {
	case OPT_FOLLOW:
		a->follow = true;
		return 0;
	case ARGP_KEY_ARG:
		usage_die(a->ctx, "unexpected argument '%s'", arg);
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

static const struct argp monitor_argp = {
	monitor_options, monitor_parse, "",
	"Print the module's events until interrupted (SIGINT, SIGTERM): VMs "
	"created (vm_new) and released (vm_del, with the number of PASIDs "
	"reclaimed), quotas changed (quota), PASIDs reclaimed (reclaim), limits "
	"per cgroup set (limit_set) and deleted (limit_del), and events the "
	"kernel dropped (lost).  One line per event; with --json one JSON "
	"object per line.  Without --follow, the module going away ends it "
	"with exit status 3.  It ends with status 0 when its reader goes "
	"away.  Needs CAP_NET_ADMIN.",
	NULL, NULL, NULL
};

static json_object *event_new(const char *name, uint64_t ns)
{
	json_object *o = jobj();

	jadd(o, "event", jstr(name));
	jadd(o, "time", jtime_ns(ns));
	return o;
}

/* vm_new and vm_del: the VM's id, pid and command name, then @last */
static json_object *vm_event_new(const char *name, uint64_t now,
				 struct nlattr **tb, const char *last, int attr)
{
	const struct attr_field fields[] = {
		{ "vm_id",	VFIO_PASID_A_VM_ID,	A_U32 },
		{ "pid",	VFIO_PASID_A_PID,	A_U32 },
		{ "comm",	VFIO_PASID_A_COMM,	A_STR },
		{ last,		attr,			A_U32 },
		{ NULL, 0, 0 }
	};
	json_object *o = event_new(name, now);

	add_attrs(o, tb, fields);
	return o;
}

/* Print @o (and drop it); a failed write is kept in m->werr */
static int emit(struct monitor_args *m, json_object *o)
{
	if (!m->werr)
		m->werr = out_event(m->ctx, o);
	json_object_put(o);
	return m->werr;
}

/* An event of the monitor's own: module_unloaded, module_loaded, lost */
static int emit_own(struct monitor_args *m, const char *name)
{
	return emit(m, event_new(name, now_realtime_ns()));
}

static int event_cb(uint8_t cmd, struct nlattr **tb, void *arg)
{
	struct monitor_args *m = arg;
	uint64_t now = now_realtime_ns();
	json_object *o;

	switch (cmd) {
	case VFIO_PASID_CMD_VM_NEW_NTF:
		o = vm_event_new("vm_new", now, tb, "quota", VFIO_PASID_A_QUOTA);
		break;
	case VFIO_PASID_CMD_VM_DEL_NTF:
		o = vm_event_new("vm_del", now, tb, "reclaimed",
				 VFIO_PASID_A_COUNT);
		break;
	case VFIO_PASID_CMD_QUOTA_NTF:
		o = event_new("quota", now);
		jadd(o, "default", jbool(!tb[VFIO_PASID_A_VM_ID]));
		if (tb[VFIO_PASID_A_VM_ID])
			jadd(o, "vm_id", attr_json(tb, VFIO_PASID_A_VM_ID, A_U32));
		jadd(o, "old_quota", attr_json(tb, VFIO_PASID_A_OLD_QUOTA, A_U32));
		jadd(o, "quota", attr_json(tb, VFIO_PASID_A_QUOTA, A_U32));
		break;
	case VFIO_PASID_CMD_RECLAIM_NTF: {
		json_object *rec = reclaim_obj(tb);

		o = event_new("reclaim", tb[VFIO_PASID_A_TIME_NS] ?
				 nla_get_u64(tb[VFIO_PASID_A_TIME_NS]) : now);
		json_object_object_foreach(rec, key, val) {
			if (strcmp(key, "time"))
				jadd(o, key, json_object_get(val));
		}
		json_object_put(rec);
		break;
	}
	case VFIO_PASID_CMD_LIMIT_SET_NTF:
	case VFIO_PASID_CMD_LIMIT_DEL_NTF: {
		json_object *lim = limit_obj(tb);

		o = event_new(cmd == VFIO_PASID_CMD_LIMIT_SET_NTF ?
			      "limit_set" : "limit_del", now);
		json_object_object_foreach(lim, key, val)
			jadd(o, key, json_object_get(val));
		json_object_put(lim);
		break;
	}
	default:
		return 0;	/* a newer module's event: not ours to print */
	}
	return emit(m, o);
}

/* Joining the group failed: the one line */
static int join_failed(struct ctx *ctx, int err)
{
	return nl_failure(ctx, err,
			  err == EPERM ? "run as root (the monitor's events name the processes of every user: it needs CAP_NET_ADMIN)" : NULL,
			  "%s: joining the multicast group '%s'",
			  ctx->cmd, VFIO_PASID_MCGRP_MONITOR);
}

/*
 * The family is away (--follow): join it again if it is back, and say so.
 * 0 (joined, or still away) or the exit status of a failure.
 */
static int rejoin(struct monitor_args *m)
{
	int err = vnl_subscribe(m->ctx, VFIO_PASID_MCGRP_MONITOR);

	m->next_look = now_ms() + FOLLOW_POLL_MS;
	if (err == ENOENT)
		return 0;
	if (err)
		return join_failed(m->ctx, err);
	emit_own(m, "module_loaded");
	return 0;
}

/*
 * The family subscribed to went away, as nlctrl said or as a look-up after
 * lost events showed.  Without --follow that ends the monitor (exit 3);
 * with it, say so, and join again at once if the family is already back.
 */
static int family_gone(struct monitor_args *m)
{
	struct ctx *ctx = m->ctx;

	if (!m->follow)
		return fail(EXIT_NOMOD, "%s: the module was unloaded", ctx->cmd);
	ctx->nl->gone = true;
	if (emit_own(m, "module_unloaded"))
		return 0;
	return rejoin(m);
}

/* Whether the descriptor of standard output says its reader has gone */
static bool reader_gone(const struct pollfd *p)
{
	return p->fd >= 0 && (p->revents & (POLLERR | POLLHUP));
}

/*
 * The reader went away: with SIGPIPE ignored (as systemd runs services) a
 * write fails with EPIPE.  A normal end: exit 0, nothing printed, and the
 * output not yet written is dropped, so that nothing fails at exit.
 */
static int reader_left(void)
{
	__fpurge(stdout);
	clearerr(stdout);
	return EXIT_OK;
}

static int monitor_loop(struct monitor_args *m, int sfd)
{
	struct ctx *ctx = m->ctx;
	struct pollfd pfd[3];
	int err, ret, n, timeout;

	pfd[0] = (struct pollfd){ .fd = vnl_fd(ctx), .events = POLLIN };
	pfd[1] = (struct pollfd){ .fd = sfd, .events = POLLIN };
	/* no events asked: POLLERR (a pipe without reader) or POLLHUP only */
	pfd[2] = (struct pollfd){ .fd = STDOUT_FILENO, .events = 0 };
	for (;;) {
		if (m->werr == EPIPE)
			return reader_left();
		if (m->werr)
			return fail_errno(m->werr, NULL, NULL,
					  "%s: writing the events", ctx->cmd);
		timeout = -1;
		if (ctx->nl->gone) {
			/* the family is away: time to look whether it is back? */
			int64_t left = m->next_look - now_ms();

			if (left <= 0) {
				ret = rejoin(m);
				if (ret)
					return ret;
				continue;
			}
			timeout = (int)left;
		}
		n = poll(pfd, 3, timeout);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return fail_errno(errno, NULL, NULL, "%s: poll",
					  ctx->cmd);
		}
		if (pfd[1].revents)
			return EXIT_OK;		/* SIGINT or SIGTERM: done */
		if (reader_gone(&pfd[2]))
			return reader_left();
		if (pfd[2].revents & POLLNVAL)
			pfd[2].fd = -1;		/* no standard output: writes say */
		if (!pfd[0].revents)
			continue;
		err = vnl_recv_events(ctx, event_cb, m);
		if (m->werr)
			continue;
		if (err == ENODEV && ctx->nl->gone) {
			ret = family_gone(m);
		} else if (err == ENOBUFS) {
			/*
			 * The kernel dropped events: say so, and go on.  Had
			 * the family gone (and come back) among them, nlctrl's
			 * word on it may be lost too: ask.
			 */
			if (emit_own(m, "lost"))
				continue;
			ret = 0;
			if (ctx->nl->gone)
				ret = m->follow ? rejoin(m) : 0;
			else if (!vnl_family_current(ctx))
				ret = family_gone(m);
		} else if (err) {
			ret = nl_failure(ctx, err, NULL, "%s", ctx->cmd);
		} else if (ctx->nl->came >= 0) {
			/*
			 * The family was registered again: join it, or, if
			 * its removal went unannounced, that first
			 */
			if (!ctx->nl->gone)
				ret = family_gone(m);
			else
				ret = m->follow ? rejoin(m) : 0;
		} else {
			ret = 0;
		}
		if (ret)
			return ret;
	}
}

int cmd_monitor(struct ctx *ctx, int argc, char **argv)
{
	struct monitor_args m = { .ctx = ctx };
	sigset_t mask;
	int sfd, err, ret;

	cmd_parse(ctx, &monitor_argp, argc, argv, &m);
	ret = m.follow ? vnl_connect(ctx) : vnl_open(ctx);
	if (ret)
		return ret;
	err = vnl_subscribe(ctx, VFIO_PASID_MCGRP_MONITOR);
	if (err == ENOENT && !m.follow && ctx->nl->gone)
		return fail(EXIT_NOMOD, MSG_NOT_LOADED);
	if (err && !(err == ENOENT && m.follow))
		return join_failed(ctx, err);
	m.next_look = now_ms() + FOLLOW_POLL_MS;

	/*
	 * A shell starts background jobs with SIGINT ignored; "until SIGINT"
	 * must hold there too.  The signals are blocked and read from a
	 * signalfd, so the default action never runs.
	 */
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (sfd < 0)
		return fail_errno(errno, NULL, NULL, "%s: signalfd", ctx->cmd);
	ret = monitor_loop(&m, sfd);
	close(sfd);
	return ret;
}
