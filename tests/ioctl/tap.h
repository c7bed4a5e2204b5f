/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tap.h - a small TAP harness for the ioctl tests
 *
 * Copyright (C) 2026 The vfio-pasid authors
 *
 * In the spirit of the kernel's kselftest_harness.h: each test is a void
 * function; EXPECT_*() record a failure and go on, ASSERT_*() also return
 * from the test.  The state of the running test lives in shared memory
 * behind a process-shared (robust) mutex, so checks made in forked children
 * and in threads count for the test that started them.  Diagnostics are
 * printed as "# " lines after the test's "ok"/"not ok" line.
 */
#ifndef VP_TAP_H
#define VP_TAP_H

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define TAP_DIAG_MAX	(32 * 1024)

struct tap_state {
	pthread_mutex_t	lock;
	int		failed;
	int		dropped;
	size_t		len;
	char		diag[TAP_DIAG_MAX];
};

/* Defined once, in common.c: every file of a program shares them */
extern struct tap_state *tap;
extern int tap_count;
extern int tap_failures;

static inline const char *errno_name(int e)
{
	static __thread char buf[32];

	switch (e) {
#define E(x) case x: return #x
	E(EPERM); E(ENOENT); E(ESRCH); E(EINTR); E(EIO); E(ENXIO);
	E(E2BIG); E(ENOEXEC); E(EBADF); E(ECHILD); E(EAGAIN); E(ENOMEM);
	E(EACCES); E(EFAULT); E(EBUSY); E(EEXIST); E(ENODEV); E(ENOTDIR);
	E(EINVAL); E(ENFILE); E(EMFILE); E(ENOTTY); E(ENOSPC); E(ERANGE);
	E(ENOSYS); E(ENODATA); E(EPROTO); E(EBADMSG); E(EOVERFLOW);
	E(EMSGSIZE); E(EOPNOTSUPP); E(EKEYREJECTED); E(ETIMEDOUT);
#undef E
	case 0:
		return "no error";
	}
	snprintf(buf, sizeof(buf), "errno %d", e);
	return buf;
}

static inline void tap_init(void)
{
	pthread_mutexattr_t attr;

	tap = mmap(NULL, sizeof(*tap), PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (tap == MAP_FAILED) {
		printf("Bail out! mmap: %s\n", strerror(errno));
		exit(1);
	}
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
	pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
	pthread_mutex_init(&tap->lock, &attr);
	pthread_mutexattr_destroy(&attr);
	setvbuf(stdout, NULL, _IOLBF, 0);
}

static inline void tap_lock(void)
{
	if (pthread_mutex_lock(&tap->lock) == EOWNERDEAD)
		pthread_mutex_consistent(&tap->lock);
}

static inline void tap_unlock(void)
{
	pthread_mutex_unlock(&tap->lock);
}

__attribute__((format(printf, 3, 4)))
static inline void tap_diag_at(bool fail, int line, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

	tap_lock();
	if (fail)
		tap->failed = 1;
	if (line > 0)
		n = snprintf(tap->diag + tap->len, TAP_DIAG_MAX - tap->len,
			     "# line %d: %s\n", line, msg);
	else
		n = snprintf(tap->diag + tap->len, TAP_DIAG_MAX - tap->len,
			     "# %s\n", msg);
	if (n > 0 && (size_t)n < TAP_DIAG_MAX - tap->len)
		tap->len += n;
	else
		tap->dropped++;
	tap->diag[tap->len] = '\0';
	tap_unlock();
}

#define tap_fail(...)	tap_diag_at(true, __LINE__, __VA_ARGS__)
/* a note: no line number, does not fail the test */
#define tap_note(...)	tap_diag_at(false, 0, __VA_ARGS__)

static inline bool tap_failed(void)
{
	return __atomic_load_n(&tap->failed, __ATOMIC_RELAXED);
}

/* Start a test: forget the previous one's state */
static inline void tap_begin(void)
{
	tap_lock();
	tap->failed = 0;
	tap->dropped = 0;
	tap->len = 0;
	tap->diag[0] = '\0';
	tap_unlock();
}

/* End a test: print its result line and its diagnostics */
static inline void tap_end(const char *name, const char *skip)
{
	tap_count++;
	if (skip) {
		printf("ok %d - %s # SKIP %s\n", tap_count, name, skip);
	} else {
		if (tap->failed)
			tap_failures++;
		printf("%s %d - %s\n", tap->failed ? "not ok" : "ok",
		       tap_count, name);
	}
	fputs(tap->diag, stdout);
	if (tap->dropped)
		printf("# (%d more diagnostic lines dropped)\n", tap->dropped);
	fflush(stdout);
}

/*
 * Checks.  EXPECT_*() evaluate to whether the check passed; the errno of a
 * failed call is always reported by name.
 */
#define EXPECT_ERRNO(expected, expr) ({					\
	long __r;							\
	int __e, __x = (expected);					\
	errno = 0;							\
	__r = (long)(expr);						\
	__e = errno;							\
	if (__r != -1)							\
		tap_fail("%s: expected %s, got success (%ld)", #expr,	\
			 errno_name(__x), __r);				\
	else if (__e != __x)						\
		tap_fail("%s: expected %s, got %s", #expr,		\
			 errno_name(__x), errno_name(__e));		\
	__r == -1 && __e == __x;					\
})

/* Evaluates to the call's return value */
#define EXPECT_OK(expr) ({						\
	long __r;							\
	int __e;							\
	errno = 0;							\
	__r = (long)(expr);						\
	__e = errno;							\
	if (__r < 0)							\
		tap_fail("%s: expected success, got %s", #expr,		\
			 errno_name(__e));				\
	__r;								\
})

/* seen op bound, e.g. EXPECT_CMP(info.count, <=, quota) */
#define EXPECT_CMP(seen, op, bound) ({					\
	long long __s = (long long)(seen);				\
	long long __b = (long long)(bound);				\
	if (!(__s op __b))						\
		tap_fail("%s: expected %s %lld, got %lld", #seen,	\
			 #op, __b, __s);				\
	__s op __b;							\
})

#define EXPECT_EQ(expected, seen)	EXPECT_CMP(seen, ==, expected)
#define EXPECT_NE(unexpected, seen)	EXPECT_CMP(seen, !=, unexpected)
#define EXPECT_LE(seen, bound)		EXPECT_CMP(seen, <=, bound)
#define EXPECT_GE(seen, bound)		EXPECT_CMP(seen, >=, bound)

#define EXPECT_TRUE(cond, ...) ({					\
	bool __c = (cond);						\
	if (!__c)							\
		tap_fail(__VA_ARGS__);					\
	__c;								\
})

#define ASSERT_OK(expr)		do { if (EXPECT_OK(expr) < 0) return; } while (0)
#define ASSERT_EQ(x, y)		do { if (!EXPECT_EQ(x, y)) return; } while (0)
#define ASSERT_ERRNO(x, expr)	do { if (!EXPECT_ERRNO(x, expr)) return; } while (0)
#define ASSERT_TRUE(cond, ...)	do { if (!EXPECT_TRUE(cond, __VA_ARGS__)) return; } while (0)

#endif /* VP_TAP_H */
