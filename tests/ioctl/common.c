// SPDX-License-Identifier: GPL-2.0
/*
 * common.c - support code shared by the programs of tests/ioctl
 *
 * Copyright (C) 2026 The vfio-pasid authors
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>

#include <linux/vfio.h>

#include "common.h"
#include "tap.h"

/* The state of tap.h, one for the whole program */
struct tap_state *tap;
int tap_count;
int tap_failures;

double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int get_info(int fd, struct vfio_pasid_info *info)
{
	memset(info, 0, sizeof(*info));
	info->argsz = sizeof(*info);
	return ioctl(fd, VFIO_PASID_GET_INFO, info);
}

/* ------------------------------------------------------------------ */
/* Generic netlink, by hand                                            */

int nl_fd = -1;
uint16_t nl_family;
uint32_t nl_seq;
char nl_extack[256];

#define NL_BUF_SIZE	(64 * 1024)

int nl_socket_open(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct timeval tv = { .tv_sec = 20 };
	int one = 1, fd, err;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		err = errno;
		close(fd);
		return -err;
	}
	return fd;
}

void nl_parse(struct nlattr **tb, int max, void *data, int len)
{
	struct nlattr *a = data;

	memset(tb, 0, (max + 1) * sizeof(*tb));
	while (len >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN &&
	       a->nla_len <= len) {
		int type = a->nla_type & NLA_TYPE_MASK;

		if (type <= max)
			tb[type] = a;
		len -= NLA_ALIGN(a->nla_len);
		a = (struct nlattr *)((char *)a + NLA_ALIGN(a->nla_len));
	}
}

void *nla_data(const struct nlattr *a)
{
	return (char *)a + NLA_HDRLEN;
}

uint32_t nla_u32(const struct nlattr *a)
{
	uint32_t v = 0;

	if (a)
		memcpy(&v, nla_data(a), sizeof(v));
	return v;
}

uint64_t nla_u64(const struct nlattr *a)
{
	uint64_t v = 0;

	if (a)
		memcpy(&v, nla_data(a), sizeof(v));
	return v;
}

uint8_t nla_u8(const struct nlattr *a)
{
	return a ? *(uint8_t *)nla_data(a) : 0;
}

void nla_str(const struct nlattr *a, char *out, size_t size)
{
	out[0] = '\0';
	if (a)
		snprintf(out, size, "%.*s", (int)(a->nla_len - NLA_HDRLEN),
			 (char *)nla_data(a));
}

void nl_extack_text(struct nlmsghdr *nlh, char *buf, size_t size)
{
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	/* after an NLMSG_ERROR's nlmsgerr, or an NLMSG_DONE's errno */
	int off = NLMSG_HDRLEN + (nlh->nlmsg_type == NLMSG_DONE ?
				  sizeof(int) : sizeof(struct nlmsgerr));

	buf[0] = '\0';
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS) || (int)nlh->nlmsg_len <= off)
		return;
	nl_parse(tb, NLMSGERR_ATTR_MAX, (char *)nlh + off,
		 nlh->nlmsg_len - off);
	if (tb[NLMSGERR_ATTR_MSG])
		snprintf(buf, size, "%s",
			 (char *)nla_data(tb[NLMSGERR_ATTR_MSG]));
}

bool nl_done_err(const struct nlmsghdr *nlh, int *err)
{
	*err = 0;
	if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(int)))
		return false;
	memcpy(err, NLMSG_DATA(nlh), sizeof(*err));
	return true;
}

size_t nl_build(char *buf, uint16_t family, uint8_t cmd, uint16_t flags,
		uint32_t seq, const struct nl_attr *attr)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
	struct genlmsghdr *g;

	memset(buf, 0, NL_SBUF_SIZE);
	nlh->nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	nlh->nlmsg_type = family;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = seq;
	g = NLMSG_DATA(nlh);
	g->cmd = cmd;
	g->version = VFIO_PASID_FAMILY_VERSION;
	if (attr) {
		struct nlattr *na = (struct nlattr *)(buf +
						      NLMSG_ALIGN(nlh->nlmsg_len));

		na->nla_type = attr->type;
		na->nla_len = NLA_HDRLEN + attr->len;
		memcpy(nla_data(na), attr->data, attr->len);
		nlh->nlmsg_len = NLMSG_ALIGN(nlh->nlmsg_len) +
				 NLA_ALIGN(na->nla_len);
	}
	return nlh->nlmsg_len;
}

/* nl_request() parses into a tb[] of 96 */
_Static_assert(VFIO_PASID_A_MAX < 96, "tb[] must hold every attribute");

int nl_reopen(void)
{
	int fd = nl_socket_open();

	if (fd < 0) {
		errno = -fd;
		return -1;
	}
	close(nl_fd);
	nl_fd = fd;
	return 0;
}

int nl_request(uint16_t family, uint8_t cmd, bool dump,
	       const struct nl_attr *attr, int maxattr, nl_cb_t cb, void *arg)
{
	static char rbuf[NL_BUF_SIZE] __attribute__((aligned(8)));
	char sbuf[NL_SBUF_SIZE] __attribute__((aligned(8)));
	struct nlattr *tb[96];
	struct nlmsghdr *nlh;
	uint32_t seq = ++nl_seq;
	size_t slen;

	if (maxattr >= 96 || (attr && attr->len > NL_ATTR_MAX_LEN))
		return -EINVAL;
	slen = nl_build(sbuf, family, cmd, NLM_F_ACK | (dump ? NLM_F_DUMP : 0),
			seq, attr);
	nl_extack[0] = '\0';
	if (send(nl_fd, sbuf, slen, 0) < 0)
		return -errno;

	for (;;) {
		ssize_t n = recv(nl_fd, rbuf, sizeof(rbuf), 0);
		int len;

		if (n < 0)
			return -errno;
		len = n;
		for (nlh = (struct nlmsghdr *)rbuf; NLMSG_OK(nlh, len);
		     nlh = NLMSG_NEXT(nlh, len)) {
			if (nlh->nlmsg_seq != seq)
				continue;
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(nlh);

				nl_extack_text(nlh, nl_extack,
					       sizeof(nl_extack));
				return e->error;
			}
			if (nlh->nlmsg_type == NLMSG_DONE) {
				int err;

				nl_done_err(nlh, &err);
				nl_extack_text(nlh, nl_extack,
					       sizeof(nl_extack));
				return err;
			}
			if (nlh->nlmsg_type != family)
				continue;
			nl_parse(tb, maxattr, (char *)NLMSG_DATA(nlh) +
				 GENL_HDRLEN, nlh->nlmsg_len -
				 NLMSG_LENGTH(GENL_HDRLEN));
			if (cb)
				cb(tb, arg);
		}
	}
}

int nl_do_u32(uint8_t cmd, uint16_t t1, uint32_t v1, uint16_t t2,
		     uint32_t v2)
{
	struct nl_attr a1 = { t1, sizeof(v1), &v1 };
	struct nl_attr a2 = { t2, sizeof(v2), &v2 };

	return nl_do2(cmd, t1 ? &a1 : NULL, t2 ? &a2 : NULL);
}

int nl_do2(uint8_t cmd, const struct nl_attr *a1, const struct nl_attr *a2)
{
	static char rbuf[8192] __attribute__((aligned(8)));
	char sbuf[NL_SBUF_SIZE] __attribute__((aligned(8)));
	struct nlmsghdr *nlh = (struct nlmsghdr *)sbuf;
	uint32_t seq = ++nl_seq;
	size_t len;

	len = nl_build(sbuf, nl_family, cmd, NLM_F_ACK, seq, a1);
	if (a2 && a2->len <= 64) {
		struct nlattr *na = (struct nlattr *)(sbuf + NLMSG_ALIGN(len));

		na->nla_type = a2->type;
		na->nla_len = NLA_HDRLEN + a2->len;
		memcpy(nla_data(na), a2->data, a2->len);
		nlh->nlmsg_len = NLMSG_ALIGN(len) + NLA_ALIGN(na->nla_len);
		len = nlh->nlmsg_len;
	}
	nl_extack[0] = '\0';
	if (send(nl_fd, sbuf, len, 0) < 0)
		return -errno;
	for (;;) {
		ssize_t n = recv(nl_fd, rbuf, sizeof(rbuf), 0);
		int left;

		if (n < 0)
			return -errno;
		left = n;
		for (nlh = (struct nlmsghdr *)rbuf; NLMSG_OK(nlh, left);
		     nlh = NLMSG_NEXT(nlh, left)) {
			if (nlh->nlmsg_seq != seq || nlh->nlmsg_type != NLMSG_ERROR)
				continue;
			nl_extack_text(nlh, nl_extack, sizeof(nl_extack));
			return ((struct nlmsgerr *)NLMSG_DATA(nlh))->error;
		}
	}
}

void family_cb(struct nlattr **tb, void *arg)
{
	if (tb[CTRL_ATTR_FAMILY_ID])
		memcpy(arg, nla_data(tb[CTRL_ATTR_FAMILY_ID]), sizeof(uint16_t));
}

int nl_resolve(const char *name)
{
	struct nl_attr a = { CTRL_ATTR_FAMILY_NAME, strlen(name) + 1, name };
	uint16_t id = 0;
	int ret;

	ret = nl_request(GENL_ID_CTRL, CTRL_CMD_GETFAMILY, false, &a,
			 CTRL_ATTR_MAX, family_cb, &id);
	if (ret)
		return ret;
	return id ? id : -ENOENT;
}

int nl_dump_vm(uint8_t cmd, uint32_t vm_id, nl_cb_t cb, void *arg)
{
	struct nl_attr a = { VFIO_PASID_A_VM_ID, sizeof(vm_id), &vm_id };

	return nl_request(nl_family, cmd, true, vm_id ? &a : NULL,
			  VFIO_PASID_A_MAX, cb, arg);
}

static int64_t nla_u32_or(const struct nlattr *a, int64_t none)
{
	return a ? (int64_t)nla_u32(a) : none;
}

void stats_cb(struct nlattr **tb, void *arg)
{
	struct stats *s = arg;

	s->seen = tb[VFIO_PASID_A_IN_USE] && tb[VFIO_PASID_A_VM_COUNT] &&
		  tb[VFIO_PASID_A_ALLOCATED] && tb[VFIO_PASID_A_FREED] &&
		  tb[VFIO_PASID_A_RECLAIMED] &&
		  tb[VFIO_PASID_A_QUOTA_REFUSALS] &&
		  tb[VFIO_PASID_A_POOL_REFUSALS] &&
		  tb[VFIO_PASID_A_RECLAIM_LOG_SIZE] &&
		  tb[VFIO_PASID_A_RECLAIM_LOG_COUNT] &&
		  tb[VFIO_PASID_A_RECLAIM_LOG_DROPPED];
	s->pool_min = nla_u32(tb[VFIO_PASID_A_POOL_MIN]);
	s->pool_max = nla_u32(tb[VFIO_PASID_A_POOL_MAX]);
	s->pool_size = nla_u32(tb[VFIO_PASID_A_POOL_SIZE]);
	s->in_use = nla_u32(tb[VFIO_PASID_A_IN_USE]);
	s->vm_count = nla_u32(tb[VFIO_PASID_A_VM_COUNT]);
	s->default_quota = nla_u32(tb[VFIO_PASID_A_DEFAULT_QUOTA]);
	s->log_size = nla_u32(tb[VFIO_PASID_A_RECLAIM_LOG_SIZE]);
	s->log_count = nla_u32(tb[VFIO_PASID_A_RECLAIM_LOG_COUNT]);
	s->allocated = nla_u64(tb[VFIO_PASID_A_ALLOCATED]);
	s->freed = nla_u64(tb[VFIO_PASID_A_FREED]);
	s->reclaimed = nla_u64(tb[VFIO_PASID_A_RECLAIMED]);
	s->log_dropped = nla_u64(tb[VFIO_PASID_A_RECLAIM_LOG_DROPPED]);
	s->quota_refusals = nla_u64(tb[VFIO_PASID_A_QUOTA_REFUSALS]);
	s->pool_refusals = nla_u64(tb[VFIO_PASID_A_POOL_REFUSALS]);
	if (tb[VFIO_PASID_A_BACKEND])
		snprintf(s->backend, sizeof(s->backend), "%s",
			 (char *)nla_data(tb[VFIO_PASID_A_BACKEND]));

	s->bind_seen = tb[VFIO_PASID_A_BINDS] && tb[VFIO_PASID_A_UNBINDS] &&
		       tb[VFIO_PASID_A_BOUND_TOTAL] &&
		       tb[VFIO_PASID_A_INVALIDATIONS] &&
		       tb[VFIO_PASID_A_INV_IOTLB_PASID] &&
		       tb[VFIO_PASID_A_INV_IOTLB_ADDR] &&
		       tb[VFIO_PASID_A_INV_DEV_IOTLB_ADDR];
	s->binds = nla_u64(tb[VFIO_PASID_A_BINDS]);
	s->unbinds = nla_u64(tb[VFIO_PASID_A_UNBINDS]);
	s->bound_total = nla_u32(tb[VFIO_PASID_A_BOUND_TOTAL]);
	s->invalidations = nla_u64(tb[VFIO_PASID_A_INVALIDATIONS]);
	s->inv_iotlb_pasid = nla_u64(tb[VFIO_PASID_A_INV_IOTLB_PASID]);
	s->inv_iotlb_addr = nla_u64(tb[VFIO_PASID_A_INV_IOTLB_ADDR]);
	s->inv_dev_iotlb_addr = nla_u64(tb[VFIO_PASID_A_INV_DEV_IOTLB_ADDR]);
	s->nesting = tb[VFIO_PASID_A_NESTING] ?
		     nla_u8(tb[VFIO_PASID_A_NESTING]) : -1;
	s->pasid_format = nla_u32_or(tb[VFIO_PASID_A_PASID_FORMAT], -1);
	s->nest_addr_width = nla_u32_or(tb[VFIO_PASID_A_NEST_ADDR_WIDTH], -1);
	s->nest_pasid_bits = nla_u32_or(tb[VFIO_PASID_A_NEST_PASID_BITS], -1);
}

bool stats_get(struct stats *s)
{
	int ret;

	memset(s, 0, sizeof(*s));
	ret = nl_request(nl_family, VFIO_PASID_CMD_STATS_GET, false, NULL,
			 VFIO_PASID_A_MAX, stats_cb, s);
	if (ret) {
		tap_fail("netlink STATS_GET: %s %s", errno_name(-ret), nl_extack);
		return false;
	}
	if (!s->seen) {
		tap_fail("netlink STATS_GET: reply lacks a counter");
		return false;
	}
	return true;
}

bool stats_now(struct stats *s)
{
	if (!stats_get(s))
		return false;
	if (!s->bind_seen) {
		tap_fail("netlink STATS_GET: reply lacks BINDS, UNBINDS, BOUND_TOTAL "
			 "or an invalidation counter");
		return false;
	}
	return true;
}

void *list_next(void *v, size_t size, unsigned int cap, unsigned int *n,
		unsigned int *lost)
{
	void *e;

	if (*n >= cap) {
		(*lost)++;
		return NULL;
	}
	e = (char *)v + (size_t)(*n)++ * size;
	memset(e, 0, size);
	return e;
}

void vm_cb(struct nlattr **tb, void *arg)
{
	struct vm_rec *r = LIST_NEXT((struct vm_list *)arg);

	if (!r)
		return;
	r->id = nla_u32(tb[VFIO_PASID_A_VM_ID]);
	r->pid = nla_u32(tb[VFIO_PASID_A_PID]);
	r->quota = nla_u32(tb[VFIO_PASID_A_QUOTA]);
	r->count = nla_u32(tb[VFIO_PASID_A_COUNT]);
	r->has_bound_count = tb[VFIO_PASID_A_BOUND_COUNT];
	r->bound_count = nla_u32(tb[VFIO_PASID_A_BOUND_COUNT]);
	r->has_group_count = tb[VFIO_PASID_A_GROUP_COUNT];
	r->group_count = nla_u32(tb[VFIO_PASID_A_GROUP_COUNT]);
	nla_str(tb[VFIO_PASID_A_COMM], r->comm, sizeof(r->comm));
}

int vm_get(uint32_t id, struct vm_list *l)
{
	struct nl_attr a = { VFIO_PASID_A_VM_ID, sizeof(id), &id };

	l->n = 0;
	l->lost = 0;
	return nl_request(nl_family, VFIO_PASID_CMD_VM_GET, false, &a,
			  VFIO_PASID_A_MAX, vm_cb, l);
}

int vm_dump(struct vm_list *l)
{
	l->n = 0;
	l->lost = 0;
	return nl_request(nl_family, VFIO_PASID_CMD_VM_GET, true, NULL,
			  VFIO_PASID_A_MAX, vm_cb, l);
}

void pasid_cb(struct nlattr **tb, void *arg)
{
	struct pasid_rec *r = LIST_NEXT((struct pasid_list *)arg);

	if (!r)
		return;
	r->vm_id = nla_u32(tb[VFIO_PASID_A_VM_ID]);
	r->pid = nla_u32(tb[VFIO_PASID_A_PID]);
	r->pasid = nla_u32(tb[VFIO_PASID_A_PASID]);
	r->bound = tb[VFIO_PASID_A_BOUND] ? nla_u8(tb[VFIO_PASID_A_BOUND]) : -1;
	nla_str(tb[VFIO_PASID_A_COMM], r->comm, sizeof(r->comm));
	r->has_gpasid = tb[VFIO_PASID_A_GPASID];
	r->gpasid = nla_u32(tb[VFIO_PASID_A_GPASID]);
	r->has_addr_width = tb[VFIO_PASID_A_ADDR_WIDTH];
	r->addr_width = nla_u32(tb[VFIO_PASID_A_ADDR_WIDTH]);
	r->has_devices = tb[VFIO_PASID_A_DEVICES];
	r->devices = nla_u32(tb[VFIO_PASID_A_DEVICES]);
	r->inv_iotlb = nla_u64(tb[VFIO_PASID_A_INV_IOTLB]);
	r->inv_dev_iotlb = nla_u64(tb[VFIO_PASID_A_INV_DEV_IOTLB]);
	r->has_bind_flags = tb[VFIO_PASID_A_BIND_FLAGS];
	r->bind_flags = nla_u64(tb[VFIO_PASID_A_BIND_FLAGS]);
	r->has_vtd_flags = tb[VFIO_PASID_A_VTD_FLAGS];
	r->vtd_flags = nla_u64(tb[VFIO_PASID_A_VTD_FLAGS]);
}

int pasid_dump(uint8_t cmd, uint32_t vm_id, struct pasid_list *l)
{
	l->n = 0;
	l->lost = 0;
	return nl_dump_vm(cmd, vm_id, pasid_cb, l);
}

void check_idle(const char *when)
{
	struct stats s;
	int tries;

	for (tries = 0; ; tries++) {
		if (!stats_now(&s))
			return;
		if ((s.vm_count == 0 && s.in_use == 0 && s.bound_total == 0) ||
		    tries >= 50)
			break;
		usleep(20000);	/* a killed child may still be exiting */
	}
	EXPECT_TRUE(s.vm_count == 0, "%s: VM_COUNT is %u, expected 0",
		    when, s.vm_count);
	EXPECT_TRUE(s.in_use == 0, "%s: IN_USE is %u, expected 0", when, s.in_use);
	EXPECT_TRUE(s.bound_total == 0, "%s: BOUND_TOTAL is %u, expected 0",
		    when, s.bound_total);
	EXPECT_TRUE(s.allocated == s.freed + s.reclaimed,
		    "%s: ALLOCATED %llu != FREED %llu + RECLAIMED %llu", when,
		    (unsigned long long)s.allocated, (unsigned long long)s.freed,
		    (unsigned long long)s.reclaimed);
	EXPECT_TRUE(s.binds == s.unbinds, "%s: BINDS %llu != UNBINDS %llu", when,
		    (unsigned long long)s.binds, (unsigned long long)s.unbinds);
}

/* ------------------------------------------------------------------ */
/* Module loading                                                      */

/* the test build: the emulated backend and fault injection (tests/testmod) */
const char *module_path = "tests/testmod/vfio_pasid.ko";

bool module_present(void)
{
	return access(MOD_SYSFS, F_OK) == 0;
}

int module_load(const char *params)
{
	int fd, ret, err;

	fd = open(module_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, params, 0);
	err = errno;
	close(fd);
	return ret ? -err : 0;
}

int module_unload(void)
{
	return syscall(SYS_delete_module, MOD_NAME, O_NONBLOCK) ? -errno : 0;
}

void expect_unloaded(void)
{
	int ret;

	EXPECT_TRUE(!module_present(), "%s is still present", MOD_SYSFS);
	EXPECT_ERRNO(ENOENT, access(DEV_PATH, F_OK));
	ret = nl_resolve(VFIO_PASID_FAMILY_NAME);
	EXPECT_TRUE(ret == -ENOENT,
		    "family %s after unload: expected ENOENT, got %s",
		    VFIO_PASID_FAMILY_NAME, ret < 0 ? errno_name(-ret) : "an id");
}

bool module_load_ok(const char *params)
{
	int ret = module_load(params);

	if (ret)
		tap_fail("finit_module(%s, \"%s\"): %s", module_path, params,
			 errno_name(-ret));
	return !ret;
}

bool family_resolve_ok(void)
{
	int ret = nl_resolve(VFIO_PASID_FAMILY_NAME);

	if (ret < 0) {
		tap_fail("generic netlink family %s: %s", VFIO_PASID_FAMILY_NAME,
			 errno_name(-ret));
		return false;
	}
	nl_family = ret;
	return true;
}

bool module_unload_ok(void)
{
	int ret = module_unload();

	if (ret) {
		tap_fail("delete_module(%s): %s", MOD_NAME, errno_name(-ret));
		return false;
	}
	expect_unloaded();
	return true;
}

/* ------------------------------------------------------------------ */
/* The device and its ioctls                                           */

int vfio_group_open(int num, double wait, bool own)
{
	double end = now() + wait;
	char path[64];
	int fd, ret;

	snprintf(path, sizeof(path), "/dev/vfio/%d", num);
	while ((fd = open(path, O_RDWR | O_CLOEXEC)) < 0 && errno == EBUSY &&
	       now() < end)
		usleep(5000);
	if (fd < 0) {
		tap_fail("open(%s): %s", path, errno_name(errno));
		return -1;
	}
	ret = own ? vfio_group_own(fd) : 0;
	if (ret) {
		tap_fail("VFIO_GROUP_SET_CONTAINER of %s: %s", path,
			 errno_name(-ret));
		close(fd);
		return -1;
	}
	return fd;
}

int vfio_group_own(int gfd)
{
	int c = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC), ret = 0;

	if (c < 0)
		return -errno;
	if (ioctl(gfd, VFIO_GROUP_SET_CONTAINER, &c))
		ret = -errno;
	close(c);
	return ret;
}

#define MAX_TRACKED	64

static int tracked[MAX_TRACKED];
static int n_tracked;

void fd_track(int fd)
{
	if (n_tracked < MAX_TRACKED)
		tracked[n_tracked++] = fd;
}

bool fd_untrack(int fd)
{
	int i;

	for (i = 0; i < n_tracked; i++)
		if (tracked[i] == fd) {
			tracked[i] = tracked[--n_tracked];
			return true;
		}
	return false;
}

void fd_close(int fd)
{
	if (fd < 0)
		return;
	fd_untrack(fd);
	if (close(fd))
		tap_fail("close(%d): %s", fd, errno_name(errno));
}

void fd_close_all(void)
{
	while (n_tracked)
		close(tracked[--n_tracked]);
}

int dev_open(void)
{
	int fd = open(DEV_PATH, O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		tap_fail("open(%s): %s", DEV_PATH, errno_name(errno));
		return -1;
	}
	fd_track(fd);
	return fd;
}

int pasid_alloc(int fd, uint32_t min, uint32_t max, uint32_t *out)
{
	struct vfio_iommu_type1_pasid_request req = {
		.argsz = sizeof(req),
		.flags = VFIO_IOMMU_PASID_ALLOC,
		.alloc_pasid = { .min = min, .max = max, .result = 0 },
	};
	int ret = ioctl(fd, VFIO_IOMMU_PASID_REQUEST, &req);

	if (!ret && out)
		*out = req.alloc_pasid.result;
	return ret;
}

int pasid_free(int fd, uint32_t pasid)
{
	struct vfio_iommu_type1_pasid_request req = {
		.argsz = sizeof(req),
		.flags = VFIO_IOMMU_PASID_FREE,
		.free_pasid = pasid,
	};

	return ioctl(fd, VFIO_IOMMU_PASID_REQUEST, &req);
}

bool alloc_n(int fd, uint32_t min, uint32_t max, uint32_t n, uint32_t *out)
{
	uint32_t i;

	for (i = 0; i < n; i++)
		if (pasid_alloc(fd, min, max, &out[i])) {
			tap_fail("allocation %u of %u in [%u, %u]: %s", i + 1, n,
				 min, max, errno_name(errno));
			return false;
		}
	return true;
}

uint32_t info_of(int fd, enum info_field f)
{
	struct vfio_pasid_info info;

	if (get_info(fd, &info)) {
		tap_fail("VFIO_PASID_GET_INFO: %s", errno_name(errno));
		return UINT32_MAX;
	}
	return f == INFO_VM_ID ? info.vm_id :
	       f == INFO_QUOTA ? info.quota : info.count;
}

static const char *ioc_name(unsigned long cmd)
{
	switch (cmd) {
	case VFIO_IOMMU_PASID_REQUEST:
		return "VFIO_IOMMU_PASID_REQUEST";
	case VFIO_IOMMU_SET_PASID_QUOTA:
		return "VFIO_IOMMU_SET_PASID_QUOTA";
	case VFIO_PASID_GET_INFO:
		return "VFIO_PASID_GET_INFO";
	case VFIO_IOMMU_BIND:
		return "VFIO_IOMMU_BIND";
	case VFIO_IOMMU_CACHE_INVALIDATE:
		return "VFIO_IOMMU_CACHE_INVALIDATE";
	case VFIO_PASID_ATTACH_GROUP:
		return "VFIO_PASID_ATTACH_GROUP";
	case VFIO_PASID_DETACH_GROUP:
		return "VFIO_PASID_DETACH_GROUP";
	}
	return "ioctl";
}

unsigned long n_checked;

bool check_ioctl_at(int line, int expected, int fd, unsigned long cmd,
		    void *arg, const char *fmt, ...)
{
	char what[256];
	va_list ap;
	int ret, err;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	__atomic_add_fetch(&n_checked, 1, __ATOMIC_RELAXED);
	errno = 0;
	ret = ioctl(fd, cmd, arg);
	err = errno;
	if (!expected && ret) {
		tap_diag_at(true, line, "%s %s: expected success, got %s",
			    ioc_name(cmd), what, errno_name(err));
		return false;
	}
	if (expected && ret != -1) {
		tap_diag_at(true, line, "%s %s: expected %s, got success (%d)",
			    ioc_name(cmd), what, errno_name(expected), ret);
		return false;
	}
	if (expected && err != expected) {
		tap_diag_at(true, line, "%s %s: expected %s, got %s",
			    ioc_name(cmd), what, errno_name(expected),
			    errno_name(err));
		return false;
	}
	return true;
}

/* ------------------------------------------------------------------ */
/* Children: other processes, hence other VMs                         */

#define MAX_CHILDREN	16

static struct child *children[MAX_CHILDREN];

int run_in_child(int (*fn)(void *arg), void *arg)
{
	pid_t pid;
	int st;

	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		tap_fail("fork: %s", errno_name(errno));
		return -1;
	}
	if (!pid)
		_exit(fn(arg) & 0xff);
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st)) {
		tap_fail("a child did not exit (status 0x%x)", st);
		return -1;
	}
	return WEXITSTATUS(st);
}

bool child_start(struct child *c, child_fn_t fn, void *arg)
{
	int sv[2], i;

	c->pid = -1;
	c->sock = -1;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv)) {
		tap_fail("socketpair: %s", errno_name(errno));
		return false;
	}
	fflush(stdout);
	c->pid = fork();
	if (c->pid < 0) {
		tap_fail("fork: %s", errno_name(errno));
		close(sv[0]);
		close(sv[1]);
		return false;
	}
	if (c->pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(sv[0]);
		/* the parent's descriptors are the parent's VM: not ours */
		fd_close_all();
		fn(sv[1], arg);
		_exit(0);
	}
	close(sv[1]);
	c->sock = sv[0];
	for (i = 0; i < MAX_CHILDREN; i++)
		if (!children[i]) {
			children[i] = c;
			break;
		}
	return true;
}

static void child_forget(struct child *c)
{
	int i;

	for (i = 0; i < MAX_CHILDREN; i++)
		if (children[i] == c)
			children[i] = NULL;
	if (c->sock >= 0)
		close(c->sock);
	c->sock = -1;
	c->pid = -1;
}

bool child_reap(struct child *c, int sig)
{
	double deadline = now() + 30;
	int status = 0;
	bool ok = true;
	pid_t r;

	if (c->pid <= 0)
		return false;
	for (;;) {
		r = waitpid(c->pid, &status, WNOHANG);
		if (r == c->pid || (r < 0 && errno != EINTR))
			break;
		if (now() > deadline) {
			tap_fail("child %d did not end within 30 s: killed",
				 (int)c->pid);
			kill(c->pid, SIGKILL);
			waitpid(c->pid, &status, 0);
			child_forget(c);
			return false;
		}
		usleep(1000);
	}
	if (r != c->pid) {
		tap_fail("waitpid(%d): %s", (int)c->pid, errno_name(errno));
		ok = false;
	} else if (!sig && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
		tap_fail("child %d ended with status 0x%x", (int)c->pid, status);
		ok = false;
	} else if (sig && !(WIFSIGNALED(status) && WTERMSIG(status) == sig)) {
		tap_fail("child %d: expected death by signal %d, status 0x%x",
			 (int)c->pid, sig, status);
		ok = false;
	}
	child_forget(c);
	return ok;
}

bool child_stop(struct child *c)
{
	msg_op(c->sock, M_EXIT);
	return child_reap(c, 0);
}

void cleanup_test(void)
{
	int i, status;

	fd_close_all();
	for (i = 0; i < MAX_CHILDREN; i++) {
		struct child *c = children[i];

		if (!c)
			continue;
		if (c->pid > 0) {
			kill(c->pid, SIGKILL);
			waitpid(c->pid, &status, 0);
		}
		child_forget(c);
	}
	/* orphans re-parented to us (a subreaper) */
	while (waitpid(-1, &status, WNOHANG) > 0)
		;
}

bool msg_send(int sock, const struct msg *m)
{
	size_t len = offsetof(struct msg, val) + m->n * sizeof(m->val[0]);

	if (m->n > MSG_VALS || send(sock, m, len, MSG_NOSIGNAL) != (ssize_t)len) {
		tap_fail("send on control socket: %s", errno_name(errno));
		return false;
	}
	return true;
}

bool msg_op(int sock, uint32_t op)
{
	struct msg m = { .op = op };

	return msg_send(sock, &m);
}

bool msg_recv(int sock, struct msg *m, uint32_t op)
{
	struct pollfd pfd = { .fd = sock, .events = POLLIN };
	ssize_t n;
	int ret;

	do
		ret = poll(&pfd, 1, MSG_TIMEOUT_MS);
	while (ret < 0 && errno == EINTR);
	if (ret == 0) {
		tap_fail("no message %u within %d ms", op, MSG_TIMEOUT_MS);
		return false;
	}
	memset(m, 0, sizeof(*m));
	n = recv(sock, m, sizeof(*m), 0);
	if (n < (ssize_t)offsetof(struct msg, val)) {
		/* a peer that is gone has already said why */
		if (n != 0)
			tap_fail("control socket: %s", n < 0 ?
				 errno_name(errno) : "short message");
		return false;
	}
	if (m->op != op) {
		tap_fail("control socket: message %u, expected %u", m->op, op);
		return false;
	}
	return true;
}

/* ------------------------------------------------------------------ */
/* Descriptors over a unix socket                                      */

union fd_cmsg {
	struct cmsghdr	h;
	char		buf[CMSG_SPACE(sizeof(int))];
};

ssize_t send_with_fd(int sock, const void *data, size_t len, int fd)
{
	struct iovec iov = { (void *)data, len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	union fd_cmsg u;
	struct cmsghdr *cm;

	if (fd >= 0) {
		memset(u.buf, 0, sizeof(u.buf));
		mh.msg_control = u.buf;
		mh.msg_controllen = sizeof(u.buf);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	}
	return sendmsg(sock, &mh, MSG_NOSIGNAL);
}

ssize_t recv_with_fd(int sock, void *data, size_t len, int *fd,
		     int *msg_flags)
{
	struct iovec iov = { data, len };
	union fd_cmsg u;
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = u.buf, .msg_controllen = sizeof(u.buf),
	};
	struct cmsghdr *cm;
	ssize_t n;

	*fd = -1;
	if (msg_flags)
		*msg_flags = 0;
	n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	if (n < 0)
		return n;
	if (msg_flags)
		*msg_flags = mh.msg_flags;
	cm = CMSG_FIRSTHDR(&mh);
	if (cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS)
		memcpy(fd, CMSG_DATA(cm), sizeof(int));
	return n;
}

/* ------------------------------------------------------------------ */
/* The program around the tests                                        */

static void watchdog(int sig)
{
	static const char msg[] = "Bail out! watchdog: the tests took too long\n";

	(void)sig;
	if (write(STDOUT_FILENO, msg, sizeof(msg) - 1) < 0)
		_exit(1);
	_exit(1);
}

static void usage(FILE *f, const char *prog, const struct harness *h)
{
	fprintf(f,
		"Usage: %s [-m MODULE.ko]%s [-f]\n"
		"%s; TAP on stdout.\n"
		"Run as root in the test VM (tests/vm/run -- %s), from the project root.\n"
		"  -m PATH  the module to load (default tests/testmod/vfio_pasid.ko)\n"
		"%s"
		"  -f       run outside the test VM (VM_GUEST unset): loads a module into this kernel\n",
		prog, h->synopsis ? h->synopsis : "", h->what, prog,
		h->help ? h->help : "");
}

/*
 * VP_TIMEOUT_SCALE=N (1 to 20) multiplies the watchdog's time: the debug
 * kernel of make check-debug (KASAN, lockdep) runs everything slower.
 */
static unsigned int timeout_scale(void)
{
	const char *s = getenv("VP_TIMEOUT_SCALE");
	unsigned long v;
	char *end;

	if (!s || !*s)
		return 1;
	v = strtoul(s, &end, 10);
	return *end || v < 1 || v > 20 ? 1 : v;
}

/* Returns -1 to go on, or the status main() must exit with */
static int harness_start(int argc, char **argv, const struct harness *h)
{
	char optstring[64];
	bool force = false;
	int opt, ret;

	snprintf(optstring, sizeof(optstring), "m:fh%s", h->opts ? h->opts : "");
	while ((opt = getopt(argc, argv, optstring)) != -1) {
		switch (opt) {
		case 'm':
			module_path = optarg;
			break;
		case 'f':
			force = true;
			break;
		case 'h':
			usage(stdout, argv[0], h);
			return 0;
		case '?':
		case ':':
			usage(stderr, argv[0], h);
			return 2;
		default:
			h->opt(opt, optarg);
			break;
		}
	}
	if (optind != argc) {
		usage(stderr, argv[0], h);
		return 2;
	}

	tap_init();
	if (geteuid() != 0) {
		printf("Bail out! must run as root, inside the test VM\n");
		return 1;
	}
	if (!force && !getenv("VM_GUEST")) {
		printf("Bail out! not in the test VM (VM_GUEST unset): run "
		       "'tests/vm/run -- %s', or pass -f to load the module "
		       "into this kernel\n", argv[0]);
		return 1;
	}
	if (access(module_path, R_OK)) {
		printf("Bail out! %s: %s: build it with 'make tests'\n",
		       module_path, strerror(errno));
		return 1;
	}
	ret = nl_socket_open();
	if (ret < 0) {
		printf("Bail out! netlink socket: %s\n", strerror(-ret));
		return 1;
	}
	nl_fd = ret;
	if (module_present()) {
		printf("# %s is loaded: unloading it first\n", MOD_NAME);
		ret = module_unload();
		if (ret) {
			printf("Bail out! %s is loaded and cannot be unloaded "
			       "(%s): close what uses %s and rmmod it\n",
			       MOD_NAME, strerror(-ret), DEV_PATH);
			return 1;
		}
	}
	signal(SIGPIPE, SIG_IGN);
	signal(SIGALRM, watchdog);
	alarm(h->timeout * timeout_scale());
	if (h->subreaper)
		prctl(PR_SET_CHILD_SUBREAPER, 1);
	return -1;
}

static void harness_run(const struct harness *h)
{
	unsigned int i;
	double t;

	printf("1..%u\n", h->n_tests);
	for (i = 0; i < h->n_tests; i++) {
		const struct test *tc = &h->tests[i];

		tap_begin();
		if (tc->need_module && !h->loaded()) {
			tap_end(tc->name, "the module is not loaded");
			continue;
		}
		t = now();
		tc->fn();
		if (h->after)
			h->after(tc);
		if (now() - t > 1.0)
			tap_note("took %.1f s", now() - t);
		tap_end(tc->name, NULL);
	}
}

int harness_main(int argc, char **argv, const struct harness *h)
{
	double t0 = now();
	int ret;

	ret = harness_start(argc, argv, h);
	if (ret >= 0)
		return ret;
	if (h->before)
		h->before();
	harness_run(h);
	if (h->end)
		h->end();
	if (h->loaded() || module_present())
		module_unload();
	printf("# %d of %u tests failed, %.1f s\n", tap_failures, h->n_tests,
	       now() - t0);
	return tap_failures ? 1 : 0;
}
