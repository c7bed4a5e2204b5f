/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vfiopasidctl - what the running kernel says about the vfio_pasid module
 *
 * Copyright (C) 2026 The vfio-pasid authors
 */
#ifndef VFIOPASIDCTL_KMODULE_H
#define VFIOPASIDCTL_KMODULE_H

#include <stdbool.h>
#include <stdint.h>

#include <json.h>

enum mod_state {
	MOD_NOT_LOADED,
	MOD_LIVE,
	MOD_COMING,
	MOD_GOING,
	MOD_BUILTIN,
};

struct kmod_ctx;

/*
 * libkmod logs its errors on stderr; we turn each into our one line, so its
 * own messages are silenced
 */
void kmod_silence(struct kmod_ctx *k);

/* The init state of vfio_pasid, through libkmod */
enum mod_state mod_state(void);

/* "not loaded", "live", "coming", "going", "builtin" */
const char *mod_state_str(enum mod_state state);

/* /sys/module/vfio_pasid/version, trimmed; NULL when absent */
char *mod_version(void);

/*
 * The module's parameters from /sys/module/vfio_pasid/parameters as a JSON
 * object: the documented ones first (default_quota, pasid_min, pasid_max,
 * reclaim_log_size, backend), then any other in name order; integers as
 * numbers.  NULL when the directory cannot be read.
 */
json_object *mod_params_json(void);

/* One parameter as an unsigned number; false when unreadable */
bool mod_param_u32(const char *name, uint32_t *val);

#endif /* VFIOPASIDCTL_KMODULE_H */
