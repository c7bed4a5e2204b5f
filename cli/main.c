// SPDX-License-Identifier: GPL-2.0
/*
 * vfiopasidctl - admin CLI for the vfio_pasid module
 *
 * Copyright (C) 2026 The vfio-pasid authors
 */
#include "vfiopasidctl.h"
#include "error.h"

int main(int argc, char **argv)
{
	out_stream_init();
	return vfiopasidctl_main(argc, argv);
}
