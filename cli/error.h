/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vfiopasidctl - error messages and exit statuses
 *
 * Copyright (C) 2026 The vfio-pasid authors
 *
 * Every failure prints exactly one line on stderr:
 *
 *	vfiopasidctl: <what failed>: <why, in words>[: <what to do>]
 *
 * and maps to one exit status (vfiopasidctl.h).  No bare errno numbers.
 */
#ifndef VFIOPASIDCTL_ERROR_H
#define VFIOPASIDCTL_ERROR_H

#include <stddef.h>
#include <stdnoreturn.h>

struct ctx;

#define PRINTF(a, b) __attribute__((format(printf, a, b)))

/* The exit status for a failure with (positive) errno @err */
int exit_for_errno(int err);

/* strerror() in lower case ("operation not permitted"), thread-safe */
const char *errno_words(int err, char *buf, size_t len);

/* "vfiopasidctl: <fmt>"; returns @code */
int fail(int code, const char *fmt, ...) PRINTF(2, 3);

/*
 * "vfiopasidctl: <fmt>: <extack> (<errno words>)[: <hint>]" when the kernel
 * gave an extended-ack message, else "vfiopasidctl: <fmt>: <errno words>
 * [: <hint>]".  @extack and @hint may be NULL.  Returns exit_for_errno(err).
 */
int fail_errno(int err, const char *extack, const char *hint,
	       const char *fmt, ...) PRINTF(4, 5);

/* "vfiopasidctl: <cmd>: <fmt> (try 'vfiopasidctl <cmd> --help')", exit 2 */
noreturn void usage_die(const struct ctx *ctx, const char *fmt, ...)
	PRINTF(2, 3);

/* "vfiopasidctl: out of memory", exit 1 */
noreturn void oom_die(void);
char *xstrdup(const char *s);
void *xcalloc(size_t n, size_t size);

/*
 * Standard output through a stream that keeps the errno of a failed write:
 * out_finish() flushes it and, when a write failed, says so in one line with
 * the errno in words and turns a success @status into 1 (a reader that went
 * away, EPIPE, is not told: it chose to stop).  The exit() paths are checked
 * the same way.
 */
void out_stream_init(void);
int out_finish(int status);

/* "vfiopasidctl: warning: <fmt>": something went wrong, but we go on */
void warn(const char *fmt, ...) PRINTF(1, 2);

/* The hint for EPERM/EACCES on a change made over netlink */
#define HINT_NET_ADMIN	"run as root (changes need CAP_NET_ADMIN)"
#define HINT_LOAD	"run 'vfiopasidctl module load'"
#define MSG_NOT_LOADED	"module not loaded: " HINT_LOAD

#endif /* VFIOPASIDCTL_ERROR_H */
