/* SPDX-License-Identifier: GPL-2.0 */
/*
 * common.h - support code shared by the programs of tests/ioctl
 *
 * Copyright (C) 2026 The vfio-pasid authors
 *
 * A clock, GET_INFO, a small hand-written generic netlink client (attribute
 * parsing, requests with at most one attribute, family resolution,
 * STATS_GET, dumps filtered by VM) and loading the module with
 * finit_module/delete_module.
 * Failures that a test must see are reported through tap.h, whose state the
 * programs and this file share (it is defined in common.c).
 */
#ifndef VP_COMMON_H
#define VP_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>

#include <linux/vfio_pasid.h>
#include <linux/vfio_pasid_netlink.h>

#define DEV_PATH	"/dev/vfio-pasid"
#define MOD_NAME	"vfio_pasid"
#define MOD_SYSFS	"/sys/module/" MOD_NAME

#define PASID_LIMIT	0xFFFFFU
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* CLOCK_MONOTONIC in seconds */
double now(void);

/* VFIO_PASID_GET_INFO into a zeroed @info; the ioctl's result */
int get_info(int fd, struct vfio_pasid_info *info);

/* ------------------------------------------------------------------ */
/* Generic netlink, by hand                                            */

extern int nl_fd;		/* the socket of nl_request() */
extern uint16_t nl_family;	/* vfio_pasid's id, resolved at each load */
extern uint32_t nl_seq;		/* the last sequence number used */
extern char nl_extack[256];	/* extended-ack text of nl_request's last error */

/* A request's buffer: header, genl header and one attribute of <= 256 bytes */
#define NL_SBUF_SIZE	512
#define NL_ATTR_MAX_LEN	256

typedef void (*nl_cb_t)(struct nlattr **tb, void *arg);

struct nl_attr {
	uint16_t	type;
	uint16_t	len;
	const void	*data;
};

/* A bound generic netlink socket with extended acks; fd or a negative errno */
int nl_socket_open(void);

void nl_parse(struct nlattr **tb, int max, void *data, int len);
void *nla_data(const struct nlattr *a);
uint32_t nla_u32(const struct nlattr *a);	/* 0 when absent */
uint64_t nla_u64(const struct nlattr *a);	/* 0 when absent */
uint8_t nla_u8(const struct nlattr *a);		/* 0 when absent */

/* The extended-ack message of an NLMSG_ERROR into @buf ("" if none) */
void nl_extack_text(struct nlmsghdr *nlh, char *buf, size_t size);

/* The error code of an NLMSG_DONE into *@err (0 if none); false if none */
bool nl_done_err(const struct nlmsghdr *nlh, int *err);

/*
 * Build a request into @buf (NL_SBUF_SIZE bytes) with NLM_F_REQUEST | @flags
 * and @attr when it is not NULL (at most NL_ATTR_MAX_LEN bytes of data);
 * returns its length.
 */
size_t nl_build(char *buf, uint16_t family, uint8_t cmd, uint16_t flags,
		uint32_t seq, const struct nl_attr *attr);

/*
 * One request on nl_fd, do or dump, with at most one attribute; @cb sees
 * every reply message parsed into tb[0..maxattr].  Returns 0 or a negative
 * errno; the extended-ack text of an error is left in nl_extack.
 */
int nl_request(uint16_t family, uint8_t cmd, bool dump,
	       const struct nl_attr *attr, int maxattr, nl_cb_t cb, void *arg);

void family_cb(struct nlattr **tb, void *arg);

/* The family's id, or a negative errno */
int nl_resolve(const char *name);

/*
 * A dump of @cmd of nl_family, filtered by VM_ID @vm_id unless it is 0;
 * @cb sees every entry.  0 or a negative errno (nl_extack says why).
 */
int nl_dump_vm(uint8_t cmd, uint32_t vm_id, nl_cb_t cb, void *arg);

/* STATS_GET, the global counters */
struct stats {
	uint32_t	pool_min, pool_max, pool_size;
	uint32_t	in_use, vm_count, default_quota;
	uint32_t	log_size, log_count;
	uint64_t	allocated, freed, reclaimed, log_dropped;
	uint64_t	quota_refusals, pool_refusals;
	char		backend[32];
	bool		seen;		/* every counter was in the reply */

	/* binds and invalidations */
	uint64_t	binds, unbinds, invalidations;
	uint64_t	inv_iotlb_pasid, inv_iotlb_addr, inv_dev_iotlb_addr;
	uint32_t	bound_total;
	bool		bind_seen;	/* every one of them was in the reply */
	int		nesting;	/* NESTING, -1 when absent */
	/* what the backend nests with, each -1 when absent */
	int64_t		pasid_format, nest_addr_width, nest_pasid_bits;
};

void stats_cb(struct nlattr **tb, void *arg);

/* STATS_GET of nl_family; false (and the test failed) when it does not work */
bool stats_get(struct stats *s);

/* ------------------------------------------------------------------ */
/* Module loading                                                      */

extern const char *module_path;	/* default driver/vfio_pasid.ko */

bool module_present(void);
/* finit_module of module_path with @params: 0 or a negative errno */
int module_load(const char *params);
/* delete_module, O_NONBLOCK: 0 or a negative errno */
int module_unload(void);

/*
 * The checks after an unload: the module, its device and its netlink family
 * are gone.
 */
void expect_unloaded(void);

/* ------------------------------------------------------------------ */
/* Descriptors over a unix socket                                      */

/*
 * sendmsg() of @len bytes at @data with MSG_NOSIGNAL, @fd passed as
 * SCM_RIGHTS unless it is negative; sendmsg's result.
 */
ssize_t send_with_fd(int sock, const void *data, size_t len, int fd);

/*
 * recvmsg() of at most @len bytes into @data with MSG_CMSG_CLOEXEC; *@fd is
 * the descriptor passed as SCM_RIGHTS, or -1; *@msg_flags (unless NULL) the
 * flags of the message.  recvmsg's result, errno set when it is negative.
 */
ssize_t recv_with_fd(int sock, void *data, size_t len, int *fd,
		     int *msg_flags);

/* ------------------------------------------------------------------ */
/* The program around the tests                                        */

/* What main() tells the harness about its program */
struct harness {
	const char	*what;		/* what it tests, for the usage */
	const char	*synopsis;	/* its own options in the usage line */
	const char	*help;		/* their lines of help, "" for none */
	const char	*opts;		/* them for getopt, "" for none */
	void		(*opt)(int opt, const char *arg);	/* handles them */
	unsigned int	timeout;	/* seconds before the watchdog bails out */
};

/*
 * The start of main(): the options -m PATH (module_path), -f, -h and the
 * program's own, then the TAP state and what the tests need: root, the test
 * VM (VM_GUEST) unless -f, the module file, nl_fd, and the module not
 * loaded (unloaded when it is).  SIGPIPE is ignored and the watchdog is
 * armed.  Returns -1 to go on, or the status main() must exit with (after
 * a "Bail out!" line, or the usage).
 */
int harness_start(int argc, char **argv, const struct harness *h);

struct test {
	const char	*name;
	void		(*fn)(void);
	bool		need_module;	/* skipped while it is not loaded */
};

/*
 * Run @tests in order, each between tap_begin() and tap_end(), after the
 * plan line.  @loaded says whether the module is loaded; @after (unless
 * NULL) runs after each test that ran, as part of it.
 */
void harness_run(const struct test *tests, unsigned int n,
		 bool (*loaded)(void), void (*after)(const struct test *tc));

/*
 * The end of main(): unload the module if @loaded or still present, print
 * the summary; the exit status.
 */
int harness_end(bool loaded, unsigned int n_tests, double t0);

#endif /* VP_COMMON_H */
