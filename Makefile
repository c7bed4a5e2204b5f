# SPDX-License-Identifier: GPL-2.0
# vfio-pasid: the kernel module, its CLI, tests and documentation.
# kbuild builds the module (driver/Kbuild); this file only drives it.

# The kernel to build for: the running one when its headers exist, else the
# newest Debian linux-headers-*-amd64 installed.
KVER ?= $(shell if [ -d /lib/modules/$$(uname -r)/build ]; then uname -r; \
	else ls -d /usr/src/linux-headers-*-amd64 2>/dev/null | \
	sed 's|.*/linux-headers-||' | sort -V | tail -n 1; fi)
KDIR ?= $(if $(wildcard /lib/modules/$(KVER)/build),/lib/modules/$(KVER)/build,/usr/src/linux-headers-$(KVER))

PREFIX ?= /usr/local
DESTDIR ?=

export KVER KDIR

all: module cli

module:
	@test -d "$(KDIR)" || { echo "no kernel headers for '$(KVER)': run 'make deps'" >&2; exit 1; }
	$(MAKE) -C driver KDIR=$(KDIR) W=1

cli:
	$(MAKE) -C cli

deps:
	@scripts/deps

# Host unit tests, then the in-VM suite; ends with "N passed, M failed".
# deps first, then a fresh make: KVER/KDIR are only known once the headers are
check: deps
	@$(MAKE) --no-print-directory all tests
	@tests/check

# test programs run in the guest, whose view of this tree is read-only
tests:
	$(MAKE) -C tests/ioctl
	$(MAKE) -C tests/mdev KDIR=$(KDIR) W=1

test-unit: cli
	$(MAKE) -C cli test

demo: deps
	@$(MAKE) --no-print-directory all
	@tests/vm/run -- tests/demo

shell: deps
	@$(MAKE) --no-print-directory all
	@tests/vm/run --interactive -- tests/vm/shell

lint: deps
	@scripts/lint

install: all
	install -D -m 0755 cli/vfiopasidctl $(DESTDIR)$(PREFIX)/bin/vfiopasidctl
	install -D -m 0644 driver/include/uapi/linux/vfio_pasid.h \
		$(DESTDIR)$(PREFIX)/include/linux/vfio_pasid.h
	install -D -m 0644 driver/include/uapi/linux/vfio_pasid_netlink.h \
		$(DESTDIR)$(PREFIX)/include/linux/vfio_pasid_netlink.h
	install -D -m 0644 man/vfiopasidctl.8 $(DESTDIR)$(PREFIX)/share/man/man8/vfiopasidctl.8
	install -D -m 0644 man/vfio_pasid.4 $(DESTDIR)$(PREFIX)/share/man/man4/vfio_pasid.4
	install -D -m 0644 completions/vfiopasidctl.bash \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions/vfiopasidctl
	install -D -m 0644 completions/_vfiopasidctl \
		$(DESTDIR)$(PREFIX)/share/zsh/vendor-completions/_vfiopasidctl
	install -D -m 0644 driver/vfio_pasid.ko \
		$(DESTDIR)/lib/modules/$(KVER)/extra/vfio_pasid.ko

clean:
	-$(MAKE) -C driver KDIR=$(KDIR) clean
	-$(MAKE) -C cli clean
	-$(MAKE) -C tests/ioctl clean
	-$(MAKE) -C tests/mdev KDIR=$(KDIR) clean
	rm -rf .vm

.PHONY: all module cli tests deps check test-unit demo shell lint install clean

print-kdir:
	@echo $(KDIR)
