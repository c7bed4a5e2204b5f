// SPDX-License-Identifier: GPL-2.0
/*
 * vp-tool - small pieces of the uAPI for the bats files, run as any user
 *
 * Copyright (C) 2026 The vfio-pasid authors
 *
 *   vp-tool quota [N]...
 *	Opens /dev/vfio-pasid (its own VM), prints "vm ID quota Q", then for
 *	each N asks VFIO_IOMMU_SET_PASID_QUOTA for N and prints
 *	"set N: returned R, quota Q" (R the ioctl's return value) or
 *	"set N: ERRNO, quota Q" (ERRNO by name), Q read back with
 *	VFIO_PASID_QUOTA_GET.  Exit 0; 1 when QUOTA_GET fails or returns
 *	another value than it writes back; 3 when the device does not open
 *	(the reason on stderr, by name).
 *
 *   vp-tool hold N opener|fork|scm|dup [--group G] -- CMD [ARG]...
 *	Opens /dev/vfio-pasid, allocates N PASIDs (in [pasid_min,
 *	pasid_max]) and, with --group G,
 *	attaches VFIO group G (/dev/vfio/G) and binds each PASID; prints
 *	"vm ID", "pasids P...", "holder PID".  The descriptor then lives on
 *	as descriptor 9 of CMD, run by:
 *	  opener  the opener itself (exec)
 *	  fork    a child forked after the open; the opener exits
 *	  scm     a child forked before the open, sent the descriptor with
 *	          SCM_RIGHTS; the opener closes its own and exits
 *	  dup     the opener, which closed the descriptor it opened and
 *	          keeps a dup of it
 *	Exit 1, a line on stderr, when a step fails.
 *
 *   vp-tool dump vm|pasid|device|reclaim [VM_ID]
 *	Sends one dump request of the admin API and reads nothing: prints
 *	"started" once it is sent, then waits for the end of standard
 *	input, then reads the dump to its end and prints "entries N" and
 *	"done" (exit 0), or "error ERRNO: EXTACK" (exit 1).  Closing the
 *	socket without reading is killing the process.
 *
 *   vp-tool flood PROCS THREADS ROUNDS N
 *	The bypass a limit per cgroup must close: PROCS processes of THREADS
 *	threads each, all at once, each thread ROUNDS times forking a child
 *	that opens /dev/vfio-pasid (a VM of its own), allocates up to N
 *	PASIDs (until one is refused), sends the descriptor to this process
 *	with SCM_RIGHTS and exits.  This process keeps every descriptor it
 *	is sent, prints "vms K pasids P enospc E" (the VMs it holds, their
 *	PASIDs by the children's count, the children refused with ENOSPC
 *	before N), then waits for the end of standard input and exits,
 *	which ends every VM.  Exit 1, a line on stderr, when a child fails
 *	in any other way.
 *
 * Exit 2: usage.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <sys/wait.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "common.h"
#include "tap.h"

static int usage(void)
{
	fprintf(stderr, "usage: vp-tool quota [N]...\n"
		"       vp-tool hold N opener|fork|scm|dup [--group G] -- CMD [ARG]...\n"
		"       vp-tool dump vm|pasid|device|reclaim [VM_ID]\n"
		"       vp-tool flood PROCS THREADS ROUNDS N\n");
	return 2;
}

static int quota_get(int fd, uint32_t *quota)
{
	struct vfio_iommu_type1_pasid_quota q = {
		.argsz = sizeof(q), .flags = VFIO_PASID_QUOTA_GET,
	};
	int ret = ioctl(fd, VFIO_IOMMU_SET_PASID_QUOTA, &q);

	if (ret < 0)
		return -1;
	*quota = q.quota;
	/* it returns the quota it writes back */
	if ((uint32_t)ret != q.quota) {
		errno = EPROTO;
		return -1;
	}
	return 0;
}

static int do_quota(int argc, char **argv)
{
	struct vfio_iommu_type1_pasid_quota q;
	struct vfio_pasid_info info;
	uint32_t now_q;
	char *end;
	int fd, i, ret, err;

	fd = open(DEV_PATH, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "vp-tool: open %s: %s\n", DEV_PATH,
			errno_name(errno));
		return 3;
	}
	if (get_info(fd, &info)) {
		fprintf(stderr, "vp-tool: GET_INFO: %s\n", errno_name(errno));
		return 1;
	}
	printf("vm %u quota %u\n", info.vm_id, info.quota);
	for (i = 0; i < argc; i++) {
		memset(&q, 0, sizeof(q));
		q.argsz = sizeof(q);
		q.quota = strtoul(argv[i], &end, 0);
		if (!*argv[i] || *end)
			return usage();
		ret = ioctl(fd, VFIO_IOMMU_SET_PASID_QUOTA, &q);
		err = ret < 0 ? errno : 0;
		if (quota_get(fd, &now_q)) {
			fprintf(stderr, "vp-tool: QUOTA_GET: %s\n",
				errno_name(errno));
			return 1;
		}
		if (err)
			printf("set %s: %s, quota %u\n", argv[i],
			       errno_name(err), now_q);
		else
			printf("set %s: returned %d, quota %u\n", argv[i],
			       ret, now_q);
	}
	return 0;
}

static int die(const char *what)
{
	fprintf(stderr, "vp-tool: %s: %s\n", what, errno_name(errno));
	exit(1);
}

/* A module parameter, a number */
static uint32_t param(const char *path)
{
	unsigned int v;
	FILE *f = fopen(path, "r");

	if (!f || fscanf(f, "%u", &v) != 1)
		die(path);
	fclose(f);
	return v;
}

/* The VM for hold: open, allocate, attach and bind; the descriptor */
static int hold_vm(uint32_t n, int group)
{
	struct {
		struct vfio_iommu_type1_bind hdr;
		struct iommu_gpasid_bind_data data;
	} b;
	struct vfio_pasid_group g = { .argsz = sizeof(g) };
	struct vfio_pasid_info info;
	char path[32];
	uint32_t i, p;
	int fd;

	fd = open(DEV_PATH, O_RDWR | O_CLOEXEC);
	if (fd < 0 || get_info(fd, &info))
		die(DEV_PATH);
	printf("vm %u\npasids", info.vm_id);
	if (group >= 0) {
		snprintf(path, sizeof(path), "/dev/vfio/%d", group);
		g.group_fd = open(path, O_RDWR | O_CLOEXEC);
		if (g.group_fd < 0)
			die(path);
		errno = -vfio_group_own(g.group_fd);
		if (errno)
			die("VFIO_GROUP_SET_CONTAINER");
		if (ioctl(fd, VFIO_PASID_ATTACH_GROUP, &g))
			die("VFIO_PASID_ATTACH_GROUP");
		/* the VM keeps the group's file */
		close(g.group_fd);
	}
	for (i = 0; i < n; i++) {
		if (pasid_alloc(fd, param(MOD_SYSFS "/parameters/pasid_min"),
				param(MOD_SYSFS "/parameters/pasid_max"), &p))
			die("allocation");
		printf(" %u", p);
		if (group < 0)
			continue;
		memset(&b, 0, sizeof(b));
		b.hdr.argsz = sizeof(b);
		b.hdr.flags = VFIO_IOMMU_BIND_GUEST_PGTBL;
		b.data.argsz = sizeof(b.data);
		b.data.version = IOMMU_GPASID_BIND_VERSION_1;
		b.data.format = IOMMU_PASID_FORMAT_INTEL_VTD;
		b.data.addr_width = 48;
		b.data.gpgd = 0x100000;
		b.data.hpasid = p;
		if (ioctl(fd, VFIO_IOMMU_BIND, &b))
			die("VFIO_IOMMU_BIND");
	}
	printf("\n");
	return fd;
}

/* CMD with @fd as its descriptor 9 */
static void run_with(int fd, char **cmd)
{
	if (dup2(fd, 9) < 0)
		die("dup2");
	if (fd != 9)
		close(fd);
	execvp(cmd[0], cmd);
	die(cmd[0]);
}

static int do_hold(int argc, char **argv)
{
	int group = -1, fd, sv[2];
	char **cmd, c = 0;
	const char *mode;
	uint32_t n;
	pid_t pid;

	if (argc < 4)
		return usage();
	n = strtoul(argv[0], NULL, 0);
	mode = argv[1];
	argv += 2;
	argc -= 2;
	if (!strcmp(argv[0], "--group") && argc >= 2) {
		group = atoi(argv[1]);
		argv += 2;
		argc -= 2;
	}
	if (argc < 2 || strcmp(argv[0], "--"))
		return usage();
	cmd = argv + 1;

	if (!strcmp(mode, "opener") || !strcmp(mode, "dup")) {
		fd = hold_vm(n, group);
		if (!strcmp(mode, "dup")) {
			int d = dup(fd);

			if (d < 0)
				die("dup");
			close(fd);
			fd = d;
		}
		printf("holder %d\n", (int)getpid());
		fflush(stdout);
		run_with(fd, cmd);
	} else if (!strcmp(mode, "fork")) {
		fd = hold_vm(n, group);
		fflush(stdout);
		pid = fork();
		if (pid < 0)
			die("fork");
		if (pid == 0)
			run_with(fd, cmd);
		printf("holder %d\n", (int)pid);
		return 0;
	} else if (!strcmp(mode, "scm")) {
		if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv))
			die("socketpair");
		fflush(stdout);
		pid = fork();
		if (pid < 0)
			die("fork");
		if (pid == 0) {
			close(sv[0]);
			if (recv_with_fd(sv[1], &c, 1, &fd, NULL) != 1 || fd < 0)
				die("no descriptor received");
			run_with(fd, cmd);
		}
		close(sv[1]);
		fd = hold_vm(n, group);
		if (send_with_fd(sv[0], &c, 1, fd) != 1)
			die("sendmsg");
		close(fd);
		printf("holder %d\n", (int)pid);
		return 0;
	}
	return usage();
}

static void count_cb(struct nlattr **tb, void *arg)
{
	(void)tb;
	(*(unsigned int *)arg)++;
}

static int do_dump(int argc, char **argv)
{
	static const struct {
		const char	*name;
		uint8_t		cmd;
	} cmds[] = {
		{ "vm", VFIO_PASID_CMD_VM_GET },
		{ "pasid", VFIO_PASID_CMD_PASID_GET },
		{ "device", VFIO_PASID_CMD_DEVICE_GET },
		{ "reclaim", VFIO_PASID_CMD_RECLAIM_GET },
	};
	char sbuf[NL_SBUF_SIZE] __attribute__((aligned(8)));
	static char rbuf[65536] __attribute__((aligned(8)));
	struct nl_attr a = { VFIO_PASID_A_VM_ID, sizeof(uint32_t), NULL };
	unsigned int i, entries = 0;
	uint32_t vm_id = 0;
	struct nlmsghdr *nlh;
	size_t len;
	char c;
	int ret;

	if (argc < 1 || argc > 2)
		return usage();
	for (i = 0; i < ARRAY_SIZE(cmds); i++)
		if (!strcmp(argv[0], cmds[i].name))
			break;
	if (i == ARRAY_SIZE(cmds))
		return usage();
	if (argc == 2)
		vm_id = strtoul(argv[1], NULL, 0);
	a.data = &vm_id;

	nl_fd = nl_socket_open();
	if (nl_fd < 0) {
		fprintf(stderr, "vp-tool: netlink socket: %s\n", errno_name(-nl_fd));
		return 1;
	}
	ret = nl_resolve(VFIO_PASID_FAMILY_NAME);
	if (ret < 0) {
		fprintf(stderr, "vp-tool: family %s: %s\n",
			VFIO_PASID_FAMILY_NAME, errno_name(-ret));
		return 1;
	}
	nl_family = ret;
	len = nl_build(sbuf, nl_family, cmds[i].cmd, NLM_F_DUMP | NLM_F_ACK,
		       ++nl_seq, vm_id ? &a : NULL);
	if (send(nl_fd, sbuf, len, 0) < 0) {
		fprintf(stderr, "vp-tool: send: %s\n", errno_name(errno));
		return 1;
	}
	printf("started\n");
	fflush(stdout);
	while (read(STDIN_FILENO, &c, 1) > 0)
		;

	for (;;) {
		ssize_t n = recv(nl_fd, rbuf, sizeof(rbuf), 0);
		int left, err;

		if (n < 0) {
			fprintf(stderr, "vp-tool: recv: %s\n", errno_name(errno));
			return 1;
		}
		left = n;
		for (nlh = (struct nlmsghdr *)rbuf; NLMSG_OK(nlh, left);
		     nlh = NLMSG_NEXT(nlh, left)) {
			if (nlh->nlmsg_seq != nl_seq)
				continue;
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				err = ((struct nlmsgerr *)NLMSG_DATA(nlh))->error;
				nl_extack_text(nlh, nl_extack, sizeof(nl_extack));
				printf("error %s: %s\n", errno_name(-err), nl_extack);
				return 1;
			}
			if (nlh->nlmsg_type == NLMSG_DONE) {
				nl_done_err(nlh, &err);
				printf("entries %u\n", entries);
				if (err) {
					printf("error %s\n", errno_name(-err));
					return 1;
				}
				printf("done\n");
				return 0;
			}
			count_cb(NULL, &entries);
		}
	}
}

/* What a flood's child reports with its descriptor */
struct flood_msg {
	uint32_t	count;		/* PASIDs it allocated */
	int		err;		/* errno of the refusal that stopped it */
	int		stage;		/* 0: open failed, 1: allocation */
};

struct flood_arg {
	int		sock;
	unsigned int	rounds;
	uint32_t	n, min, max;
};

/* A flood's child: a VM of its own, its PASIDs, its descriptor sent on */
static void flood_child(const struct flood_arg *a)
{
	struct flood_msg m = { 0 };
	uint32_t p;
	int fd;

	fd = open("/dev/vfio-pasid", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		m.err = errno;
		send_with_fd(a->sock, &m, sizeof(m), -1);
		_exit(1);
	}
	m.stage = 1;
	while (m.count < a->n && !pasid_alloc(fd, a->min, a->max, &p))
		m.count++;
	if (m.count < a->n)
		m.err = errno;
	_exit(send_with_fd(a->sock, &m, sizeof(m), fd) < 0);
}

static void *flood_thread(void *arg)
{
	const struct flood_arg *a = arg;
	unsigned int r;
	pid_t pid;

	for (r = 0; r < a->rounds; r++) {
		pid = fork();
		if (pid == 0)
			flood_child(a);
		if (pid > 0)
			waitpid(pid, NULL, 0);
	}
	return NULL;
}

/* One process of a flood: its threads fork the children */
static void flood_proc(const struct flood_arg *a, unsigned int threads)
{
	pthread_t t[64];
	unsigned int i;

	for (i = 0; i < threads; i++)
		if (pthread_create(&t[i], NULL, flood_thread, (void *)a))
			_exit(1);
	for (i = 0; i < threads; i++)
		pthread_join(t[i], NULL);
	_exit(0);
}

static int do_flood(int argc, char **argv)
{
	unsigned int procs, threads, i, vms = 0, enospc = 0;
	struct flood_arg a;
	struct flood_msg m;
	uint64_t pasids = 0;
	int sv[2], fd, ret = 0;
	char c;
	ssize_t n;

	if (argc != 4)
		return usage();
	procs = strtoul(argv[0], NULL, 0);
	threads = strtoul(argv[1], NULL, 0);
	a.rounds = strtoul(argv[2], NULL, 0);
	a.n = strtoul(argv[3], NULL, 0);
	if (!procs || !threads || threads > 64 || !a.rounds)
		return usage();
	a.min = param(MOD_SYSFS "/parameters/pasid_min");
	a.max = param(MOD_SYSFS "/parameters/pasid_max");
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv)) {
		fprintf(stderr, "vp-tool: socketpair: %s\n", errno_name(errno));
		return 1;
	}
	a.sock = sv[1];
	for (i = 0; i < procs; i++) {
		pid_t pid = fork();

		if (pid < 0) {
			fprintf(stderr, "vp-tool: fork: %s\n", errno_name(errno));
			return 1;
		}
		if (pid == 0) {
			close(sv[0]);
			flood_proc(&a, threads);
		}
	}
	/* the end of the stream: every process and child has ended */
	close(sv[1]);
	for (;;) {
		n = recv_with_fd(sv[0], &m, sizeof(m), &fd, NULL);
		if (n <= 0)
			break;
		if (fd >= 0)
			vms++;
		pasids += m.count;
		if (m.err == ENOSPC)
			enospc++;
		else if (m.err && !ret) {
			fprintf(stderr, "vp-tool: a child's %s failed: %s\n",
				m.stage ? "allocation" : "open",
				errno_name(m.err));
			ret = 1;
		}
	}
	while (waitpid(-1, NULL, 0) > 0)
		;
	printf("vms %u pasids %llu enospc %u\n", vms,
	       (unsigned long long)pasids, enospc);
	fflush(stdout);
	/* every descriptor stays open until standard input ends */
	while (read(STDIN_FILENO, &c, 1) > 0)
		;
	return ret;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "flood"))
		return do_flood(argc - 2, argv + 2);
	if (argc >= 2 && !strcmp(argv[1], "quota"))
		return do_quota(argc - 2, argv + 2);
	if (argc >= 2 && !strcmp(argv[1], "hold"))
		return do_hold(argc - 2, argv + 2);
	if (argc >= 2 && !strcmp(argv[1], "dump"))
		return do_dump(argc - 2, argv + 2);
	return usage();
}
