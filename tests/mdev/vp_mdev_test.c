// SPDX-License-Identifier: GPL-2.0
/*
 * vp_mdev_test: mediated devices for the vfio-pasid test suite.
 *
 * Copyright (C) 2026 The vfio-pasid authors
 *
 * Two kinds of mdev parent, each offering one mdev type:
 *
 *  - a PCI driver, "vp_mdev_test", with an empty ID table: it binds only to
 *    a device whose driver_override names it, and registers that device as
 *    an mdev parent (an IOMMU-backed parent when the device has an IOMMU
 *    group);
 *  - a device the module creates itself, the platform device
 *    "vp_mdev_virtual" (/sys/devices/platform/vp_mdev_virtual), with no
 *    IOMMU group: a parent that does not make its mdevs IOMMU-backed.  A
 *    platform device, not a class device, so that a kernel without
 *    iommu_group_get_by_id() (6.12) can still reach its mdevs' groups from
 *    a bus (vfio_pasid looks through the PCI and platform buses).  Neither
 *    VT-d nor AMD-Vi gives it a group: it is neither a PCI device nor an
 *    ACPI device of their tables.  The module's platform driver, also named
 *    vp_mdev_test, binds to it, so that its mdev type is "vp_mdev_test-1"
 *    on both parents (the type's directory is "<driver>-<type>").
 *
 * Every mdev gets a vfio_device registered with
 * vfio_register_emulated_iommu_dev(), hence a VFIO group of its own.  The
 * device file does nothing useful: it opens and closes, and has no regions.
 *
 * The module is built and loaded only by the tests (tests/vm/mdev).
 */

#include <linux/device.h>
#include <linux/err.h>
#include <linux/mdev.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/platform_device.h>
#include <linux/slab.h>
#include <linux/vfio.h>

#include "compat.h"

#define VP_MDEV_NAME		"vp_mdev_test"
#define VP_MDEV_VIRTUAL_NAME	"vp_mdev_virtual"
#define VP_MDEV_TYPE_NAME	"1"
#define VP_MDEV_MAX_INSTANCES	16

/* One mdev parent and its single type; a type is a kobject of its parent. */
struct vp_parent {
	struct mdev_parent parent;
	struct mdev_type type;
	struct mdev_type *types[1];
};

/* One mdev's VFIO side. */
struct vp_mdev_state {
	struct vfio_device vdev;
};

static const struct vfio_device_ops vp_vfio_ops = {
	.name = "vp-mdev-test",
	.release = VP_MDEV_VFIO_RELEASE,
};

static int vp_mdev_probe(struct mdev_device *mdev)
{
	struct vp_mdev_state *state;
	int ret;

	state = vfio_alloc_device(vp_mdev_state, vdev, &mdev->dev,
				  &vp_vfio_ops);
	if (IS_ERR(state))
		return PTR_ERR(state);

	ret = vfio_register_emulated_iommu_dev(&state->vdev);
	if (ret) {
		vfio_put_device(&state->vdev);
		return ret;
	}
	dev_set_drvdata(&mdev->dev, state);
	return 0;
}

static void vp_mdev_remove(struct mdev_device *mdev)
{
	struct vp_mdev_state *state = dev_get_drvdata(&mdev->dev);

	vfio_unregister_group_dev(&state->vdev);
	vfio_put_device(&state->vdev);
}

static ssize_t vp_mdev_show_description(struct mdev_type *mtype, char *buf)
{
	return sysfs_emit(buf, "vfio-pasid test mdev: own VFIO group, no regions\n");
}

static struct mdev_driver vp_mdev_driver = {
	.device_api = VFIO_DEVICE_API_PCI_STRING,
	.max_instances = VP_MDEV_MAX_INSTANCES,
	.probe = vp_mdev_probe,
	.remove = vp_mdev_remove,
	.show_description = vp_mdev_show_description,
	.driver = {
		.name = VP_MDEV_NAME,
		.owner = THIS_MODULE,
		.mod_name = KBUILD_MODNAME,
	},
};

static void vp_parent_unregister(void *data)
{
	struct vp_parent *vp = data;

	mdev_unregister_parent(&vp->parent);
}

/*
 * Make @dev, being bound, an mdev parent with one type.  On unbind, devres
 * unregisters the parent, then frees it.  The drvdata tells that it is one.
 */
static int vp_parent_add(struct device *dev)
{
	struct vp_parent *vp;
	int ret;

	vp = devm_kzalloc(dev, sizeof(*vp), GFP_KERNEL);
	if (!vp)
		return -ENOMEM;
	vp->type.sysfs_name = VP_MDEV_TYPE_NAME;
	vp->type.pretty_name = "vfio-pasid test mdev";
	vp->types[0] = &vp->type;
	ret = mdev_register_parent(&vp->parent, dev, &vp_mdev_driver,
				   vp->types, ARRAY_SIZE(vp->types));
	if (ret)
		return ret;
	ret = devm_add_action_or_reset(dev, vp_parent_unregister, vp);
	if (ret)
		return ret;
	dev_set_drvdata(dev, vp);
	return 0;
}

/* --- the PCI parent ------------------------------------------------------ */

static int vp_pci_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	return vp_parent_add(&pdev->dev);
}

/* Empty: the driver binds only through driver_override. */
static const struct pci_device_id vp_pci_ids[] = {
	{ }
};

static struct pci_driver vp_pci_driver = {
	.name = VP_MDEV_NAME,
	.id_table = vp_pci_ids,
	.probe = vp_pci_probe,
};

/* --- the virtual parent -------------------------------------------------- */

static int vp_platform_probe(struct platform_device *pdev)
{
	return vp_parent_add(&pdev->dev);
}

/* Only the module's own device */
static const struct platform_device_id vp_platform_ids[] = {
	{ .name = VP_MDEV_VIRTUAL_NAME },
	{ }
};

/* bound for as long as the module is loaded: no unbind through sysfs */
static struct platform_driver vp_platform_driver = {
	.driver = {
		.name = VP_MDEV_NAME,
		.suppress_bind_attrs = true,
		.probe_type = PROBE_FORCE_SYNCHRONOUS,
	},
	.id_table = vp_platform_ids,
	.probe = vp_platform_probe,
};

static struct platform_device *vp_virtual_dev;

static int vp_virtual_create(void)
{
	int ret;

	ret = platform_driver_register(&vp_platform_driver);
	if (ret)
		return ret;

	/* the driver binds before this returns (synchronous probe) */
	vp_virtual_dev = platform_device_register_simple(VP_MDEV_VIRTUAL_NAME,
							 PLATFORM_DEVID_NONE,
							 NULL, 0);
	if (IS_ERR(vp_virtual_dev)) {
		ret = PTR_ERR(vp_virtual_dev);
		goto out_driver;
	}
	if (!platform_get_drvdata(vp_virtual_dev)) {
		dev_err(&vp_virtual_dev->dev, "did not become an mdev parent\n");
		ret = -ENODEV;
		goto out_dev;
	}
	return 0;

out_dev:
	platform_device_unregister(vp_virtual_dev);
out_driver:
	platform_driver_unregister(&vp_platform_driver);
	return ret;
}

static void vp_virtual_destroy(void)
{
	platform_device_unregister(vp_virtual_dev);
	platform_driver_unregister(&vp_platform_driver);
}

/* --- the module ---------------------------------------------------------- */

static int __init vp_mdev_init(void)
{
	int ret;

	ret = mdev_register_driver(&vp_mdev_driver);
	if (ret)
		return ret;

	ret = vp_virtual_create();
	if (ret)
		goto out_driver;

	ret = pci_register_driver(&vp_pci_driver);
	if (ret)
		goto out_virtual;
	return 0;

out_virtual:
	vp_virtual_destroy();
out_driver:
	mdev_unregister_driver(&vp_mdev_driver);
	return ret;
}

static void __exit vp_mdev_exit(void)
{
	pci_unregister_driver(&vp_pci_driver);
	vp_virtual_destroy();
	mdev_unregister_driver(&vp_mdev_driver);
}

module_init(vp_mdev_init);
module_exit(vp_mdev_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Mediated devices with and without an IOMMU-backed parent, for the vfio-pasid tests");
MODULE_AUTHOR("The vfio-pasid authors");
MODULE_SOFTDEP("pre: vfio mdev");
