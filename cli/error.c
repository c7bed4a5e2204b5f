// SPDX-License-Identifier: GPL-2.0
/*
 * vfiopasidctl - error messages and exit statuses
 *
 * Copyright (C) 2026 The vfio-pasid authors
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vfiopasidctl.h"
#include "error.h"

int exit_for_errno(int err)
{
	switch (err) {
	case 0:
		return EXIT_OK;
	case EPERM:
	case EACCES:
		return EXIT_PERM;
	default:
		return EXIT_FAIL;
	}
}

const char *errno_words(int err, char *buf, size_t len)
{
	const char *s;

	if (!len)
		return "";
	/* A few errnos whose strerror() text misleads in our context */
	switch (err) {
	case ENOTTY:
		s = "not supported by this version of the module";
		break;
	case EOPNOTSUPP:
		s = "operation not supported";
		break;
	default:
		s = strerrordesc_np(err);
		break;
	}
	if (!s) {
		snprintf(buf, len, "unknown error %d", err);
		return buf;
	}
	snprintf(buf, len, "%s", s);
	/* "Operation not permitted" -> "operation not permitted", keep "I/O" */
	if (isupper((unsigned char)buf[0]) && !isupper((unsigned char)buf[1]) &&
	    buf[1] != '/')
		buf[0] = (char)tolower((unsigned char)buf[0]);
	return buf;
}

static void vline(const char *fmt, va_list ap)
{
	char line[2048];

	vsnprintf(line, sizeof(line), fmt, ap);
	/* exactly one line, whatever the pieces contained */
	for (char *p = line; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	fflush(stdout);
	fprintf(stderr, "%s: %s\n", PROG_NAME, line);
}

int fail(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vline(fmt, ap);
	va_end(ap);
	return code;
}

void warn(const char *fmt, ...)
{
	char line[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fail(0, "warning: %s", line);
}

int fail_errno(int err, const char *extack, const char *hint,
	       const char *fmt, ...)
{
	char what[1024], words[128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	errno_words(err, words, sizeof(words));

	if (extack && *extack)
		fail(0, "%s: %s (%s)%s%s", what, extack, words,
		     hint ? ": " : "", hint ? hint : "");
	else
		fail(0, "%s: %s%s%s", what, words,
		     hint ? ": " : "", hint ? hint : "");
	return exit_for_errno(err);
}

noreturn void usage_die(const struct ctx *ctx, const char *fmt, ...)
{
	const char *cmd = ctx && ctx->cmd ? ctx->cmd : NULL;
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (cmd)
		fail(0, "%s: %s (try '%s %s --help')", cmd, msg, PROG_NAME,
		     cmd);
	else
		fail(0, "%s (try '%s --help')", msg, PROG_NAME);
	exit(EXIT_USAGE);
}

noreturn void oom_die(void)
{
	fputs(PROG_NAME ": out of memory\n", stderr);
	exit(EXIT_FAIL);
}

char *xstrdup(const char *s)
{
	char *p = strdup(s);

	if (!p)
		oom_die();
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n, size);

	if (!p)
		oom_die();
	return p;
}

/* --- standard output: a write that fails is told, with its errno --------- */

static int out_errno;
static bool out_told;

static ssize_t out_write(void *cookie, const char *buf, size_t size)
{
	size_t done = 0;

	(void)cookie;
	while (done < size) {
		ssize_t n = write(STDOUT_FILENO, buf + done, size - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			if (!out_errno)
				out_errno = errno;
			return -1;
		}
		done += (size_t)n;
	}
	return (ssize_t)size;
}

int out_finish(int status)
{
	char words[128];

	if (fflush(stdout) != EOF && !ferror(stdout))
		return status;
	/* a reader that went away (SIGPIPE ignored) chose to stop reading */
	if (out_errno == EPIPE || out_told)
		return status;
	out_told = true;
	errno_words(out_errno ? out_errno : EIO, words, sizeof(words));
	fail(0, "writing the output: %s", words);
	return status ? status : EXIT_FAIL;
}

/* For the ways out through exit() (help, usage errors): the same check */
static void out_at_exit(void)
{
	if (!out_told && out_finish(EXIT_OK) != EXIT_OK)
		_exit(EXIT_FAIL);
}

void out_stream_init(void)
{
	static const cookie_io_functions_t io = { .write = out_write };
	FILE *f = fopencookie(NULL, "w", io);

	if (!f)
		return;
	setvbuf(f, NULL, isatty(STDOUT_FILENO) ? _IOLBF : _IOFBF, BUFSIZ);
	stdout = f;
	atexit(out_at_exit);
}
