# SPDX-License-Identifier: GPL-2.0
# The out-of-tree build of one test module, against the kernel the
# top-level Makefile picks (its print-kdir), with W=1; included by the
# Makefile in the module's directory.
VP_TOP := $(abspath $(dir $(lastword $(MAKEFILE_LIST)))..)
KDIR ?= $(shell $(MAKE) -s -C $(VP_TOP) --no-print-directory print-kdir)
W ?= 1

all: modules

modules:
	$(MAKE) -C $(KDIR) M=$(CURDIR) W=$(W) modules

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean

.PHONY: all modules clean
