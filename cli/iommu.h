/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vfiopasidctl - decoders of the host IOMMU units' registers
 *
 * Copyright (C) 2026 The vfio-pasid authors
 *
 * Plain functions, unit-tested on the host (tests/unit/iommu_test.c):
 *
 *  - Intel VT-d: the cap and ecap registers as the kernel shows them in
 *    /sys/class/iommu/dmarN/intel-iommu/{cap,ecap} (hex, no 0x);
 *  - AMD-Vi: the PCI capability header (/sys/class/iommu/ivhdN/amd-iommu/cap)
 *    and the extended feature registers (.../features), which kernels print
 *    in three formats (see amd_split_features()).
 *
 * Each decoder names the bits that are set, derives the sizes (address
 * width, PASID width, domains) and gives two verdicts, PASID usable and
 * nesting usable, each with the bits that are missing, in words:
 * "ECAP.PASID (bit 40) is clear".
 *
 * VT-d: PASID needs ECAP.SMTS (scalable mode) and ECAP.PASID; nesting
 * (vSVA: guest first-level tables over host second-level tables) needs
 * what PASID needs plus ECAP.NEST, ECAP.FLTS and ECAP.SLTS.
 * AMD-Vi: PASID-tagged translation exists only through guest translation,
 * so both PASID and nesting need EFR.GT (and CAP.EFRSup, without which
 * there is no EFR); PASMAX gives the PASID width.  Page requests (VT-d
 * PRS, AMD PPR) and supervisor requests (VT-d SRS) are not needed for
 * either verdict; their absence is reported as a note.
 */
#ifndef VFIOPASIDCTL_IOMMU_H
#define VFIOPASIDCTL_IOMMU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json.h>

enum iommu_type {
	IOMMU_TYPE_UNKNOWN,
	IOMMU_TYPE_VTD,		/* "intel-vtd" */
	IOMMU_TYPE_AMD,		/* "amd-vi" */
};

const char *iommu_type_name(enum iommu_type type);

/*
 * A register as sysfs prints it: hexadecimal, an optional 0x, optional
 * blanks and newline around it; at most 16 digits.  0 or -EINVAL.
 */
int iommu_parse_hex(const char *s, uint64_t *out);

/* One verdict: usable, or the bits that are missing */
#define IOMMU_MAX_MISSING 8
struct iommu_verdict {
	bool		usable;
	unsigned int	nmissing;
	const char	*missing[IOMMU_MAX_MISSING];	/* "ECAP.PASID" */
	unsigned int	missing_bit[IOMMU_MAX_MISSING];
	char		reason[256];	/* "" when usable */
};

/* A named single-bit flag of one register */
struct iommu_flag {
	const char	*name;		/* "PASID" */
	unsigned int	reg;		/* index into the decoder's registers */
	unsigned int	bit;
	const char	*meaning;	/* "PASID support" */
};

/* --- Intel VT-d ------------------------------------------------------------ */

enum { VTD_CAP, VTD_ECAP, VTD_NREGS };

struct vtd_info {
	uint64_t	reg[VTD_NREGS];
	unsigned int	address_width;	/* CAP.MGAW + 1 */
	unsigned int	sagaw;		/* CAP.SAGAW, raw bits */
	uint64_t	domains;	/* 1 << (4 + 2 * CAP.ND) */
	unsigned int	pasid_bits;	/* ECAP.PSS + 1 */
	struct iommu_verdict pasid, nesting;
};

extern const struct iommu_flag vtd_flags[];

/* The register names of messages: "CAP", "ECAP" */
extern const char *const vtd_reg_names[VTD_NREGS];

/* Decode the two registers (never fails) */
void vtd_decode(uint64_t cap, uint64_t ecap, struct vtd_info *out);

/*
 * Parse the two sysfs strings and decode them.  0, or -EINVAL with @err
 * saying which one is malformed ("ecap 'zz' is not a hexadecimal number").
 */
int vtd_decode_str(const char *cap, const char *ecap, struct vtd_info *out,
		   char *err, size_t errlen);

/* Is the flag named @name (of vtd_flags) set? false for unknown names */
bool vtd_has(const struct vtd_info *v, const char *name);

/* The widths SAGAW allows, in bits (30, 39, 48, 57); returns the count */
unsigned int vtd_sagaw_widths(unsigned int sagaw, unsigned int *widths,
			      unsigned int max);

/* --- AMD-Vi ---------------------------------------------------------------- */

enum { AMD_CAP, AMD_EFR, AMD_EFR2, AMD_NREGS };

/* How the "features" file orders its two words */
enum amd_features_order {
	AMD_ORDER_EFR2_EFR,	/* Linux 6.0 to 6.6: "EFR2:EFR" */
	AMD_ORDER_EFR_EFR2,	/* Linux 6.7 and later: "EFR:EFR2" */
	AMD_ORDER_SINGLE,	/* before 6.0: "EFR" alone */
};

const char *amd_order_name(enum amd_features_order order);

/*
 * The order the kernel of release @release ("6.1.0-57-amd64") prints the
 * two words in: EFR2:EFR before 6.7, EFR:EFR2 from 6.7 on.  Unparseable:
 * EFR2:EFR (the target kernel's).
 */
enum amd_features_order amd_order_for_release(const char *release);

/*
 * Split the features string into EFR and EFR2.  One word is the EFR.  Two
 * words are taken in order @order, except that when the word that would
 * be the EFR is zero and the other is not, they are swapped: an IOMMU
 * that shows a features file has a non-zero EFR, while EFR2 is often zero
 * (this also covers kernels that backported the newer order).  *@used
 * receives the order applied.  0, or -EINVAL with @err set.
 */
int amd_split_features(const char *features, enum amd_features_order order,
		       uint64_t *efr, uint64_t *efr2,
		       enum amd_features_order *used, char *err,
		       size_t errlen);

struct amd_info {
	uint64_t	reg[AMD_NREGS];
	unsigned int	pasid_bits;	/* EFR.PASMAX + 1 */
	unsigned int	hats, gats, glx;	/* raw fields */
	unsigned int	address_width;	/* from HATS, 0 when reserved */
	unsigned int	guest_address_width;	/* from GATS, 0 reserved */
	struct iommu_verdict pasid, nesting;
};

extern const struct iommu_flag amd_flags[];
extern const char *const amd_reg_names[AMD_NREGS];

void amd_decode(uint32_t cap, uint64_t efr, uint64_t efr2,
		struct amd_info *out);

/* Parse cap and features (in @order, see amd_split_features) and decode */
int amd_decode_str(const char *cap, const char *features,
		   enum amd_features_order order, struct amd_info *out,
		   enum amd_features_order *used, char *err, size_t errlen);

bool amd_has(const struct amd_info *a, const char *name);

/* --- units in sysfs, as JSON ------------------------------------------------ */

/*
 * One unit, /sys/class/iommu/@name under @sysfs ("/sys"), as the JSON
 * object "caps" prints (see man/vfiopasidctl.8):
 *   {"name","type","registers":{...},"bits":{...},"address_width",
 *    "pasid_bits",...,"pasid":{"usable","missing","reason"},
 *    "nesting":{...},"notes":[...],"error"}
 * A unit whose registers cannot be read or parsed is still an object,
 * with "error" saying why and both verdicts not usable.  @release is the
 * kernel release for the AMD features order (NULL: uname()).
 */
json_object *iommu_unit_json(const char *sysfs, const char *name,
			     const char *release);

/*
 * Every unit of /sys/class/iommu under @sysfs, in natural name order
 * (dmar2 before dmar10); an empty list when there is none.
 */
json_object *iommu_units_json(const char *sysfs, const char *release);

/*
 * The verdict as one line: "yes", or "no — <reason>" (@buf, @len).  @v is
 * the "pasid" or "nesting" object of a unit or group.
 */
const char *iommu_verdict_text(const json_object *v, char *buf, size_t len);

#endif /* VFIOPASIDCTL_IOMMU_H */
