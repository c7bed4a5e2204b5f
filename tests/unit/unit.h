/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A tiny TAP harness for the host unit tests of vfiopasidctl.
 *
 * Copyright (C) 2026 The vfio-pasid authors
 *
 *	OK(cond, "description %d", n);	one test point
 *	EQ_STR(got, want, "description");
 *	EQ_INT(got, want, "description");
 *	return unit_done();		prints the plan, exit status
 */
#ifndef VFIOPASIDCTL_UNIT_H
#define VFIOPASIDCTL_UNIT_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int unit_n, unit_failed;

static inline int unit_ok(int cond, const char *file, int line,
			  const char *fmt, ...)
{
	va_list ap;

	printf("%s %d - ", cond ? "ok" : "not ok", ++unit_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!cond) {
		unit_failed++;
		printf("#   at %s:%d\n", file, line);
	}
	fflush(stdout);
	return cond;
}

#define OK(cond, ...) unit_ok(!!(cond), __FILE__, __LINE__, __VA_ARGS__)

#define EQ_STR(got, want, ...)						\
	do {								\
		const char *g_ = (got), *w_ = (want);			\
		if (!OK(g_ && w_ && !strcmp(g_, w_), __VA_ARGS__))	\
			printf("#   got:  '%s'\n#   want: '%s'\n",	\
			       g_ ? g_ : "(null)", w_ ? w_ : "(null)");	\
	} while (0)

#define EQ_INT(got, want, ...)						\
	do {								\
		long long g_ = (long long)(got), w_ = (long long)(want);\
		if (!OK(g_ == w_, __VA_ARGS__))				\
			printf("#   got:  %lld\n#   want: %lld\n", g_, w_);\
	} while (0)

static inline int unit_done(void)
{
	printf("1..%d\n", unit_n);
	return unit_failed ? 1 : 0;
}

#endif /* VFIOPASIDCTL_UNIT_H */
