/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vfiopasidctl - the objects the admin API returns, as JSON
 *
 * Copyright (C) 2026 The vfio-pasid authors
 *
 * One place turns netlink attributes into the JSON objects every command
 * prints, so a VM or a PASID looks the same in vm list, vm show, pasid list
 * and monitor.  Absent attributes become null.
 */
#ifndef VFIOPASIDCTL_OBJECTS_H
#define VFIOPASIDCTL_OBJECTS_H

#include <stdbool.h>
#include <stdint.h>

#include <json.h>
#include <netlink/attr.h>

#include <linux/vfio_pasid_netlink.h>

#include "output.h"
#include "parse.h"

struct ctx;

/* How an attribute becomes a JSON value; absent, it is null */
enum attr_kind {
	A_U32,
	A_U64,
	A_STR,
	A_BOOL,		/* a u8, 0 or not */
	A_FLAG,		/* the same, but false when absent */
	A_TIME,		/* nanoseconds, as RFC 3339 */
};

/* One member of an object: @key, from attribute @attr as @kind says */
struct attr_field {
	const char	*key;
	int		attr;
	enum attr_kind	kind;
};

/* The value of attribute @attr of @tb, as @kind says */
json_object *attr_json(struct nlattr **tb, int attr, enum attr_kind kind);

/* Add @fields of @tb (a NULL key ends them) to object @o, in order */
void add_attrs(json_object *o, struct nlattr **tb,
	       const struct attr_field *fields);

/*
 * {"vm_id","pid","comm","quota","count","bound_count","group_count",
 *  "cgroup"}
 */
json_object *vm_obj(struct nlattr **tb);
extern const struct out_col vm_cols[];

/* A limit per cgroup: {"cgroup","max","used","vms"} */
json_object *limit_obj(struct nlattr **tb);
extern const struct out_col limit_cols[];

/*
 * Whether a limit on VM @vm_id's cgroup or one of its ancestors is used up:
 * fills @path (the limited cgroup), @used and @max.  Quietly false when it
 * cannot tell (no module, no netlink).
 */
/* A request about the limit of @path, with LIMIT_MAX when @max >= 0 */
struct nl_msg *limit_msg(struct ctx *ctx, uint8_t cmd, const char *path,
			 int64_t max);
bool limit_full(struct ctx *ctx, uint32_t vm_id, char *path, size_t len,
		uint32_t *used, uint32_t *max);

/*
 * {"pasid","vm_id","bound","gpasid","addr_width","devices","inv_iotlb",
 *  "inv_dev_iotlb","bind_flags","vtd_flags"}; the table shows all but the
 * two flag words
 */
json_object *pasid_obj(struct nlattr **tb);
extern const struct out_col pasid_cols[];

/*
 * A device of an attached group (DEVICE_GET): {"group","device","bus",
 * "parent","iommu_unit","iommu_backed","pci_pasid_width","pci_pasid_exec",
 * "pci_pasid_priv","pci_ats","pci_pri","binds"}
 */
json_object *device_obj(struct nlattr **tb);

/* IOMMU_PASID_FORMAT_*: "intel-vtd", or "unknown-N" */
json_object *pasid_format_json(uint32_t format);

/* Why backend @backend (NULL: unknown) offers no nesting, in words */
const char *no_nesting_reason(const char *backend);

/*
 * The backend's nesting from STATS_GET attributes: {"available":true,
 * "pasid_format","addr_width","pasid_bits"} or {"available":false,
 * "reason"}; NULL when the module does not say (an older module)
 */
json_object *backend_nesting_obj(struct nlattr **tb);

/* {"seq","time","vm_id","pid","comm","pasid","bound"} */
json_object *reclaim_obj(struct nlattr **tb);
extern const struct out_col reclaim_cols[];

struct vm_info {
	uint32_t	vm_id;
	uint32_t	pid;
	uint32_t	quota;
	uint32_t	count;
	json_object	*obj;		/* vm_obj(), owned */
};

/*
 * Get one VM (VM_GET do).  Prints the failure ("vfiopasidctl: <cmd>: VM 3:
 * ...") and returns its exit status; 0 on success, @vi filled.  Needs
 * vnl_open() first.
 */
int vm_get(struct ctx *ctx, const struct vm_sel *sel, struct vm_info *vi);

/* The same without printing: 0 or a positive errno */
int vm_fetch(struct ctx *ctx, const struct vm_sel *sel, struct vm_info *vi);

/* The failure of a netlink request, with the kernel's extended ACK */
int nl_failure(struct ctx *ctx, int err, const char *hint, const char *fmt,
	       ...) __attribute__((format(printf, 4, 5)));

/* The failure of a request about VM @vm_id: ENOENT is "no such VM" */
int vm_failure(struct ctx *ctx, int err, uint32_t vm_id);

/*
 * What STATS_GET says (status.c): the pool, the counts and the totals, by
 * attribute.  An attribute is either a u32 or a u64 one; has[] says which
 * ones the module sent.
 */
struct stats {
	bool		ok;
	uint32_t	u32[VFIO_PASID_A_MAX + 1];
	uint64_t	u64[VFIO_PASID_A_MAX + 1];
	bool		has[VFIO_PASID_A_MAX + 1];
	char		backend[64];
	json_object	*nesting;	/* backend_nesting_obj(), owned */
};

/*
 * Fill @st from STATS_GET (needs vnl_open() or vnl_try_open() first); 0 or
 * a positive errno, st->ok false then.  The caller puts st->nesting.
 */
int stats_fetch(struct ctx *ctx, struct stats *st);

/* The pool size from STATS_GET, 0 when unknown */
uint32_t pool_size(struct ctx *ctx);

/*
 * A dump streamed to the output as it arrives: the list (and, with
 * @outer_key, the head) is only begun when the first element comes or the
 * dump ends well, so a dump refused at its start prints nothing.
 */
struct dump_out {
	const char		*outer_key;	/* NULL: {"<list_key>":[...]} */
	const json_object	*head;
	const char		*list_key;
	const struct out_col	*cols;
	json_object		*(*conv)(struct nlattr **tb);
	/* optional: false drops the element */
	bool			(*keep)(struct nlattr **tb, void *arg);
	void			*keep_arg;
	/* private */
	struct ctx		*ctx;
	struct out_list		*list;
};

/* Runs @msg (consumed); returns 0 or a positive errno, output complete */
int dump_list(struct ctx *ctx, struct nl_msg *msg, struct dump_out *d);

#endif /* VFIOPASIDCTL_OBJECTS_H */
