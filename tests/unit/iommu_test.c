// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests: the IOMMU register decoders (cli/iommu.c) on the test
 * vectors of the reference facts (QEMU 7.2 VT-d and AMD-Vi, a Sapphire
 * Rapids host), on malformed input, and on a made-up sysfs tree.
 *
 * Copyright (C) 2026 The vfio-pasid authors
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "iommu.h"
#include "unit.h"

/* QEMU 7.2 intel-iommu, aw-bits=48, caching-mode=on */
#define QEMU_CAP		"d2008c222f0686"
#define QEMU_ECAP_SM		"480080f00f4a"	/* x-scalable-mode=on */
#define QEMU_ECAP_SM_PASID	"490080f00f4a"	/* and x-pasid-mode=on */
/* A Sapphire Rapids host where user SVA could not be enabled */
#define SPR_CAP			"19ed008c40780c66"
#define SPR_ECAP		"3ee9e86f050df"
/* QEMU 7.2 amd-iommu on Linux 6.1 */
#define QEMU_AMD_CAP		"1f03000f"
#define QEMU_AMD_FEATURES	"0:29d3"

static const char *const all_vtd[] = {
	"AFL", "RWBF", "PLMR", "PHMR", "CM", "ZLR", "PSI", "DWD", "DRD",
	"FL1GP", "PI", "FL5LP", "ESIRTPS", "ESRTPS", "C", "QI", "DT", "IR",
	"EIM", "PT", "SC", "MTS", "NEST", "PRS", "ERS", "SRS", "NWFS", "EAFS",
	"PASID", "DIT", "PDS", "SMTS", "VCS", "SLADS", "SLTS", "FLTS", "SMPWC",
	"RPS", "PMS", NULL
};

/* The flags of @v that are set, space-separated, in table order */
static const char *vtd_set(const struct vtd_info *v)
{
	static char buf[512];
	size_t n = 0;

	buf[0] = '\0';
	for (int i = 0; all_vtd[i]; i++)
		if (vtd_has(v, all_vtd[i]))
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s",
					      n ? " " : "", all_vtd[i]);
	return buf;
}

static void test_parse_hex(void)
{
	uint64_t v = 0;

	OK(!iommu_parse_hex("d2008c222f0686", &v) && v == 0xd2008c222f0686ULL,
	   "hex as sysfs prints it");
	OK(!iommu_parse_hex("490080f00f4a\n", &v) && v == 0x490080f00f4aULL,
	   "a trailing newline is fine");
	OK(!iommu_parse_hex("  0x1F03000F ", &v) && v == 0x1f03000fULL,
	   "blanks, 0x and upper case are fine");
	OK(!iommu_parse_hex("ffffffffffffffff", &v) && v == UINT64_MAX,
	   "16 digits: all of 64 bits");
	OK(!iommu_parse_hex("000000000000000000001", &v) && v == 1,
	   "leading zeros do not count against the 16 digits");
	OK(!iommu_parse_hex("0", &v) && v == 0, "zero");
	EQ_INT(iommu_parse_hex("1ffffffffffffffff", &v), -EINVAL,
	       "17 significant digits: too wide");
	EQ_INT(iommu_parse_hex("", &v), -EINVAL, "empty");
	EQ_INT(iommu_parse_hex("\n", &v), -EINVAL, "only a newline");
	EQ_INT(iommu_parse_hex("0x", &v), -EINVAL, "0x alone");
	EQ_INT(iommu_parse_hex("zz", &v), -EINVAL, "not hex");
	EQ_INT(iommu_parse_hex("12 34", &v), -EINVAL, "two words");
	EQ_INT(iommu_parse_hex("-1", &v), -EINVAL, "a sign");
	EQ_INT(iommu_parse_hex("0:29d3", &v), -EINVAL, "a colon");
	EQ_INT(iommu_parse_hex(NULL, &v), -EINVAL, "NULL");
}

static void test_vtd_qemu(void)
{
	struct vtd_info v;
	char err[160] = "";
	unsigned int w[4], nw;

	OK(!vtd_decode_str(QEMU_CAP, QEMU_ECAP_SM_PASID, &v, err, sizeof(err)),
	   "QEMU x-pasid-mode: decodes");
	EQ_STR(vtd_set(&v), "CM PSI DWD DRD QI IR PT SRS PASID SMTS SLTS",
	       "QEMU x-pasid-mode: the bits set");
	EQ_INT(v.address_width, 48, "QEMU: MGAW 47 is a 48-bit address width");
	EQ_INT(v.domains, 65536, "QEMU: ND 6 is 65536 domains");
	nw = vtd_sagaw_widths(v.sagaw, w, 4);
	OK(nw == 2 && w[0] == 39 && w[1] == 48,
	   "QEMU: SAGAW allows 39- and 48-bit second-level tables");
	EQ_INT(v.pasid_bits, 1, "QEMU: PSS 0 is a 1-bit PASID");
	OK(v.pasid.usable && !v.pasid.nmissing && !v.pasid.reason[0],
	   "QEMU x-pasid-mode: PASID usable (SMTS and PASID set)");
	OK(!v.nesting.usable, "QEMU x-pasid-mode: nesting not usable");
	EQ_STR(v.nesting.reason,
	       "ECAP.NEST (bit 26) and ECAP.FLTS (bit 47) are clear",
	       "QEMU x-pasid-mode: nesting names NEST and FLTS");
	OK(v.nesting.nmissing == 2 &&
	   !strcmp(v.nesting.missing[0], "ECAP.NEST") &&
	   !strcmp(v.nesting.missing[1], "ECAP.FLTS"),
	   "QEMU x-pasid-mode: missing list is ECAP.NEST, ECAP.FLTS");
	OK(!vtd_has(&v, "FL1GP") && !vtd_has(&v, "FL5LP") &&
	   !vtd_has(&v, "PI") && vtd_has(&v, "CM"),
	   "QEMU: no FL1GP, FL5LP, PI; CM set (caching-mode=on)");

	OK(!vtd_decode_str(QEMU_CAP, QEMU_ECAP_SM, &v, err, sizeof(err)),
	   "QEMU scalable mode without PASID: decodes");
	OK(vtd_has(&v, "SMTS") && vtd_has(&v, "SLTS") && !vtd_has(&v, "PASID"),
	   "QEMU scalable mode: SMTS, SLTS, no PASID");
	OK(!v.pasid.usable, "QEMU scalable mode: PASID not usable");
	EQ_STR(v.pasid.reason, "ECAP.PASID (bit 40) is clear",
	       "QEMU scalable mode: the reason names ECAP.PASID (bit 40)");
	EQ_STR(v.nesting.reason,
	       "ECAP.PASID (bit 40), ECAP.NEST (bit 26) and ECAP.FLTS (bit 47) are clear",
	       "QEMU scalable mode: nesting needs PASID too");
}

static void test_vtd_spr(void)
{
	struct vtd_info v;
	char err[160];

	OK(!vtd_decode_str(SPR_CAP, SPR_ECAP, &v, err, sizeof(err)),
	   "Sapphire Rapids: decodes");
	OK(vtd_has(&v, "SMTS") && vtd_has(&v, "FLTS") && vtd_has(&v, "SLTS") &&
	   vtd_has(&v, "NEST") && vtd_has(&v, "SRS") && vtd_has(&v, "DIT") &&
	   vtd_has(&v, "PDS") && vtd_has(&v, "SMPWC") && vtd_has(&v, "RPS"),
	   "Sapphire Rapids: SMTS FLTS SLTS NEST SRS DIT PDS SMPWC RPS set");
	OK(!vtd_has(&v, "PASID") && !vtd_has(&v, "PRS"),
	   "Sapphire Rapids: PASID and PRS clear");
	EQ_INT(v.pasid_bits, 20, "Sapphire Rapids: PSS 19 is 20-bit PASIDs");
	EQ_INT(v.address_width, 57, "Sapphire Rapids: MGAW 56 is 57 bits");
	EQ_INT(v.domains, 65536, "Sapphire Rapids: ND 6");
	OK(vtd_has(&v, "FL1GP") && vtd_has(&v, "FL5LP") && vtd_has(&v, "PI") &&
	   !vtd_has(&v, "CM"), "Sapphire Rapids: FL1GP FL5LP PI set, CM clear");
	OK(!v.pasid.usable, "Sapphire Rapids: PASID not usable");
	EQ_STR(v.pasid.reason, "ECAP.PASID (bit 40) is clear",
	       "Sapphire Rapids: exactly ECAP.PASID is why");
	OK(!v.nesting.usable && v.nesting.nmissing == 1,
	   "Sapphire Rapids: nesting not usable, for that bit alone");
	EQ_STR(v.nesting.reason, "ECAP.PASID (bit 40) is clear",
	       "Sapphire Rapids: nesting's reason is the same");
}

static void test_vtd_edges(void)
{
	struct vtd_info v;
	char err[160];

	vtd_decode(0, 0, &v);
	EQ_STR(v.pasid.reason,
	       "ECAP.SMTS (bit 43) and ECAP.PASID (bit 40) are clear",
	       "all clear: PASID names SMTS and PASID");
	EQ_INT(v.nesting.nmissing, 5, "all clear: nesting misses five bits");
	EQ_INT(v.domains, 16, "ND 0 is 16 domains");
	EQ_INT(v.address_width, 1, "MGAW 0 is 1 bit");
	vtd_decode(UINT64_MAX, UINT64_MAX, &v);
	OK(v.pasid.usable && v.nesting.usable, "all set: both usable");
	EQ_INT(v.pasid_bits, 32, "PSS 31 is 32 bits");
	EQ_INT(v.address_width, 64, "MGAW 63 is 64 bits");
	EQ_INT(v.domains, 1ULL << 18, "ND 7 is 2^18 domains");

	EQ_INT(vtd_decode_str("zz", QEMU_ECAP_SM, &v, err, sizeof(err)),
	       -EINVAL, "malformed cap: refused");
	EQ_STR(err, "cap 'zz' is not a hexadecimal number",
	       "malformed cap: says which and what");
	EQ_INT(vtd_decode_str(QEMU_CAP, "49008 0f00f4a\n", &v, err,
			      sizeof(err)), -EINVAL, "malformed ecap: refused");
	EQ_STR(err, "ecap '49008 0f00f4a' is not a hexadecimal number",
	       "malformed ecap: shown without its newline");
	EQ_INT(vtd_decode_str(QEMU_CAP, NULL, &v, err, sizeof(err)), -EINVAL,
	       "missing ecap: refused");
	EQ_STR(err, "ecap is missing", "missing ecap: says so");
	EQ_INT(vtd_decode_str("", "", &v, err, sizeof(err)), -EINVAL,
	       "empty registers: refused");
}

static void test_amd_order(void)
{
	EQ_INT(amd_order_for_release("6.1.0-57-amd64"), AMD_ORDER_EFR2_EFR,
	       "Linux 6.1 prints EFR2:EFR");
	EQ_INT(amd_order_for_release("6.6.30"), AMD_ORDER_EFR2_EFR,
	       "Linux 6.6 prints EFR2:EFR");
	EQ_INT(amd_order_for_release("6.7.0"), AMD_ORDER_EFR_EFR2,
	       "Linux 6.7 prints EFR:EFR2");
	EQ_INT(amd_order_for_release("6.12.1-arch1"), AMD_ORDER_EFR_EFR2,
	       "Linux 6.12 prints EFR:EFR2");
	EQ_INT(amd_order_for_release("7.0.0"), AMD_ORDER_EFR_EFR2,
	       "Linux 7.0 prints EFR:EFR2");
	EQ_INT(amd_order_for_release("5.15.0"), AMD_ORDER_EFR2_EFR,
	       "Linux 5.15: taken as EFR2:EFR");
	EQ_INT(amd_order_for_release("garbage"), AMD_ORDER_EFR2_EFR,
	       "an unparseable release: the target kernel's order");
	EQ_INT(amd_order_for_release(NULL), AMD_ORDER_EFR2_EFR,
	       "no release: the target kernel's order");
	EQ_STR(amd_order_name(AMD_ORDER_EFR2_EFR), "efr2:efr", "order names");
}

static void test_amd_split(void)
{
	enum amd_features_order used;
	uint64_t efr, efr2;
	char err[160];

	OK(!amd_split_features(QEMU_AMD_FEATURES, AMD_ORDER_EFR2_EFR, &efr,
			       &efr2, &used, err, sizeof(err)) &&
	   efr == 0x29d3 && efr2 == 0 && used == AMD_ORDER_EFR2_EFR,
	   "6.1's 0:29d3 is EFR2 0, EFR 29d3");
	OK(!amd_split_features("29d3:0", AMD_ORDER_EFR_EFR2, &efr, &efr2,
			       &used, err, sizeof(err)) &&
	   efr == 0x29d3 && efr2 == 0 && used == AMD_ORDER_EFR_EFR2,
	   "6.7's 29d3:0 is EFR 29d3, EFR2 0");
	OK(!amd_split_features("29d3:0", AMD_ORDER_EFR2_EFR, &efr, &efr2,
			       &used, err, sizeof(err)) &&
	   efr == 0x29d3 && efr2 == 0 && used == AMD_ORDER_EFR_EFR2,
	   "a zero EFR with a non-zero other word: the words are swapped");
	OK(!amd_split_features("0:29d3", AMD_ORDER_EFR_EFR2, &efr, &efr2,
			       &used, err, sizeof(err)) &&
	   efr == 0x29d3 && efr2 == 0 && used == AMD_ORDER_EFR2_EFR,
	   "the same the other way round");
	OK(!amd_split_features("1:29d3", AMD_ORDER_EFR2_EFR, &efr, &efr2,
			       &used, err, sizeof(err)) &&
	   efr == 0x29d3 && efr2 == 1,
	   "two non-zero words on 6.1: EFR2:EFR");
	OK(!amd_split_features("29d3:1", AMD_ORDER_EFR_EFR2, &efr, &efr2,
			       &used, err, sizeof(err)) &&
	   efr == 0x29d3 && efr2 == 1,
	   "two non-zero words on 6.7: EFR:EFR2");
	OK(!amd_split_features("29d3\n", AMD_ORDER_EFR2_EFR, &efr, &efr2,
			       &used, err, sizeof(err)) &&
	   efr == 0x29d3 && efr2 == 0 && used == AMD_ORDER_SINGLE,
	   "one word (kernels before 6.0): the EFR");
	OK(!amd_split_features("0:0", AMD_ORDER_EFR2_EFR, &efr, &efr2, &used,
			       err, sizeof(err)) && !efr && !efr2,
	   "0:0: both zero");

	EQ_INT(amd_split_features("1:2:3", AMD_ORDER_EFR2_EFR, &efr, &efr2,
				  &used, err, sizeof(err)), -EINVAL,
	       "three words: refused");
	EQ_STR(err, "features '1:2:3' is not one or two hexadecimal numbers",
	       "three words: says what is wrong");
	EQ_INT(amd_split_features(":", AMD_ORDER_EFR2_EFR, &efr, &efr2, &used,
				  err, sizeof(err)), -EINVAL,
	       "a colon alone: refused");
	EQ_INT(amd_split_features("0:", AMD_ORDER_EFR2_EFR, &efr, &efr2, &used,
				  err, sizeof(err)), -EINVAL,
	       "an empty second word: refused");
	EQ_INT(amd_split_features("xyz:1", AMD_ORDER_EFR2_EFR, &efr, &efr2,
				  &used, err, sizeof(err)), -EINVAL,
	       "a word that is not hex: refused");
	EQ_INT(amd_split_features("", AMD_ORDER_EFR2_EFR, &efr, &efr2, &used,
				  err, sizeof(err)), -EINVAL, "empty: refused");
	EQ_INT(amd_split_features(NULL, AMD_ORDER_EFR2_EFR, &efr, &efr2, &used,
				  err, sizeof(err)), -EINVAL,
	       "missing: refused");
	EQ_STR(err, "features is missing", "missing: says so");
}

static void test_amd_qemu(void)
{
	enum amd_features_order used;
	struct amd_info a;
	char err[160];

	OK(!amd_decode_str(QEMU_AMD_CAP, QEMU_AMD_FEATURES,
			   amd_order_for_release("6.1.0-57-amd64"), &a, &used,
			   err, sizeof(err)), "QEMU amd-iommu: decodes");
	OK(a.reg[AMD_EFR] == 0x29d3 && a.reg[AMD_EFR2] == 0,
	   "QEMU amd-iommu: EFR 0x29d3, EFR2 0 (as the kernel logs them)");
	OK(amd_has(&a, "PREFETCH") && amd_has(&a, "PPR") && amd_has(&a, "GT") &&
	   amd_has(&a, "IA") && amd_has(&a, "GA") && amd_has(&a, "HE"),
	   "QEMU amd-iommu: PreF PPR GT IA GA HE, as the kernel logs");
	OK(!amd_has(&a, "X2APIC") && !amd_has(&a, "NX") && !amd_has(&a, "PC") &&
	   !amd_has(&a, "GIOSUP") && !amd_has(&a, "SNP"),
	   "QEMU amd-iommu: no X2APIC, NX, PC, GIOSUP, SNP");
	OK(amd_has(&a, "EFRSup") && amd_has(&a, "IOTLBSup") &&
	   amd_has(&a, "NpCache") && amd_has(&a, "CapExt"),
	   "QEMU amd-iommu cap: EFRSup IOTLBSup NpCache CapExt");
	EQ_INT(a.pasid_bits, 1, "QEMU amd-iommu: PASMAX 0 is 1 PASID bit");
	EQ_INT(a.hats, 2, "QEMU amd-iommu: HATS 2");
	EQ_INT(a.address_width, 64, "HATS 2: 6-level host tables, 64 bits");
	EQ_INT(a.gats, 2, "QEMU amd-iommu: GATS 2");
	EQ_INT(a.guest_address_width, 0, "GATS 2 is reserved: width unknown");
	OK(a.pasid.usable && a.nesting.usable,
	   "QEMU amd-iommu: PASID and nesting usable (GT set)");

	amd_decode(0x0003000f, 0, 0, &a);
	OK(!a.pasid.usable && !a.nesting.usable,
	   "no EFR support: neither usable");
	EQ_STR(a.pasid.reason,
	       "CAP.EFRSup (bit 27) and EFR.GT (bit 4) are clear",
	       "no EFR support: names CAP.EFRSup and EFR.GT");
	amd_decode(0x1f03000f, 0x29c3ULL | 0x1fULL << 32, 0, &a);
	EQ_STR(a.nesting.reason, "EFR.GT (bit 4) is clear",
	       "GT clear: nesting names EFR.GT");
	EQ_INT(a.pasid_bits, 32, "PASMAX 31 is 32 bits");
	EQ_INT(a.address_width, 64, "HATS read from bits 11:10");

	EQ_INT(amd_decode_str("1f03000f0", QEMU_AMD_FEATURES,
			      AMD_ORDER_EFR2_EFR, &a, &used, err, sizeof(err)),
	       -EINVAL, "a cap wider than 32 bits: refused");
	EQ_STR(err, "cap '1f03000f0' is wider than 32 bits",
	       "a cap wider than 32 bits: says so");
	EQ_INT(amd_decode_str("nope", QEMU_AMD_FEATURES, AMD_ORDER_EFR2_EFR,
			      &a, &used, err, sizeof(err)), -EINVAL,
	       "a malformed cap: refused");
	EQ_INT(amd_decode_str(QEMU_AMD_CAP, "0:29g3", AMD_ORDER_EFR2_EFR, &a,
			      &used, err, sizeof(err)), -EINVAL,
	       "malformed features: refused");
	EQ_STR(err, "features '0:29g3' is not one or two hexadecimal numbers",
	       "malformed features: says so");
}

/* --- a made-up sysfs ------------------------------------------------------ */

static char root[64];

static void put(const char *rel, const char *text)
{
	char path[512], *p;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	for (p = path + strlen(root) + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		mkdir(path, 0755);
		*p = '/';
	}
	f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

/* The value at "a.0.b"; *@found tells a JSON null from an absent key */
static json_object *lookup(json_object *o, const char *path, bool *found)
{
	char buf[256], *save = NULL;

	*found = true;
	snprintf(buf, sizeof(buf), "%s", path);
	for (char *k = strtok_r(buf, ".", &save); k;
	     k = strtok_r(NULL, ".", &save)) {
		json_object *next = NULL;

		if (!o) {
			*found = false;
			return NULL;
		}
		if (json_object_is_type(o, json_type_array))
			next = json_object_array_get_idx(o, (size_t)atoi(k));
		else if (!json_object_object_get_ex(o, k, &next))
			*found = false;
		o = next;
	}
	return o;
}

static json_object *get(json_object *o, const char *path)
{
	bool found;

	return lookup(o, path, &found);
}

static const char *str(json_object *o, const char *path)
{
	bool found;
	json_object *v = lookup(o, path, &found);

	if (!found)
		return "(absent)";
	return v ? json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN)
		 : "null";
}

static void test_sysfs(void)
{
	json_object *units, *u;
	char buf[256];

	snprintf(root, sizeof(root), "/tmp/iommu_test.XXXXXX");
	if (!mkdtemp(root)) {
		OK(0, "a temporary directory");
		return;
	}
	units = iommu_units_json(root, "6.1.0");
	EQ_STR(json_object_to_json_string_ext(units, JSON_C_TO_STRING_PLAIN),
	       "[]",
	       "no /sys/class/iommu: an empty list");
	json_object_put(units);

	put("class/iommu/dmar0/intel-iommu/cap", QEMU_CAP "\n");
	put("class/iommu/dmar0/intel-iommu/ecap", QEMU_ECAP_SM_PASID "\n");
	put("class/iommu/dmar0/intel-iommu/version", "1:0\n");
	put("class/iommu/dmar0/intel-iommu/address", "fed90000\n");
	put("class/iommu/dmar0/intel-iommu/domains_used", "3\n");
	put("class/iommu/dmar10/intel-iommu/cap", SPR_CAP "\n");
	put("class/iommu/dmar10/intel-iommu/ecap", SPR_ECAP "\n");
	put("class/iommu/dmar2/intel-iommu/cap", QEMU_CAP "\n");
	put("class/iommu/dmar2/intel-iommu/ecap", "not-hex\n");
	put("class/iommu/ivhd0/amd-iommu/cap", QEMU_AMD_CAP "\n");
	put("class/iommu/ivhd0/amd-iommu/features", QEMU_AMD_FEATURES "\n");
	put("class/iommu/smmu0/uevent", "\n");

	units = iommu_units_json(root, "6.1.0-57-amd64");
	EQ_INT(json_object_array_length(units), 5, "five units");
	snprintf(buf, sizeof(buf), "%s %s %s %s %s", str(units, "0.name"),
		 str(units, "1.name"), str(units, "2.name"),
		 str(units, "3.name"), str(units, "4.name"));
	EQ_STR(buf, "\"dmar0\" \"dmar2\" \"dmar10\" \"ivhd0\" \"smmu0\"",
	       "units in natural name order");

	u = json_object_array_get_idx(units, 0);
	EQ_STR(str(u, "type"), "\"intel-vtd\"", "dmar0 is VT-d");
	EQ_STR(str(u, "version"), "\"1:0\"", "dmar0: version");
	EQ_STR(str(u, "address"), "\"fed90000\"", "dmar0: address");
	EQ_STR(str(u, "registers"),
	       "{\"cap\":\"d2008c222f0686\",\"ecap\":\"490080f00f4a\"}",
	       "dmar0: registers as sysfs shows them");
	EQ_STR(str(u, "bits.ecap"),
	       "[\"QI\",\"IR\",\"PT\",\"SRS\",\"PASID\",\"SMTS\",\"SLTS\"]",
	       "dmar0: ECAP bits set, as a list");
	EQ_STR(str(u, "bits.cap"), "[\"CM\",\"PSI\",\"DWD\",\"DRD\"]",
	       "dmar0: CAP bits set, as a list");
	EQ_STR(str(u, "address_width"), "48", "dmar0: address width");
	EQ_STR(str(u, "pasid_bits"), "1", "dmar0: PASID bits");
	EQ_STR(str(u, "sagaw"), "[39,48]", "dmar0: SAGAW widths");
	EQ_STR(str(u, "domains"), "65536", "dmar0: domains");
	EQ_STR(str(u, "domains_used"), "3", "dmar0: domains used");
	EQ_STR(str(u, "pasid"),
	       "{\"usable\":true,\"missing\":[],\"reason\":null}",
	       "dmar0: PASID usable");
	EQ_STR(str(u, "nesting"),
	       "{\"usable\":false,\"missing\":[\"ECAP.NEST\",\"ECAP.FLTS\"],"
	       "\"reason\":\"ECAP.NEST (bit 26) and ECAP.FLTS (bit 47) are clear\"}",
	       "dmar0: nesting not usable, NEST and FLTS missing");
	OK(strstr(str(u, "notes"), "ECAP.PRS (bit 29) is clear") &&
	   strstr(str(u, "notes"), "1-bit PASIDs") &&
	   strstr(str(u, "notes"), "CAP.CM (bit 7) is set"),
	   "dmar0: notes on PRS, the PASID width and caching mode");
	EQ_STR(str(u, "error"), "null", "dmar0: no error");
	EQ_STR(iommu_verdict_text(get(u, "pasid"), buf, sizeof(buf)), "yes",
	       "verdict text: yes");
	EQ_STR(iommu_verdict_text(get(u, "nesting"), buf, sizeof(buf)),
	       "no \xe2\x80\x94 ECAP.NEST (bit 26) and ECAP.FLTS (bit 47) are clear",
	       "verdict text: no, with the reason");
	EQ_STR(iommu_verdict_text(NULL, buf, sizeof(buf)), "unknown",
	       "verdict text of nothing: unknown");

	u = json_object_array_get_idx(units, 1);
	EQ_STR(str(u, "error"),
	       "\"ecap 'not-hex' is not a hexadecimal number\"",
	       "dmar2 (malformed ecap): the error");
	EQ_STR(str(u, "pasid.usable"), "false", "dmar2: PASID not usable");
	EQ_STR(str(u, "pasid.reason"),
	       "\"the registers cannot be decoded: ecap 'not-hex' is not a hexadecimal number\"",
	       "dmar2: the reason says why");
	EQ_STR(str(u, "version"), "null", "dmar2: no version file: null");

	u = json_object_array_get_idx(units, 2);
	EQ_STR(str(u, "pasid.reason"), "\"ECAP.PASID (bit 40) is clear\"",
	       "dmar10 (Sapphire Rapids): PASID clear");
	EQ_STR(str(u, "pasid_bits"), "20", "dmar10: 20 PASID bits");

	u = json_object_array_get_idx(units, 3);
	EQ_STR(str(u, "type"), "\"amd-vi\"", "ivhd0 is AMD-Vi");
	EQ_STR(str(u, "registers"),
	       "{\"cap\":\"1f03000f\",\"features\":\"0:29d3\",\"efr\":\"29d3\",\"efr2\":\"0\"}",
	       "ivhd0: registers, with EFR and EFR2 told apart");
	EQ_STR(str(u, "features_order"), "\"efr2:efr\"",
	       "ivhd0: the order applied");
	EQ_STR(str(u, "bits.efr"),
	       "[\"PREFETCH\",\"PPR\",\"GT\",\"IA\",\"GA\",\"HE\"]",
	       "ivhd0: EFR bits");
	EQ_STR(str(u, "bits.cap"),
	       "[\"IOTLBSup\",\"HtTunnel\",\"NpCache\",\"EFRSup\",\"CapExt\"]",
	       "ivhd0: CAP bits");
	EQ_STR(str(u, "pasid.usable"), "true", "ivhd0: PASID usable");
	EQ_STR(str(u, "nesting.usable"), "true", "ivhd0: nesting usable");
	EQ_STR(str(u, "pasid_bits"), "1", "ivhd0: 1 PASID bit");
	snprintf(buf, sizeof(buf), "%s %s %s %s %s", str(u, "address_width"),
		 str(u, "guest_address_width"), str(u, "hats"), str(u, "gats"),
		 str(u, "glx"));
	EQ_STR(buf, "64 null 2 2 0",
	       "ivhd0: widths from HATS and GATS, and the raw fields");

	u = json_object_array_get_idx(units, 4);
	EQ_STR(str(u, "type"), "\"unknown\"", "smmu0: not decoded");
	EQ_STR(str(u, "pasid.usable"), "false", "smmu0: PASID not usable");
	OK(strstr(str(u, "pasid.reason"), "no decoder"),
	   "smmu0: the reason says there is no decoder");
	json_object_put(units);

	u = iommu_unit_json(root, "ivhd0", "6.8.0");
	EQ_STR(str(u, "registers.efr"), "\"29d3\"",
	       "ivhd0 on a 6.8 release: 0:29d3 still gives EFR 29d3");
	json_object_put(u);

	snprintf(buf, sizeof(buf), "rm -rf '%s'", root);
	if (system(buf))
		printf("# could not remove %s\n", root);
}

int main(void)
{
	test_parse_hex();
	test_vtd_qemu();
	test_vtd_spr();
	test_vtd_edges();
	test_amd_order();
	test_amd_split();
	test_amd_qemu();
	test_sysfs();
	return unit_done();
}
