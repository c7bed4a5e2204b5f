// SPDX-License-Identifier: GPL-2.0
/*
 * ioctl_test - the raw ioctl uAPI of /dev/vfio-pasid, checked from user space
 *
 * Copyright (C) 2026 The vfio-pasid authors
 *
 * Run as root inside the test VM, from the project root:
 *
 *	tests/vm/run -- tests/ioctl/ioctl_test [-m driver/vfio_pasid.ko]
 *
 * The program loads and removes the module itself (finit_module and
 * delete_module), so it can test different module parameters: first the
 * defaults (with backend=emulated), then a small pool (PASIDs 100-163,
 * default quota 10).  A VM is a process: a test forks children to get other
 * VMs and talks to them over socketpairs; their checks land in the shared
 * TAP state (tap.h).  Global counters, the VM list and the reclaim log come
 * from the generic netlink family, spoken by a small hand-written client;
 * it, the children and the checked ioctls are in common.c, shared with
 * nesting_test and scale_test.
 *
 * Every test ends with the module idle (no VM, no PASID in use); the
 * harness checks that and cleans up after a test that fails half way.
 *
 * Output is TAP; the exit status is 0 only when every test passed.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <linux/acct.h>
#include <linux/capability.h>

#include "common.h"
#include "tap.h"
#include "../bench/floor/vp_bench_floor.h"

#define DEFAULT_QUOTA_PARAM MOD_SYSFS "/parameters/default_quota"

/* The two module configurations the tests run under */
struct config {
	const char	*name;
	const char	*params;
	uint32_t	pasid_min;
	uint32_t	pasid_max;
	uint32_t	default_quota;
};

static const struct config cfg_default = {
	"defaults", "backend=emulated", 1, PASID_LIMIT, 1000,
};

static const struct config cfg_small = {
	"small pool", "backend=emulated pasid_min=100 pasid_max=163 default_quota=10",
	100, 163, 10,
};

static const struct config *cfg;	/* loaded, or NULL */

static uint32_t pool_size(void)
{
	return cfg->pasid_max - cfg->pasid_min + 1;
}

/* ------------------------------------------------------------------ */
/* Quota ioctls: return the ioctl's result, errno set on failure       */

/*
 * SET_PASID_QUOTA to @quota: the ioctl's result, which is the new quota on
 * success; *@out (unless NULL) the quota written back
 */
static int quota_set(int fd, uint32_t quota, uint32_t *out)
{
	struct vfio_iommu_type1_pasid_quota q = {
		.argsz = sizeof(q), .flags = 0, .quota = quota,
	};
	int ret = ioctl(fd, VFIO_IOMMU_SET_PASID_QUOTA, &q);

	if (ret >= 0 && out)
		*out = q.quota;
	return ret;
}

/* QUOTA_GET: the ioctl's result, the quota on success; *@out written back */
static int quota_get(int fd, uint32_t *out)
{
	struct vfio_iommu_type1_pasid_quota q = {
		.argsz = sizeof(q), .flags = VFIO_PASID_QUOTA_GET,
	};
	int ret = ioctl(fd, VFIO_IOMMU_SET_PASID_QUOTA, &q);

	if (ret >= 0)
		*out = q.quota;
	return ret;
}

/*
 * SET_PASID_QUOTA to @quota must succeed, return @quota (not 0: the seed's
 * "latest quota") and write it back; whether it did
 */
static bool quota_set_at(int line, int fd, uint32_t quota)
{
	uint32_t out = ~quota;
	int ret = quota_set(fd, quota, &out);

	if (ret < 0) {
		tap_diag_at(true, line, "SET_PASID_QUOTA to %u: %s", quota,
			    errno_name(errno));
		return false;
	}
	if ((uint32_t)ret != quota || out != quota) {
		tap_diag_at(true, line, "SET_PASID_QUOTA to %u: returned %d, wrote back %u",
			    quota, ret, out);
		return false;
	}
	return true;
}

/* QUOTA_GET must succeed, return the quota and write it back: the quota */
static uint32_t quota_get_at(int line, int fd)
{
	uint32_t out = UINT32_MAX;
	int ret = quota_get(fd, &out);

	if (ret < 0) {
		tap_diag_at(true, line, "QUOTA_GET: %s", errno_name(errno));
		return UINT32_MAX;
	}
	if ((uint32_t)ret != out) {
		tap_diag_at(true, line, "QUOTA_GET: returned %d, wrote back %u",
			    ret, out);
		return UINT32_MAX;
	}
	return out;
}

/* SET_PASID_QUOTA with @q as it is must return @want: whether it did */
static bool quota_ioctl_at(int line, int fd, void *q, uint32_t want)
{
	int ret = ioctl(fd, VFIO_IOMMU_SET_PASID_QUOTA, q);

	if (ret < 0)
		tap_diag_at(true, line, "SET_PASID_QUOTA: expected %u, got %s",
			    want, errno_name(errno));
	else if ((uint32_t)ret != want)
		tap_diag_at(true, line, "SET_PASID_QUOTA: returned %d, expected %u",
			    ret, want);
	return ret >= 0 && (uint32_t)ret == want;
}

#define EXPECT_QUOTA_IOCTL(fd, q, want)	quota_ioctl_at(__LINE__, fd, q, want)
#define EXPECT_QUOTA_SET(fd, quota)	quota_set_at(__LINE__, fd, quota)
#define ASSERT_QUOTA_SET(fd, quota) \
	do { if (!EXPECT_QUOTA_SET(fd, quota)) return; } while (0)
#define QUOTA_GET(fd)			quota_get_at(__LINE__, fd)

static void free_n(int fd, uint32_t n, const uint32_t *pasids)
{
	uint32_t i;

	for (i = 0; i < n; i++)
		if (pasid_free(fd, pasids[i]))
			tap_fail("free of PASID %u: %s", pasids[i],
				 errno_name(errno));
}

/* ------------------------------------------------------------------ */
/* Generic netlink requests (the client is in common.c)               */

static int vm_get_by_pid(pid_t pid, struct vm_list *l)
{
	uint32_t p = pid;
	struct nl_attr a = { VFIO_PASID_A_PID, sizeof(p), &p };

	l->n = 0;
	l->lost = 0;
	return nl_request(nl_family, VFIO_PASID_CMD_VM_GET, false, &a,
			  VFIO_PASID_A_MAX, vm_cb, l);
}

/* Is VM @id in the VM dump? */
static bool vm_listed(uint32_t id)
{
	static struct vm_list l;
	unsigned int i;
	int ret = vm_dump(&l);

	if (ret) {
		tap_fail("netlink VM_GET dump: %s %s", errno_name(-ret),
			 nl_extack);
		return false;
	}
	for (i = 0; i < l.n; i++)
		if (l.v[i].id == id)
			return true;
	return false;
}

/* ------------------------------------------------------------------ */
/* Descriptors passed to children                                      */

static bool send_fd(int sock, int fd)
{
	char c = 'F';

	if (send_with_fd(sock, &c, 1, fd) != 1) {
		tap_fail("sendmsg(SCM_RIGHTS): %s", errno_name(errno));
		return false;
	}
	return true;
}

static int recv_fd(int sock)
{
	char c;
	int fd;

	if (recv_with_fd(sock, &c, 1, &fd, NULL) != 1) {
		tap_fail("recvmsg(SCM_RIGHTS): %s", errno_name(errno));
		return -1;
	}
	if (fd < 0) {
		tap_fail("recvmsg: no descriptor came");
		return -1;
	}
	return fd;
}

/* ------------------------------------------------------------------ */
/* Small helpers for the tests                                         */

static char self_comm[16];

static bool cap_set_effective(int cap, bool on)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d)) {
		tap_fail("capget: %s", errno_name(errno));
		return false;
	}
	if (on)
		d[cap / 32].effective |= 1U << (cap % 32);
	else
		d[cap / 32].effective &= ~(1U << (cap % 32));
	if (syscall(SYS_capset, &h, d)) {
		tap_fail("capset: %s", errno_name(errno));
		return false;
	}
	return true;
}

static bool cap_effective(int cap)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d))
		return false;
	return d[cap / 32].effective & (1U << (cap % 32));
}

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;
	int err;

	if (fd < 0)
		return -errno;
	n = write(fd, text, strlen(text));
	err = errno;
	close(fd);
	if (n < 0)
		return -err;
	return n == (ssize_t)strlen(text) ? 0 : -EIO;
}

static long read_num_file(const char *path)
{
	char buf[64] = "";
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	return strtol(buf, NULL, 0);
}

/*
 * A child VM that serves requests: it names itself, opens the device,
 * optionally sets its quota, allocates @n PASIDs, reports M_READY (vm_id,
 * the PASIDs) and then does what the parent asks until M_EXIT or the end
 * of the control socket.
 */
struct server_arg {
	uint32_t	n;
	uint32_t	quota;		/* 0: keep the default */
	const char	*comm;
};

static void server(int sock, void *p)
{
	const struct server_arg *a = p;
	struct msg m, r;
	int fd;

	if (a->comm)
		prctl(PR_SET_NAME, a->comm);
	fd = dev_open();
	if (fd < 0)
		return;
	if (a->quota && !EXPECT_QUOTA_SET(fd, a->quota))
		return;
	memset(&r, 0, sizeof(r));
	r.op = M_READY;
	r.vm_id = vm_id_of(fd);
	r.n = a->n;
	if (a->n > MSG_VALS ||
	    !alloc_n(fd, cfg->pasid_min, cfg->pasid_max, a->n, r.val))
		return;
	if (!msg_send(sock, &r))
		return;

	for (;;) {
		struct pollfd pfd = { .fd = sock, .events = POLLIN };

		/* no time limit here: the parent may take its time */
		if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
			return;
		memset(&m, 0, sizeof(m));
		if (recv(sock, &m, sizeof(m), 0) <= 0)
			return;
		memset(&r, 0, sizeof(r));
		r.op = M_REPLY;
		switch (m.op) {
		case M_ASK_INFO:
			r.vm_id = vm_id_of(fd);
			r.n = 2;
			r.val[0] = count_of(fd);
			r.val[1] = quota_of(fd);
			break;
		case M_FREE:
			r.err = pasid_free(fd, m.val[0]) ? errno : 0;
			break;
		case M_ALLOC:
			r.n = 1;
			r.err = pasid_alloc(fd, m.val[0], m.val[1], &r.val[0]) ?
				errno : 0;
			break;
		case M_CLOSE:
			fd_close(fd);
			fd = -1;
			r.op = M_DONE;
			break;
		case M_EXIT:
			/* exit holding whatever is held: that is the point */
			_exit(0);
		default:
			tap_fail("child: unknown message %u", m.op);
			return;
		}
		if (!msg_send(sock, &r))
			return;
	}
}

/* Ask a server child; false when no reply came */
static bool ask(struct child *c, uint32_t op, uint32_t v0, uint32_t v1,
		struct msg *reply)
{
	struct msg m = { .op = op, .n = 2, .val = { v0, v1 } };

	return msg_send(c->sock, &m) && msg_recv(c->sock, reply, M_REPLY);
}

static bool start_server(struct child *c, struct server_arg *a,
			 struct msg *ready)
{
	return child_start(c, server, a) && msg_recv(c->sock, ready, M_READY);
}

/*
 * After VM @vm_id (opened by @pid as @comm) held @pasids and went away:
 * the counters moved by exactly n, the reclaim log has one record per
 * PASID, the VM is gone from the admin API and the PASIDs can be allocated
 * again by another VM.  @s0 was taken while the VM still held them.
 */
static void check_reclaimed(const struct stats *s0, uint32_t vm_id, pid_t pid,
			    const char *comm, const uint32_t *pasids,
			    uint32_t n)
{
	static struct pasid_list log;
	static unsigned char seen[MSG_VALS];
	struct vm_list one;
	struct stats s1;
	uint32_t i, j, got, records = 0;
	int ret, fd;

	if (stats_get(&s1)) {
		EXPECT_EQ(s0->in_use - n, s1.in_use);
		EXPECT_EQ(s0->reclaimed + n, s1.reclaimed);
		EXPECT_EQ(s0->freed, s1.freed);
		EXPECT_EQ(s0->vm_count - 1, s1.vm_count);
	}

	ret = pasid_dump(VFIO_PASID_CMD_RECLAIM_GET, 0, &log);
	if (ret) {
		tap_fail("netlink RECLAIM_GET dump: %s %s", errno_name(-ret),
			 nl_extack);
	} else {
		memset(seen, 0, sizeof(seen));
		for (i = 0; i < log.n; i++) {
			const struct pasid_rec *r = &log.v[i];

			if (r->vm_id != vm_id)
				continue;
			records++;
			EXPECT_TRUE(r->pid == (uint32_t)pid,
				    "reclaim record of PASID %u: pid %u, expected %d",
				    r->pasid, r->pid, (int)pid);
			EXPECT_TRUE(!strcmp(r->comm, comm),
				    "reclaim record of PASID %u: comm '%s', expected '%s'",
				    r->pasid, r->comm, comm);
			EXPECT_TRUE(r->bound == 0,
				    "reclaim record of PASID %u: bound %d, expected 0",
				    r->pasid, r->bound);
			for (j = 0; j < n; j++)
				if (pasids[j] == r->pasid)
					break;
			if (j == n)
				tap_fail("reclaim record of PASID %u, which VM %u did not hold",
					 r->pasid, vm_id);
			else if (seen[j]++)
				tap_fail("two reclaim records of PASID %u", r->pasid);
		}
		EXPECT_TRUE(records == n,
			    "reclaim log: %u records of VM %u, expected %u",
			    records, vm_id, n);
	}

	EXPECT_TRUE(!vm_listed(vm_id), "VM %u is still in the VM dump", vm_id);
	ret = vm_get(vm_id, &one);
	EXPECT_TRUE(ret == -ENOENT, "VM_GET of released VM %u: expected ENOENT, got %s",
		    vm_id, errno_name(-ret));

	/* Every PASID can be allocated again, by another VM */
	fd = dev_open();
	if (fd < 0)
		return;
	if (n > quota_of(fd))
		EXPECT_QUOTA_SET(fd, n);
	for (i = 0; i < n; i++) {
		if (pasid_alloc(fd, pasids[i], pasids[i], &got)) {
			tap_fail("re-allocation of reclaimed PASID %u: %s",
				 pasids[i], errno_name(errno));
			continue;
		}
		EXPECT_EQ(pasids[i], got);
		EXPECT_OK(pasid_free(fd, got));
	}
	fd_close(fd);
}

/* ------------------------------------------------------------------ */
/* Module tests                                                        */

static void test_load_bad_params(void)
{
	static const char *const bad[] = {
		"backend=emulated pasid_min=0",
		"backend=emulated pasid_min=200 pasid_max=100",
		"backend=emulated pasid_max=0x100000",
		"backend=bogus",
	};
	unsigned int i;
	int ret;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		ret = module_load(bad[i]);
		if (!ret) {
			tap_fail("finit_module(\"%s\"): expected EINVAL, got success",
				 bad[i]);
			module_unload();
		} else if (ret != -EINVAL) {
			tap_fail("finit_module(\"%s\"): expected EINVAL, got %s",
				 bad[i], errno_name(-ret));
		}
		EXPECT_TRUE(!module_present(),
			    "after \"%s\": the module is loaded", bad[i]);
	}
}

static void load_config(const struct config *c)
{
	struct stats s;
	struct stat st;

	cfg = NULL;
	if (module_present()) {
		tap_fail("%s is loaded already", MOD_NAME);
		return;
	}
	if (!module_load_ok(c->params))
		return;
	cfg = c;

	if (stat(DEV_PATH, &st)) {
		tap_fail("stat(%s): %s", DEV_PATH, errno_name(errno));
	} else {
		EXPECT_TRUE(S_ISCHR(st.st_mode), "%s is not a character device",
			    DEV_PATH);
		EXPECT_EQ(0660, st.st_mode & 07777);
		EXPECT_EQ(0, st.st_uid);
	}

	if (!family_resolve_ok() || !stats_get(&s))
		return;
	EXPECT_EQ(c->pasid_min, s.pool_min);
	EXPECT_EQ(c->pasid_max, s.pool_max);
	EXPECT_EQ(c->pasid_max - c->pasid_min + 1, s.pool_size);
	EXPECT_EQ(c->default_quota, s.default_quota);
	EXPECT_EQ(0, s.in_use);
	EXPECT_EQ(0, s.vm_count);
	EXPECT_EQ(0, s.allocated);
	EXPECT_EQ(0, s.freed);
	EXPECT_EQ(0, s.reclaimed);
	EXPECT_EQ(0, s.quota_refusals);
	EXPECT_EQ(0, s.pool_refusals);
	EXPECT_TRUE(!strcmp(s.backend, "emulated"),
		    "BACKEND is '%s', expected 'emulated'", s.backend);
	EXPECT_EQ(c->default_quota, read_num_file(DEFAULT_QUOTA_PARAM));
}

static void test_load_default(void)
{
	load_config(&cfg_default);
}

static void test_load_small(void)
{
	load_config(&cfg_small);
}

static void test_unload_busy(void)
{
	int fd = dev_open();

	if (fd < 0)
		return;
	EXPECT_ERRNO(EWOULDBLOCK, syscall(SYS_delete_module, MOD_NAME,
					  O_NONBLOCK));
	EXPECT_TRUE(module_present(), "the module went away under an open descriptor");
	EXPECT_EQ(0, count_of(fd));
	fd_close(fd);
}

static void test_unload(void)
{
	if (module_unload_ok())
		cfg = NULL;
}

/* ------------------------------------------------------------------ */
/* 1. Basics                                                           */

static void test_uapi_version(void)
{
	int fd = dev_open();

	if (fd < 0)
		return;
	EXPECT_EQ(VFIO_PASID_IOMMU_UAPI_VERSION,
		  ioctl(fd, VFIO_NESTING_GET_IOMMU_UAPI_VERSION));
	EXPECT_EQ(1, ioctl(fd, VFIO_NESTING_GET_IOMMU_UAPI_VERSION, NULL));
	EXPECT_EQ(1, ioctl(fd, VFIO_NESTING_GET_IOMMU_UAPI_VERSION, (void *)1));
	fd_close(fd);
}

static void test_unknown_ioctl(void)
{
	static const struct {
		unsigned long	cmd;
		const char	*name;
	} cmds[] = {
		{ _IO(VFIO_TYPE, VFIO_BASE + 40), "_IO(VFIO_TYPE, VFIO_BASE + 40)" },
		{ _IO(VFIO_TYPE, VFIO_BASE + 21), "_IO(VFIO_TYPE, VFIO_BASE + 21)" },
		{ _IO(VFIO_TYPE, VFIO_BASE + 0), "VFIO_GET_API_VERSION" },
		{ _IO(VFIO_TYPE, VFIO_BASE + 255), "_IO(VFIO_TYPE, VFIO_BASE + 255)" },
		{ _IOWR(VFIO_TYPE, VFIO_BASE + 22,
			struct vfio_iommu_type1_pasid_request),
		  "_IOWR(VFIO_TYPE, VFIO_BASE + 22, pasid_request)" },
		{ _IO(VFIO_TYPE + 1, VFIO_BASE + 22), "_IO(VFIO_TYPE + 1, VFIO_BASE + 22)" },
		{ 0xdeadbeef, "0xdeadbeef" },
		{ 0, "0" },
	};
	uint32_t buf[64] = { sizeof(buf) };
	unsigned int i;
	int fd = dev_open();

	if (fd < 0)
		return;
	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		CHECK(ENOTTY, fd, cmds[i].cmd, buf, "cmd %s", cmds[i].name);
		CHECK(ENOTTY, fd, cmds[i].cmd, NULL, "cmd %s with NULL", cmds[i].name);
	}
	EXPECT_EQ(0, count_of(fd));
	fd_close(fd);
}

static void test_bad_pointer(void)
{
	static const struct {
		unsigned long	cmd;
		uint32_t	size;
	} cmds[] = {
		{ VFIO_IOMMU_PASID_REQUEST,
		  sizeof(struct vfio_iommu_type1_pasid_request) },
		{ VFIO_IOMMU_SET_PASID_QUOTA,
		  sizeof(struct vfio_iommu_type1_pasid_quota) },
		{ VFIO_PASID_GET_INFO, sizeof(struct vfio_pasid_info) },
	};
	long page = sysconf(_SC_PAGESIZE);
	struct vfio_iommu_type1_pasid_request *req;
	struct vfio_iommu_type1_pasid_quota *q;
	struct vfio_pasid_info *info;
	struct stats s0, s1;
	char *mem, *none, *ro;
	uint32_t pasid, quota;
	unsigned int i;
	int fd;

	mem = mmap(NULL, 3 * page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED) {
		tap_fail("mmap: %s", errno_name(errno));
		return;
	}
	none = mem + page;
	ro = mem + 2 * page;
	mprotect(none, page, PROT_NONE);

	fd = dev_open();
	if (fd < 0)
		goto out;
	quota = quota_of(fd);

	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		/* a struct whose argsz is readable but whose body is not */
		uint32_t *straddle = (uint32_t *)(none - sizeof(uint32_t));

		*straddle = cmds[i].size;
		CHECK(EFAULT, fd, cmds[i].cmd, NULL,  "NULL");
		CHECK(EFAULT, fd, cmds[i].cmd, (void *)1,  "(void *)1");
		CHECK(EFAULT, fd, cmds[i].cmd, none, 
				   "unmapped page");
		CHECK(EFAULT, fd, cmds[i].cmd, straddle, 
				   "struct running into an unmapped page");
	}
	EXPECT_EQ(0, count_of(fd));

	/*
	 * Read-only memory: input-only requests work, requests that write a
	 * result fail with EFAULT and leave nothing behind.
	 */
	if (!stats_get(&s0))
		goto out;
	req = (void *)ro;
	memset(req, 0, sizeof(*req));
	req->argsz = sizeof(*req);
	req->flags = VFIO_IOMMU_PASID_ALLOC;
	req->alloc_pasid.min = cfg->pasid_min;
	req->alloc_pasid.max = cfg->pasid_max;
	mprotect(ro, page, PROT_READ);
	CHECK(EFAULT, fd, VFIO_IOMMU_PASID_REQUEST, req, 
			   "alloc into read-only memory");
	EXPECT_EQ(0, count_of(fd));
	if (stats_get(&s1))
		EXPECT_EQ(s0.in_use, s1.in_use);

	mprotect(ro, page, PROT_READ | PROT_WRITE);
	info = (void *)ro;
	memset(info, 0, sizeof(*info));
	info->argsz = sizeof(*info);
	mprotect(ro, page, PROT_READ);
	CHECK(EFAULT, fd, VFIO_PASID_GET_INFO, info, 
			   "into read-only memory");

	mprotect(ro, page, PROT_READ | PROT_WRITE);
	q = (void *)ro;
	memset(q, 0, sizeof(*q));
	q->argsz = sizeof(*q);
	q->flags = VFIO_PASID_QUOTA_GET;
	mprotect(ro, page, PROT_READ);
	CHECK(EFAULT, fd, VFIO_IOMMU_SET_PASID_QUOTA, q, 
			   "QUOTA_GET into read-only memory");
	EXPECT_EQ(quota, quota_of(fd));

	/* a free reads its struct only */
	if (EXPECT_OK(pasid_alloc(fd, cfg->pasid_min, cfg->pasid_max, &pasid))) {
		fd_close(fd);
		goto out;
	}
	mprotect(ro, page, PROT_READ | PROT_WRITE);
	memset(req, 0, sizeof(*req));
	req->argsz = sizeof(*req);
	req->flags = VFIO_IOMMU_PASID_FREE;
	req->free_pasid = pasid;
	mprotect(ro, page, PROT_READ);
	EXPECT_OK(ioctl(fd, VFIO_IOMMU_PASID_REQUEST, req));
	EXPECT_EQ(0, count_of(fd));
	fd_close(fd);
out:
	munmap(mem, 3 * page);
}

/* ------------------------------------------------------------------ */
/* 2. Struct length rules                                              */

static void test_argsz_pasid_request(void)
{
	const uint32_t sz = sizeof(struct vfio_iommu_type1_pasid_request);
	static const uint32_t small[] = { 0, 4, 8, 12, 16, 19 };
	union {
		struct vfio_iommu_type1_pasid_request r;
		uint8_t b[64];
	} u;
	long page = sysconf(_SC_PAGESIZE);
	struct vfio_iommu_type1_pasid_request *big;
	uint32_t pasid;
	unsigned int i;
	int fd = dev_open();

	if (fd < 0)
		return;

#define FILL_ALLOC(argsz_) do {						\
		memset(&u, 0, sizeof(u));				\
		u.r.argsz = (argsz_);					\
		u.r.flags = VFIO_IOMMU_PASID_ALLOC;			\
		u.r.alloc_pasid.min = cfg->pasid_min;			\
		u.r.alloc_pasid.max = cfg->pasid_max;			\
	} while (0)
#define FILL_FREE(argsz_, p) do {					\
		memset(&u, 0, sizeof(u));				\
		u.r.argsz = (argsz_);					\
		u.r.flags = VFIO_IOMMU_PASID_FREE;			\
		u.r.free_pasid = (p);					\
	} while (0)

	/* below the minimum: EINVAL, nothing allocated */
	for (i = 0; i < ARRAY_SIZE(small); i++) {
		FILL_ALLOC(small[i]);
		CHECK(EINVAL, fd, VFIO_IOMMU_PASID_REQUEST, &u, "alloc argsz %u", small[i]);
	}
	EXPECT_EQ(0, count_of(fd));

	/* bigger with a zero tail: as if exact */
	FILL_ALLOC(sz + 8);
	if (EXPECT_OK(ioctl(fd, VFIO_IOMMU_PASID_REQUEST, &u)) == 0) {
		pasid = u.r.alloc_pasid.result;
		EXPECT_TRUE(pasid >= cfg->pasid_min && pasid <= cfg->pasid_max,
			    "PASID %u outside the pool", pasid);
		for (i = sz; i < sz + 8; i++)
			EXPECT_TRUE(!u.b[i], "tail byte %u written", i);
		EXPECT_EQ(1, count_of(fd));
		/* a non-zero tail: E2BIG, the PASID stays */
		FILL_FREE(sz + 8, pasid);
		u.b[sz + 7] = 1;
		CHECK(E2BIG, fd, VFIO_IOMMU_PASID_REQUEST, &u, 
				   "free argsz size+8, last tail byte 1");
		EXPECT_EQ(1, count_of(fd));
		FILL_FREE(sz + 8, pasid);
		EXPECT_OK(ioctl(fd, VFIO_IOMMU_PASID_REQUEST, &u));
		EXPECT_EQ(0, count_of(fd));
	}

	FILL_ALLOC(sz + 1);
	if (EXPECT_OK(ioctl(fd, VFIO_IOMMU_PASID_REQUEST, &u)) == 0) {
		pasid = u.r.alloc_pasid.result;
		FILL_FREE(sz + 1, pasid);
		EXPECT_OK(ioctl(fd, VFIO_IOMMU_PASID_REQUEST, &u));
	}

	/* bigger with a non-zero tail: E2BIG, nothing allocated */
	FILL_ALLOC(sz + 8);
	u.b[sz + 7] = 1;
	CHECK(E2BIG, fd, VFIO_IOMMU_PASID_REQUEST, &u, 
			   "alloc argsz size+8, last tail byte 1");
	FILL_ALLOC(sz + 8);
	u.b[sz] = 0xff;
	CHECK(E2BIG, fd, VFIO_IOMMU_PASID_REQUEST, &u, 
			   "alloc argsz size+8, first tail byte 0xff");
	FILL_ALLOC(sz + 1);
	u.b[sz] = 0x80;
	CHECK(E2BIG, fd, VFIO_IOMMU_PASID_REQUEST, &u, 
			   "alloc argsz size+1, tail byte 0x80");
	EXPECT_EQ(0, count_of(fd));

	/* a page-sized struct with a zero tail */
	big = mmap(NULL, page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (big != MAP_FAILED) {
		big->argsz = page;
		big->flags = VFIO_IOMMU_PASID_ALLOC;
		big->alloc_pasid.min = cfg->pasid_min;
		big->alloc_pasid.max = cfg->pasid_max;
		if (EXPECT_OK(ioctl(fd, VFIO_IOMMU_PASID_REQUEST, big)) == 0) {
			pasid = big->alloc_pasid.result;
			memset(big, 0, page);
			big->argsz = page;
			big->flags = VFIO_IOMMU_PASID_FREE;
			big->free_pasid = pasid;
			EXPECT_OK(ioctl(fd, VFIO_IOMMU_PASID_REQUEST, big));
		}
		munmap(big, page);
	}
	EXPECT_EQ(0, count_of(fd));
	fd_close(fd);
#undef FILL_ALLOC
#undef FILL_FREE
}

static void test_argsz_pasid_quota(void)
{
	const uint32_t sz = sizeof(struct vfio_iommu_type1_pasid_quota);
	static const uint32_t small[] = { 0, 4, 8, 11 };
	union {
		struct vfio_iommu_type1_pasid_quota q;
		uint8_t b[64];
	} u;
	uint32_t q0, target;
	unsigned int i;
	int fd = dev_open();

	if (fd < 0)
		return;
	q0 = quota_of(fd);
	target = q0 - 1;

#define FILL_QUOTA(argsz_, flags_, quota_) do {				\
		memset(&u, 0, sizeof(u));				\
		u.q.argsz = (argsz_);					\
		u.q.flags = (flags_);					\
		u.q.quota = (quota_);					\
	} while (0)

	for (i = 0; i < ARRAY_SIZE(small); i++) {
		FILL_QUOTA(small[i], 0, target);
		CHECK(EINVAL, fd, VFIO_IOMMU_SET_PASID_QUOTA, &u, "set argsz %u", small[i]);
		FILL_QUOTA(small[i], VFIO_PASID_QUOTA_GET, 0);
		CHECK(EINVAL, fd, VFIO_IOMMU_SET_PASID_QUOTA, &u, "get argsz %u", small[i]);
	}
	EXPECT_EQ(q0, quota_of(fd));

	/*
	 * bigger with a zero tail: as if exact, the new quota is returned
	 * and comes back in the struct
	 */
	FILL_QUOTA(sz + 8, 0, target);
	if (EXPECT_QUOTA_IOCTL(fd, &u, target))
		EXPECT_EQ(target, u.q.quota);
	for (i = sz; i < sz + 8; i++)
		EXPECT_TRUE(!u.b[i], "tail byte %u written", i);
	EXPECT_EQ(target, quota_of(fd));
	FILL_QUOTA(sz + 8, VFIO_PASID_QUOTA_GET, 0);
	if (EXPECT_QUOTA_IOCTL(fd, &u, target))
		EXPECT_EQ(target, u.q.quota);
	FILL_QUOTA(sz + 1, 0, target - 1);
	if (EXPECT_QUOTA_IOCTL(fd, &u, target - 1))
		EXPECT_EQ(target - 1, u.q.quota);
	target--;

	/* bigger with a non-zero tail: E2BIG, quota unchanged */
	FILL_QUOTA(sz + 8, 0, target - 1);
	u.b[sz + 7] = 1;
	CHECK(E2BIG, fd, VFIO_IOMMU_SET_PASID_QUOTA, &u, 
			   "set argsz size+8, last tail byte 1");
	FILL_QUOTA(sz + 1, 0, target - 1);
	u.b[sz] = 0xff;
	CHECK(E2BIG, fd, VFIO_IOMMU_SET_PASID_QUOTA, &u, 
			   "set argsz size+1, tail byte 0xff");
	FILL_QUOTA(sz + 8, VFIO_PASID_QUOTA_GET, 0);
	u.b[sz + 3] = 2;
	CHECK(E2BIG, fd, VFIO_IOMMU_SET_PASID_QUOTA, &u, 
			   "get argsz size+8, tail byte 2");
	EXPECT_EQ(target, quota_of(fd));
	fd_close(fd);
#undef FILL_QUOTA
}

static void test_argsz_get_info(void)
{
	const uint32_t sz = sizeof(struct vfio_pasid_info);
	static const uint32_t small[] = { 0, 4, 8, 20, 23 };
	union {
		struct vfio_pasid_info i;
		uint8_t b[64];
	} u;
	long page = sysconf(_SC_PAGESIZE);
	struct vfio_pasid_info *big;
	uint32_t vm_id = 0;
	unsigned int i;
	int fd = dev_open();

	if (fd < 0)
		return;

	for (i = 0; i < ARRAY_SIZE(small); i++) {
		memset(&u, 0, sizeof(u));
		u.i.argsz = small[i];
		CHECK(EINVAL, fd, VFIO_PASID_GET_INFO, &u, "argsz %u", small[i]);
	}

	/* exact; output fields given garbage are overwritten */
	memset(&u, 0, sizeof(u));
	u.i.argsz = sz;
	u.i.vm_id = 0xdeadbeef;
	u.i.quota = 0xdeadbeef;
	u.i.count = 0xdeadbeef;
	u.i.cap_offset = 0xdeadbeef;
	if (EXPECT_OK(ioctl(fd, VFIO_PASID_GET_INFO, &u)) == 0) {
		EXPECT_EQ(sz, u.i.argsz);
		EXPECT_EQ(0, u.i.flags);
		EXPECT_NE(0, u.i.vm_id);
		EXPECT_NE(0xdeadbeef, u.i.vm_id);
		EXPECT_EQ(cfg->default_quota, u.i.quota);
		EXPECT_EQ(0, u.i.count);
		EXPECT_EQ(0, u.i.cap_offset);
		vm_id = u.i.vm_id;
	}

	/* a bigger output buffer: its tail is not checked nor written */
	memset(&u, 0xa5, sizeof(u));
	u.i.argsz = sz + 8;
	u.i.flags = 0;
	if (EXPECT_OK(ioctl(fd, VFIO_PASID_GET_INFO, &u)) == 0) {
		EXPECT_EQ(sz, u.i.argsz);
		EXPECT_EQ(vm_id, u.i.vm_id);
		EXPECT_EQ(0, u.i.count);
		EXPECT_EQ(0, u.i.cap_offset);
		for (i = sz; i < sz + 8; i++)
			EXPECT_TRUE(u.b[i] == 0xa5, "tail byte %u: 0x%02x, expected 0xa5",
				    i, u.b[i]);
	}

	/* unknown flag bits */
	memset(&u, 0, sizeof(u));
	u.i.argsz = sz;
	u.i.flags = 1U << 31;
	CHECK(EINVAL, fd, VFIO_PASID_GET_INFO, &u,  "flags 1<<31");
	u.i.flags = VFIO_PASID_INFO_CAPS | (1U << 1);
	CHECK(EINVAL, fd, VFIO_PASID_GET_INFO, &u,  "flags CAPS | 1<<1");

	/*
	 * an output-only flag given back is ignored (VFIO's convention): no
	 * chain here, so it comes back clear
	 */
	memset(&u, 0, sizeof(u));
	u.i.argsz = sz;
	u.i.flags = VFIO_PASID_INFO_CAPS;
	if (CHECK(0, fd, VFIO_PASID_GET_INFO, &u, "flags CAPS on input")) {
		EXPECT_EQ(0, u.i.flags);
		EXPECT_EQ(vm_id, u.i.vm_id);
		EXPECT_EQ(sz, u.i.argsz);
	}

	/* a page-sized buffer */
	big = mmap(NULL, page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (big != MAP_FAILED) {
		big->argsz = page;
		if (EXPECT_OK(ioctl(fd, VFIO_PASID_GET_INFO, big)) == 0) {
			EXPECT_EQ(vm_id, big->vm_id);
			EXPECT_EQ(sz, big->argsz);
		}
		munmap(big, page);
	}
	fd_close(fd);
}

/*
 * A request of @cmd in @s for the bounded-size tests: argsz @argsz, flags
 * @flags, and what makes it valid but for its size (a PASID range, a quota
 * below @q0)
 */
static void bounded_fill(uint32_t *s, unsigned long cmd, uint32_t argsz,
			 uint32_t flags, uint32_t q0)
{
	s[0] = argsz;
	s[1] = flags;
	if (cmd == VFIO_IOMMU_PASID_REQUEST) {
		s[2] = cfg->pasid_min;
		s[3] = cfg->pasid_max;
	} else if (cmd == VFIO_IOMMU_SET_PASID_QUOTA) {
		s[2] = q0 - 1;
	}
}

/*
 * No request reads or zero-checks more than a page of user memory,
 * whatever argsz says.  Each input struct sits at the end of a mapped page
 * followed by an unmapped one, with argsz 1 MiB: a kernel that reads on to
 * check the tail faults (EFAULT); it must refuse the size (E2BIG) without
 * reading.  A page and one byte, all of it mapped and zero, is refused the
 * same way; a page exactly with a zero tail works as if exact.
 */
static void test_argsz_page_limit(void)
{
	static const struct {
		unsigned long	cmd;
		const char	*name;
		uint32_t	size;
		uint32_t	flags;
	} cmds[] = {
		{ VFIO_IOMMU_PASID_REQUEST, "PASID_REQUEST",
		  sizeof(struct vfio_iommu_type1_pasid_request),
		  VFIO_IOMMU_PASID_ALLOC },
		{ VFIO_IOMMU_SET_PASID_QUOTA, "SET_PASID_QUOTA",
		  sizeof(struct vfio_iommu_type1_pasid_quota), 0 },
		{ VFIO_PASID_ATTACH_GROUP, "ATTACH_GROUP",
		  sizeof(struct vfio_pasid_group), 0 },
		{ VFIO_PASID_DETACH_GROUP, "DETACH_GROUP",
		  sizeof(struct vfio_pasid_group), 0 },
		{ VFIO_IOMMU_BIND, "BIND",
		  sizeof(struct vfio_iommu_type1_bind) +
		  sizeof(struct iommu_gpasid_bind_data),
		  VFIO_IOMMU_BIND_GUEST_PGTBL },
		{ VFIO_IOMMU_CACHE_INVALIDATE, "CACHE_INVALIDATE",
		  sizeof(struct vfio_iommu_type1_cache_invalidate), 0 },
	};
	const uint32_t big[] = { 1U << 20, UINT32_MAX };
	long page = sysconf(_SC_PAGESIZE);
	struct vfio_iommu_type1_pasid_request *req;
	struct vfio_iommu_type1_pasid_quota *q;
	struct vfio_pasid_info *info;
	uint32_t q0, vm_id, *s;
	unsigned int i, j;
	char *mem, *two;
	int fd;

	mem = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	two = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED || two == MAP_FAILED) {
		tap_fail("mmap: %s", errno_name(errno));
		return;
	}
	/* the page after the first is not there */
	munmap(mem + page, page);
	fd = dev_open();
	if (fd < 0)
		goto out;
	q0 = quota_of(fd);
	vm_id = vm_id_of(fd);

	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		for (j = 0; j < ARRAY_SIZE(big); j++) {
			s = (uint32_t *)(mem + page - cmds[i].size);
			memset(s, 0, cmds[i].size);
			bounded_fill(s, cmds[i].cmd, big[j], cmds[i].flags, q0);
			CHECK(E2BIG, fd, cmds[i].cmd, s,
			      "%s, argsz %u, the struct at the end of the last mapped page",
			      cmds[i].name, big[j]);
		}
		/* mapped and zero, one byte more than a page: refused all the same */
		s = (uint32_t *)two;
		memset(two, 0, 2 * page);
		bounded_fill(s, cmds[i].cmd, page + 1, cmds[i].flags, q0);
		CHECK(E2BIG, fd, cmds[i].cmd, s, "%s, argsz %ld, the tail zero",
		      cmds[i].name, page + 1);
	}
	EXPECT_EQ(0, count_of(fd));
	EXPECT_EQ(q0, quota_of(fd));

	/* a page exactly, the tail zero: as if exact */
	memset(two, 0, 2 * page);
	q = (void *)two;
	q->argsz = page;
	q->quota = q0 - 1;
	if (EXPECT_QUOTA_IOCTL(fd, q, q0 - 1))
		EXPECT_EQ(q0 - 1, q->quota);
	EXPECT_EQ(q0 - 1, quota_of(fd));
	memset(two, 0, 2 * page);
	req = (void *)two;
	req->argsz = page;
	req->flags = VFIO_IOMMU_PASID_ALLOC;
	req->alloc_pasid.min = cfg->pasid_min;
	req->alloc_pasid.max = cfg->pasid_max;
	if (CHECK(0, fd, VFIO_IOMMU_PASID_REQUEST, req, "argsz %ld, the tail zero", page)) {
		EXPECT_EQ(1, count_of(fd));
		EXPECT_OK(pasid_free(fd, req->alloc_pasid.result));
	}

	/*
	 * GET_INFO's argsz is the size of an output buffer: not limited, and
	 * nothing beyond the struct is read or written
	 */
	info = (void *)(mem + page - sizeof(*info));
	memset(info, 0, sizeof(*info));
	info->argsz = 1U << 20;
	if (CHECK(0, fd, VFIO_PASID_GET_INFO, info, "argsz 1 MiB, the struct at the end of the last mapped page")) {
		EXPECT_EQ(sizeof(*info), info->argsz);
		EXPECT_EQ(vm_id, info->vm_id);
	}
	EXPECT_EQ(0, count_of(fd));
	fd_close(fd);
out:
	munmap(mem, page);
	munmap(two, 2 * page);
}

struct flipper {
	uint32_t	*argsz;
	uint32_t	good;
	atomic_bool	stop;
};

/* argsz good, 0, good, 0... until told to stop */
static void *flip_argsz(void *p)
{
	struct flipper *f = p;

	while (!atomic_load_explicit(&f->stop, memory_order_relaxed)) {
		__atomic_store_n(f->argsz, f->good, __ATOMIC_RELAXED);
		__atomic_store_n(f->argsz, 0, __ATOMIC_RELAXED);
	}
	return NULL;
}

/*
 * argsz is read once: a thread changes GET_INFO's argsz between its size
 * and 0 while another calls it.  A call refused (EINVAL) read 0; a call
 * that succeeded read the size, and must then have written the struct: a
 * kernel that checks the size it read first but writes as much as a second
 * read of argsz says writes nothing when that read sees 0.
 */
static void test_argsz_read_once(void)
{
	union {
		struct vfio_pasid_info i;
		uint8_t b[64];
	} u __attribute__((aligned(64)));
	struct flipper f = { .argsz = &u.i.argsz, .good = sizeof(u.i) };
	unsigned long n, ok = 0, refused = 0, other = 0, torn = 0;
	uint32_t vm_id;
	double end;
	pthread_t t;
	int fd = dev_open(), ret;

	if (fd < 0)
		return;
	vm_id = vm_id_of(fd);
	memset(&u, 0, sizeof(u));
	atomic_init(&f.stop, false);
	if (pthread_create(&t, NULL, flip_argsz, &f)) {
		tap_fail("pthread_create: %s", errno_name(errno));
		fd_close(fd);
		return;
	}
	end = now() + 3;
	for (n = 0; n < 1000000 && (n % 64 || now() < end); n++) {
		__atomic_store_n(&u.i.vm_id, 0, __ATOMIC_RELAXED);
		ret = ioctl(fd, VFIO_PASID_GET_INFO, &u);
		if (!ret) {
			ok++;
			if (__atomic_load_n(&u.i.vm_id, __ATOMIC_RELAXED) != vm_id)
				torn++;
		} else if (errno == EINVAL) {
			refused++;
		} else {
			other++;
		}
	}
	atomic_store(&f.stop, true);
	pthread_join(t, NULL);
	tap_note("%lu calls: %lu succeeded, %lu EINVAL", n, ok, refused);
	EXPECT_TRUE(!torn, "%lu of %lu successful GET_INFO wrote no vm_id: argsz was read again",
		    torn, ok);
	EXPECT_EQ(0, other);
	/* both sizes were seen, or the test proved nothing */
	EXPECT_TRUE(ok && refused, "the race did not happen: %lu succeeded, %lu EINVAL",
		    ok, refused);
	fd_close(fd);
}

/* ------------------------------------------------------------------ */
/* 3. PASID_REQUEST                                                    */

static void test_request_flags(void)
{
	static const uint32_t bad[] = {
		0,
		VFIO_IOMMU_PASID_ALLOC | VFIO_IOMMU_PASID_FREE,
		1U << 5,
		VFIO_IOMMU_PASID_ALLOC | (1U << 5),
		VFIO_IOMMU_PASID_FREE | (1U << 5),
		1U << 31,
		~0U,
	};
	struct vfio_iommu_type1_pasid_request req;
	struct stats s0, s1;
	unsigned int i;
	int fd = dev_open();

	if (fd < 0 || !stats_get(&s0))
		return;
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		memset(&req, 0, sizeof(req));
		req.argsz = sizeof(req);
		req.flags = bad[i];
		req.alloc_pasid.min = cfg->pasid_min;
		req.alloc_pasid.max = cfg->pasid_max;
		CHECK(EINVAL, fd, VFIO_IOMMU_PASID_REQUEST, &req, "flags 0x%x", bad[i]);
	}
	EXPECT_EQ(0, count_of(fd));
	if (stats_get(&s1)) {
		EXPECT_EQ(s0.allocated, s1.allocated);
		EXPECT_EQ(s0.freed, s1.freed);
	}
	fd_close(fd);
}

static void test_alloc_range(void)
{
	const uint32_t lo = cfg->pasid_min, hi = cfg->pasid_max;
	const struct {
		uint32_t min, max;
	} bad[] = {
		{ lo + 2, lo + 1 },
		{ hi, lo },
		{ lo - 1, lo + 10 },
		{ lo - 1, lo - 1 },
		{ 0, 0 },
		{ lo, hi + 1 },
		{ hi + 1, hi + 1 },
		{ 0, UINT32_MAX },
		{ UINT32_MAX, UINT32_MAX },
	};
	uint32_t held[16], n = 0, p, i, mid;
	struct stats s0, s1;
	int fd = dev_open();

	if (fd < 0 || !stats_get(&s0))
		return;
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		errno = 0;
		if (!pasid_alloc(fd, bad[i].min, bad[i].max, &p)) {
			tap_fail("alloc [%u, %u]: expected EINVAL, got PASID %u",
				 bad[i].min, bad[i].max, p);
			held[n++] = p;
		} else if (errno != EINVAL) {
			tap_fail("alloc [%u, %u]: expected EINVAL, got %s",
				 bad[i].min, bad[i].max, errno_name(errno));
		}
	}
	EXPECT_EQ(n, count_of(fd));

	/* results lie in [min, max] and differ */
	mid = lo + (hi - lo) / 2;
	for (i = 0; i < 3; i++) {
		if (EXPECT_OK(pasid_alloc(fd, mid, hi, &p)))
			continue;
		EXPECT_TRUE(p >= mid && p <= hi, "PASID %u outside [%u, %u]",
			    p, mid, hi);
		if (n && p == held[n - 1])
			tap_fail("PASID %u handed out twice", p);
		held[n++] = p;
	}
	/* min == max on a free PASID gives exactly that one */
	p = 0;
	if (!EXPECT_OK(pasid_alloc(fd, mid - 3, mid - 3, &p))) {
		EXPECT_EQ(mid - 3, p);
		held[n++] = p;
		/* and again, while it is held: ENOSPC, a pool refusal */
		EXPECT_ERRNO(ENOSPC, pasid_alloc(fd, mid - 3, mid - 3, &p));
	}
	/* the ends of the pool */
	if (!EXPECT_OK(pasid_alloc(fd, lo, lo, &p))) {
		EXPECT_EQ(lo, p);
		held[n++] = p;
	}
	if (!EXPECT_OK(pasid_alloc(fd, hi, hi, &p))) {
		EXPECT_EQ(hi, p);
		held[n++] = p;
	}
	if (!EXPECT_OK(pasid_alloc(fd, lo, hi, &p))) {
		EXPECT_TRUE(p >= lo && p <= hi, "PASID %u outside the pool", p);
		held[n++] = p;
	}
	EXPECT_EQ(n, count_of(fd));
	if (stats_get(&s1)) {
		EXPECT_EQ(s0.allocated + n, s1.allocated);
		EXPECT_EQ(s0.in_use + n, s1.in_use);
		EXPECT_EQ(s0.pool_refusals + 1, s1.pool_refusals);
		EXPECT_EQ(s0.quota_refusals, s1.quota_refusals);
	}
	free_n(fd, n, held);
	EXPECT_EQ(0, count_of(fd));
	if (stats_get(&s1))
		EXPECT_EQ(s0.freed + n, s1.freed);
	fd_close(fd);
}

static void test_free_errors(void)
{
	struct server_arg a = { .n = 1, .comm = "vp-other" };
	struct stats s0, s1;
	struct child c;
	struct msg m;
	uint32_t p, q, other;
	int fd = dev_open();

	if (fd < 0 || !stats_get(&s0))
		return;
	EXPECT_ERRNO(ENOENT, pasid_free(fd, cfg->pasid_min + 776));
	EXPECT_ERRNO(ENOENT, pasid_free(fd, 0));
	EXPECT_ERRNO(ENOENT, pasid_free(fd, UINT32_MAX));
	EXPECT_ERRNO(ENOENT, pasid_free(fd, PASID_LIMIT + 1));
	if (!EXPECT_OK(pasid_alloc(fd, cfg->pasid_min, cfg->pasid_max, &p))) {
		EXPECT_OK(pasid_free(fd, p));
		/* double free */
		EXPECT_ERRNO(ENOENT, pasid_free(fd, p));
	}
	if (stats_get(&s1)) {
		EXPECT_EQ(s0.allocated + 1, s1.allocated);
		EXPECT_EQ(s0.freed + 1, s1.freed);
	}

	/* another VM's PASID: ENOENT, and it stays with the other VM */
	if (!start_server(&c, &a, &m))
		return;
	q = m.val[0];
	other = m.vm_id;
	EXPECT_NE(vm_id_of(fd), other);
	EXPECT_ERRNO(ENOENT, pasid_free(fd, q));
	EXPECT_EQ(0, count_of(fd));
	if (ask(&c, M_ASK_INFO, 0, 0, &m))
		EXPECT_EQ(1, m.val[0]);
	EXPECT_ERRNO(ENOSPC, pasid_alloc(fd, q, q, &p));
	if (ask(&c, M_FREE, q, 0, &m))
		EXPECT_TRUE(m.err == 0, "the owner's free of PASID %u: %s", q,
			    errno_name(m.err));
	if (!EXPECT_OK(pasid_alloc(fd, q, q, &p))) {
		EXPECT_EQ(q, p);
		EXPECT_OK(pasid_free(fd, p));
	}
	if (ask(&c, M_FREE, q, 0, &m))
		EXPECT_TRUE(m.err == ENOENT,
			    "the old owner frees PASID %u again: expected ENOENT, got %s",
			    q, errno_name(m.err));
	child_stop(&c);
	fd_close(fd);
}

/* ------------------------------------------------------------------ */
/* 4. Quota                                                            */

static void test_quota_get(void)
{
	struct vfio_iommu_type1_pasid_quota q = {
		.argsz = sizeof(q), .flags = VFIO_PASID_QUOTA_GET,
		.quota = 12345,
	};
	struct vm_list l;
	int fd = dev_open(), ret;

	if (fd < 0)
		return;
	/* the quota is returned and written back */
	EXPECT_EQ(cfg->default_quota, QUOTA_GET(fd));
	EXPECT_EQ(cfg->default_quota, quota_of(fd));
	/* QUOTA_GET reads only: the quota given is ignored */
	if (EXPECT_QUOTA_IOCTL(fd, &q, cfg->default_quota))
		EXPECT_EQ(cfg->default_quota, q.quota);
	EXPECT_EQ(cfg->default_quota, quota_of(fd));
	ret = vm_get(vm_id_of(fd), &l);
	if (EXPECT_TRUE(!ret && l.n == 1, "VM_GET: %s, %u replies",
			errno_name(-ret), l.n))
		EXPECT_EQ(cfg->default_quota, l.v[0].quota);
	fd_close(fd);
}

static void test_quota_set(void)
{
	struct vfio_iommu_type1_pasid_quota q;
	static const uint32_t bad_flags[] = {
		1U << 1, 1U << 31, VFIO_PASID_QUOTA_GET | (1U << 1),
	};
	uint32_t held[8], p, i;
	struct stats s0, s1;
	int fd = dev_open();

	if (fd < 0)
		return;
	if (!alloc_n(fd, cfg->pasid_min, cfg->pasid_max, 5, held))
		return;

	/* equal to the count: allowed; the new quota is returned */
	EXPECT_QUOTA_SET(fd, 5);
	EXPECT_EQ(5, QUOTA_GET(fd));
	EXPECT_EQ(5, quota_of(fd));
	/* below the count */
	EXPECT_ERRNO(EINVAL, quota_set(fd, 4, NULL));
	EXPECT_ERRNO(EINVAL, quota_set(fd, 0, NULL));
	EXPECT_EQ(5, quota_of(fd));
	/* at quota */
	if (stats_get(&s0)) {
		EXPECT_ERRNO(ENOSPC, pasid_alloc(fd, cfg->pasid_min,
						 cfg->pasid_max, &p));
		if (stats_get(&s1)) {
			EXPECT_EQ(s0.quota_refusals + 1, s1.quota_refusals);
			EXPECT_EQ(s0.pool_refusals, s1.pool_refusals);
		}
	}
	/* above the pool size */
	EXPECT_ERRNO(EINVAL, quota_set(fd, pool_size() + 1, NULL));
	EXPECT_ERRNO(EINVAL, quota_set(fd, PASID_LIMIT + 1, NULL));
	EXPECT_ERRNO(EINVAL, quota_set(fd, UINT32_MAX, NULL));
	EXPECT_EQ(5, quota_of(fd));
	/* the pool size itself (raising: we are root) */
	EXPECT_QUOTA_SET(fd, pool_size());
	/* lowering */
	EXPECT_QUOTA_SET(fd, 7);
	if (EXPECT_OK(pasid_alloc(fd, cfg->pasid_min, cfg->pasid_max, &held[5])))
		return;
	EXPECT_EQ(6, count_of(fd));

	/* unknown flags */
	for (i = 0; i < ARRAY_SIZE(bad_flags); i++) {
		memset(&q, 0, sizeof(q));
		q.argsz = sizeof(q);
		q.flags = bad_flags[i];
		q.quota = 9;
		CHECK(EINVAL, fd, VFIO_IOMMU_SET_PASID_QUOTA, &q, "flags 0x%x", bad_flags[i]);
	}
	EXPECT_EQ(7, quota_of(fd));

	free_n(fd, 6, held);
	/* quota 0 with nothing held: allowed, and nothing can be allocated */
	EXPECT_QUOTA_SET(fd, 0);
	EXPECT_ERRNO(ENOSPC, pasid_alloc(fd, cfg->pasid_min, cfg->pasid_max, &p));
	fd_close(fd);
}

/* CAP_SYS_RESOURCE dropped from the effective set, then taken back */
static void quota_cap_child(int sock, void *arg)
{
	uint32_t q0, half, p;
	int fd;

	(void)sock;
	(void)arg;
	fd = dev_open();
	if (fd < 0)
		return;
	q0 = quota_of(fd);
	half = q0 / 2;
	if (!cap_set_effective(CAP_SYS_RESOURCE, false))
		return;
	if (!EXPECT_TRUE(!cap_effective(CAP_SYS_RESOURCE),
			 "CAP_SYS_RESOURCE still effective"))
		return;
	/* lowering and keeping need no capability */
	EXPECT_QUOTA_SET(fd, half);
	EXPECT_QUOTA_SET(fd, half);
	/* raising does */
	EXPECT_ERRNO(EPERM, quota_set(fd, half + 1, NULL));
	EXPECT_ERRNO(EPERM, quota_set(fd, q0, NULL));
	EXPECT_EQ(half, quota_of(fd));
	/* the rest works as before */
	if (!EXPECT_OK(pasid_alloc(fd, cfg->pasid_min, cfg->pasid_max, &p)))
		EXPECT_OK(pasid_free(fd, p));
	/* with the capability back, raising works */
	if (!cap_set_effective(CAP_SYS_RESOURCE, true))
		return;
	EXPECT_QUOTA_SET(fd, q0);
	EXPECT_EQ(q0, quota_of(fd));
	fd_close(fd);
}

static void test_quota_cap(void)
{
	struct child c;

	if (child_start(&c, quota_cap_child, NULL))
		child_reap(&c, 0);
}

/* Open as root, then become nobody: no capability left */
static void quota_nobody_child(int sock, void *arg)
{
	uint32_t q0, half, p = 0;
	int fd;

	(void)sock;
	(void)arg;
	fd = dev_open();
	if (fd < 0)
		return;
	q0 = quota_of(fd);
	half = q0 / 2;
	if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534)) {
		tap_fail("setresuid(65534): %s", errno_name(errno));
		return;
	}
	EXPECT_TRUE(!cap_effective(CAP_SYS_RESOURCE),
		    "nobody has CAP_SYS_RESOURCE");
	/* the node is root's, 0660 */
	EXPECT_ERRNO(EACCES, open(DEV_PATH, O_RDWR | O_CLOEXEC));
	/* the descriptor opened as root keeps working */
	EXPECT_OK(pasid_alloc(fd, cfg->pasid_min, cfg->pasid_max, &p));
	EXPECT_EQ(1, count_of(fd));
	EXPECT_QUOTA_SET(fd, half);
	EXPECT_ERRNO(EPERM, quota_set(fd, half + 1, NULL));
	EXPECT_ERRNO(EPERM, quota_set(fd, q0, NULL));
	/* below the count stays EINVAL */
	EXPECT_ERRNO(EINVAL, quota_set(fd, 0, NULL));
	EXPECT_EQ(half, quota_of(fd));
	EXPECT_OK(pasid_free(fd, p));
	fd_close(fd);
}

static void test_quota_nobody(void)
{
	struct child c;

	if (child_start(&c, quota_nobody_child, NULL))
		child_reap(&c, 0);
}

/*
 * CAP_SYS_RESOURCE is asked for only when a quota is raised.  A capability
 * check that succeeds marks the process as having used a privilege
 * (PF_SUPERPRIV), which BSD process accounting records as ASU when it
 * exits; one that fails is what an LSM audits as a denial.  Three root
 * children, each a VM of its own, do one quota request and exit: reading
 * its quota and lowering it must not be marked, raising it must (which
 * shows the mark can be seen at all).
 */
enum su_op { SU_GET, SU_LOWER, SU_RAISE, SU_N };

/* The children's names: their records are found by them */
static const char *const su_comm[SU_N] = { "vp-su-get", "vp-su-lower", "vp-su-raise" };

/* Nothing but the open, the request and the exit: no other privilege */
static void su_child(enum su_op op)
{
	struct vfio_iommu_type1_pasid_quota q = {
		.argsz = sizeof(q), .flags = VFIO_PASID_QUOTA_GET,
	};
	int fd, ret;

	prctl(PR_SET_NAME, su_comm[op]);
	fd = open(DEV_PATH, O_RDWR | O_CLOEXEC);

	if (fd < 0 || ioctl(fd, VFIO_IOMMU_SET_PASID_QUOTA, &q) < 0)
		_exit(10);
	if (op != SU_GET) {
		q.flags = 0;
		q.quota += op == SU_LOWER ? -1 : 1;
		ret = ioctl(fd, VFIO_IOMMU_SET_PASID_QUOTA, &q);
		if (ret < 0 || (uint32_t)ret != q.quota)
			_exit(11);
	}
	_exit(0);
}

static void test_quota_cap_only_raise(void)
{
	static const char *const what[SU_N] = {
		"reading its quota", "lowering its quota", "raising its quota",
	};
	char path[] = "/tmp/vp-acct-XXXXXX";
	int flag[SU_N] = { -1, -1, -1 };
	union {
		struct acct	v2;
		struct acct_v3	v3;
	} rec;
	pid_t pid[SU_N];
	int fd, st, i;

	fd = mkstemp(path);
	if (fd < 0) {
		tap_fail("mkstemp: %s", errno_name(errno));
		return;
	}
	if (acct(path)) {
		tap_fail("acct: %s (CONFIG_BSD_PROCESS_ACCT?)", errno_name(errno));
		goto out;
	}
	for (i = 0; i < SU_N; i++) {
		pid[i] = fork();
		if (pid[i] < 0) {
			tap_fail("fork: %s", errno_name(errno));
			break;
		}
		if (!pid[i])
			su_child(i);
		if (waitpid(pid[i], &st, 0) != pid[i] || !WIFEXITED(st) ||
		    WEXITSTATUS(st))
			tap_fail("child %s: status 0x%x", what[i], st);
	}
	if (acct(NULL))
		tap_fail("acct(NULL): %s", errno_name(errno));
	if (tap_failed())
		goto out;

	/*
	 * The records, written when each process ended: version 3 (Debian's
	 * kernel) or 2 (one without BSD_PROCESS_ACCT_V3, the debug kernel's),
	 * of the same size; each child by its name
	 */
	_Static_assert(sizeof(struct acct) == sizeof(struct acct_v3), "acct sizes");
	while (read(fd, &rec, sizeof(rec)) == (ssize_t)sizeof(rec)) {
		const char *comm;
		int v = rec.v3.ac_version & 0x7f;

		if (v != 2 && v != 3)
			continue;
		comm = v == 3 ? rec.v3.ac_comm : rec.v2.ac_comm;
		for (i = 0; i < SU_N; i++)
			if (!strncmp(comm, su_comm[i], ACCT_COMM))
				flag[i] = (uint8_t)rec.v3.ac_flag;
	}
	for (i = 0; i < SU_N; i++) {
		if (!EXPECT_TRUE(flag[i] >= 0, "no accounting record of the child %s",
				 what[i]))
			continue;
		if (i == SU_RAISE)
			EXPECT_TRUE(flag[i] & ASU, "the child %s is not marked as having used a privilege (ac_flag 0x%x)",
				    what[i], flag[i]);
		else
			EXPECT_TRUE(!(flag[i] & ASU), "the child %s is marked as having used a privilege (ac_flag 0x%x)",
				    what[i], flag[i]);
	}
out:
	close(fd);
	unlink(path);
}

/* Allocate to the quota; @set_quota 0 keeps the VM's default */
static void quota_exhaustion(uint32_t set_quota)
{
	uint32_t held[64], quota, n, p, i;
	struct stats s0, s1;
	int fd = dev_open();

	if (fd < 0)
		return;
	if (set_quota)
		ASSERT_QUOTA_SET(fd, set_quota);
	quota = quota_of(fd);
	ASSERT_TRUE(quota <= 64, "quota %u too big for this test", quota);
	if (!stats_get(&s0))
		return;
	for (n = 0; n < quota; n++)
		if (EXPECT_OK(pasid_alloc(fd, cfg->pasid_min, cfg->pasid_max,
					  &held[n])))
			break;
	EXPECT_EQ(quota, n);
	for (i = 0; i < 3; i++)
		EXPECT_ERRNO(ENOSPC, pasid_alloc(fd, cfg->pasid_min,
						 cfg->pasid_max, &p));
	EXPECT_EQ(quota, count_of(fd));
	if (stats_get(&s1)) {
		EXPECT_EQ(s0.quota_refusals + 3, s1.quota_refusals);
		EXPECT_EQ(s0.pool_refusals, s1.pool_refusals);
		EXPECT_EQ(s0.allocated + n, s1.allocated);
	}
	/* one back, one more */
	if (n) {
		EXPECT_OK(pasid_free(fd, held[--n]));
		if (!EXPECT_OK(pasid_alloc(fd, cfg->pasid_min, cfg->pasid_max,
					   &held[n])))
			n++;
		EXPECT_ERRNO(ENOSPC, pasid_alloc(fd, cfg->pasid_min,
						 cfg->pasid_max, &p));
	}
	EXPECT_LE(count_of(fd), quota);
	free_n(fd, n, held);
	EXPECT_EQ(0, count_of(fd));
	fd_close(fd);
}

static void test_quota_exhaustion(void)
{
	quota_exhaustion(10);
}

static void test_small_quota_exhaustion(void)
{
	quota_exhaustion(0);
}

/* default_quota, written at run time, is the quota of new VMs only */
static void test_default_quota_param(void)
{
	struct server_arg a = { .comm = "vp-newquota" };
	char text[32];
	struct stats s;
	struct child c;
	struct msg m;
	int fd = dev_open(), ret;

	if (fd < 0)
		return;
	ret = write_file(DEFAULT_QUOTA_PARAM, "77");
	if (ret) {
		tap_fail("write 77 to %s: %s", DEFAULT_QUOTA_PARAM,
			 errno_name(-ret));
		goto out;
	}
	if (stats_get(&s))
		EXPECT_EQ(77, s.default_quota);
	if (start_server(&c, &a, &m)) {
		if (ask(&c, M_ASK_INFO, 0, 0, &m))
			EXPECT_EQ(77, m.val[1]);
		child_stop(&c);
	}
	EXPECT_EQ(cfg->default_quota, quota_of(fd));
	snprintf(text, sizeof(text), "%u", pool_size() + 1);
	ret = write_file(DEFAULT_QUOTA_PARAM, text);
	EXPECT_TRUE(ret == -EINVAL, "write %s to default_quota: expected EINVAL, got %s",
		    text, errno_name(-ret));
	EXPECT_EQ(77, read_num_file(DEFAULT_QUOTA_PARAM));
out:
	snprintf(text, sizeof(text), "%u", cfg->default_quota);
	ret = write_file(DEFAULT_QUOTA_PARAM, text);
	EXPECT_TRUE(!ret, "restoring default_quota: %s", errno_name(-ret));
	fd_close(fd);
}

/* ------------------------------------------------------------------ */
/* 5. The VM model                                                     */

static void *open_in_thread(void *arg)
{
	int *fd = arg;

	*fd = open(DEV_PATH, O_RDWR | O_CLOEXEC);
	return NULL;
}

static void test_vm_shared_fds(void)
{
	struct stats s0, s1;
	uint32_t id, p, q = 0;
	pthread_t t;
	int fd1, fd2, fd3 = -1;

	fd1 = dev_open();
	fd2 = dev_open();
	if (fd1 < 0 || fd2 < 0)
		return;
	id = vm_id_of(fd1);
	EXPECT_EQ(id, vm_id_of(fd2));
	/* a thread shares the memory context: same VM */
	if (pthread_create(&t, NULL, open_in_thread, &fd3) == 0)
		pthread_join(t, NULL);
	if (fd3 < 0) {
		tap_fail("open in a thread: %s", errno_name(errno));
		return;
	}
	fd_track(fd3);
	EXPECT_EQ(id, vm_id_of(fd3));
	if (stats_get(&s0))
		EXPECT_EQ(1, s0.vm_count);

	/* what one descriptor does, the others see */
	if (!EXPECT_OK(pasid_alloc(fd1, cfg->pasid_min, cfg->pasid_max, &p))) {
		EXPECT_EQ(1, count_of(fd2));
		EXPECT_EQ(1, count_of(fd3));
		EXPECT_OK(pasid_free(fd2, p));
		EXPECT_EQ(0, count_of(fd1));
	}
	EXPECT_QUOTA_SET(fd3, 500);
	EXPECT_EQ(500, quota_of(fd1));

	/* the VM lives while any of its descriptors is open */
	EXPECT_OK(pasid_alloc(fd1, cfg->pasid_min, cfg->pasid_max, &q));
	if (!stats_get(&s0))
		return;
	fd_close(fd1);
	EXPECT_EQ(1, count_of(fd2));
	fd_close(fd2);
	EXPECT_EQ(1, count_of(fd3));
	EXPECT_EQ(id, vm_id_of(fd3));
	if (stats_get(&s1)) {
		EXPECT_EQ(s0.vm_count, s1.vm_count);
		EXPECT_EQ(s0.in_use, s1.in_use);
		EXPECT_EQ(s0.reclaimed, s1.reclaimed);
	}
	fd_close(fd3);
	check_reclaimed(&s0, id, getpid(), self_comm, &q, 1);
}

struct fork_arg {
	int	inherited;
};

/* A forked child: its own open is another VM, the inherited fd is not */
static void fork_child(int sock, void *p)
{
	struct fork_arg *a = p;
	struct msg r = { .op = M_REPLY };
	uint32_t held[2];
	int own;

	own = dev_open();
	if (own < 0)
		return;
	if (!alloc_n(own, cfg->pasid_min, cfg->pasid_max, 2, held))
		return;
	r.vm_id = vm_id_of(own);
	r.n = 4;
	r.val[0] = vm_id_of(a->inherited);
	if (pasid_alloc(a->inherited, cfg->pasid_min, cfg->pasid_max,
			&r.val[1]))
		tap_fail("alloc through the inherited descriptor: %s",
			 errno_name(errno));
	r.val[2] = count_of(own);
	r.val[3] = count_of(a->inherited);
	msg_send(sock, &r);
	msg_recv(sock, &r, M_EXIT);
	/* exit without closing anything */
}

static void test_vm_fork(void)
{
	struct server_arg sa = { .comm = "vp-id" };
	struct fork_arg a;
	struct stats s0, s1;
	uint32_t p_id, ids[4], i;
	struct child c;
	struct msg m;
	int fd = dev_open(), ret;

	if (fd < 0)
		return;
	p_id = vm_id_of(fd);
	a.inherited = fd;
	/* keep the descriptor in the child: do not let it be closed */
	fd_untrack(fd);
	ret = child_start(&c, fork_child, &a);
	fd_track(fd);
	if (!ret || !msg_recv(c.sock, &m, M_REPLY))
		return;
	EXPECT_NE(p_id, m.vm_id);
	EXPECT_EQ(p_id, m.val[0]);
	EXPECT_EQ(2, m.val[2]);
	EXPECT_EQ(1, m.val[3]);
	EXPECT_EQ(1, count_of(fd));
	if (!stats_get(&s0))
		return;
	EXPECT_EQ(2, s0.vm_count);
	child_stop(&c);
	/* the child's VM is gone, the parent's VM still holds its PASID */
	if (stats_get(&s1)) {
		EXPECT_EQ(1, s1.vm_count);
		EXPECT_EQ(s0.reclaimed + 2, s1.reclaimed);
		EXPECT_EQ(s0.in_use - 2, s1.in_use);
	}
	EXPECT_EQ(1, count_of(fd));
	EXPECT_OK(pasid_free(fd, m.val[1]));

	/* VM ids: unique, and not reused soon after a VM ends */
	ids[0] = p_id;
	for (i = 1; i < 4; i++) {
		if (!start_server(&c, &sa, &m))
			return;
		ids[i] = m.vm_id;
		child_stop(&c);
		EXPECT_TRUE(ids[i] > ids[i - 1],
			    "VM id %u after VM id %u: not increasing", ids[i],
			    ids[i - 1]);
	}
	fd_close(fd);
}

/* Receives a descriptor of the parent's VM and uses it */
static void scm_child(int sock, void *arg)
{
	struct msg r = { .op = M_REPLY };
	int fd, own;

	(void)arg;
	fd = recv_fd(sock);
	if (fd < 0)
		return;
	r.vm_id = vm_id_of(fd);
	r.n = 6;
	if (!alloc_n(fd, cfg->pasid_min, cfg->pasid_max, 3, r.val))
		return;
	own = dev_open();
	if (own < 0)
		return;
	r.val[3] = vm_id_of(own);
	r.val[4] = count_of(fd);
	r.val[5] = count_of(own);
	/* its own VM ends before the parent counts VMs */
	fd_close(own);
	msg_send(sock, &r);
	msg_recv(sock, &r, M_EXIT);
	/* exit with the passed descriptor still open */
}

static void test_vm_scm_rights(void)
{
	struct vm_list l;
	struct stats s0;
	struct child c;
	struct msg m;
	uint32_t id;
	int fd, ret;

	/* the child exists before the device is opened: it inherits nothing */
	if (!child_start(&c, scm_child, NULL))
		return;
	fd = dev_open();
	if (fd < 0)
		return;
	id = vm_id_of(fd);
	if (!send_fd(c.sock, fd) || !msg_recv(c.sock, &m, M_REPLY))
		return;
	EXPECT_EQ(id, m.vm_id);
	EXPECT_NE(id, m.val[3]);
	EXPECT_EQ(3, m.val[4]);
	EXPECT_EQ(0, m.val[5]);
	EXPECT_EQ(3, count_of(fd));

	/* the sender closes: the VM lives on in the receiver's descriptor */
	fd_close(fd);
	ret = vm_get(id, &l);
	if (EXPECT_TRUE(!ret && l.n == 1, "VM_GET %u after the opener closed: %s",
			id, errno_name(-ret))) {
		EXPECT_EQ(3, l.v[0].count);
		EXPECT_EQ(getpid(), l.v[0].pid);
	}
	if (!stats_get(&s0))
		return;
	EXPECT_EQ(1, s0.vm_count);
	child_stop(&c);
	/* reclaimed when the receiver exits, as the sender's VM */
	check_reclaimed(&s0, id, getpid(), self_comm, m.val, 3);
}

/*
 * An unknown VM: VM_GET refuses it in its NLMSG_ERROR, a dump filtered by
 * it in its NLMSG_DONE; each with ENOENT and its message
 */
static void test_vm_admin_unknown(void)
{
	static const uint8_t dumps[] = {
		VFIO_PASID_CMD_PASID_GET, VFIO_PASID_CMD_DEVICE_GET,
	};
	uint32_t missing;
	struct vm_list l;
	unsigned int i;
	int fd = dev_open(), ret;

	if (fd < 0)
		return;
	missing = vm_id_of(fd) + 1000;
	ret = vm_get(missing, &l);
	EXPECT_TRUE(ret == -ENOENT && !strcmp(nl_extack, "no VM with this id"),
		    "VM_GET of VM %u: %s \"%s\", expected ENOENT \"no VM with this id\"",
		    missing, errno_name(-ret), nl_extack);
	for (i = 0; i < ARRAY_SIZE(dumps); i++) {
		ret = nl_dump_vm(dumps[i], missing, NULL, NULL);
		EXPECT_TRUE(ret == -ENOENT &&
			    !strcmp(nl_extack, "no VM with this id"),
			    "dump %u of VM %u: %s \"%s\", expected ENOENT \"no VM with this id\"",
			    dumps[i], missing, errno_name(-ret), nl_extack);
		/* the same dump of a VM that is there works */
		ret = nl_dump_vm(dumps[i], vm_id_of(fd), NULL, NULL);
		EXPECT_TRUE(!ret, "dump %u of VM %u: %s %s", dumps[i],
			    vm_id_of(fd), errno_name(-ret), nl_extack);
	}
}

static void test_vm_admin_view(void)
{
	static struct pasid_list pl;
	uint32_t held[2], id, i;
	struct vm_list l;
	int fd = dev_open(), ret;

	if (fd < 0)
		return;
	if (!alloc_n(fd, cfg->pasid_min, cfg->pasid_max, 2, held))
		return;
	id = vm_id_of(fd);
	ret = vm_get(id, &l);
	if (EXPECT_TRUE(!ret && l.n == 1, "VM_GET %u: %s, %u replies", id,
			errno_name(-ret), l.n)) {
		EXPECT_EQ(id, l.v[0].id);
		EXPECT_EQ(getpid(), l.v[0].pid);
		EXPECT_EQ(cfg->default_quota, l.v[0].quota);
		EXPECT_EQ(2, l.v[0].count);
		EXPECT_TRUE(!strcmp(l.v[0].comm, self_comm),
			    "VM comm '%s', expected '%s'", l.v[0].comm, self_comm);
	}
	ret = vm_get_by_pid(getpid(), &l);
	if (EXPECT_TRUE(!ret && l.n == 1, "VM_GET pid %d: %s", (int)getpid(),
			errno_name(-ret)))
		EXPECT_EQ(id, l.v[0].id);
	EXPECT_TRUE(vm_listed(id), "VM %u missing from the VM dump", id);
	ret = pasid_dump(VFIO_PASID_CMD_PASID_GET, id, &pl);
	if (EXPECT_TRUE(!ret, "PASID_GET dump of VM %u: %s %s", id,
			errno_name(-ret), nl_extack) && EXPECT_EQ(2, pl.n)) {
		for (i = 0; i < 2; i++) {
			EXPECT_EQ(id, pl.v[i].vm_id);
			EXPECT_EQ(0, pl.v[i].bound);
			EXPECT_TRUE(pl.v[i].pasid == held[0] ||
				    pl.v[i].pasid == held[1],
				    "PASID_GET lists PASID %u, not held",
				    pl.v[i].pasid);
		}
		EXPECT_NE(pl.v[0].pasid, pl.v[1].pasid);
	}
	free_n(fd, 2, held);
	fd_close(fd);
	ret = vm_get(id, &l);
	EXPECT_TRUE(ret == -ENOENT, "VM_GET of a closed VM: expected ENOENT, got %s",
		    errno_name(-ret));
}

enum reclaim_how { BY_CLOSE, BY_EXIT, BY_KILL };

static void reclaim_test(enum reclaim_how how, uint32_t n)
{
	struct server_arg a = { .n = n,
				.quota = n > cfg->default_quota ? n : 0,
				.comm = "vp-reclaim" };
	uint32_t pasids[MSG_VALS], id;
	struct stats s0;
	struct child c;
	struct msg m;
	pid_t pid;

	if (!start_server(&c, &a, &m))
		return;
	pid = c.pid;
	id = m.vm_id;
	ASSERT_EQ(n, m.n);
	memcpy(pasids, m.val, n * sizeof(pasids[0]));
	EXPECT_TRUE(vm_listed(id), "VM %u missing from the VM dump", id);
	if (!stats_get(&s0))
		return;
	EXPECT_GE(s0.in_use, n);

	switch (how) {
	case BY_CLOSE:
		/* reclaimed at close, while the process lives on */
		if (!msg_op(c.sock, M_CLOSE) || !msg_recv(c.sock, &m, M_DONE))
			return;
		check_reclaimed(&s0, id, pid, "vp-reclaim", pasids, n);
		child_stop(&c);
		break;
	case BY_EXIT:
		child_stop(&c);
		check_reclaimed(&s0, id, pid, "vp-reclaim", pasids, n);
		break;
	case BY_KILL:
		kill(c.pid, SIGKILL);
		child_reap(&c, SIGKILL);
		check_reclaimed(&s0, id, pid, "vp-reclaim", pasids, n);
		break;
	}
}

static void test_reclaim_close(void)
{
	reclaim_test(BY_CLOSE, 5);
}

static void test_reclaim_exit(void)
{
	reclaim_test(BY_EXIT, 5);
}

static void test_reclaim_kill(void)
{
	reclaim_test(BY_KILL, 300);
}

/*
 * The owner opens, allocates, forks a grandchild that inherits the
 * descriptor, and exits: the VM lives on (its mm pinned) until the
 * grandchild, re-parented to us, exits too.
 */
static void owner_child(int sock, void *arg)
{
	struct msg r = { .op = M_READY };
	pid_t g;
	int fd;

	(void)arg;
	prctl(PR_SET_NAME, "vp-owner");
	fd = dev_open();
	if (fd < 0)
		return;
	r.vm_id = vm_id_of(fd);
	if (!alloc_n(fd, cfg->pasid_min, cfg->pasid_max, 2, r.val))
		return;
	fflush(stdout);
	g = fork();
	if (g < 0) {
		tap_fail("fork: %s", errno_name(errno));
		return;
	}
	if (g == 0) {
		struct msg m;

		prctl(PR_SET_NAME, "vp-heir");
		msg_recv(sock, &m, M_EXIT);
		_exit(0);
	}
	r.val[2] = g;
	r.n = 3;
	msg_send(sock, &r);
	fd_close(fd);
}

static void test_reclaim_last_fd(void)
{
	struct vm_list l;
	struct stats s0;
	struct child c;
	struct msg m;
	pid_t owner;
	int status, ret;

	if (!child_start(&c, owner_child, NULL) ||
	    !msg_recv(c.sock, &m, M_READY))
		return;
	owner = c.pid;
	if (waitpid(owner, &status, 0) != owner ||
	    !WIFEXITED(status) || WEXITSTATUS(status)) {
		tap_fail("the owner did not exit cleanly: 0x%x", status);
		return;
	}
	/* from now on the child to reap is the heir, re-parented to us */
	c.pid = m.val[2];

	ret = vm_get(m.vm_id, &l);
	if (EXPECT_TRUE(!ret && l.n == 1, "VM_GET %u after its owner exited: %s",
			m.vm_id, errno_name(-ret))) {
		EXPECT_EQ(2, l.v[0].count);
		EXPECT_EQ(owner, l.v[0].pid);
	}
	if (!stats_get(&s0))
		return;
	EXPECT_EQ(1, s0.vm_count);
	EXPECT_EQ(2, s0.in_use);
	if (!child_stop(&c))
		return;
	check_reclaimed(&s0, m.vm_id, owner, "vp-owner", m.val, 2);
}

/* The reclaim log, filtered by the id of a VM that has been released */
static void test_reclaim_log_filter(void)
{
	struct server_arg a = { .n = 3, .comm = "vp-filter" };
	static struct pasid_list log;
	struct child c;
	struct msg m;
	uint32_t i;
	int ret, fd;

	if (!start_server(&c, &a, &m))
		return;
	child_stop(&c);

	ret = pasid_dump(VFIO_PASID_CMD_RECLAIM_GET, m.vm_id, &log);
	if (ret) {
		tap_fail("RECLAIM_GET dump with VM_ID %u (released, 3 PASIDs "
			 "reclaimed): expected its 3 records, got %s (\"%s\")",
			 m.vm_id, errno_name(-ret), nl_extack);
	} else {
		EXPECT_EQ(3, log.n);
		for (i = 0; i < log.n; i++)
			EXPECT_EQ(m.vm_id, log.v[i].vm_id);
	}

	/* a live VM has no records yet */
	fd = dev_open();
	if (fd < 0)
		return;
	ret = pasid_dump(VFIO_PASID_CMD_RECLAIM_GET, vm_id_of(fd), &log);
	if (EXPECT_TRUE(!ret, "RECLAIM_GET dump of a live VM: %s (\"%s\")",
			errno_name(-ret), nl_extack))
		EXPECT_EQ(0, log.n);
	fd_close(fd);
}

/* ------------------------------------------------------------------ */
/* 6. Concurrency                                                      */

#define CONC_THREADS	8
#define CONC_LO		1000
#define CONC_HI		1999
#define CONC_SECONDS	1.2

struct conc {
	int		fd;
	uint32_t	quota;
	uint32_t	per_thread;
	atomic_bool	stop;
	atomic_long	succ, frees, nospc, iters;
	_Atomic uint64_t map[(CONC_HI - CONC_LO + 64) / 64];
};

struct conc_thread {
	struct conc	*c;
	pthread_t	t;
	unsigned int	seed;
	uint32_t	n;
	uint32_t	held[16];
};

static void *conc_run(void *p)
{
	struct conc_thread *t = p;
	struct conc *c = t->c;
	struct vfio_pasid_info info;
	uint32_t pasid, r, i;
	uint64_t bit;
	long iter = 0;

	while (!atomic_load(&c->stop)) {
		r = rand_r(&t->seed);
		if (t->n < c->per_thread && (t->n == 0 || (r & 3))) {
			if (pasid_alloc(c->fd, CONC_LO, CONC_HI, &pasid)) {
				if (errno != ENOSPC) {
					tap_fail("alloc: %s", errno_name(errno));
					break;
				}
				atomic_fetch_add(&c->nospc, 1);
				continue;
			}
			if (pasid < CONC_LO || pasid > CONC_HI) {
				tap_fail("PASID %u outside [%u, %u]", pasid,
					 CONC_LO, CONC_HI);
				break;
			}
			bit = 1ULL << ((pasid - CONC_LO) % 64);
			if (atomic_fetch_or(&c->map[(pasid - CONC_LO) / 64], bit) & bit) {
				tap_fail("PASID %u handed out while another thread holds it",
					 pasid);
				break;
			}
			t->held[t->n++] = pasid;
			atomic_fetch_add(&c->succ, 1);
		} else {
			i = (r >> 2) % t->n;
			pasid = t->held[i];
			t->held[i] = t->held[--t->n];
			bit = 1ULL << ((pasid - CONC_LO) % 64);
			/* unmark first: once freed, it may come right back */
			if (!(atomic_fetch_and(&c->map[(pasid - CONC_LO) / 64], ~bit) & bit))
				tap_fail("PASID %u was not marked held", pasid);
			if (pasid_free(c->fd, pasid)) {
				tap_fail("free of held PASID %u: %s", pasid,
					 errno_name(errno));
				break;
			}
			atomic_fetch_add(&c->frees, 1);
		}
		if ((++iter & 7) == 0) {
			if (get_info(c->fd, &info)) {
				tap_fail("GET_INFO: %s", errno_name(errno));
				break;
			}
			if (info.count > c->quota) {
				tap_fail("count %u above quota %u", info.count,
					 c->quota);
				break;
			}
		}
	}
	atomic_fetch_add(&c->iters, iter);
	return NULL;
}

static void concurrency(uint32_t quota, uint32_t per_thread, bool pressure)
{
	struct conc_thread th[CONC_THREADS];
	struct stats s0, s1;
	struct conc *c;
	uint32_t held = 0, i, count;
	int started = 0;

	c = calloc(1, sizeof(*c));
	if (!c)
		return;
	c->fd = dev_open();
	if (c->fd < 0)
		goto out;
	c->quota = quota;
	c->per_thread = per_thread;
	if (!EXPECT_QUOTA_SET(c->fd, quota) || !stats_get(&s0))
		goto out;

	for (i = 0; i < CONC_THREADS; i++) {
		th[i].c = c;
		th[i].seed = i + 1;
		th[i].n = 0;
		if (pthread_create(&th[i].t, NULL, conc_run, &th[i])) {
			tap_fail("pthread_create: %s", errno_name(errno));
			break;
		}
		started++;
	}
	usleep(CONC_SECONDS * 1e6);
	atomic_store(&c->stop, true);
	for (i = 0; i < (uint32_t)started; i++) {
		pthread_join(th[i].t, NULL);
		held += th[i].n;
	}

	count = count_of(c->fd);
	EXPECT_EQ(held, count);
	EXPECT_EQ(atomic_load(&c->succ) - atomic_load(&c->frees), count);
	EXPECT_LE(count, quota);
	if (stats_get(&s1)) {
		EXPECT_EQ(s0.allocated + atomic_load(&c->succ), s1.allocated);
		EXPECT_EQ(s0.freed + atomic_load(&c->frees), s1.freed);
		/* the range never runs dry: every ENOSPC is the quota's */
		EXPECT_EQ(s0.quota_refusals + atomic_load(&c->nospc),
			  s1.quota_refusals);
		EXPECT_EQ(s0.pool_refusals, s1.pool_refusals);
	}
	if (pressure)
		EXPECT_TRUE(atomic_load(&c->nospc) > 0,
			    "the threads never reached the quota: nothing tested");
	else
		EXPECT_EQ(0, atomic_load(&c->nospc));
	tap_note("%d threads, %.1f s: %ld operations, %ld allocations, %ld frees, %ld ENOSPC",
		 started, CONC_SECONDS, atomic_load(&c->iters),
		 atomic_load(&c->succ), atomic_load(&c->frees),
		 atomic_load(&c->nospc));
	for (i = 0; i < (uint32_t)started; i++)
		free_n(c->fd, th[i].n, th[i].held);
	EXPECT_EQ(0, count_of(c->fd));
	fd_close(c->fd);
out:
	free(c);
}

static void test_conc_quota(void)
{
	/* 8 threads wanting up to 10 each against a quota of 50 */
	concurrency(50, 10, true);
}

static void test_conc_below_quota(void)
{
	/* 8 threads holding up to 6 each: 48 < 50, never ENOSPC */
	concurrency(50, 6, false);
}

/* Several VMs racing for a 32-PASID range */
#define RACE_VMS	4
#define RACE_LO		5000
#define RACE_N		32
#define RACE_KEEP	12

struct race {
	_Atomic uint32_t owner[RACE_N];
};

static struct race *race;

static void race_child(int sock, void *arg)
{
	uint32_t me = (uint32_t)(uintptr_t)arg, held[RACE_KEEP], n = 0;
	struct msg m, r = { .op = M_REPLY };
	unsigned int seed = me;
	uint32_t pasid, expect, i;
	long succ = 0, frees = 0, nospc = 0;
	double deadline;
	int fd;

	fd = dev_open();
	if (fd < 0 || !msg_recv(sock, &m, M_GO))
		return;
	deadline = now() + CONC_SECONDS;
	while (now() < deadline) {
		uint32_t x = rand_r(&seed);

		if (n < RACE_KEEP && (n == 0 || (x & 3))) {
			if (pasid_alloc(fd, RACE_LO, RACE_LO + RACE_N - 1, &pasid)) {
				if (errno != ENOSPC) {
					tap_fail("VM %u: alloc: %s", me,
						 errno_name(errno));
					break;
				}
				nospc++;
				continue;
			}
			if (pasid < RACE_LO || pasid >= RACE_LO + RACE_N) {
				tap_fail("PASID %u outside the range", pasid);
				break;
			}
			expect = 0;
			if (!atomic_compare_exchange_strong(&race->owner[pasid - RACE_LO],
							    &expect, me)) {
				tap_fail("PASID %u handed to VM %u while VM %u holds it",
					 pasid, me, expect);
				break;
			}
			held[n++] = pasid;
			succ++;
		} else {
			i = (x >> 2) % n;
			pasid = held[i];
			held[i] = held[--n];
			expect = me;
			if (!atomic_compare_exchange_strong(&race->owner[pasid - RACE_LO],
							    &expect, 0))
				tap_fail("PASID %u of VM %u marked as VM %u's",
					 pasid, me, expect);
			if (pasid_free(fd, pasid)) {
				tap_fail("VM %u: free of held PASID %u: %s", me,
					 pasid, errno_name(errno));
				break;
			}
			frees++;
		}
	}
	EXPECT_EQ(n, count_of(fd));
	r.n = 4;
	r.val[0] = succ;
	r.val[1] = frees;
	r.val[2] = nospc;
	r.val[3] = n;
	/* unmark before exiting: the PASIDs are reclaimed at exit */
	for (i = 0; i < n; i++)
		atomic_store(&race->owner[held[i] - RACE_LO], 0);
	msg_send(sock, &r);
	msg_recv(sock, &m, M_EXIT);
}

static void test_conc_vms(void)
{
	struct child c[RACE_VMS];
	uint64_t succ = 0, frees = 0, nospc = 0, held = 0;
	struct stats s0, s1;
	struct msg m;
	int i, started = 0;

	race = mmap(NULL, sizeof(*race), PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (race == MAP_FAILED) {
		tap_fail("mmap: %s", errno_name(errno));
		return;
	}
	memset(race, 0, sizeof(*race));
	for (i = 0; i < RACE_VMS; i++) {
		if (!child_start(&c[i], race_child, (void *)(uintptr_t)(i + 1)))
			break;
		started++;
	}
	if (started < RACE_VMS || !stats_get(&s0))
		goto out;
	for (i = 0; i < started; i++)
		msg_op(c[i].sock, M_GO);
	for (i = 0; i < started; i++) {
		if (!msg_recv(c[i].sock, &m, M_REPLY))
			continue;
		succ += m.val[0];
		frees += m.val[1];
		nospc += m.val[2];
		held += m.val[3];
	}
	for (i = 0; i < started; i++)
		child_stop(&c[i]);
	if (stats_get(&s1)) {
		EXPECT_EQ(s0.allocated + succ, s1.allocated);
		EXPECT_EQ(s0.freed + frees, s1.freed);
		EXPECT_EQ(s0.reclaimed + held, s1.reclaimed);
		/* 4 VMs x 12 > 32 PASIDs, quotas 1000: the range ran dry */
		EXPECT_EQ(s0.pool_refusals + nospc, s1.pool_refusals);
		EXPECT_EQ(s0.quota_refusals, s1.quota_refusals);
	}
	EXPECT_TRUE(nospc > 0, "the VMs never exhausted the range: nothing tested");
	tap_note("%d VMs, %.1f s: %llu allocations, %llu frees, %llu ENOSPC, %llu reclaimed",
		 started, CONC_SECONDS, (unsigned long long)succ,
		 (unsigned long long)frees, (unsigned long long)nospc,
		 (unsigned long long)held);
out:
	munmap(race, sizeof(*race));
}

/* ------------------------------------------------------------------ */
/* The kernel log: refused allocations write nothing                  */

/* Refusals per test, and the kernel log lines tolerated for all of them */
#define LOG_REFUSALS	10000
#define LOG_LINES_MAX	4

/* /dev/kmsg from its end: what is written from now on; -1 if it fails */
static int kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0 || lseek(fd, 0, SEEK_END) < 0) {
		tap_fail("/dev/kmsg: %s", errno_name(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* Records written since kmsg_open(), the first few shown; closes @fd */
static long kmsg_count(int fd)
{
	char rec[4096];
	ssize_t len;
	long n = 0;

	for (;;) {
		len = read(fd, rec, sizeof(rec) - 1);
		if (len < 0 && errno == EAGAIN)
			break;
		if (len < 0 && errno == EPIPE) {
			/* records overwritten before they were read */
			tap_note("kernel log: records lost (overwritten)");
			n++;
			continue;
		}
		if (len < 0) {
			tap_fail("read /dev/kmsg: %s", errno_name(errno));
			break;
		}
		rec[len] = '\0';
		rec[strcspn(rec, "\n")] = '\0';
		if (n < 5)
			tap_note("kernel log: %s", rec);
		n++;
	}
	close(fd);
	return n;
}

struct refusal {
	const char	*shape;
	uint32_t	min, max;
	uint32_t	n;
};

/*
 * Each allocation of @r must be refused with ENOSPC, counted as a pool
 * refusal, and all of them together must write at most LOG_LINES_MAX lines
 * to the kernel log (6.1's allocator writes two for each request it
 * refuses: a full range must be refused without asking it).
 */
static void expect_refused_quietly(int fd, const struct refusal *r,
				   unsigned int nr)
{
	uint32_t total = 0, p, i, j;
	struct stats s0, s1;
	long lines;
	int kfd;

	if (!stats_get(&s0))
		return;
	kfd = kmsg_open();
	if (kfd < 0)
		return;
	for (i = 0; i < nr; i++) {
		for (j = 0; j < r[i].n; j++) {
			if (!pasid_alloc(fd, r[i].min, r[i].max, &p)) {
				tap_fail("%s [%u, %u]: allocated %u, expected ENOSPC",
					 r[i].shape, r[i].min, r[i].max, p);
				pasid_free(fd, p);
				break;
			}
			if (errno != ENOSPC) {
				tap_fail("%s [%u, %u]: %s, expected ENOSPC",
					 r[i].shape, r[i].min, r[i].max,
					 errno_name(errno));
				break;
			}
		}
		total += j;
	}
	lines = kmsg_count(kfd);
	EXPECT_TRUE(lines <= LOG_LINES_MAX,
		    "%ld kernel log lines for %u refused allocations, at most %d expected",
		    lines, total, LOG_LINES_MAX);
	if (stats_get(&s1))
		EXPECT_EQ(s0.pool_refusals + total, s1.pool_refusals);
}

/*
 * The default pool: a VM holds the 200 highest PASIDs and asks, 10,000
 * times in all, for one of them, 64 of them, all 200, and 100 of them.
 */
static void test_log_refusals(void)
{
	const uint32_t base = cfg->pasid_max - 199;
	const struct refusal r[] = {
		{ "one PASID", base + 7, base + 7, LOG_REFUSALS / 4 },
		{ "64 PASIDs", base + 64, base + 127, LOG_REFUSALS / 4 },
		{ "200 PASIDs", base, base + 199, LOG_REFUSALS / 4 },
		{ "100 PASIDs", base + 100, base + 199, LOG_REFUSALS / 4 },
	};
	uint32_t held[200], i;
	int fd = dev_open();

	if (fd < 0)
		return;
	for (i = 0; i < 200; i++)
		if (pasid_alloc(fd, base + i, base + i, &held[i])) {
			tap_fail("allocation of PASID %u: %s", base + i,
				 errno_name(errno));
			free_n(fd, i, held);
			return;
		}
	expect_refused_quietly(fd, r, ARRAY_SIZE(r));
	free_n(fd, 200, held);
	fd_close(fd);
}

/*
 * Another user of the allocator: the benchmark's floor module
 * (tests/bench/floor) holds 100 PASIDs the module cannot see.  A VM asks
 * 10,000 times for them: the allocator refuses each of them once when a
 * VM first reaches it (two lines each), then never again; once the other
 * user gives them back, the VM gets them.
 */
#define FLOOR_KO	"tests/bench/floor/vp_bench_floor.ko"
#define FLOOR_DEV	"/dev/vp-bench-floor"
#define FLOOR_N		100

static bool floor_run(int ffd, uint32_t op, uint32_t count, uint32_t min,
		      uint32_t max, uint32_t *done)
{
	struct vp_floor_req req = {
		.op = op, .count = count, .min = min, .max = max,
	};

	if (ioctl(ffd, VP_FLOOR_RUN, &req)) {
		tap_fail("VP_FLOOR_RUN op %u: %s", op, errno_name(errno));
		return false;
	}
	if (done)
		*done = req.done;
	return true;
}

static void test_log_other_user(void)
{
	const uint32_t base = cfg->pasid_max - FLOOR_N + 1;
	const struct refusal r[] = {
		{ "100 PASIDs of another user", base, cfg->pasid_max,
		  LOG_REFUSALS / 2 },
		{ "one of them", base + 50, base + 50, LOG_REFUSALS / 2 },
	};
	uint32_t held[FLOOR_N], done = 0, i;
	int mfd, ffd = -1, fd = -1, kfd;
	long lines;

	mfd = open(FLOOR_KO, O_RDONLY | O_CLOEXEC);
	if (mfd < 0 || syscall(SYS_finit_module, mfd, "", 0)) {
		tap_fail("load %s: %s", FLOOR_KO, errno_name(errno));
		if (mfd >= 0)
			close(mfd);
		return;
	}
	close(mfd);
	ffd = open(FLOOR_DEV, O_RDWR | O_CLOEXEC);
	if (ffd < 0) {
		tap_fail("%s: %s", FLOOR_DEV, errno_name(errno));
		goto out;
	}
	if (!floor_run(ffd, VP_FLOOR_ALLOC, FLOOR_N, base, cfg->pasid_max,
		       &done) ||
	    !EXPECT_EQ(FLOOR_N, done))
		goto out;
	fd = dev_open();
	if (fd < 0)
		goto out;
	kfd = kmsg_open();
	if (kfd < 0)
		goto out;
	for (i = 0; i < ARRAY_SIZE(r); i++)
		for (done = 0; done < r[i].n; done++)
			if (!EXPECT_ERRNO(ENOSPC, pasid_alloc(fd, r[i].min,
							      r[i].max, held)))
				break;
	lines = kmsg_count(kfd);
	EXPECT_TRUE(lines <= 2 * FLOOR_N + LOG_LINES_MAX,
		    "%ld kernel log lines for %u refused allocations of %u PASIDs of another user, at most %d expected",
		    lines, LOG_REFUSALS, FLOOR_N, 2 * FLOOR_N + LOG_LINES_MAX);
	EXPECT_EQ(0, count_of(fd));

	/* given back: the VM gets every one of them */
	if (!floor_run(ffd, VP_FLOOR_FREE_ORDER, 0, 0, 0, NULL))
		goto out;
	if (alloc_n(fd, base, cfg->pasid_max, FLOOR_N, held))
		free_n(fd, FLOOR_N, held);
out:
	if (fd >= 0)
		fd_close(fd);
	if (ffd >= 0)
		close(ffd);
	if (syscall(SYS_delete_module, "vp_bench_floor", O_NONBLOCK))
		tap_fail("unload vp_bench_floor: %s", errno_name(errno));
}

/*
 * The small pool (64 PASIDs) held whole by one VM: another asks 10,000
 * times for the whole pool, one PASID and 11 of them.
 */
static void log_refusals_child(int sock, void *arg)
{
	const struct refusal r[] = {
		{ "the whole pool", 100, 163, LOG_REFUSALS / 2 },
		{ "one PASID", 163, 163, LOG_REFUSALS / 4 },
		{ "11 PASIDs", 120, 130, LOG_REFUSALS / 4 },
	};
	int fd = dev_open();

	(void)sock;
	(void)arg;
	if (fd >= 0) {
		expect_refused_quietly(fd, r, ARRAY_SIZE(r));
		fd_close(fd);
	}
}

static void test_small_log_refusals(void)
{
	uint32_t held[64];
	struct child c;
	int fd = dev_open();

	if (fd < 0)
		return;
	if (!EXPECT_QUOTA_SET(fd, 64) || !alloc_n(fd, 100, 163, 64, held))
		goto out;
	if (child_start(&c, log_refusals_child, NULL))
		child_reap(&c, 0);
	free_n(fd, 64, held);
out:
	fd_close(fd);
}

/* ------------------------------------------------------------------ */
/* The small pool: PASIDs 100-163, default quota 10                    */

static void test_small_range(void)
{
	uint32_t p;
	int fd = dev_open();

	if (fd < 0)
		return;
	EXPECT_ERRNO(EINVAL, pasid_alloc(fd, 99, 120, &p));
	EXPECT_ERRNO(EINVAL, pasid_alloc(fd, 99, 99, &p));
	EXPECT_ERRNO(EINVAL, pasid_alloc(fd, 100, 164, &p));
	EXPECT_ERRNO(EINVAL, pasid_alloc(fd, 164, 164, &p));
	EXPECT_ERRNO(EINVAL, pasid_alloc(fd, 1, PASID_LIMIT, &p));
	EXPECT_EQ(0, count_of(fd));
	if (!EXPECT_OK(pasid_alloc(fd, 100, 163, &p))) {
		EXPECT_TRUE(p >= 100 && p <= 163, "PASID %u outside [100, 163]", p);
		EXPECT_OK(pasid_free(fd, p));
	}
	if (!EXPECT_OK(pasid_alloc(fd, 163, 163, &p))) {
		EXPECT_EQ(163, p);
		EXPECT_OK(pasid_free(fd, p));
	}
	if (!EXPECT_OK(pasid_alloc(fd, 100, 100, &p))) {
		EXPECT_EQ(100, p);
		EXPECT_OK(pasid_free(fd, p));
	}
	EXPECT_EQ(10, QUOTA_GET(fd));
	EXPECT_ERRNO(EINVAL, quota_set(fd, 65, NULL));
	EXPECT_ERRNO(EINVAL, quota_set(fd, 1000, NULL));
	EXPECT_QUOTA_SET(fd, 64);
	fd_close(fd);
}

/*
 * Pool exhaustion is ENOSPC counted as a pool refusal, quota exhaustion
 * ENOSPC counted as a quota refusal.
 */
static void test_small_pool_exhaustion(void)
{
	struct server_arg a = { .comm = "vp-small" };
	uint32_t held[64], n, p, i;
	struct stats s0, s1;
	struct child c;
	struct msg m;
	int fd = dev_open();

	if (fd < 0)
		return;
	ASSERT_QUOTA_SET(fd, 64);
	for (n = 0; n < 60; n++)
		if (EXPECT_OK(pasid_alloc(fd, 100, 163, &held[n])))
			break;
	ASSERT_EQ(60, n);
	if (!start_server(&c, &a, &m))
		goto out;

	/* B, quota 10, gets the last 4, then the pool is empty */
	for (i = 0; i < 4; i++)
		if (ask(&c, M_ALLOC, 100, 163, &m))
			EXPECT_TRUE(!m.err, "VM B allocation %u: %s", i + 1,
				    errno_name(m.err));
	if (!stats_get(&s0))
		goto out_child;
	if (ask(&c, M_ALLOC, 100, 163, &m))
		EXPECT_TRUE(m.err == ENOSPC,
			    "VM B, pool empty: expected ENOSPC, got %s",
			    errno_name(m.err));
	if (stats_get(&s1)) {
		EXPECT_EQ(s0.pool_refusals + 1, s1.pool_refusals);
		EXPECT_EQ(s0.quota_refusals, s1.quota_refusals);
		EXPECT_EQ(64, s1.in_use);
	}
	if (ask(&c, M_ASK_INFO, 0, 0, &m)) {
		EXPECT_EQ(4, m.val[0]);
		EXPECT_EQ(10, m.val[1]);
	}
	/* A, under quota too: a pool refusal */
	EXPECT_ERRNO(ENOSPC, pasid_alloc(fd, 100, 163, &p));
	/* A at its quota: a quota refusal */
	EXPECT_QUOTA_SET(fd, 60);
	if (stats_get(&s0)) {
		EXPECT_ERRNO(ENOSPC, pasid_alloc(fd, 100, 163, &p));
		if (stats_get(&s1)) {
			EXPECT_EQ(s0.quota_refusals + 1, s1.quota_refusals);
			EXPECT_EQ(s0.pool_refusals, s1.pool_refusals);
		}
	}
	/* one PASID back to the pool: B gets it */
	EXPECT_OK(pasid_free(fd, held[--n]));
	if (ask(&c, M_ALLOC, 100, 163, &m)) {
		EXPECT_TRUE(!m.err, "VM B after a free: %s", errno_name(m.err));
		EXPECT_EQ(held[n], m.val[0]);
	}
out_child:
	child_stop(&c);
out:
	free_n(fd, n, held);
	fd_close(fd);
}

/* One VM with quota = pool size gets every PASID of the pool */
static void test_small_pool_whole(void)
{
	uint64_t seen = 0;
	uint32_t held[64], n, p;
	struct stats s;
	int fd = dev_open();

	if (fd < 0)
		return;
	ASSERT_QUOTA_SET(fd, 64);
	for (n = 0; n < 64; n++) {
		if (EXPECT_OK(pasid_alloc(fd, 100, 163, &held[n])))
			break;
		p = held[n];
		if (!EXPECT_TRUE(p >= 100 && p <= 163, "PASID %u outside the pool", p))
			break;
		if (seen & (1ULL << (p - 100)))
			tap_fail("PASID %u handed out twice", p);
		seen |= 1ULL << (p - 100);
	}
	EXPECT_TRUE(seen == ~0ULL, "PASIDs handed out: mask 0x%llx, expected all 64",
		    (unsigned long long)seen);
	EXPECT_ERRNO(ENOSPC, pasid_alloc(fd, 100, 163, &p));
	if (stats_get(&s))
		EXPECT_EQ(64, s.in_use);
	free_n(fd, n, held);
	EXPECT_EQ(0, count_of(fd));
	if (stats_get(&s))
		EXPECT_EQ(0, s.in_use);
	fd_close(fd);
}

/* A VM holding the whole pool is killed: every PASID comes back */
static void test_small_reclaim_whole(void)
{
	reclaim_test(BY_KILL, 64);
}

/* ------------------------------------------------------------------ */
/* 7. Balance                                                          */

static void test_balance(void)
{
	static struct pasid_list pl;
	struct vm_list l;
	int ret;

	check_idle("at the end");
	ret = vm_dump(&l);
	if (EXPECT_TRUE(!ret, "VM_GET dump: %s", errno_name(-ret)))
		EXPECT_EQ(0, l.n);
	ret = pasid_dump(VFIO_PASID_CMD_PASID_GET, 0, &pl);
	if (EXPECT_TRUE(!ret, "PASID_GET dump: %s", errno_name(-ret)))
		EXPECT_EQ(0, pl.n);
}

/* ------------------------------------------------------------------ */

enum need { NONE, MODULE };

/* ------------------------------------------------------------------ */
/* Dumps that span several messages                                    */

#define DUMP_PASIDS	3000

struct dump_read {
	unsigned int	parts;		/* recv() calls that brought messages */
	unsigned int	entries;	/* PASID entries */
	unsigned int	flagged;	/* messages with NLM_F_DUMP_INTR */
};

static int child_open(void *arg)
{
	(void)arg;
	return open(DEV_PATH, O_RDWR | O_CLOEXEC) < 0;
}

/* A VM comes and goes: a forked child opens the device and exits */
static void vm_comes_and_goes(void)
{
	int ret = run_in_child(child_open, NULL);

	if (ret > 0)
		tap_fail("the child VM did not open the device");
}

/*
 * A PASID dump read one recv() at a time on a socket of its own; @between
 * (unless NULL) runs after the first part.  False when the dump failed.
 */
static bool dump_by_parts(void (*between)(void), struct dump_read *r)
{
	static char rbuf[64 * 1024] __attribute__((aligned(8)));
	char sbuf[NL_SBUF_SIZE] __attribute__((aligned(8)));
	int sk = nl_socket_open();
	bool ok = false;
	size_t slen;

	memset(r, 0, sizeof(*r));
	if (sk < 0) {
		tap_fail("netlink socket: %s", errno_name(-sk));
		return false;
	}
	slen = nl_build(sbuf, nl_family, VFIO_PASID_CMD_PASID_GET, NLM_F_DUMP, 1,
			NULL);
	if (send(sk, sbuf, slen, 0) < 0) {
		tap_fail("send of the dump: %s", errno_name(errno));
		goto out;
	}
	for (;;) {
		ssize_t n = recv(sk, rbuf, sizeof(rbuf), 0);
		struct nlmsghdr *nlh;
		int len = n;

		if (n < 0) {
			tap_fail("recv of the dump: %s", errno_name(errno));
			goto out;
		}
		if (r->parts++ == 0 && between)
			between();
		for (nlh = (struct nlmsghdr *)rbuf; NLMSG_OK(nlh, len);
		     nlh = NLMSG_NEXT(nlh, len)) {
			r->flagged += !!(nlh->nlmsg_flags & NLM_F_DUMP_INTR);
			if (nlh->nlmsg_type == NLMSG_DONE) {
				int err;

				nl_done_err(nlh, &err);
				ok = !err;
				if (err)
					tap_fail("the dump ended with %s", errno_name(-err));
				goto out;
			}
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				tap_fail("the dump failed: %s",
					 errno_name(-((struct nlmsgerr *)NLMSG_DATA(nlh))->error));
				goto out;
			}
			r->entries++;
		}
	}
out:
	close(sk);
	return ok;
}

static void test_dump_intr(void)
{
	static uint32_t held[DUMP_PASIDS];
	struct dump_read r;
	int fd = dev_open();

	if (fd < 0 || !EXPECT_QUOTA_SET(fd, DUMP_PASIDS) ||
	    !alloc_n(fd, 1, PASID_LIMIT, DUMP_PASIDS, held))
		return;

	/* nothing changes: several parts, no flag */
	if (dump_by_parts(NULL, &r)) {
		EXPECT_TRUE(r.entries == DUMP_PASIDS, "%u entries, expected %u",
			    r.entries, DUMP_PASIDS);
		EXPECT_TRUE(r.parts >= 3, "the dump came in %u parts: too few for the test",
			    r.parts);
		EXPECT_TRUE(!r.flagged, "%u messages flagged NLM_F_DUMP_INTR in a quiet dump",
			    r.flagged);
	}

	/* a VM comes and goes between the parts: the rest is flagged */
	if (dump_by_parts(vm_comes_and_goes, &r)) {
		EXPECT_TRUE(r.entries == DUMP_PASIDS, "%u entries, expected %u",
			    r.entries, DUMP_PASIDS);
		/* netlink flags the first message of a part after the change */
		EXPECT_TRUE(r.flagged >= 1,
			    "a VM came and went during the dump: no message flagged "
			    "NLM_F_DUMP_INTR (%u parts)", r.parts);
	}

	/* and quiet again: the next dump is whole */
	if (dump_by_parts(NULL, &r))
		EXPECT_TRUE(!r.flagged, "%u messages flagged after the changes ended",
			    r.flagged);
	fd_close(fd);
}

static const struct test tests[] = {
	{ "module: load refuses bad parameters", test_load_bad_params, NONE },
	{ "module: load with defaults (backend=emulated)", test_load_default, NONE },
	{ "uapi: NESTING_GET_IOMMU_UAPI_VERSION returns 1", test_uapi_version, MODULE },
	{ "uapi: unknown ioctls fail with ENOTTY", test_unknown_ioctl, MODULE },
	{ "uapi: bad pointers fail with EFAULT", test_bad_pointer, MODULE },
	{ "argsz: PASID_REQUEST (EINVAL below, E2BIG non-zero tail, zero tail exact)",
	  test_argsz_pasid_request, MODULE },
	{ "argsz: SET_PASID_QUOTA (EINVAL below, E2BIG non-zero tail, zero tail exact)",
	  test_argsz_pasid_quota, MODULE },
	{ "argsz: GET_INFO (EINVAL below, bigger buffer fine, size written back, CAPS ignored on input)",
	  test_argsz_get_info, MODULE },
	{ "argsz: no request reads more than a page (E2BIG above it, a page exact works)",
	  test_argsz_page_limit, MODULE },
	{ "argsz: read once (GET_INFO against a thread changing it)",
	  test_argsz_read_once, MODULE },
	{ "pasid: flags not exactly ALLOC or FREE fail with EINVAL", test_request_flags, MODULE },
	{ "pasid: alloc range checks, results in [min, max], min == max exact",
	  test_alloc_range, MODULE },
	{ "pasid: free of a PASID not held, another VM's, twice: ENOENT",
	  test_free_errors, MODULE },
	{ "quota: QUOTA_GET reads the default", test_quota_get, MODULE },
	{ "quota: set rules (count, pool size, flags)", test_quota_set, MODULE },
	{ "quota: raising needs CAP_SYS_RESOURCE (capset)", test_quota_cap, MODULE },
	{ "quota: raising as nobody fails with EPERM, lowering works", test_quota_nobody, MODULE },
	{ "quota: CAP_SYS_RESOURCE is checked only for a raise (process accounting's ASU flag)",
	  test_quota_cap_only_raise, MODULE },
	{ "quota: exhaustion is ENOSPC, a quota refusal", test_quota_exhaustion, MODULE },
	{ "quota: default_quota at run time applies to new VMs", test_default_quota_param, MODULE },
	{ "vm: descriptors and threads of one process share one VM", test_vm_shared_fds, MODULE },
	{ "vm: a forked child's open is another VM, an inherited fd is not", test_vm_fork, MODULE },
	{ "vm: a descriptor passed with SCM_RIGHTS acts on its VM", test_vm_scm_rights, MODULE },
	{ "vm: the admin API shows the VM as GET_INFO does", test_vm_admin_view, MODULE },
	{ "vm: an unknown VM: VM_GET and filtered dumps fail with ENOENT and a message",
	  test_vm_admin_unknown, MODULE },
	{ "reclaim: at close of the last descriptor", test_reclaim_close, MODULE },
	{ "reclaim: at exit", test_reclaim_exit, MODULE },
	{ "reclaim: at SIGKILL (300 PASIDs)", test_reclaim_kill, MODULE },
	{ "reclaim: the VM outlives its exited owner while a descriptor lives",
	  test_reclaim_last_fd, MODULE },
	{ "reclaim: RECLAIM_GET dump filtered by a released VM's id",
	  test_reclaim_log_filter, MODULE },
	{ "concurrency: 8 threads against quota 50: count <= quota, no PASID twice",
	  test_conc_quota, MODULE },
	{ "concurrency: 8 threads below quota never see ENOSPC", test_conc_below_quota, MODULE },
	{ "concurrency: 4 VMs racing for 32 PASIDs: no PASID in two VMs", test_conc_vms, MODULE },
	{ "log: 10,000 refused allocations (1, 64, 100, 200 PASIDs) write no kernel log lines",
	  test_log_refusals, MODULE },
	{ "log: PASIDs of another allocator user: refused once each in the log, then quietly; given back, a VM gets them",
	  test_log_other_user, MODULE },
	{ "dump: 3000 PASIDs in several parts: NLM_F_DUMP_INTR only when a VM came or went "
	  "between them", test_dump_intr, MODULE },
	{ "balance: no VM, nothing in use, ALLOCATED == FREED + RECLAIMED", test_balance, MODULE },
	{ "module: unload refused while a descriptor is open", test_unload_busy, MODULE },
	{ "module: unload (defaults)", test_unload, MODULE },
	{ "module: load with a small pool (pasid_min=100 pasid_max=163 default_quota=10)",
	  test_load_small, NONE },
	{ "small: range limits and quota limits follow the parameters", test_small_range, MODULE },
	{ "small: default quota 10 exhausted is ENOSPC", test_small_quota_exhaustion, MODULE },
	{ "small: pool exhaustion is ENOSPC, a pool refusal", test_small_pool_exhaustion, MODULE },
	{ "small: one VM gets every PASID of the pool", test_small_pool_whole, MODULE },
	{ "small: SIGKILL of a VM holding the whole pool gives it all back",
	  test_small_reclaim_whole, MODULE },
	{ "small: 10,000 refused allocations of a full pool write no kernel log lines",
	  test_small_log_refusals, MODULE },
	{ "small: balance: no VM, nothing in use, counters balance", test_balance, MODULE },
	{ "module: unload (small pool)", test_unload, MODULE },
};

static bool module_loaded(void)
{
	return cfg;
}

/* After each test: clean up; every test leaves the module idle */
static void after_test(const struct test *tc)
{
	cleanup_test();
	if (cfg && tc->fn != test_balance)
		check_idle("after the test");
}

/* The command name the module records for our VMs */
static void name_self(void)
{
	snprintf(self_comm, sizeof(self_comm), "%s", program_invocation_short_name);
	prctl(PR_GET_NAME, self_comm);
}

int main(int argc, char **argv)
{
	static const struct harness h = {
		.what = "Tests the ioctls of /dev/vfio-pasid",
		.timeout = 300,
		.subreaper = true,
		.tests = tests,
		.n_tests = ARRAY_SIZE(tests),
		.loaded = module_loaded,
		.before = name_self,
		.after = after_test,
	};

	return harness_main(argc, argv, &h);
}
