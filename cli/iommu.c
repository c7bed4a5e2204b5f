// SPDX-License-Identifier: GPL-2.0
/*
 * vfiopasidctl - decoders of the host IOMMU units' registers
 *
 * Copyright (C) 2026 The vfio-pasid authors
 *
 * Bit positions: the Intel VT-d specification (CAP_REG, ECAP_REG) and the
 * AMD I/O Virtualization Technology specification (IOMMU capability
 * header, Extended Feature Register), as the Linux drivers decode them.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "iommu.h"
#include "output.h"
#include "sysfs.h"

#define BIT64(n)	(1ULL << (n))
#define FIELD(v, hi, lo) (((v) >> (lo)) & ((1ULL << ((hi) - (lo) + 1)) - 1))

const char *iommu_type_name(enum iommu_type type)
{
	switch (type) {
	case IOMMU_TYPE_VTD:
		return "intel-vtd";
	case IOMMU_TYPE_AMD:
		return "amd-vi";
	default:
		return "unknown";
	}
}

int iommu_parse_hex(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	int digits = 0;

	if (!s)
		return -EINVAL;
	while (isspace((unsigned char)*s))
		s++;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	for (; isxdigit((unsigned char)*s); s++) {
		int c = tolower((unsigned char)*s);

		/* leading zeros do not count against the 16 digits */
		if (!digits && c == '0' && isxdigit((unsigned char)s[1]))
			continue;
		if (++digits > 16)
			return -EINVAL;
		v = v << 4 | (uint64_t)(isdigit(c) ? c - '0' : c - 'a' + 10);
	}
	if (!digits)
		return -EINVAL;
	while (isspace((unsigned char)*s))
		s++;
	if (*s)
		return -EINVAL;
	*out = v;
	return 0;
}

/* --- verdicts --------------------------------------------------------------- */

static void verdict_init(struct iommu_verdict *v)
{
	memset(v, 0, sizeof(*v));
	v->usable = true;
}

/* @reg_name.@name (bit @bit) must be set */
static void verdict_need(struct iommu_verdict *v, bool set,
			 const char *qualified, unsigned int bit)
{
	if (set)
		return;
	v->usable = false;
	if (v->nmissing < IOMMU_MAX_MISSING) {
		v->missing[v->nmissing] = qualified;
		v->missing_bit[v->nmissing] = bit;
		v->nmissing++;
	}
}

/* "A (bit 1) is clear", "A (bit 1) and B (bit 2) are clear", "A, B and C" */
static void verdict_reason(struct iommu_verdict *v)
{
	size_t len = sizeof(v->reason), n = 0;

	v->reason[0] = '\0';
	if (v->usable)
		return;
	for (unsigned int i = 0; i < v->nmissing && n < len; i++) {
		const char *sep = !i ? "" :
				  i + 1 == v->nmissing ? " and " : ", ";

		n += (size_t)snprintf(v->reason + n, len - n, "%s%s (bit %u)",
				      sep, v->missing[i], v->missing_bit[i]);
	}
	if (n < len)
		snprintf(v->reason + n, len - n, " %s clear",
			 v->nmissing > 1 ? "are" : "is");
}

/* Copy the missing bits of @from into @to (a stronger verdict) */
static void verdict_inherit(struct iommu_verdict *to,
			    const struct iommu_verdict *from)
{
	for (unsigned int i = 0; i < from->nmissing; i++)
		verdict_need(to, false, from->missing[i], from->missing_bit[i]);
}

/* --- Intel VT-d ------------------------------------------------------------- */

const char *const vtd_reg_names[VTD_NREGS] = { "CAP", "ECAP" };

const struct iommu_flag vtd_flags[] = {
	{ "AFL",	VTD_CAP, 3,	"advanced fault logging" },
	{ "RWBF",	VTD_CAP, 4,	"write-buffer flushing required" },
	{ "PLMR",	VTD_CAP, 5,	"protected low-memory region" },
	{ "PHMR",	VTD_CAP, 6,	"protected high-memory region" },
	{ "CM",		VTD_CAP, 7,	"caching mode" },
	{ "ZLR",	VTD_CAP, 22,	"zero-length read" },
	{ "PSI",	VTD_CAP, 39,	"page-selective invalidation" },
	{ "DWD",	VTD_CAP, 54,	"write draining" },
	{ "DRD",	VTD_CAP, 55,	"read draining" },
	{ "FL1GP",	VTD_CAP, 56,	"first-level 1-GiB pages" },
	{ "PI",		VTD_CAP, 59,	"posted interrupts" },
	{ "FL5LP",	VTD_CAP, 60,	"first-level 5-level paging" },
	{ "ESIRTPS",	VTD_CAP, 62,	"interrupt remapping table pointer status" },
	{ "ESRTPS",	VTD_CAP, 63,	"root table pointer status" },
	{ "C",		VTD_ECAP, 0,	"page-walk coherency" },
	{ "QI",		VTD_ECAP, 1,	"queued invalidation" },
	{ "DT",		VTD_ECAP, 2,	"device TLB (ATS)" },
	{ "IR",		VTD_ECAP, 3,	"interrupt remapping" },
	{ "EIM",	VTD_ECAP, 4,	"extended interrupt mode" },
	{ "PT",		VTD_ECAP, 6,	"pass-through" },
	{ "SC",		VTD_ECAP, 7,	"snoop control" },
	{ "MTS",	VTD_ECAP, 25,	"memory type" },
	{ "NEST",	VTD_ECAP, 26,	"nested translation" },
	{ "PRS",	VTD_ECAP, 29,	"page requests" },
	{ "ERS",	VTD_ECAP, 30,	"execute requests" },
	{ "SRS",	VTD_ECAP, 31,	"supervisor requests" },
	{ "NWFS",	VTD_ECAP, 33,	"no-write flag" },
	{ "EAFS",	VTD_ECAP, 34,	"extended accessed flag" },
	{ "PASID",	VTD_ECAP, 40,	"PASID" },
	{ "DIT",	VTD_ECAP, 41,	"device-TLB invalidation throttling" },
	{ "PDS",	VTD_ECAP, 42,	"page-request drain" },
	{ "SMTS",	VTD_ECAP, 43,	"scalable mode" },
	{ "VCS",	VTD_ECAP, 44,	"virtual command" },
	{ "SLADS",	VTD_ECAP, 45,	"second-level accessed/dirty" },
	{ "SLTS",	VTD_ECAP, 46,	"second-level translation" },
	{ "FLTS",	VTD_ECAP, 47,	"first-level translation" },
	{ "SMPWC",	VTD_ECAP, 48,	"scalable-mode page-walk coherency" },
	{ "RPS",	VTD_ECAP, 49,	"RID-PASID" },
	{ "PMS",	VTD_ECAP, 51,	"performance monitoring" },
	{ NULL, 0, 0, NULL }
};

static const struct iommu_flag *find_flag(const struct iommu_flag *table,
					  const char *name)
{
	for (const struct iommu_flag *f = table; f->name; f++)
		if (!strcmp(f->name, name))
			return f;
	return NULL;
}

static bool flag_set(const uint64_t *reg, const struct iommu_flag *f)
{
	return f && (reg[f->reg] & BIT64(f->bit));
}

bool vtd_has(const struct vtd_info *v, const char *name)
{
	return flag_set(v->reg, find_flag(vtd_flags, name));
}

/*
 * Verdict @vd needs the flag @qualified ("ECAP.PASID": register, dot,
 * name) of @table, set in @reg
 */
static void flag_need(struct iommu_verdict *vd, const struct iommu_flag *table,
		      const uint64_t *reg, const char *qualified)
{
	const struct iommu_flag *f = find_flag(table, strchr(qualified, '.') + 1);

	verdict_need(vd, flag_set(reg, f), qualified, f ? f->bit : 0);
}

void vtd_decode(uint64_t cap, uint64_t ecap, struct vtd_info *out)
{
	memset(out, 0, sizeof(*out));
	out->reg[VTD_CAP] = cap;
	out->reg[VTD_ECAP] = ecap;
	out->address_width = (unsigned int)FIELD(cap, 21, 16) + 1;
	out->sagaw = (unsigned int)FIELD(cap, 12, 8);
	out->domains = 1ULL << (4 + 2 * FIELD(cap, 2, 0));
	out->pasid_bits = (unsigned int)FIELD(ecap, 39, 35) + 1;

	verdict_init(&out->pasid);
	flag_need(&out->pasid, vtd_flags, out->reg, "ECAP.SMTS");
	flag_need(&out->pasid, vtd_flags, out->reg, "ECAP.PASID");
	verdict_reason(&out->pasid);

	verdict_init(&out->nesting);
	verdict_inherit(&out->nesting, &out->pasid);
	flag_need(&out->nesting, vtd_flags, out->reg, "ECAP.NEST");
	flag_need(&out->nesting, vtd_flags, out->reg, "ECAP.FLTS");
	flag_need(&out->nesting, vtd_flags, out->reg, "ECAP.SLTS");
	verdict_reason(&out->nesting);
}

static int parse_reg(const char *what, const char *s, uint64_t *v, char *err,
		     size_t errlen)
{
	if (!s) {
		snprintf(err, errlen, "%s is missing", what);
		return -EINVAL;
	}
	if (iommu_parse_hex(s, v)) {
		char shown[40];
		size_t n = strcspn(s, "\n");

		snprintf(shown, sizeof(shown), "%.*s", (int)(n > 32 ? 32 : n),
			 s);
		snprintf(err, errlen, "%s '%s' is not a hexadecimal number",
			 what, shown);
		return -EINVAL;
	}
	return 0;
}

int vtd_decode_str(const char *cap, const char *ecap, struct vtd_info *out,
		   char *err, size_t errlen)
{
	uint64_t c, e;

	if (parse_reg("cap", cap, &c, err, errlen) ||
	    parse_reg("ecap", ecap, &e, err, errlen))
		return -EINVAL;
	vtd_decode(c, e, out);
	return 0;
}

unsigned int vtd_sagaw_widths(unsigned int sagaw, unsigned int *widths,
			      unsigned int max)
{
	/* bit 0: 2-level (30-bit) ... bit 3: 5-level (57-bit); bit 4 reserved */
	static const unsigned int w[] = { 30, 39, 48, 57 };
	unsigned int n = 0;

	for (unsigned int i = 0; i < 4 && n < max; i++)
		if (sagaw & (1U << i))
			widths[n++] = w[i];
	return n;
}

/* --- AMD-Vi ------------------------------------------------------------------ */

const char *const amd_reg_names[AMD_NREGS] = { "CAP", "EFR", "EFR2" };

const struct iommu_flag amd_flags[] = {
	{ "IOTLBSup",	AMD_CAP, 24,	"remote IOTLB (ATS)" },
	{ "HtTunnel",	AMD_CAP, 25,	"HyperTransport tunnel" },
	{ "NpCache",	AMD_CAP, 26,	"not-present entries cached" },
	{ "EFRSup",	AMD_CAP, 27,	"extended feature register" },
	{ "CapExt",	AMD_CAP, 28,	"more capability registers" },
	{ "PREFETCH",	AMD_EFR, 0,	"prefetch" },
	{ "PPR",	AMD_EFR, 1,	"peripheral page requests" },
	{ "X2APIC",	AMD_EFR, 2,	"x2APIC" },
	{ "NX",		AMD_EFR, 3,	"no-execute" },
	{ "GT",		AMD_EFR, 4,	"guest translation" },
	{ "IA",		AMD_EFR, 6,	"invalidate all" },
	{ "GA",		AMD_EFR, 7,	"guest virtual APIC" },
	{ "HE",		AMD_EFR, 8,	"hardware error registers" },
	{ "PC",		AMD_EFR, 9,	"performance counters" },
	{ "GAM_VAPIC",	AMD_EFR, 21,	"guest virtual APIC modes" },
	{ "GIOSUP",	AMD_EFR, 48,	"guest I/O protection" },
	{ "HASUP",	AMD_EFR, 49,	"host access" },
	{ "EPHSUP",	AMD_EFR, 50,	"enhanced PPR handling" },
	{ "HDSUP",	AMD_EFR, 52,	"host dirty tracking" },
	{ "SNP",	AMD_EFR, 63,	"secure nested paging" },
	{ NULL, 0, 0, NULL }
};

const char *amd_order_name(enum amd_features_order order)
{
	switch (order) {
	case AMD_ORDER_EFR2_EFR:
		return "efr2:efr";
	case AMD_ORDER_EFR_EFR2:
		return "efr:efr2";
	default:
		return "efr";
	}
}

enum amd_features_order amd_order_for_release(const char *release)
{
	unsigned int major, minor;

	if (!release || sscanf(release, "%u.%u", &major, &minor) != 2)
		return AMD_ORDER_EFR2_EFR;
	if (major > 6 || (major == 6 && minor >= 7))
		return AMD_ORDER_EFR_EFR2;
	return AMD_ORDER_EFR2_EFR;
}

int amd_split_features(const char *features, enum amd_features_order order,
		       uint64_t *efr, uint64_t *efr2,
		       enum amd_features_order *used, char *err,
		       size_t errlen)
{
	const char *colon;
	uint64_t a, b;
	char first[64];
	size_t n;

	if (!features) {
		snprintf(err, errlen, "features is missing");
		return -EINVAL;
	}
	colon = strchr(features, ':');
	if (!colon) {
		if (parse_reg("features", features, efr, err, errlen))
			return -EINVAL;
		*efr2 = 0;
		*used = AMD_ORDER_SINGLE;
		return 0;
	}
	n = (size_t)(colon - features);
	if (n < sizeof(first)) {
		memcpy(first, features, n);
		first[n] = '\0';
	}
	if (n >= sizeof(first) || iommu_parse_hex(first, &a) ||
	    iommu_parse_hex(colon + 1, &b)) {
		n = strcspn(features, "\n");
		snprintf(err, errlen,
			 "features '%.*s' is not one or two hexadecimal numbers",
			 (int)(n > 40 ? 40 : n), features);
		return -EINVAL;
	}
	if (order == AMD_ORDER_SINGLE)
		order = AMD_ORDER_EFR2_EFR;
	if (order == AMD_ORDER_EFR2_EFR && !b && a)
		order = AMD_ORDER_EFR_EFR2;
	else if (order == AMD_ORDER_EFR_EFR2 && !a && b)
		order = AMD_ORDER_EFR2_EFR;
	*efr = order == AMD_ORDER_EFR2_EFR ? b : a;
	*efr2 = order == AMD_ORDER_EFR2_EFR ? a : b;
	*used = order;
	return 0;
}

bool amd_has(const struct amd_info *a, const char *name)
{
	return flag_set(a->reg, find_flag(amd_flags, name));
}


void amd_decode(uint32_t cap, uint64_t efr, uint64_t efr2,
		struct amd_info *out)
{
	/* HATS: 4, 5 or 6 levels of host tables; GATS: 4 or 5 guest levels */
	static const unsigned int host_width[] = { 48, 57, 64, 0 };
	static const unsigned int guest_width[] = { 48, 57, 0, 0 };

	memset(out, 0, sizeof(*out));
	out->reg[AMD_CAP] = cap;
	out->reg[AMD_EFR] = efr;
	out->reg[AMD_EFR2] = efr2;
	out->pasid_bits = (unsigned int)FIELD(efr, 36, 32) + 1;
	out->hats = (unsigned int)FIELD(efr, 11, 10);
	out->gats = (unsigned int)FIELD(efr, 13, 12);
	out->glx = (unsigned int)FIELD(efr, 15, 14);
	out->address_width = host_width[out->hats];
	out->guest_address_width = guest_width[out->gats];

	verdict_init(&out->pasid);
	flag_need(&out->pasid, amd_flags, out->reg, "CAP.EFRSup");
	flag_need(&out->pasid, amd_flags, out->reg, "EFR.GT");
	verdict_reason(&out->pasid);

	verdict_init(&out->nesting);
	verdict_inherit(&out->nesting, &out->pasid);
	verdict_reason(&out->nesting);
}

int amd_decode_str(const char *cap, const char *features,
		   enum amd_features_order order, struct amd_info *out,
		   enum amd_features_order *used, char *err, size_t errlen)
{
	uint64_t c, efr, efr2;

	if (parse_reg("cap", cap, &c, err, errlen))
		return -EINVAL;
	if (c > UINT32_MAX) {
		snprintf(err, errlen, "cap '%llx' is wider than 32 bits",
			 (unsigned long long)c);
		return -EINVAL;
	}
	if (amd_split_features(features, order, &efr, &efr2, used, err,
			       errlen))
		return -EINVAL;
	amd_decode((uint32_t)c, efr, efr2, out);
	return 0;
}

/* --- units in sysfs, as JSON --------------------------------------------------- */

/* A sysfs attribute, trimmed; NULL when unreadable.  malloc()ed. */
static char *read_attr(const char *dir, const char *sub, const char *name)
{
	char path[1024];

	snprintf(path, sizeof(path), "%s/%s/%s", dir, sub, name);
	return read_trimmed(path);
}

static bool is_dir(const char *dir, const char *sub)
{
	char path[1024];
	DIR *d;

	snprintf(path, sizeof(path), "%s/%s", dir, sub);
	d = opendir(path);
	if (!d)
		return false;
	closedir(d);
	return true;
}

static json_object *verdict_json(const struct iommu_verdict *v)
{
	json_object *o = jobj(), *m = jarr();

	for (unsigned int i = 0; i < v->nmissing; i++)
		json_object_array_add(m, jstr(v->missing[i]));
	jadd(o, "usable", jbool(v->usable));
	jadd(o, "missing", m);
	jadd(o, "reason", v->usable ? NULL : jstr(v->reason));
	return o;
}

/* Not decodable: both verdicts say why */
static json_object *verdict_unknown(const char *why)
{
	json_object *o = jobj();

	jadd(o, "usable", jbool(false));
	jadd(o, "missing", jarr());
	jadd(o, "reason", jstr(why));
	return o;
}

/*
 * The rest of a unit whose registers are not decoded: @keys (a NULL ends
 * them) null, both verdicts not usable because of @why, no notes, and
 * "error" @err.  @why NULL: the registers could not be decoded, as @err
 * says.
 */
static void unit_undecoded(json_object *o, const char *const *keys,
			   const char *why, const char *err)
{
	char buf[200];

	if (!why) {
		snprintf(buf, sizeof(buf), "the registers cannot be decoded: %s",
			 err);
		why = buf;
	}
	for (; *keys; keys++)
		jadd(o, *keys, NULL);
	jadd(o, "pasid", verdict_unknown(why));
	jadd(o, "nesting", verdict_unknown(why));
	jadd(o, "notes", jarr());
	jadd(o, "error", jstr(err));
}

static json_object *bits_json(const struct iommu_flag *table,
			      const uint64_t *reg, unsigned int which)
{
	json_object *a = jarr();

	for (const struct iommu_flag *f = table; f->name; f++)
		if (f->reg == which && (reg[which] & BIT64(f->bit)))
			json_object_array_add(a, jstr(f->name));
	return a;
}

static void note(json_object *notes, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void note(json_object *notes, const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	json_object_array_add(notes, jstr(buf));
}

static void vtd_json(json_object *o, const char *dir)
{
	char *cap = read_attr(dir, "intel-iommu", "cap");
	char *ecap = read_attr(dir, "intel-iommu", "ecap");
	char *version = read_attr(dir, "intel-iommu", "version");
	char *address = read_attr(dir, "intel-iommu", "address");
	char *used = read_attr(dir, "intel-iommu", "domains_used");
	json_object *regs = jobj(), *bits, *w, *notes;
	unsigned int widths[4], nw;
	struct vtd_info v;
	char err[160];

	jadd(o, "version", jstr(version));
	jadd(o, "address", jstr(address));
	jadd(regs, "cap", jstr(cap));
	jadd(regs, "ecap", jstr(ecap));
	jadd(o, "registers", regs);
	if (vtd_decode_str(cap, ecap, &v, err, sizeof(err))) {
		static const char *const keys[] = {
			"bits", "address_width", "pasid_bits", "sagaw",
			"domains", "domains_used", NULL
		};

		unit_undecoded(o, keys, NULL, err);
		goto out;
	}
	bits = jobj();
	jadd(bits, "cap", bits_json(vtd_flags, v.reg, VTD_CAP));
	jadd(bits, "ecap", bits_json(vtd_flags, v.reg, VTD_ECAP));
	jadd(o, "bits", bits);
	jadd(o, "address_width", jnum(v.address_width));
	jadd(o, "pasid_bits", jnum(v.pasid_bits));
	w = jarr();
	nw = vtd_sagaw_widths(v.sagaw, widths, 4);
	for (unsigned int i = 0; i < nw; i++)
		json_object_array_add(w, jnum(widths[i]));
	jadd(o, "sagaw", w);
	jadd(o, "domains", ju64(v.domains));
	jadd(o, "domains_used", used && *used &&
				strspn(used, "0123456789") == strlen(used) ?
				ju64(strtoull(used, NULL, 10)) : NULL);
	jadd(o, "pasid", verdict_json(&v.pasid));
	jadd(o, "nesting", verdict_json(&v.nesting));

	notes = jarr();
	if (v.pasid.usable && v.pasid_bits < 20)
		note(notes, "ECAP.PSS gives %u-bit PASIDs (PCIe allows 20)",
		     v.pasid_bits);
	if (!vtd_has(&v, "PRS"))
		note(notes, "ECAP.PRS (bit 29) is clear: no page requests, a guest's I/O page faults cannot be recovered");
	if (!vtd_has(&v, "SRS"))
		note(notes, "ECAP.SRS (bit 31) is clear: no supervisor-mode PASIDs");
	if (!vtd_has(&v, "DT"))
		note(notes, "ECAP.DT (bit 2) is clear: no device-TLB (ATS) invalidations");
	if (vtd_has(&v, "CM"))
		note(notes, "CAP.CM (bit 7) is set: caching mode, as a virtual IOMMU has");
	jadd(o, "notes", notes);
	jadd(o, "error", NULL);
out:
	free(cap);
	free(ecap);
	free(version);
	free(address);
	free(used);
}

static void amd_json(json_object *o, const char *dir, const char *release)
{
	char *cap = read_attr(dir, "amd-iommu", "cap");
	char *features = read_attr(dir, "amd-iommu", "features");
	json_object *regs = jobj(), *bits, *notes;
	enum amd_features_order used = AMD_ORDER_SINGLE;
	struct utsname u;
	struct amd_info a;
	char err[160], hex[24];

	if (!release)
		release = uname(&u) ? NULL : u.release;
	jadd(regs, "cap", jstr(cap));
	jadd(regs, "features", jstr(features));
	jadd(o, "registers", regs);
	if (amd_decode_str(cap, features, amd_order_for_release(release), &a,
			   &used, err, sizeof(err))) {
		static const char *const keys[] = {
			"features_order", "bits", "address_width", "pasid_bits",
			"guest_address_width", "hats", "gats", "glx", NULL
		};

		unit_undecoded(o, keys, NULL, err);
		goto out;
	}
	jadd(o, "features_order", jstr(amd_order_name(used)));
	snprintf(hex, sizeof(hex), "%llx", (unsigned long long)a.reg[AMD_EFR]);
	jadd(regs, "efr", jstr(hex));
	snprintf(hex, sizeof(hex), "%llx", (unsigned long long)a.reg[AMD_EFR2]);
	jadd(regs, "efr2", jstr(hex));
	bits = jobj();
	jadd(bits, "cap", bits_json(amd_flags, a.reg, AMD_CAP));
	jadd(bits, "efr", bits_json(amd_flags, a.reg, AMD_EFR));
	jadd(o, "bits", bits);
	jadd(o, "address_width", a.address_width ? jnum(a.address_width) : NULL);
	jadd(o, "pasid_bits", jnum(a.pasid_bits));
	jadd(o, "guest_address_width", a.guest_address_width ?
				       jnum(a.guest_address_width) : NULL);
	jadd(o, "hats", jnum(a.hats));
	jadd(o, "gats", jnum(a.gats));
	jadd(o, "glx", jnum(a.glx));
	jadd(o, "pasid", verdict_json(&a.pasid));
	jadd(o, "nesting", verdict_json(&a.nesting));

	notes = jarr();
	if (!amd_has(&a, "PPR"))
		note(notes, "EFR.PPR (bit 1) is clear: no page requests, a guest's I/O page faults cannot be recovered");
	if (!a.address_width)
		note(notes, "EFR.HATS is %u, a reserved value: the host address width is unknown",
		     a.hats);
	if (amd_has(&a, "GT") && !a.guest_address_width)
		note(notes, "EFR.GATS is %u, a reserved value: the guest address width is unknown",
		     a.gats);
	jadd(o, "notes", notes);
	jadd(o, "error", NULL);
out:
	free(cap);
	free(features);
}

json_object *iommu_unit_json(const char *sysfs, const char *name,
			     const char *release)
{
	json_object *o = jobj();
	enum iommu_type type = IOMMU_TYPE_UNKNOWN;
	char dir[512];

	snprintf(dir, sizeof(dir), "%s/class/iommu/%s", sysfs, name);
	if (is_dir(dir, "intel-iommu"))
		type = IOMMU_TYPE_VTD;
	else if (is_dir(dir, "amd-iommu"))
		type = IOMMU_TYPE_AMD;
	jadd(o, "name", jstr(name));
	jadd(o, "type", jstr(iommu_type_name(type)));
	switch (type) {
	case IOMMU_TYPE_VTD:
		vtd_json(o, dir);
		break;
	case IOMMU_TYPE_AMD:
		amd_json(o, dir, release);
		break;
	default: {
		static const char *const keys[] = {
			"bits", "address_width", "pasid_bits", NULL
		};
		const char *why = "no decoder for this kind of IOMMU: its registers are not known";

		jadd(o, "registers", jobj());
		unit_undecoded(o, keys, why, NULL);
		break;
	}
	}
	return o;
}

json_object *iommu_units_json(const char *sysfs, const char *release)
{
	json_object *list = jarr();
	struct dirent **ents;
	char path[512];
	int n;

	snprintf(path, sizeof(path), "%s/class/iommu", sysfs);
	n = dir_sorted(path, &ents);
	for (int i = 0; i < n; i++) {
		json_object_array_add(list, iommu_unit_json(sysfs,
							    ents[i]->d_name,
							    release));
		free(ents[i]);
	}
	if (n >= 0)
		free(ents);
	return list;
}

const char *iommu_verdict_text(const json_object *v, char *buf, size_t len)
{
	json_object *usable = NULL, *reason = NULL;

	if (!v || !json_object_object_get_ex(v, "usable", &usable) || !usable)
		return "unknown";
	if (json_object_get_boolean(usable))
		return "yes";
	json_object_object_get_ex(v, "reason", &reason);
	snprintf(buf, len, "no \xe2\x80\x94 %s",
		 reason ? json_object_get_string(reason) : "unknown reason");
	return buf;
}
