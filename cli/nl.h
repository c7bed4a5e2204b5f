/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vfiopasidctl - the generic netlink core
 *
 * Copyright (C) 2026 The vfio-pasid authors
 *
 * One socket per run, the family resolved once.  Requests keep the raw
 * errno and the kernel's extended-ack text, so that commands can say what
 * went wrong in words.
 */
#ifndef VFIOPASIDCTL_NL_H
#define VFIOPASIDCTL_NL_H

#include <stdbool.h>
#include <stdint.h>

#include <netlink/attr.h>
#include <netlink/msg.h>

#include <linux/vfio_pasid_netlink.h>

#include "parse.h"

struct ctx;

struct nl {
	struct nl_sock	*sk;
	int		family;
	int		err;		/* positive errno of the last request */
	char		extack[256];	/* its extended-ack message, or "" */
	bool		done;
	bool		gone;		/* the family was unregistered */
	bool		intr;		/* a dump's list changed while read */
	bool		watching;	/* nlctrl's "notify" group joined */
	int		came;		/* a new registration of the family
					 * (its id) just announced, else -1 */
};

/*
 * Connect and resolve the family.  On failure prints the one-line message
 * ("module not loaded: run 'vfiopasidctl module load'") and returns the
 * exit status; 0 on success, ctx->nl set.  Idempotent.
 */
int vnl_open(struct ctx *ctx);
void vnl_close(struct ctx *ctx);

/* Is the family registered?  Without messages; for status. */
bool vnl_try_open(struct ctx *ctx);

/*
 * Only the socket, without the family (nl->gone set): for a monitor that
 * waits for the module.  Prints the failure and returns the exit status.
 */
int vnl_connect(struct ctx *ctx);

/*
 * Called for every reply message with its command and its attributes
 * (tb[VFIO_PASID_A_MAX + 1]).  Return 0 to go on, or a positive errno to
 * stop the request with that error.
 */
typedef int (*vnl_reply_fn)(uint8_t cmd, struct nlattr **tb, void *arg);

/* A new request message for @cmd; @dump adds NLM_F_DUMP */
struct nl_msg *vnl_msg_new(struct ctx *ctx, uint8_t cmd, bool dump);

/* Put the VM selector as VFIO_PASID_A_VM_ID or VFIO_PASID_A_PID */
/* A dump request of @cmd, of VM @vm_id only when it is not 0 */
struct nl_msg *vnl_dump_of_vm(struct ctx *ctx, uint8_t cmd, uint32_t vm_id);
int vnl_put_vm_sel(struct nl_msg *msg, const struct vm_sel *sel);

/*
 * Send @msg (consumed) and receive until the ACK or the end of the dump,
 * calling @fn for each reply.  Returns 0 or a positive errno; the
 * extended-ack text is in ctx->nl->extack.
 */
int vnl_exec(struct ctx *ctx, struct nl_msg *msg, vnl_reply_fn fn, void *arg);

/*
 * Join nlctrl's "notify" group (once), then resolve the family again and
 * join its multicast group @group; nl->family is the family's id now.
 * The names are resolved on a socket of their own, so no reply ever lands
 * among the events.  0, or a positive errno: ENOENT (and nl->gone) when
 * the family is not registered, EPERM without CAP_NET_ADMIN.  After it the
 * socket serves events only.
 */
int vnl_subscribe(struct ctx *ctx, const char *group);

/*
 * Whether the family registered now is the one subscribed to (the same
 * id), asked on a socket of its own; for when notifications were lost.
 */
bool vnl_family_current(struct ctx *ctx);

/* The socket's descriptor, for poll() */
int vnl_fd(struct ctx *ctx);

/*
 * Receive one datagram of notifications on a subscribed socket, calling
 * @fn per notification.  0, or a positive errno: ENOBUFS when events were
 * lost, ENODEV (and nl->gone) when the family subscribed to was
 * unregistered.  A new registration of the family (the module loaded
 * again) sets nl->came to its id and returns 0; one of the family already
 * subscribed to is ignored.
 */
int vnl_recv_events(struct ctx *ctx, vnl_reply_fn fn, void *arg);

/* Attribute getters that tolerate absence */
static inline bool vnl_has(struct nlattr **tb, int a)
{
	return tb[a] != NULL;
}

#endif /* VFIOPASIDCTL_NL_H */
