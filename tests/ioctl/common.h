/* SPDX-License-Identifier: GPL-2.0 */
/*
 * common.h - support code shared by the programs of tests/ioctl
 *
 * Copyright (C) 2026 The vfio-pasid authors
 *
 * A clock, GET_INFO, a small hand-written generic netlink client (attribute
 * parsing, requests with at most one attribute, family resolution,
 * STATS_GET, VM_GET, PASID and reclaim dumps), loading the module with
 * finit_module/delete_module, the device's descriptors and ioctls checked
 * (CHECK), and child processes (other VMs) with their control messages.
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

/* nl_fd closed and opened again (what it had pending is gone); 0 or -1 */
int nl_reopen(void);
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
/* A string attribute into @out (of @size bytes); "" when absent */
void nla_str(const struct nlattr *a, char *out, size_t size);

/* The extended-ack message of an NLMSG_ERROR or NLMSG_DONE into @buf ("" if none) */
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

/*
 * A do request on nl_fd with up to two u32 attributes (type 0: none); its
 * ack's error, 0 or a negative errno (nl_extack says why)
 */
int nl_do_u32(uint8_t cmd, uint16_t t1, uint32_t v1, uint16_t t2,
	      uint32_t v2);

/*
 * The same with any two attributes (NULL: none); the first of at most
 * NL_ATTR_MAX_LEN bytes, the second of at most 64
 */
int nl_do2(uint8_t cmd, const struct nl_attr *a1, const struct nl_attr *a2);

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

/*
 * STATS_GET that must also carry the bind and invalidation counters; false
 * (and the test failed) when it does not
 */
bool stats_now(struct stats *s);

/*
 * The lists the dumps fill are { unsigned int n, lost; T v[N]; }: the next
 * entry of @l, zeroed, or NULL (and one more lost) when it is full
 */
void *list_next(void *v, size_t size, unsigned int cap, unsigned int *n,
		unsigned int *lost);
#define LIST_NEXT(l) \
	list_next((l)->v, sizeof((l)->v[0]), ARRAY_SIZE((l)->v), &(l)->n, &(l)->lost)

/* VM_GET: one VM (do) or all of them (dump) */
struct vm_rec {
	uint32_t	id, pid, quota, count;
	uint32_t	bound_count, group_count;
	bool		has_bound_count, has_group_count;
	char		comm[16];
};

struct vm_list {
	unsigned int	n, lost;
	struct vm_rec	v[256];
};

void vm_cb(struct nlattr **tb, void *arg);	/* adds to a vm_list */
/* VM_GET of VM @id into @l (one entry); 0 or a negative errno */
int vm_get(uint32_t id, struct vm_list *l);
/* VM_GET dump of every VM into @l; 0 or a negative errno */
int vm_dump(struct vm_list *l);

/* PASID_GET and RECLAIM_GET dump entries */
struct pasid_rec {
	uint32_t	vm_id, pid, pasid;
	int		bound;			/* -1 when absent */
	char		comm[16];
	bool		has_gpasid, has_addr_width, has_devices;
	bool		has_bind_flags, has_vtd_flags;
	uint32_t	gpasid, addr_width, devices;
	uint64_t	inv_iotlb, inv_dev_iotlb, bind_flags, vtd_flags;
};

struct pasid_list {
	unsigned int	n, lost;
	struct pasid_rec v[2048];
};

void pasid_cb(struct nlattr **tb, void *arg);	/* adds to a pasid_list */
/*
 * A dump of @cmd (PASID_GET or RECLAIM_GET) into @l, filtered by VM_ID
 * @vm_id unless it is 0; 0 or a negative errno (nl_extack says why).
 */
int pasid_dump(uint8_t cmd, uint32_t vm_id, struct pasid_list *l);

/*
 * The module idle, waited for up to a second: no VM, no PASID in use or
 * bound, ALLOCATED == FREED + RECLAIMED and BINDS == UNBINDS.  @when
 * starts the diagnostics.
 */
void check_idle(const char *when);

/* ------------------------------------------------------------------ */
/* Module loading                                                      */

extern const char *module_path;	/* default tests/testmod/vfio_pasid.ko */

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

/* module_load(@params); false (and the test failed) when it fails */
bool module_load_ok(const char *params);
/* nl_family resolved again; false (and the test failed) when it fails */
bool family_resolve_ok(void);
/* module_unload() and expect_unloaded(); false (the test failed) if refused */
bool module_unload_ok(void);

/* ------------------------------------------------------------------ */
/* The device and its ioctls                                           */

/*
 * Descriptors a test opens are tracked, so that the harness closes what a
 * test left open and a forked child does not keep its parent's VM.
 */
void fd_track(int fd);

/*
 * Puts the VFIO group @gfd into a container of its own, as a VMM does first:
 * the module attaches a group behind an IOMMU only once a container (or
 * iommufd) owns it.  The container's descriptor is closed again; the group
 * keeps the container until the group's own descriptor is closed.
 * Returns 0 or a negative errno.
 */
int vfio_group_own(int gfd);

/*
 * /dev/vfio/@num, opened and, with @own, put into a container of its own.
 * A VFIO group opens once at a time: EBUSY (a VM just released may still
 * hold its file) is retried for up to @wait seconds.  Returns the
 * descriptor, or -1 with the test failed.
 */
int vfio_group_open(int num, double wait, bool own);
bool fd_untrack(int fd);
/* close() of a tracked descriptor (-1: none); a failure fails the test */
void fd_close(int fd);
/* close() of every tracked descriptor */
void fd_close_all(void);

/* /dev/vfio-pasid, tracked; -1 (and the test failed) when it does not open */
int dev_open(void);

/* PASID_REQUEST, ALLOC in [@min, @max] or FREE: the ioctl's result */
int pasid_alloc(int fd, uint32_t min, uint32_t max, uint32_t *out);
int pasid_free(int fd, uint32_t pasid);
/* @n PASIDs in [@min, @max] into @out; false (and the test failed) when not */
bool alloc_n(int fd, uint32_t min, uint32_t max, uint32_t n, uint32_t *out);

/* A field of GET_INFO, which must work: UINT32_MAX (the test failed) if not */
enum info_field { INFO_VM_ID, INFO_QUOTA, INFO_COUNT };
uint32_t info_of(int fd, enum info_field f);
#define vm_id_of(fd)	info_of(fd, INFO_VM_ID)
#define count_of(fd)	info_of(fd, INFO_COUNT)
#define quota_of(fd)	info_of(fd, INFO_QUOTA)

/* The requests CHECK() made, for a summary */
extern unsigned long n_checked;

/*
 * ioctl(@fd, @cmd, @arg) must end with @expected, an errno, or 0 for
 * success; the case is described by @fmt.  Returns whether it did.
 */
__attribute__((format(printf, 6, 7)))
bool check_ioctl_at(int line, int expected, int fd, unsigned long cmd,
		    void *arg, const char *fmt, ...);

#define CHECK(expected, fd, cmd, arg, ...) \
	check_ioctl_at(__LINE__, expected, fd, cmd, arg, __VA_ARGS__)

/* ------------------------------------------------------------------ */
/* Children: other processes, hence other VMs                         */

struct child {
	pid_t	pid;
	int	sock;		/* the control socket, SOCK_SEQPACKET */
};

typedef void (*child_fn_t)(int sock, void *arg);

/*
 * Run @fn(@arg) in a forked child, whose exit status is what it returns
 * (0..254); that status, or -1 (and the test failed) when the child could
 * not run or did not exit.  For a short act of another process (another
 * VM): the child keeps the descriptors it inherits.
 */
int run_in_child(int (*fn)(void *arg), void *arg);

/*
 * Fork a child that runs @fn(sock, arg) and exits.  It dies with us, and
 * closes the descriptors we track first (they are our VM, not its own).
 */
bool child_start(struct child *c, child_fn_t fn, void *arg);

/*
 * Wait for a child, up to 30 s: @sig 0, it must exit with status 0, else
 * it must die of signal @sig.  Returns whether it did.
 */
bool child_reap(struct child *c, int sig);

/* M_EXIT to the child, then child_reap(@c, 0) */
bool child_stop(struct child *c);

/*
 * After a test: close the descriptors it left open, kill the children it
 * left, reap orphans re-parented to us.
 */
void cleanup_test(void);

/* Messages between the parent and a child */
#define MSG_VALS	512
#define MSG_TIMEOUT_MS	30000

struct msg {
	uint32_t	op;
	int32_t		err;		/* an errno, 0 for success */
	uint32_t	vm_id;
	uint32_t	n;
	uint32_t	val[MSG_VALS];	/* only the first n are sent */
};

enum {
	M_READY = 1,	/* child -> parent: vm_id, PASIDs held in val[] */
	M_GO,		/* parent -> child: do the next step */
	M_DONE,		/* child -> parent: step done */
	M_REPLY,	/* child -> parent: an answer in err/vm_id/n/val */
	M_ASK_INFO,	/* parent -> child: reply vm_id, count, quota */
	M_FREE,		/* parent -> child: free val[0], reply err */
	M_ALLOC,	/* parent -> child: allocate in [val[0], val[1]] */
	M_CLOSE,	/* parent -> child: close the descriptor, reply M_DONE */
	M_EXIT,		/* parent -> child: exit now */
};

/* false (and the test failed) when it was not sent */
bool msg_send(int sock, const struct msg *m);
bool msg_op(int sock, uint32_t op);	/* a message of @op alone */
/*
 * One message of type @op, within MSG_TIMEOUT_MS; false (and the test
 * failed) when none came
 */
bool msg_recv(int sock, struct msg *m, uint32_t op);

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

struct test {
	const char	*name;
	void		(*fn)(void);
	bool		need_module;	/* skipped while it is not loaded */
};

/* What main() tells the harness about its program */
struct harness {
	const char	*what;		/* what it tests, for the usage */
	/* its own options, if any (NULL: none) */
	const char	*synopsis;	/* in the usage line */
	const char	*help;		/* their lines of help */
	const char	*opts;		/* for getopt */
	void		(*opt)(int opt, const char *arg);	/* handles them */
	unsigned int	timeout;	/* seconds before the watchdog bails out */
	bool		subreaper;	/* orphans are re-parented to it */

	const struct test *tests;	/* run in order */
	unsigned int	n_tests;
	bool		(*loaded)(void);	/* is the module loaded? */
	/* each unless NULL: */
	void		(*before)(void);	/* before the first test */
	void		(*after)(const struct test *tc);	/* after each
							 * test that ran, as
							 * part of it */
	void		(*end)(void);		/* after the last test */
};

/*
 * The whole of main().  First the options -m PATH (module_path), -f, -h
 * and the program's own, then the TAP state and what the tests need: root,
 * the test VM (VM_GUEST) unless -f, the module file, nl_fd, and the module
 * not loaded (unloaded when it is); SIGPIPE is ignored and the watchdog
 * armed.  Then the plan line and the tests, each between tap_begin() and
 * tap_end(), a test that needs the module skipped while it is not loaded.
 * Last the module is unloaded if it is still there, and the summary
 * printed.  Returns the exit status: 0 when every test passed (or after
 * -h), 1 when one failed or after a "Bail out!" line, 2 after a usage
 * error.
 */
int harness_main(int argc, char **argv, const struct harness *h);

#endif /* VP_COMMON_H */
