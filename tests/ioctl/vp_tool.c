// SPDX-License-Identifier: GPL-2.0
/*
 * vp-tool - small pieces of the uAPI for the bats files, run as any user
 *
 * Copyright (C) 2026 The vfio-pasid authors
 *
 *   vp-tool quota [N]...
 *	Opens /dev/vfio-pasid (its own VM), prints "vm ID quota Q", then for
 *	each N asks VFIO_IOMMU_SET_PASID_QUOTA for N and prints
 *	"set N: ok, quota Q" or "set N: ERRNO, quota Q" (ERRNO by name, Q read
 *	back with VFIO_PASID_QUOTA_GET).  Exit 0; 3 when the device does not
 *	open (the reason on stderr, by name).
 *
 *   vp-tool dump vm|pasid|device|reclaim [VM_ID]
 *	Sends one dump request of the admin API and reads nothing: prints
 *	"started" once it is sent, then waits for the end of standard
 *	input, then reads the dump to its end and prints "entries N" and
 *	"done" (exit 0), or "error ERRNO: EXTACK" (exit 1).  Closing the
 *	socket without reading is killing the process.
 *
 * Exit 2: usage.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "common.h"
#include "tap.h"

static int usage(void)
{
	fprintf(stderr, "usage: vp-tool quota [N]...\n"
		"       vp-tool dump vm|pasid|device|reclaim [VM_ID]\n");
	return 2;
}

static int quota_get(int fd, uint32_t *quota)
{
	struct vfio_iommu_type1_pasid_quota q = {
		.argsz = sizeof(q), .flags = VFIO_PASID_QUOTA_GET,
	};
	int ret = ioctl(fd, VFIO_IOMMU_SET_PASID_QUOTA, &q);

	*quota = q.quota;
	return ret;
}

static int do_quota(int argc, char **argv)
{
	struct vfio_iommu_type1_pasid_quota q;
	struct vfio_pasid_info info;
	uint32_t now_q;
	char *end;
	int fd, i, err;

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
		err = ioctl(fd, VFIO_IOMMU_SET_PASID_QUOTA, &q) ? errno : 0;
		if (quota_get(fd, &now_q)) {
			fprintf(stderr, "vp-tool: QUOTA_GET: %s\n",
				errno_name(errno));
			return 1;
		}
		printf("set %s: %s, quota %u\n", argv[i],
		       err ? errno_name(err) : "ok", now_q);
	}
	return 0;
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

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "quota"))
		return do_quota(argc - 2, argv + 2);
	if (argc >= 2 && !strcmp(argv[1], "dump"))
		return do_dump(argc - 2, argv + 2);
	return usage();
}
