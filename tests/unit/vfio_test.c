// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests: VFIO helpers of caps (cli/vfio.c) - the capability chain
 * walk on well-formed and malformed chains, and the devices of an IOMMU
 * group read from a made-up sysfs (a PCI device, an mdev whose unit is its
 * parent's, a device with no unit).
 *
 * Copyright (C) 2026 The vfio-pasid authors
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/vfio.h>

#include "vfio.h"
#include "unit.h"

struct seen {
	int	n;
	int	ids[8];
};

static int count_cap(const struct vfio_info_cap_header *hdr, size_t avail,
		     void *arg)
{
	struct seen *s = arg;

	(void)avail;
	if (s->n < 8)
		s->ids[s->n] = hdr->id;
	s->n++;
	return 0;
}

static int stop_at_2(const struct vfio_info_cap_header *hdr, size_t avail,
		     void *arg)
{
	(void)avail;
	(void)arg;
	return hdr->id == 2 ? -E2BIG : 0;
}

static void put_hdr(unsigned char *buf, size_t off, uint16_t id, uint32_t next)
{
	struct vfio_info_cap_header h = { .id = id, .version = 1, .next = next };

	memcpy(buf + off, &h, sizeof(h));
}

static void test_cap_walk(void)
{
	unsigned char buf[128] = { 0 };
	struct seen s = { 0 };

	OK(!vfio_cap_walk(buf, sizeof(buf), 24, 0, count_cap, &s) && !s.n,
	   "no chain (offset 0): nothing visited");
	put_hdr(buf, 24, 1, 48);
	put_hdr(buf, 48, 3, 72);
	put_hdr(buf, 72, 2, 0);
	OK(!vfio_cap_walk(buf, sizeof(buf), 24, 24, count_cap, &s) &&
	   s.n == 3 && s.ids[0] == 1 && s.ids[1] == 3 && s.ids[2] == 2,
	   "three capabilities, in chain order");
	EQ_INT(vfio_cap_walk(buf, sizeof(buf), 24, 24, stop_at_2, NULL),
	       -E2BIG, "the callback's error ends the walk");
	memset(&s, 0, sizeof(s));
	put_hdr(buf, 72, 2, 24);
	EQ_INT(vfio_cap_walk(buf, sizeof(buf), 24, 24, count_cap, &s), -EPROTO,
	       "a loop is refused");
	OK(s.n == 64, "a loop ends after 64 capabilities");
	put_hdr(buf, 72, 2, 200);
	EQ_INT(vfio_cap_walk(buf, sizeof(buf), 24, 24, count_cap, &s), -EPROTO,
	       "a next offset beyond the buffer is refused");
	put_hdr(buf, 72, 2, 122);
	EQ_INT(vfio_cap_walk(buf, sizeof(buf), 24, 24, count_cap, &s), -EPROTO,
	       "a header that does not fit is refused");
	put_hdr(buf, 72, 2, 50);
	EQ_INT(vfio_cap_walk(buf, sizeof(buf), 24, 24, count_cap, &s), -EPROTO,
	       "a misaligned offset is refused");
	EQ_INT(vfio_cap_walk(buf, sizeof(buf), 24, 8, count_cap, &s), -EPROTO,
	       "an offset inside the struct is refused");
}

static char root[64];

static void mk(const char *rel)
{
	char path[512], *p;

	snprintf(path, sizeof(path), "%s/%s/", root, rel);
	for (p = path + strlen(root) + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		mkdir(path, 0755);
		*p = '/';
	}
}

static void ln(const char *target, const char *rel)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	if (symlink(target, path))
		printf("# symlink %s: %s\n", path, strerror(errno));
}

static const char *field(json_object *list, size_t i, const char *key)
{
	json_object *v = NULL;

	if (!json_object_object_get_ex(json_object_array_get_idx(list, i), key,
				       &v))
		return "(absent)";
	return v ? json_object_get_string(v) : "null";
}

static void test_group_devices(void)
{
	json_object *l;
	char buf[512];

	snprintf(root, sizeof(root), "/tmp/vfio_test.XXXXXX");
	if (!mkdtemp(root)) {
		OK(0, "a temporary directory");
		return;
	}
	/* the device tree */
	mk("devices/virtual/iommu/dmar0");
	mk("devices/pci0000:00/0000:00:05.0");
	ln("../../../bus/pci", "devices/pci0000:00/0000:00:05.0/subsystem");
	ln("../../../bus/pci/drivers/vfio-pci",
	   "devices/pci0000:00/0000:00:05.0/driver");
	ln("../../virtual/iommu/dmar0",
	   "devices/pci0000:00/0000:00:05.0/iommu");
	mk("devices/pci0000:00/0000:00:05.0/83b8f4f2-509f-382f-3c1e-e6bfe0fa1001");
	ln("../../../../bus/mdev",
	   "devices/pci0000:00/0000:00:05.0/83b8f4f2-509f-382f-3c1e-e6bfe0fa1001/subsystem");
	mk("devices/pci0000:00/0000:00:1f.0");
	ln("../../../bus/pci/drivers/lpc_ich",
	   "devices/pci0000:00/0000:00:1f.0/driver");
	ln("../../../bus/pci", "devices/pci0000:00/0000:00:1f.0/subsystem");
	mk("devices/platform/plain");
	/* the groups */
	mk("kernel/iommu_groups/4/devices");
	ln("../../../../devices/pci0000:00/0000:00:05.0",
	   "kernel/iommu_groups/4/devices/0000:00:05.0");
	mk("kernel/iommu_groups/12/devices");
	ln("../../../../devices/pci0000:00/0000:00:05.0/83b8f4f2-509f-382f-3c1e-e6bfe0fa1001",
	   "kernel/iommu_groups/12/devices/83b8f4f2-509f-382f-3c1e-e6bfe0fa1001");
	mk("kernel/iommu_groups/8/devices");
	ln("../../../../devices/pci0000:00/0000:00:1f.0",
	   "kernel/iommu_groups/8/devices/0000:00:1f.0");
	ln("../../../../devices/pci0000:00/0000:00:05.0",
	   "kernel/iommu_groups/8/devices/0000:00:05.0");
	ln("../../../../devices/platform/plain",
	   "kernel/iommu_groups/8/devices/plain");

	OK(iommu_group_exists(root, 4) && iommu_group_exists(root, 12) &&
	   !iommu_group_exists(root, 5), "which groups exist");

	l = iommu_group_devices_json(root, 4);
	EQ_INT(json_object_array_length(l), 1, "group 4: one device");
	snprintf(buf, sizeof(buf), "%s %s %s %s %s", field(l, 0, "device"),
		 field(l, 0, "bus"), field(l, 0, "driver"),
		 field(l, 0, "parent"), field(l, 0, "iommu_unit"));
	EQ_STR(buf, "0000:00:05.0 pci vfio-pci null dmar0",
	       "group 4: a PCI device on vfio-pci behind dmar0");
	EQ_STR(iommu_group_blockers(l, buf, sizeof(buf)), "",
	       "group 4: nothing keeps it from being viable");
	json_object_put(l);

	l = iommu_group_devices_json(root, 12);
	snprintf(buf, sizeof(buf), "%s %s %s %s", field(l, 0, "bus"),
		 field(l, 0, "driver"), field(l, 0, "parent"),
		 field(l, 0, "iommu_unit"));
	EQ_STR(buf, "mdev null 0000:00:05.0 dmar0",
	       "group 12: an mdev, its parent, and its parent's unit");
	json_object_put(l);

	l = iommu_group_devices_json(root, 8);
	EQ_INT(json_object_array_length(l), 3, "group 8: three devices");
	snprintf(buf, sizeof(buf), "%s %s %s", field(l, 0, "device"),
		 field(l, 1, "device"), field(l, 2, "device"));
	EQ_STR(buf, "0000:00:05.0 0000:00:1f.0 plain", "group 8: name order");
	EQ_STR(field(l, 2, "iommu_unit"), "null",
	       "a device with no unit anywhere above: null");
	EQ_STR(field(l, 2, "bus"), "null", "a device with no bus: null");
	EQ_STR(iommu_group_blockers(l, buf, sizeof(buf)),
	       "0000:00:1f.0 (driver lpc_ich)",
	       "group 8: the device bound to another driver is named");
	json_object_put(l);

	l = iommu_group_devices_json(root, 99);
	EQ_INT(json_object_array_length(l), 0, "a missing group: no device");
	json_object_put(l);

	snprintf(buf, sizeof(buf), "rm -rf '%s'", root);
	if (system(buf))
		printf("# could not remove %s\n", root);
}

static void test_names(void)
{
	int types = 0, exts = 0;

	for (const struct vfio_ext_name *e = vfio_ext_names; e->name; e++)
		e->iommu_type ? types++ : exts++;
	OK(types == 6 && exts == 4, "six IOMMU types, four extensions named");
	EQ_STR(vfio_ext_names[1].name, "type1v2", "type1v2 is named");
	EQ_INT(vfio_ext_names[1].ext, VFIO_TYPE1v2_IOMMU, "with its number");
}

int main(void)
{
	test_cap_walk();
	test_group_devices();
	test_names();
	return unit_done();
}
