// SPDX-License-Identifier: GPL-2.0
/*
 * scale_test - /dev/vfio-pasid and its admin API at scale
 *
 * Copyright (C) 2026 The vfio-pasid authors
 *
 * Run as root inside the test VM, from the project root:
 *
 *	tests/vm/run -- tests/ioctl/scale_test [-m driver/vfio_pasid.ko]
 *
 * The specification says dumps resume correctly across several messages:
 * 10,000 VMs or 1,000,000 PASIDs come back whole.  This program checks that,
 * and the reclaim of that much:
 *
 * 1. One VM (this process) allocates 1,000,000 PASIDs (the module is loaded
 *    with default_quota=1048575, the whole pool).  The PASID dump, read with
 *    a 32 KiB buffer over many messages, must list each of them exactly once,
 *    in ascending order, with the VM's id, and end with NLMSG_DONE and no
 *    error; so must the dump filtered by the VM.  Dumps abandoned half way
 *    (the socket closed) must leave nothing behind.  Closing the descriptor
 *    reclaims the lot: the counters must say so and balance.
 * 2. 10,000 VMs: forked children (a VM is an mm, so each needs its own
 *    fork) open the device, pass the descriptor to us with SCM_RIGHTS and
 *    exit; we keep the descriptors, allocate one PASID through each and
 *    check the VM dump and the PASID dump against GET_INFO.  Closing the
 *    descriptors releases every VM.
 * 3. The module unloads.
 *
 * The program loads and removes the module itself (finit_module and
 * delete_module).  Timings are printed as "# " diagnostics.  Output is TAP;
 * the exit status is 0 only when every test passed.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include "common.h"
#include "tap.h"

#define MOD_REFCNT	MOD_SYSFS "/refcnt"

#define POOL_SIZE	PASID_LIMIT	/* pasid_min 1, pasid_max 0xFFFFF */
#define MOD_PARAMS	"default_quota=1048575"

/* Failures reported one by one before they are only counted */
#define MAX_REPORTS	8

static bool loaded;
static unsigned int n_pasids = 1000000;	/* test 1 */
static unsigned int n_vms = 10000;		/* test 2 */
static unsigned int n_forkers = 2;		/* test 2: forking processes */
static char self_comm[16];

/* ------------------------------------------------------------------ */
/* Bitmaps over the PASID space                                        */

#define BM_WORDS	((PASID_LIMIT + 1) / 64)

static inline bool bm_test(const uint64_t *bm, uint32_t bit)
{
	return bm[bit / 64] >> (bit % 64) & 1;
}

static inline void bm_set(uint64_t *bm, uint32_t bit)
{
	bm[bit / 64] |= 1ULL << (bit % 64);
}

/* ------------------------------------------------------------------ */
/* Generic netlink (the client is in common.c)                         */

/* A netlink socket of its own, or -1 (the test failed) */
static int nl_socket(void)
{
	int fd = nl_socket_open();

	if (fd < 0) {
		tap_fail("netlink socket: %s", errno_name(-fd));
		errno = -fd;
		return -1;
	}
	return fd;
}

/* The counters balance: ALLOCATED == FREED + RECLAIMED */
static void expect_balance(const struct stats *s, const char *when)
{
	EXPECT_TRUE(s->allocated == s->freed + s->reclaimed,
		    "%s: ALLOCATED %llu != FREED %llu + RECLAIMED %llu", when,
		    (unsigned long long)s->allocated,
		    (unsigned long long)s->freed,
		    (unsigned long long)s->reclaimed);
}

/* ------------------------------------------------------------------ */
/* Dumps, one recv() at a time                                         */

/*
 * A dump in progress on its own socket.  Every data message must carry our
 * sequence number, NLM_F_MULTI and the command; the dump must end with
 * NLMSG_DONE (error 0) and nothing may follow it.  @cb sees every entry and
 * does the test's own checks.
 */
struct dump {
	int		fd;
	uint8_t		cmd;
	uint32_t	seq;
	size_t		bufsz;
	char		*buf;
	void		(*cb)(struct nlattr **tb, void *arg);
	void		*arg;
	/* what happened */
	unsigned long	recvs, msgs, entries, bytes;
	bool		finished;	/* DONE, an error, or a protocol fault */
	bool		done;		/* NLMSG_DONE with error 0 */
	int		err;		/* a negative errno */
	unsigned int	faults;
};

#define dump_fault(d, ...) do {						\
	if ((d)->faults++ < MAX_REPORTS)				\
		tap_fail(__VA_ARGS__);					\
} while (0)

/* Start a dump on socket @fd (owned by the caller); @vm_id 0: no filter */
static bool dump_start(struct dump *d, int fd, uint8_t cmd, uint32_t vm_id,
		       size_t bufsz,
		       void (*cb)(struct nlattr **tb, void *arg), void *arg)
{
	struct nl_attr a = { VFIO_PASID_A_VM_ID, sizeof(vm_id), &vm_id };
	char sbuf[NL_SBUF_SIZE] __attribute__((aligned(8)));
	size_t len;

	memset(d, 0, sizeof(*d));
	d->fd = fd;
	d->cmd = cmd;
	d->seq = ++nl_seq;
	d->bufsz = bufsz;
	d->cb = cb;
	d->arg = arg;
	d->buf = aligned_alloc(8, bufsz);
	if (!d->buf) {
		tap_fail("no memory for a %zu-byte buffer", bufsz);
		d->finished = true;
		return false;
	}
	len = nl_build(sbuf, nl_family, cmd, NLM_F_DUMP, d->seq,
		       vm_id ? &a : NULL);
	if (send(fd, sbuf, len, 0) != (ssize_t)len) {
		tap_fail("netlink send: %s", errno_name(errno));
		d->finished = true;
		return false;
	}
	return true;
}

/* One recv() and the messages it brought */
static void dump_step(struct dump *d)
{
	struct iovec iov = { d->buf, d->bufsz };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct nlattr *tb[VFIO_PASID_A_MAX + 1];
	struct nlmsghdr *nlh;
	ssize_t n;
	int left;

	if (d->finished)
		return;
	n = recvmsg(d->fd, &mh, 0);
	if (n < 0) {
		d->err = -errno;
		d->finished = true;
		tap_fail("dump of command %u: recv after %lu messages: %s",
			 d->cmd, d->msgs, errno_name(errno));
		return;
	}
	d->recvs++;
	d->bytes += n;
	if (mh.msg_flags & MSG_TRUNC) {
		dump_fault(d, "dump: a message was truncated (buffer %zu bytes)",
			   d->bufsz);
		d->finished = true;
		return;
	}
	left = n;
	for (nlh = (struct nlmsghdr *)d->buf; NLMSG_OK(nlh, left);
	     nlh = NLMSG_NEXT(nlh, left)) {
		if (d->done) {
			dump_fault(d, "dump: message type %u after NLMSG_DONE",
				   nlh->nlmsg_type);
			continue;
		}
		if (nlh->nlmsg_seq != d->seq) {
			dump_fault(d, "dump: message with sequence %u, expected %u",
				   nlh->nlmsg_seq, d->seq);
			continue;
		}
		d->msgs++;
		if (nlh->nlmsg_type == NLMSG_ERROR) {
			struct nlmsgerr *e = NLMSG_DATA(nlh);
			char ea[256];

			nl_extack_text(nlh, ea, sizeof(ea));
			d->err = e->error;
			d->finished = true;
			tap_fail("dump of command %u: NLMSG_ERROR %s %s%s%s after %lu entries",
				 d->cmd, errno_name(-e->error), ea[0] ? "(" : "",
				 ea, ea[0] ? ")" : "", d->entries);
			return;
		}
		if (nlh->nlmsg_type == NLMSG_DONE) {
			int err;

			if (!nl_done_err(nlh, &err))
				dump_fault(d, "dump: NLMSG_DONE without an error code");
			d->err = err;
			d->finished = true;
			d->done = !err;
			if (err)
				tap_fail("dump of command %u: NLMSG_DONE carries %s after %lu entries",
					 d->cmd, errno_name(-err), d->entries);
			continue;
		}
		if (nlh->nlmsg_type != nl_family) {
			dump_fault(d, "dump: message type %u", nlh->nlmsg_type);
			continue;
		}
		if (!(nlh->nlmsg_flags & NLM_F_MULTI))
			dump_fault(d, "dump: a message without NLM_F_MULTI");
		if (nlh->nlmsg_len < NLMSG_LENGTH(GENL_HDRLEN) ||
		    ((struct genlmsghdr *)NLMSG_DATA(nlh))->cmd != d->cmd) {
			dump_fault(d, "dump: a message that is not command %u",
				   d->cmd);
			continue;
		}
		d->entries++;
		nl_parse(tb, VFIO_PASID_A_MAX, (char *)NLMSG_DATA(nlh) +
			 GENL_HDRLEN, nlh->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN));
		d->cb(tb, d->arg);
	}
	if (left)
		dump_fault(d, "dump: %d bytes of a partial message", left);
}

/* Read the dump to its end; then nothing more may be waiting */
static void dump_finish(struct dump *d)
{
	char c;

	while (!d->finished)
		dump_step(d);
	if (d->done && recv(d->fd, &c, 1, MSG_DONTWAIT | MSG_PEEK) >= 0)
		dump_fault(d, "dump: more data after NLMSG_DONE");
}

static void dump_free(struct dump *d)
{
	free(d->buf);
	d->buf = NULL;
}

/* ------------------------------------------------------------------ */
/* Module loading                                                      */

static long module_refcnt(void)
{
	char buf[32] = "";
	long v = -1;
	int fd = open(MOD_REFCNT, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	if (read(fd, buf, sizeof(buf) - 1) > 0)
		v = strtol(buf, NULL, 10);
	close(fd);
	return v;
}

static void test_load(void)
{
	struct stats s;
	int ret;

	if (module_present()) {
		tap_fail("%s is loaded already", MOD_NAME);
		return;
	}
	ret = module_load(MOD_PARAMS);
	if (ret) {
		tap_fail("finit_module(%s, \"%s\"): %s", module_path,
			 MOD_PARAMS, errno_name(-ret));
		return;
	}
	loaded = true;
	ret = nl_resolve(VFIO_PASID_FAMILY_NAME);
	if (ret < 0) {
		tap_fail("generic netlink family %s: %s",
			 VFIO_PASID_FAMILY_NAME, errno_name(-ret));
		loaded = false;
		return;
	}
	nl_family = ret;
	if (!stats_get(&s))
		return;
	EXPECT_EQ(POOL_SIZE, s.pool_size);
	EXPECT_EQ(POOL_SIZE, s.default_quota);
	EXPECT_EQ(0, s.in_use);
	EXPECT_EQ(0, s.vm_count);
	EXPECT_EQ(0, s.allocated);
}

static void test_unload(void)
{
	double t = now();
	int ret;

	/* a released dump drops its module reference after an RCU period */
	while ((ret = module_unload()) == -EWOULDBLOCK && now() - t < 5)
		usleep(20000);
	if (ret) {
		tap_fail("delete_module(%s): %s", MOD_NAME, errno_name(-ret));
		return;
	}
	loaded = false;
	if (now() - t > 0.1)
		tap_note("unload succeeded after %.2f s of EWOULDBLOCK", now() - t);
	expect_unloaded();
}

/* ------------------------------------------------------------------ */
/* 1. One VM with 1,000,000 PASIDs                                     */

static int big_fd = -1;		/* the VM: this process */
static uint32_t big_vm;		/* its id */
static unsigned int big_count;	/* PASIDs it holds */
static uint64_t big_bm[BM_WORDS];	/* which */
static struct stats big_s0;	/* counters before the allocations */

static void test_big_alloc(void)
{
	struct vfio_pasid_info info;
	unsigned int i, dups = 0;
	uint32_t pasid;
	struct stats s;
	double t;

	if (!stats_get(&big_s0))
		return;
	big_fd = open(DEV_PATH, O_RDWR | O_CLOEXEC);
	if (big_fd < 0) {
		tap_fail("open(%s): %s", DEV_PATH, errno_name(errno));
		return;
	}
	ASSERT_OK(get_info(big_fd, &info));
	big_vm = info.vm_id;
	EXPECT_EQ(POOL_SIZE, info.quota);

	t = now();
	for (i = 0; i < n_pasids; i++) {
		if (pasid_alloc(big_fd, 1, PASID_LIMIT, &pasid)) {
			tap_fail("allocation %u of %u: %s", i + 1, n_pasids,
				 errno_name(errno));
			break;
		}
		if (pasid < 1 || pasid > PASID_LIMIT) {
			tap_fail("allocation %u: PASID %u out of the pool",
				 i + 1, pasid);
			break;
		}
		if (bm_test(big_bm, pasid)) {
			if (dups++ < MAX_REPORTS)
				tap_fail("allocation %u: PASID %u came twice",
					 i + 1, pasid);
			continue;
		}
		bm_set(big_bm, pasid);
		big_count++;
	}
	t = now() - t;
	tap_note("timing: %u PASIDs allocated in %.2f s (%.2f us each)",
		 i, t, i ? t * 1e6 / i : 0.0);
	EXPECT_EQ(n_pasids, big_count);
	EXPECT_EQ(0, dups);

	ASSERT_OK(get_info(big_fd, &info));
	EXPECT_EQ(big_count, info.count);
	EXPECT_EQ(big_vm, info.vm_id);
	if (!stats_get(&s))
		return;
	EXPECT_EQ(big_s0.in_use + big_count, s.in_use);
	EXPECT_EQ(big_s0.allocated + big_count, s.allocated);
	EXPECT_EQ(big_s0.vm_count + 1, s.vm_count);
	EXPECT_EQ(big_s0.quota_refusals, s.quota_refusals);
	EXPECT_EQ(big_s0.pool_refusals, s.pool_refusals);
}

/* What a PASID dump of the big VM must show */
struct big_check {
	uint64_t	*seen;		/* PASIDs listed so far */
	uint32_t	last;		/* the last PASID listed */
	unsigned int	n;		/* entries */
	unsigned int	bad;		/* entries that failed a check */
};

static void big_bad(struct big_check *c, unsigned int entry, const char *what,
		    uint32_t pasid, uint32_t v)
{
	if (c->bad++ < MAX_REPORTS)
		tap_fail("PASID dump entry %u (PASID %u): %s (%u)", entry,
			 pasid, what, v);
}

static void big_cb(struct nlattr **tb, void *arg)
{
	struct big_check *c = arg;
	unsigned int entry = ++c->n;
	uint32_t pasid = nla_u32(tb[VFIO_PASID_A_PASID]);
	uint32_t vm = nla_u32(tb[VFIO_PASID_A_VM_ID]);

	if (!tb[VFIO_PASID_A_PASID] || !tb[VFIO_PASID_A_VM_ID] ||
	    !tb[VFIO_PASID_A_BOUND]) {
		big_bad(c, entry, "lacks PASID, VM_ID or BOUND", pasid, 0);
		return;
	}
	if (vm != big_vm)
		big_bad(c, entry, "wrong VM_ID", pasid, vm);
	if (*(uint8_t *)nla_data(tb[VFIO_PASID_A_BOUND]))
		big_bad(c, entry, "BOUND is set", pasid, 1);
	if (pasid > PASID_LIMIT || !bm_test(big_bm, pasid)) {
		big_bad(c, entry, "not one of ours", pasid, pasid);
		return;
	}
	if (pasid <= c->last)
		big_bad(c, entry, "not above the previous PASID", pasid, c->last);
	c->last = pasid;
	if (bm_test(c->seen, pasid))
		big_bad(c, entry, "listed twice", pasid, pasid);
	bm_set(c->seen, pasid);
}

/* Name the PASIDs of the big VM a dump left out */
static void big_missing(const uint64_t *seen)
{
	unsigned int i, missing = 0;
	uint64_t w;

	for (i = 0; i < BM_WORDS; i++) {
		w = big_bm[i] & ~seen[i];
		for (; w; w &= w - 1)
			if (missing++ < MAX_REPORTS)
				tap_fail("PASID %u is missing from the dump",
					 i * 64 + __builtin_ctzll(w));
	}
	if (missing)
		tap_note("%u PASIDs missing in all", missing);
}

/* Dump the big VM's PASIDs (@filter: with VM_ID) and check every entry */
static void big_dump(bool filter)
{
	static uint64_t seen[BM_WORDS];
	struct big_check c = { .seen = seen };
	struct dump d;
	double t;
	int fd;

	if (big_fd < 0 || !big_count) {
		tap_fail("no VM with PASIDs to dump");
		return;
	}
	memset(seen, 0, sizeof(seen));
	fd = nl_socket();
	if (fd < 0)
		return;
	t = now();
	if (dump_start(&d, fd, VFIO_PASID_CMD_PASID_GET, filter ? big_vm : 0,
		       32768, big_cb, &c))
		dump_finish(&d);
	t = now() - t;
	tap_note("timing: %s PASID dump: %lu entries in %lu messages, %lu recv() calls, %.1f MB, %.2f s (%.0f entries/s)",
		 filter ? "filtered" : "full", d.entries, d.msgs, d.recvs,
		 d.bytes / 1e6, t, t > 0 ? d.entries / t : 0.0);
	EXPECT_TRUE(d.done, "the dump did not end with NLMSG_DONE and error 0");
	EXPECT_EQ(0, d.faults);
	EXPECT_EQ(big_count, c.n);
	EXPECT_EQ(0, c.bad);
	if (c.n != big_count)
		big_missing(seen);
	/* many messages, each read whole by one recv() */
	EXPECT_GE(d.recvs, d.bytes / 32768 + 1);
	dump_free(&d);
	close(fd);
}

static void test_big_dump(void)
{
	big_dump(false);
}

static void test_big_dump_filtered(void)
{
	big_dump(true);
}

static void count_cb(struct nlattr **tb, void *arg)
{
	(void)tb;
	++*(unsigned long *)arg;
}

/*
 * Dumps abandoned half way: read @recvs messages (0: none), then close the
 * socket.  The module's reference taken for the dump must come back and a
 * new dump must still be whole.
 */
static void test_big_dump_abandoned(void)
{
	static const struct {
		unsigned int recvs;
		bool filter;
	} cut[] = { { 3, false }, { 0, false }, { 20, true }, { 1, true } };
	long ref0 = module_refcnt(), ref;
	unsigned long n;
	unsigned int i;
	struct dump d;
	double t;
	int fd;

	if (big_fd < 0 || !big_count) {
		tap_fail("no VM with PASIDs to dump");
		return;
	}
	for (i = 0; i < ARRAY_SIZE(cut); i++) {
		fd = nl_socket();
		if (fd < 0)
			return;
		n = 0;
		if (dump_start(&d, fd, VFIO_PASID_CMD_PASID_GET,
			       cut[i].filter ? big_vm : 0, 32768, count_cb, &n)) {
			while (d.recvs < cut[i].recvs && !d.finished)
				dump_step(&d);
			EXPECT_TRUE(!d.finished, "dump %u finished after %lu messages",
				    i, d.recvs);
			EXPECT_EQ(0, d.faults);
			/* a running dump holds the module */
			ref = module_refcnt();
			EXPECT_TRUE(ref == ref0 + 1,
				    "module refcnt %ld during dump %u, expected %ld",
				    ref, i, ref0 + 1);
		}
		tap_note("abandoned a %s dump after %lu recv() calls, %lu entries",
			 cut[i].filter ? "filtered" : "full", d.recvs, n);
		dump_free(&d);
		close(fd);
	}

	/* the dumps' module references are dropped after an RCU period */
	t = now();
	while ((ref = module_refcnt()) != ref0 && now() - t < 5)
		usleep(10000);
	EXPECT_TRUE(ref == ref0, "module refcnt %ld 5 s after the abandoned dumps, was %ld",
		    ref, ref0);
	if (ref == ref0)
		tap_note("module refcnt back to %ld after %.3f s", ref, now() - t);

	/* the next dump is whole */
	big_dump(false);
}

static void test_big_stats(void)
{
	struct vfio_pasid_info info;
	struct stats s;

	if (!stats_get(&s))
		return;
	EXPECT_EQ(big_s0.in_use + n_pasids, s.in_use);
	EXPECT_EQ(big_s0.vm_count + 1, s.vm_count);
	EXPECT_EQ(big_s0.allocated + n_pasids, s.allocated);
	EXPECT_EQ(big_s0.freed, s.freed);
	EXPECT_EQ(big_s0.reclaimed, s.reclaimed);
	if (big_fd >= 0 && !get_info(big_fd, &info))
		EXPECT_EQ(n_pasids, info.count);
}

static void test_big_reclaim(void)
{
	struct stats s;
	double t;
	int ret;

	if (big_fd < 0) {
		tap_fail("no VM to close");
		return;
	}
	t = now();
	ret = close(big_fd);
	t = now() - t;
	big_fd = -1;
	EXPECT_OK(ret);
	tap_note("timing: close() reclaimed %u PASIDs in %.2f s (%.2f us each)",
		 big_count, t, big_count ? t * 1e6 / big_count : 0.0);
	if (!stats_get(&s))
		return;
	EXPECT_EQ(big_s0.in_use, s.in_use);
	EXPECT_EQ(0, s.in_use);
	EXPECT_EQ(0, s.vm_count);
	EXPECT_EQ(big_s0.reclaimed + big_count, s.reclaimed);
	EXPECT_EQ(big_s0.freed, s.freed);
	expect_balance(&s, "after the reclaim");
}

/* The reclaim log keeps the newest records; the rest are counted dropped */
struct log_check {
	uint64_t	first_seq, last_seq;
	unsigned int	n, bad;
	uint64_t	*seen;
};

static void log_cb(struct nlattr **tb, void *arg)
{
	struct log_check *c = arg;
	uint64_t seq = nla_u64(tb[VFIO_PASID_A_SEQ]);
	uint32_t pasid = nla_u32(tb[VFIO_PASID_A_PASID]);
	uint32_t vm = nla_u32(tb[VFIO_PASID_A_VM_ID]);
	bool ok = tb[VFIO_PASID_A_SEQ] && tb[VFIO_PASID_A_PASID];

	if (c->n && seq != c->last_seq + 1)
		ok = false;
	if (!c->n)
		c->first_seq = seq;
	c->last_seq = seq;
	c->n++;
	if (vm != big_vm || pasid > PASID_LIMIT || !bm_test(big_bm, pasid) ||
	    bm_test(c->seen, pasid))
		ok = false;
	else
		bm_set(c->seen, pasid);
	if (!ok && c->bad++ < MAX_REPORTS)
		tap_fail("reclaim log record %u: seq %llu, VM %u, PASID %u",
			 c->n, (unsigned long long)seq, vm, pasid);
}

static void test_big_reclaim_log(void)
{
	static uint64_t seen[BM_WORDS];
	struct log_check c = { .seen = seen };
	struct stats s;
	struct dump d;
	uint64_t total;

	if (!stats_get(&s))
		return;
	total = s.reclaimed;	/* one record per reclaimed PASID, never cleared */
	EXPECT_EQ(total < s.log_size ? total : s.log_size, s.log_count);
	EXPECT_EQ(total > s.log_size ? total - s.log_size : 0, s.log_dropped);

	memset(seen, 0, sizeof(seen));
	if (dump_start(&d, nl_fd, VFIO_PASID_CMD_RECLAIM_GET, big_vm, 32768,
		       log_cb, &c))
		dump_finish(&d);
	EXPECT_TRUE(d.done, "the dump did not end with NLMSG_DONE and error 0");
	EXPECT_EQ(0, d.faults);
	EXPECT_EQ(s.log_count, c.n);
	EXPECT_EQ(0, c.bad);
	if (c.n)
		EXPECT_EQ(total - 1, c.last_seq);
	dump_free(&d);
}

/* ------------------------------------------------------------------ */
/* 2. 10,000 VMs                                                       */

/* A child's report, with its descriptor as SCM_RIGHTS */
struct vm_msg {
	int32_t		err;	/* errno of open(), 0 with a descriptor */
	int32_t		pid;
};

struct vm {
	int		fd;
	uint32_t	id, pid, pasid;
};

static struct vm *vms;
static unsigned int vms_n;	/* descriptors received */
static pid_t forkers[16];

/* A child of a forker: its own mm, hence its own VM */
static __attribute__((noreturn)) void vm_child(int sock)
{
	struct vm_msg m = { .pid = getpid() };
	int fd = open(DEV_PATH, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		m.err = errno;
	if (send_with_fd(sock, &m, sizeof(m), fd) != sizeof(m))
		_exit(2);
	_exit(fd < 0);
}

/* Fork @count VM children, at most a few at a time; exit 0 if all did well */
static __attribute__((noreturn)) void forker(int sock, unsigned int count)
{
	unsigned int started = 0, running = 0, bad = 0;
	int status;
	pid_t pid;

	while (started < count || running) {
		if (started < count && running < 8) {
			pid = fork();
			if (pid == 0)
				vm_child(sock);
			started++;
			if (pid < 0) {
				struct vm_msg m = { .err = errno };

				if (send(sock, &m, sizeof(m), MSG_NOSIGNAL) < 0)
					_exit(3);
				bad++;
				continue;
			}
			running++;
			continue;
		}
		pid = waitpid(-1, &status, 0);
		if (pid < 0)
			break;
		running--;
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			bad++;
	}
	_exit(bad ? 1 : 0);
}

/* Receive one child's report: its descriptor, or -1 */
static int recv_vm(int sock, struct vm_msg *m)
{
	struct pollfd pfd = { .fd = sock, .events = POLLIN };
	int fd, ret, flags;
	ssize_t n;

	memset(m, 0, sizeof(*m));
	do
		ret = poll(&pfd, 1, 30000);
	while (ret < 0 && errno == EINTR);
	if (ret == 0) {
		tap_fail("no VM descriptor within 30 s (%u received)", vms_n);
		return -2;
	}
	n = recv_with_fd(sock, m, sizeof(*m), &fd, &flags);
	if (n == 0) {
		tap_fail("the forkers are gone after %u descriptors", vms_n);
		return -2;
	}
	if (n != sizeof(*m)) {
		tap_fail("recvmsg: %s", n < 0 ? errno_name(errno) : "short message");
		return -2;
	}
	if (flags & MSG_CTRUNC) {
		tap_fail("recvmsg: control data truncated (RLIMIT_NOFILE?)");
		return -2;
	}
	return fd;
}

static bool raise_nofile(rlim_t n)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return false;
	if (rl.rlim_cur >= n)
		return true;
	rl.rlim_cur = n;
	if (rl.rlim_max < n)
		rl.rlim_max = n;
	if (setrlimit(RLIMIT_NOFILE, &rl)) {
		tap_fail("setrlimit(RLIMIT_NOFILE, %llu): %s",
			 (unsigned long long)n, errno_name(errno));
		return false;
	}
	return true;
}

static int cmp_vm_id(const void *a, const void *b)
{
	const struct vm *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static void test_vms_create(void)
{
	unsigned int i, per, reports = 0;
	double t, t_ioctl = 0, t1;
	struct vfio_pasid_info info;
	struct stats s0, s;
	int sv[2], status, fd;
	struct vm_msg m;

	if (!stats_get(&s0))
		return;
	if (!raise_nofile(n_vms + 256))
		return;
	vms = calloc(n_vms, sizeof(*vms));
	if (!vms) {
		tap_fail("no memory for %u VMs", n_vms);
		return;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv)) {
		tap_fail("socketpair: %s", errno_name(errno));
		return;
	}

	t = now();
	fflush(stdout);
	per = (n_vms + n_forkers - 1) / n_forkers;
	for (i = 0; i < n_forkers; i++) {
		unsigned int count = i + 1 < n_forkers ? per : n_vms - per * i;

		forkers[i] = fork();
		if (forkers[i] < 0) {
			tap_fail("fork: %s", errno_name(errno));
			break;
		}
		if (forkers[i] == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			close(sv[0]);
			forker(sv[1], count);
		}
	}
	close(sv[1]);

	while (vms_n < n_vms) {
		fd = recv_vm(sv[0], &m);
		if (fd == -2)
			break;
		if (fd < 0) {
			if (reports++ < MAX_REPORTS)
				tap_fail("a VM child failed: %s", m.err ?
					 errno_name(m.err) : "no descriptor came");
			continue;
		}
		t1 = now();
		vms[vms_n].fd = fd;
		vms[vms_n].pid = m.pid;
		if (pasid_alloc(fd, 1, PASID_LIMIT, &vms[vms_n].pasid) ||
		    get_info(fd, &info)) {
			if (reports++ < MAX_REPORTS)
				tap_fail("VM %u: allocation or GET_INFO: %s",
					 vms_n, errno_name(errno));
			close(fd);
			continue;
		}
		t_ioctl += now() - t1;
		vms[vms_n].id = info.vm_id;
		if (info.count != 1 && reports++ < MAX_REPORTS)
			tap_fail("VM %u: GET_INFO count %u, expected 1",
				 info.vm_id, info.count);
		vms_n++;
	}
	for (i = 0; i < n_forkers; i++) {
		if (forkers[i] <= 0)
			continue;
		if (waitpid(forkers[i], &status, 0) != forkers[i])
			tap_fail("waitpid: %s", errno_name(errno));
		else if (!WIFEXITED(status) || WEXITSTATUS(status))
			tap_fail("a forker ended with status 0x%x", status);
		forkers[i] = 0;
	}
	close(sv[0]);
	t = now() - t;
	tap_note("timing: %u VMs created (fork, open, SCM_RIGHTS, exit; %u forkers) in %.2f s (%.2f ms per VM); of that %.2f s for ALLOC + GET_INFO through the passed descriptors",
		 vms_n, n_forkers, t, vms_n ? t * 1e3 / vms_n : 0.0, t_ioctl);
	EXPECT_EQ(n_vms, vms_n);

	/* distinct ids; sorted by id from here on */
	qsort(vms, vms_n, sizeof(*vms), cmp_vm_id);
	for (i = 1; i < vms_n; i++)
		if (vms[i].id == vms[i - 1].id && reports++ < MAX_REPORTS)
			tap_fail("two descriptors act on VM %u", vms[i].id);

	if (!stats_get(&s))
		return;
	/* the VM list holds only these: we opened nothing ourselves */
	EXPECT_EQ(vms_n, s.vm_count);
	EXPECT_EQ(s0.in_use + vms_n, s.in_use);
	EXPECT_EQ(s0.allocated + vms_n, s.allocated);
}

/* What a VM dump must show: the VMs in id order */
struct vms_check {
	unsigned int	n;	/* entries */
	unsigned int	pos;	/* the VM the next entry must be */
	unsigned int	bad;
	uint32_t	last;
};

__attribute__((format(printf, 2, 3)))
static void vms_bad(struct vms_check *c, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (c->bad++ < MAX_REPORTS)
		tap_fail("dump entry %u: %s", c->n, msg);
}

/*
 * The VM an entry with @id stands for, in id order: the next one.  An id
 * further on means the VMs between are missing; an id that is none of
 * ours, or one that came already, is reported and gives NULL.
 */
static const struct vm *vms_next(struct vms_check *c, uint32_t id)
{
	unsigned int lo = c->pos, hi = vms_n, mid;

	c->n++;
	if (c->n > 1 && id <= c->last)
		vms_bad(c, "VM %u after VM %u: not ascending", id, c->last);
	c->last = id;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (vms[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == vms_n || vms[lo].id != id) {
		vms_bad(c, "VM %u is not one of ours, or came twice", id);
		return NULL;
	}
	if (lo != c->pos)
		vms_bad(c, "%u VMs missing before VM %u, from VM %u on",
			lo - c->pos, id, vms[c->pos].id);
	c->pos = lo + 1;
	return &vms[lo];
}

static void vms_cb(struct nlattr **tb, void *arg)
{
	struct vms_check *c = arg;
	const struct vm *v = vms_next(c, nla_u32(tb[VFIO_PASID_A_VM_ID]));
	uint32_t val;

	if (!v)
		return;
	val = nla_u32(tb[VFIO_PASID_A_PID]);
	if (val != v->pid)
		vms_bad(c, "VM %u: PID %u, expected %u", v->id, val, v->pid);
	val = nla_u32(tb[VFIO_PASID_A_COUNT]);
	if (val != 1)
		vms_bad(c, "VM %u: COUNT %u, expected 1", v->id, val);
	val = nla_u32(tb[VFIO_PASID_A_QUOTA]);
	if (val != POOL_SIZE)
		vms_bad(c, "VM %u: QUOTA %u, expected %u", v->id, val, POOL_SIZE);
	if (!tb[VFIO_PASID_A_COMM] ||
	    strcmp(nla_data(tb[VFIO_PASID_A_COMM]), self_comm))
		vms_bad(c, "VM %u: COMM is not '%s'", v->id, self_comm);
}

static void vms_dump_check(struct dump *d, struct vms_check *c, double t,
			   const char *what)
{
	tap_note("timing: %s: %lu entries in %lu messages, %lu recv() calls, %.2f s",
		 what, d->entries, d->msgs, d->recvs, t);
	EXPECT_TRUE(d->done, "%s did not end with NLMSG_DONE and error 0", what);
	EXPECT_EQ(0, d->faults);
	EXPECT_EQ(vms_n, c->n);
	EXPECT_EQ(vms_n, c->pos);
	EXPECT_EQ(0, c->bad);
}

static void test_vms_dump(void)
{
	struct vms_check c = { 0 };
	struct dump d;
	double t;
	int fd;

	if (!vms_n) {
		tap_fail("no VMs");
		return;
	}
	fd = nl_socket();
	if (fd < 0)
		return;
	t = now();
	if (dump_start(&d, fd, VFIO_PASID_CMD_VM_GET, 0, 32768, vms_cb, &c))
		dump_finish(&d);
	vms_dump_check(&d, &c, now() - t, "VM dump");
	EXPECT_GE(d.recvs, d.bytes / 32768 + 1);
	dump_free(&d);
	close(fd);
}

/* Two VM dumps at once, on two sockets, read in turn: both whole */
static void test_vms_dump_interleaved(void)
{
	struct vms_check c[2] = { { 0 }, { 0 } };
	struct dump d[2];
	int fd[2] = { -1, -1 }, i;
	double t;

	if (!vms_n) {
		tap_fail("no VMs");
		return;
	}
	for (i = 0; i < 2; i++) {
		fd[i] = nl_socket();
		if (fd[i] < 0)
			goto out;
	}
	t = now();
	/* a small buffer: more messages */
	for (i = 0; i < 2; i++)
		dump_start(&d[i], fd[i], VFIO_PASID_CMD_VM_GET, 0, 8192,
			   vms_cb, &c[i]);
	/* the second starts after the first has come half way */
	while (!d[0].finished && d[0].entries < vms_n / 2)
		dump_step(&d[0]);
	while (!d[0].finished || !d[1].finished) {
		dump_step(&d[1]);
		dump_step(&d[0]);
	}
	dump_finish(&d[0]);
	dump_finish(&d[1]);
	t = now() - t;
	vms_dump_check(&d[0], &c[0], t, "first of two interleaved VM dumps");
	vms_dump_check(&d[1], &c[1], t, "second of two interleaved VM dumps");
	for (i = 0; i < 2; i++)
		dump_free(&d[i]);
out:
	for (i = 0; i < 2; i++)
		if (fd[i] >= 0)
			close(fd[i]);
}

/* The PASID dump across every VM: (VM id, PASID) in VM id order */
static void vms_pasid_cb(struct nlattr **tb, void *arg)
{
	struct vms_check *c = arg;
	const struct vm *v = vms_next(c, nla_u32(tb[VFIO_PASID_A_VM_ID]));
	uint32_t pasid = nla_u32(tb[VFIO_PASID_A_PASID]);

	if (v && pasid != v->pasid)
		vms_bad(c, "VM %u: PASID %u, expected %u", v->id, pasid,
			v->pasid);
}

static void test_vms_pasid_dump(void)
{
	struct vms_check c = { 0 };
	unsigned long n = 0;
	struct dump d;
	double t;

	if (!vms_n) {
		tap_fail("no VMs");
		return;
	}
	t = now();
	if (dump_start(&d, nl_fd, VFIO_PASID_CMD_PASID_GET, 0, 32768,
		       vms_pasid_cb, &c))
		dump_finish(&d);
	vms_dump_check(&d, &c, now() - t, "PASID dump of every VM");
	dump_free(&d);

	/* filtered by a VM in the middle: exactly its PASID */
	if (dump_start(&d, nl_fd, VFIO_PASID_CMD_PASID_GET, vms[vms_n / 2].id,
		       32768, count_cb, &n))
		dump_finish(&d);
	EXPECT_TRUE(d.done, "filtered dump did not end with NLMSG_DONE");
	EXPECT_EQ(1, n);
	dump_free(&d);
}

static void test_vms_release(void)
{
	struct stats s0, s;
	unsigned int i;
	double t;

	if (!stats_get(&s0))
		return;
	t = now();
	for (i = 0; i < vms_n; i++)
		if (close(vms[i].fd))
			tap_fail("close: %s", errno_name(errno));
	t = now() - t;
	tap_note("timing: %u VMs released by close() in %.2f s", vms_n, t);
	if (!stats_get(&s))
		return;
	EXPECT_EQ(0, s.vm_count);
	EXPECT_EQ(0, s.in_use);
	EXPECT_EQ(s0.reclaimed + vms_n, s.reclaimed);
	expect_balance(&s, "after the release of every VM");
	vms_n = 0;
	free(vms);
	vms = NULL;
}

/* ------------------------------------------------------------------ */

static const struct test tests[] = {
	{ "module: load with default_quota=1048575 (the whole pool)", test_load, false },
	{ "1M: one VM allocates 1,000,000 PASIDs, none twice", test_big_alloc, true },
	{ "1M: the PASID dump lists each exactly once, ascending, with its VM, then DONE",
	  test_big_dump, true },
	{ "1M: the PASID dump filtered by the VM is the same", test_big_dump_filtered, true },
	{ "1M: dumps abandoned half way leave no reference; the next dump is whole",
	  test_big_dump_abandoned, true },
	{ "1M: STATS_GET: IN_USE and ALLOCATED count them", test_big_stats, true },
	{ "1M: close() reclaims them all; counters balance", test_big_reclaim, true },
	{ "1M: the reclaim log keeps the newest records, counts the dropped",
	  test_big_reclaim_log, true },
	{ "10k: 10,000 forked children open a VM each and pass it with SCM_RIGHTS",
	  test_vms_create, true },
	{ "10k: the VM dump lists each exactly once, ascending, as GET_INFO says",
	  test_vms_dump, true },
	{ "10k: two VM dumps read in turn both come back whole",
	  test_vms_dump_interleaved, true },
	{ "10k: the PASID dump crosses 10,000 VMs in order", test_vms_pasid_dump, true },
	{ "10k: closing the descriptors releases every VM; counters balance",
	  test_vms_release, true },
	{ "module: unload", test_unload, true },
};

static unsigned int parse_num(const char *s, unsigned int min, unsigned int max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || *end || end == s || v < min || v > max) {
		fprintf(stderr, "bad number '%s' (%u to %u)\n", s, min, max);
		exit(2);
	}
	return v;
}

static void own_opt(int opt, const char *arg)
{
	switch (opt) {
	case 'n':
		n_pasids = parse_num(arg, 1, POOL_SIZE);
		break;
	case 'v':
		n_vms = parse_num(arg, 1, 100000);
		break;
	case 'w':
		n_forkers = parse_num(arg, 1, ARRAY_SIZE(forkers));
		break;
	}
}

static bool module_loaded(void)
{
	return loaded;
}

/* The command name the module records for our VMs */
static void name_self(void)
{
	prctl(PR_GET_NAME, self_comm);
}

/* A test that failed half way may leave descriptors: let them go */
static void close_leftovers(void)
{
	unsigned int i;

	if (big_fd >= 0)
		close(big_fd);
	for (i = 0; i < vms_n; i++)
		close(vms[i].fd);
}

int main(int argc, char **argv)
{
	static const struct harness h = {
		.what = "Tests /dev/vfio-pasid at scale: 1,000,000 PASIDs, 10,000 VMs",
		.synopsis = " [-n PASIDS] [-v VMS] [-w FORKERS]",
		.help = "  -n N     PASIDs of the big VM (default 1000000)\n"
			"  -v N     VMs to create (default 10000)\n"
			"  -w N     forking processes creating them (default 2)\n",
		.opts = "n:v:w:",
		.opt = own_opt,
		.timeout = 240,
		.tests = tests,
		.n_tests = ARRAY_SIZE(tests),
		.loaded = module_loaded,
		.before = name_self,
		.end = close_leftovers,
	};

	return harness_main(argc, argv, &h);
}
