// SPDX-License-Identifier: GPL-2.0
/*
 * vfiopasidctl monitor - print the module's events until interrupted
 *
 * Copyright (C) 2026 The vfio-pasid authors
 *
 * Joins the "monitor" multicast group.  One line per event, flushed at once:
 *	<time> vm_new vm_id=3 pid=1234 comm=qemu quota=1000
 * or with -j one JSON object per line:
 *	{"event":"vm_new","time":"...","vm_id":3,...}
 * Events: vm_new, vm_del (with "reclaimed", the PASIDs taken back), quota
 * (a VM's quota, or with "default":true the default quota, changed) and
 * reclaim (one per PASID reclaimed, timed by the kernel).  SIGINT or
 * SIGTERM end it with status 0; the module going away ends it with 3.
 */
#include <argp.h>
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "vfiopasidctl.h"
#include "error.h"
#include "nl.h"
#include "objects.h"

static const struct argp monitor_argp = {
	NULL, NULL, "",
	"Print the module's events until interrupted (SIGINT, SIGTERM): VMs "
	"created (vm_new) and released (vm_del, with the number of PASIDs "
	"reclaimed), quotas changed (quota), PASIDs reclaimed (reclaim), limits "
	"per cgroup set (limit_set) and deleted (limit_del).  One "
	"line per event; with --json one JSON object per line.",
	NULL, NULL, NULL
};

static json_object *event_new(const char *name, uint64_t ns)
{
	json_object *o = json_object_new_object();

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

static int event_cb(uint8_t cmd, struct nlattr **tb, void *arg)
{
	struct ctx *ctx = arg;
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
	out_event(ctx, o);
	json_object_put(o);
	return 0;
}

int cmd_monitor(struct ctx *ctx, int argc, char **argv)
{
	struct pollfd pfd[2];
	sigset_t mask;
	int sfd, err, ret;

	cmd_parse(ctx, &monitor_argp, argc, argv, NULL);
	ret = vnl_open(ctx);
	if (ret)
		return ret;
	err = vnl_subscribe(ctx, VFIO_PASID_MCGRP_MONITOR);
	if (err)
		return nl_failure(ctx, err,
				  err == EPERM ? "run as root (the monitor's events name the processes of every user: it needs CAP_NET_ADMIN)" : NULL,
				  "%s: joining the multicast group '%s'",
				  ctx->cmd, VFIO_PASID_MCGRP_MONITOR);

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

	pfd[0] = (struct pollfd){ .fd = vnl_fd(ctx), .events = POLLIN };
	pfd[1] = (struct pollfd){ .fd = sfd, .events = POLLIN };
	for (;;) {
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			ret = fail_errno(errno, NULL, NULL, "%s: poll",
					 ctx->cmd);
			break;
		}
		if (pfd[1].revents)
			break;		/* SIGINT or SIGTERM: done */
		if (!pfd[0].revents)
			continue;
		err = vnl_recv_events(ctx, event_cb, ctx);
		if (err && ctx->nl->gone) {
			ret = fail(EXIT_NOMOD, "%s: the module was unloaded",
				   ctx->cmd);
			break;
		}
		if (err == ENOBUFS) {
			/* the kernel dropped events: say so, and go on */
			warn("%s: events were lost: the receive buffer overflowed",
			     ctx->cmd);
			continue;
		}
		if (err) {
			ret = nl_failure(ctx, err, NULL, "%s", ctx->cmd);
			break;
		}
	}
	close(sfd);
	return ret;
}
