# SPDX-License-Identifier: GPL-2.0
# vfio-pasid: the kernel module, its CLI, tests and documentation.
# kbuild builds the module (driver/Kbuild); this file only drives it.

TOP := $(dir $(abspath $(lastword $(MAKEFILE_LIST))))
KERNEL := $(TOP)scripts/kernel

# The kernel to build for (scripts/kernel, SPEC 9.1): the running kernel when
# it is supported (6.1.x, 6.12.x) and its headers are installed, else the
# newest supported Debian kernel with headers; never an unsupported one
# because it is newer.  KVER= and KDIR= override; KDIR= alone builds for the
# kernel of that tree.  An empty KVER is chosen again (make check runs deps
# first, then a sub-make, which finds the headers deps installed).
# VP_KVER_WHY says why, for the line "make module" prints, and goes down to
# sub-makes with KVER.  VP_KERNEL_ROOT and VP_RUNNING_KVER (tests) stand in
# for / and uname -r.
ifeq ($(KVER),)
ifeq ($(KDIR),)
VP_KSEL := $(shell $(KERNEL) build --why 2>/dev/null)
KVER := $(firstword $(VP_KSEL))
VP_KVER_WHY := $(wordlist 2,$(words $(VP_KSEL)),$(VP_KSEL))
else
KVER := $(shell sed -n 's/^.define UTS_RELEASE "\(.*\)"$$/\1/p' $(KDIR)/include/generated/utsrelease.h 2>/dev/null)
VP_KVER_WHY := the kernel of KDIR=$(KDIR)
endif
else ifeq ($(MAKELEVEL),0)
VP_KVER_WHY := as KVER= says
endif
ifeq ($(KDIR),)
KDIR := $(shell $(KERNEL) kdir '$(KVER)')
endif

# Expanded in a recipe, so only a target that builds against the kernel
# stops (in one line) on a kernel it cannot build for
kernel_ok = $(if $(KVER),,$(error $(or $(shell $(KERNEL) build 2>&1 >/dev/null),no kernel to build for)))$\
	$(if $(shell $(KERNEL) supported '$(KVER)' && echo y),,$(error $(shell $(KERNEL) check '$(KVER)' 2>&1)))$\
	$(if $(wildcard $(KDIR)/Makefile),,$(error no kernel headers for $(KVER) in $(KDIR): install linux-headers-$(KVER)))

PREFIX ?= /usr/local
DESTDIR ?=
UDEVRULESDIR ?= /lib/udev/rules.d
MODPROBEDIR ?= /etc/modprobe.d

# The one version of the project: the module's; dkms.conf and
# debian/changelog must agree with it (tests/host/install.bats checks).
VERSION := $(shell sed -n 's/^.define[[:space:]]*VP_VERSION[[:space:]]*"\(.*\)".*/\1/p' driver/vfio_pasid.h)

export KVER KDIR VP_KVER_WHY

all: module cli

module:
	$(kernel_ok)@echo "vfio-pasid: building for $(KVER) ($(or $(VP_KVER_WHY),as KVER= says))"
	$(MAKE) -C driver KDIR=$(KDIR) W=1

cli:
	$(MAKE) -C cli VERSION=$(VERSION)

deps:
	@scripts/deps

# Host unit tests, then the in-VM suite; ends with "N passed, M failed, K skipped".
# deps first, then a fresh make: KVER/KDIR are only known once the headers are
check: deps
	@$(MAKE) --no-print-directory all tests
	@tests/check

# The debug-kernel lane (tests/debug/check): a debug 6.1 kernel built once
# and cached (KASAN, lockdep, kmemleak, failslab, UBSAN, debug objects), a
# copy of this tree built against it, the C tests, the fuzzer and the
# module's bats files in the VM under it; ends with "N passed, M failed, K skipped".
# Not part of check: the first run builds a kernel (about 25 minutes).
check-debug: deps
	@tests/debug/check

# test programs run in the guest, whose view of this tree is read-only
# (tests/pasidw's module is for 6.12; built for 6.1 too, where it refuses
# to load)
tests:
	$(MAKE) -C tests/ioctl
	$(MAKE) -C tests/fuzz
	$(MAKE) -C tests/mdev KDIR=$(KDIR) W=1
	$(MAKE) -C tests/testmod KDIR=$(KDIR) W=1
	$(MAKE) -C tests/bench
	$(MAKE) -C tests/bench/floor KDIR=$(KDIR) W=1
	$(MAKE) -C tests/pasidw KDIR=$(KDIR) W=1

test-unit: cli
	$(MAKE) -C cli test

# A longer fuzzing pass in the test VM (tests/fuzz/fuzz): SECONDS of fuzzing
# per backend, SEED random unless given (printed: SEED=S replays the run)
SECONDS ?= 300
ifeq ($(origin SEED),undefined)
SEED := $(shell od -An -N4 -tu4 /dev/urandom | tr -d ' ')
endif
fuzz: deps
	@$(MAKE) --no-print-directory all tests
	@echo "fuzz: seed $(SEED), $(SECONDS) s per backend (replay: make fuzz SECONDS=$(SECONDS) SEED=$(SEED))"
	tests/vm/run --timeout $$(( 2 * $(SECONDS) + 900 )) -- \
		tests/fuzz/fuzz --seconds $(SECONDS) --seed $(SEED)

# The benchmark in the test VM (tests/bench/bench): a table on stdout;
# BENCH_OUT/bench.json, bench-scaling.dat and the plot bench-scaling.png
BENCH_OUT ?= build/bench
bench: deps
	@$(MAKE) --no-print-directory all tests
	@mkdir -p $(BENCH_OUT)
	tests/vm/run --smp 2 --no-slub-debug --timeout 3600 --scratch $(BENCH_OUT) -- \
		tests/bench/bench -o /run/vm/scratch
	gnuplot -e "dir='$(BENCH_OUT)'" tests/bench/plot.gp
	@echo "bench: results in $(BENCH_OUT)/bench.json, plot in $(BENCH_OUT)/bench-scaling.png"

demo: deps
	@$(MAKE) --no-print-directory all tests
	@tests/vm/run -- tests/demo

shell: deps
	@$(MAKE) --no-print-directory all tests
	@tests/vm/run --interactive -- tests/vm/shell

lint: deps
	@scripts/lint

# What install puts down, relative to $(DESTDIR); uninstall removes the same.
BINDIR := $(PREFIX)/bin
INCDIR := $(PREFIX)/include/linux
MANDIR := $(PREFIX)/share/man
BASHCOMPDIR := $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR := $(PREFIX)/share/zsh/vendor-completions
MODDIR := /lib/modules/$(KVER)/extra
INSTALLED_CLI := $(BINDIR)/vfiopasidctl $(MANDIR)/man8/vfiopasidctl.8 \
	$(MANDIR)/man4/vfio_pasid.4 $(MANDIR)/man5/vfio-pasid.conf.5 \
	$(BASHCOMPDIR)/vfiopasidctl $(ZSHCOMPDIR)/_vfiopasidctl
INSTALLED_HEADERS := $(INCDIR)/vfio_pasid.h $(INCDIR)/vfio_pasid_netlink.h
INSTALLED_CONFIG := $(UDEVRULESDIR)/60-vfio-pasid.rules \
	$(UDEVRULESDIR)/90-vfio-pasid-config.rules $(MODPROBEDIR)/vfio-pasid.conf
INSTALLED_MODULE := $(MODDIR)/vfio_pasid.ko

# install = install-cli + install-headers + install-config + install-module;
# the parts exist for debian/rules, which packages them separately.
install: all install-cli install-headers install-config install-module

install-cli: cli
	install -D -m 0755 cli/vfiopasidctl $(DESTDIR)$(BINDIR)/vfiopasidctl
	install -D -m 0644 man/vfiopasidctl.8 $(DESTDIR)$(MANDIR)/man8/vfiopasidctl.8
	install -D -m 0644 man/vfio_pasid.4 $(DESTDIR)$(MANDIR)/man4/vfio_pasid.4
	install -D -m 0644 man/vfio-pasid.conf.5 $(DESTDIR)$(MANDIR)/man5/vfio-pasid.conf.5
	install -D -m 0644 completions/vfiopasidctl.bash \
		$(DESTDIR)$(BASHCOMPDIR)/vfiopasidctl
	install -D -m 0644 completions/_vfiopasidctl \
		$(DESTDIR)$(ZSHCOMPDIR)/_vfiopasidctl

install-headers:
	install -D -m 0644 driver/include/uapi/linux/vfio_pasid.h \
		$(DESTDIR)$(INCDIR)/vfio_pasid.h
	install -D -m 0644 driver/include/uapi/linux/vfio_pasid_netlink.h \
		$(DESTDIR)$(INCDIR)/vfio_pasid_netlink.h

# The rule that applies /etc/vfio-pasid.conf when the module loads runs the
# CLI of the same PREFIX (install-cli).
install-config:
	install -D -m 0644 packaging/udev/60-vfio-pasid.rules \
		$(DESTDIR)$(UDEVRULESDIR)/60-vfio-pasid.rules
	sed 's|@BINDIR@|$(BINDIR)|g' packaging/udev/90-vfio-pasid-config.rules.in \
		>$(DESTDIR)$(UDEVRULESDIR)/90-vfio-pasid-config.rules
	chmod 0644 $(DESTDIR)$(UDEVRULESDIR)/90-vfio-pasid-config.rules
	install -D -m 0644 packaging/modprobe.d/vfio-pasid.conf \
		$(DESTDIR)$(MODPROBEDIR)/vfio-pasid.conf

# depmod only for the live system: a staged tree gets it from its installer
install-module: module
	install -D -m 0644 driver/vfio_pasid.ko $(DESTDIR)$(INSTALLED_MODULE)
	$(if $(DESTDIR),,depmod -a $(KVER))

uninstall:
	rm -f $(addprefix $(DESTDIR),$(INSTALLED_CLI) $(INSTALLED_HEADERS) \
		$(INSTALLED_CONFIG) $(INSTALLED_MODULE))
	$(if $(DESTDIR),,if [ -d /lib/modules/$(KVER) ]; then depmod -a $(KVER); fi)

# --- DKMS --------------------------------------------------------------------
# The source tree DKMS builds from: dkms.conf, the license and the driver's
# sources (no build output: no *.mod.c).
DKMS_SRCDIR := /usr/src/vfio-pasid-$(VERSION)
DKMS_FILES := dkms.conf COPYING driver/Kbuild driver/Makefile \
	$(sort $(filter-out %.mod.c,$(wildcard driver/*.c)) $(wildcard driver/*.h) \
	$(wildcard driver/include/uapi/linux/*.h))
DKMS := dkms
DKMS_MV := -m vfio-pasid -v $(VERSION)

# Every file that names the version agrees with driver/vfio_pasid.h
check-version:
	@test -n "$(VERSION)" || { echo "no VP_VERSION in driver/vfio_pasid.h" >&2; exit 1; }
	@v=$$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$$/\1/p' dkms.conf); \
	test "$$v" = "$(VERSION)" || { echo "dkms.conf: PACKAGE_VERSION is '$$v', driver/vfio_pasid.h says '$(VERSION)'" >&2; exit 1; }
	@v=$$(sed -n '1s/^[^ ]* (\(.*\)-[^-]*).*/\1/p' debian/changelog); \
	test "$$v" = "$(VERSION)" || { echo "debian/changelog: the upstream version is '$$v', driver/vfio_pasid.h says '$(VERSION)'" >&2; exit 1; }

dkms-src: check-version
	rm -rf $(DESTDIR)$(DKMS_SRCDIR)
	for f in $(DKMS_FILES); do install -D -m 0644 "$$f" "$(DESTDIR)$(DKMS_SRCDIR)/$$f" || exit 1; done

# Into the running system (DESTDIR must be empty): any earlier build of this
# version is removed first, so the new source is the one built.
dkms-install:
	@test -z "$(DESTDIR)" || { echo "dkms-install works on the system itself: DESTDIR must be empty" >&2; exit 1; }
	@command -v $(DKMS) >/dev/null || { echo "dkms is not installed: run 'make deps'" >&2; exit 1; }
	$(kernel_ok)@echo "vfio-pasid: DKMS builds for $(KVER) ($(or $(VP_KVER_WHY),as KVER= says))"
	if [ -n "$$($(DKMS) status $(DKMS_MV))" ]; then $(DKMS) remove $(DKMS_MV) --all; fi
	$(MAKE) --no-print-directory dkms-src
	$(DKMS) add $(DKMS_MV)
	$(DKMS) build $(DKMS_MV) -k $(KVER)
	$(DKMS) install $(DKMS_MV) -k $(KVER)

dkms-uninstall:
	$(if $(DESTDIR),,if command -v $(DKMS) >/dev/null && [ -n "$$($(DKMS) status $(DKMS_MV))" ]; \
		then $(DKMS) remove $(DKMS_MV) --all; fi)
	rm -rf $(DESTDIR)$(DKMS_SRCDIR)

# --- Debian packages -----------------------------------------------------------
DEBDIR ?= build/deb

# vfio-pasid-dkms, vfiopasidctl and vfio-pasid-dev, built from a copy of the
# tree in $(DEBDIR) with dpkg-buildpackage; the .debs are left there
deb: check-version
	@scripts/deb "$(DEBDIR)"

# lintian on what "make deb" built (the overrides in debian/ say why)
deb-lint:
	lintian --info --pedantic -EI --fail-on error,warning $(DEBDIR)/vfio-pasid_$(VERSION)-*_$$(dpkg --print-architecture).changes

clean:
	-$(MAKE) -C driver KDIR=$(KDIR) clean
	-$(MAKE) -C cli clean
	-$(MAKE) -C tests/ioctl clean
	-$(MAKE) -C tests/fuzz clean
	-$(MAKE) -C tests/mdev KDIR=$(KDIR) clean
	-$(MAKE) -C tests/testmod KDIR=$(KDIR) clean
	-$(MAKE) -C tests/bench clean
	-$(MAKE) -C tests/bench/floor KDIR=$(KDIR) clean
	-$(MAKE) -C tests/pasidw KDIR=$(KDIR) clean
	rm -rf build
	@# the rig's state, but not the debug kernel: it takes 25 minutes to build
	-find .vm -mindepth 1 -maxdepth 1 ! -name debug-kernel -exec rm -rf {} + 2>/dev/null

# clean, and the cached debug kernel too
distclean: clean
	rm -rf .vm

.PHONY: all module cli tests deps check check-debug test-unit fuzz bench demo shell lint clean distclean \
	install install-cli install-headers install-config install-module uninstall \
	check-version dkms-src dkms-install dkms-uninstall deb deb-lint \
	print-kdir print-kver print-version

print-kdir:
	@echo $(KDIR)

print-kver:
	@echo $(KVER)

print-version:
	@echo $(VERSION)
