// SPDX-License-Identifier: GPL-2.0
/*
 * vfio_pasid - the pool on Linux 6.1: the module's PASIDs in the ioasid
 * allocator (compat-6.1.h selects this file; pool-global.c is 6.12's)
 *
 * Copyright (C) 2026 The vfio-pasid authors
 *
 * 6.1's ioasid allocator logs two error lines, without a rate limit, for
 * every allocation it refuses.  So that no request of a VM can make it
 * write to the kernel log, the module asks it only for a PASID it has seen
 * free, and answers a range it knows is full itself.
 *
 * A bitmap of [pasid_min, pasid_max] has the bit of every PASID a VM of
 * ours holds or is being given: a VM claims a PASID by setting its bit
 * (one atomic operation, so no other VM of ours asks for the same one) and
 * asks the allocator for exactly that PASID.  A PASID goes back to the
 * allocator before its bit is cleared.  A range without a clear bit is
 * full: -ENOSPC, and the allocator is not asked.
 *
 * Other users of the allocator (host SVA) take PASIDs the module does not
 * see.  When the allocator refuses a claimed PASID (and logs it), the bit
 * stays set and the PASID is marked as another user's in a third bitmap,
 * so that nobody asks for it again.  Before a range is answered as full,
 * its marked PASIDs are checked (ioasid_find()) and those that are free
 * again are cleared.  So the allocator logs at most once for each PASID
 * another user takes, whatever the VMs ask, and a request that finds its
 * range full never reaches it.
 *
 * A second bitmap, one bit per word of the first, marks the words that are
 * all ones, so that a search skips a word of held PASIDs at a time.  It is
 * a hint: a claim and a release in the same word at once may leave a word
 * marked that is not full, so a search that finds nothing through it scans
 * the range bit by bit before it answers that the range is full.
 *
 * The bitmaps are only changed with atomic bit operations: no lock.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include "vfio_pasid.h"

#ifdef VP_COMPAT_POOL_IOASID

#include <linux/bitmap.h>
#include <linux/ioasid.h>
#include <linux/mm.h>
#include <linux/sched.h>

static DECLARE_IOASID_SET(vp_ioasid_set);

/* bit n: PASID pasid_min + n is held by a VM of ours, or being given */
static unsigned long *vp_pool_bits;
/* bit n: PASID pasid_min + n is marked as another user's (bit n set too) */
static unsigned long *vp_pool_others;
/* bit w: word w of vp_pool_bits is all ones (a hint) */
static unsigned long *vp_pool_full;
static unsigned long vp_pool_nbits;
static unsigned long vp_pool_nwords;

/* Marked PASIDs checked between two chances to reschedule */
#define VP_POOL_RESCHED	64

int vp_pool_init(void)
{
	unsigned long nfull;

	vp_pool_nbits = vp_pool_size();
	vp_pool_nwords = BITS_TO_LONGS(vp_pool_nbits);
	nfull = BITS_TO_LONGS(vp_pool_nwords);
	/* one allocation for the three */
	vp_pool_bits = vp_fail("pool") ? NULL :
		kvcalloc(2 * vp_pool_nwords + nfull, sizeof(long),
			 GFP_KERNEL);
	if (!vp_pool_bits)
		return -ENOMEM;
	vp_pool_others = vp_pool_bits + vp_pool_nwords;
	vp_pool_full = vp_pool_others + vp_pool_nwords;
	/* the bits past the pool are set: the last word can be full too */
	if (vp_pool_nbits % BITS_PER_LONG)
		vp_pool_bits[vp_pool_nwords - 1] =
			~BITMAP_LAST_WORD_MASK(vp_pool_nbits);
	return 0;
}

void vp_pool_exit(void)
{
	kvfree(vp_pool_bits);
	vp_pool_bits = NULL;
	vp_pool_others = NULL;
	vp_pool_full = NULL;
}

/* The first clear bit in [@lo, @hi], else a value above @hi */
static unsigned long vp_pool_next(unsigned long lo, unsigned long hi,
				  bool hint)
{
	unsigned long w, end, n;

	if (!hint)
		return find_next_zero_bit(vp_pool_bits, hi + 1, lo);
	while (lo <= hi) {
		w = lo / BITS_PER_LONG;
		if (test_bit(w, vp_pool_full)) {
			w = find_next_zero_bit(vp_pool_full, vp_pool_nwords,
					       w + 1);
			if (w >= vp_pool_nwords)
				break;
			lo = w * BITS_PER_LONG;
			continue;
		}
		end = min(hi + 1, (w + 1) * BITS_PER_LONG);
		n = find_next_zero_bit(vp_pool_bits, end, lo);
		if (n < end)
			return n;
		lo = end;
	}
	return hi + 1;
}

/* Claim bit @n: false when a VM of ours has it */
static bool vp_pool_claim(unsigned long n)
{
	unsigned long w = n / BITS_PER_LONG;

	if (test_and_set_bit(n, vp_pool_bits))
		return false;
	/*
	 * A release in the word between the read and the mark leaves the
	 * word marked while not full: only a hint (see the top of the file)
	 */
	if (READ_ONCE(vp_pool_bits[w]) == ~0UL)
		set_bit(w, vp_pool_full);
	return true;
}

static void vp_pool_release(unsigned long n)
{
	unsigned long w = n / BITS_PER_LONG;

	clear_bit(n, vp_pool_bits);
	/* the bit clear before the mark is read: see vp_pool_claim() */
	smp_mb__after_atomic();
	if (test_bit(w, vp_pool_full))
		clear_bit(w, vp_pool_full);
}

/*
 * Clear the marks of the PASIDs in [@lo, @hi] that other users have given
 * back since; whether any was
 */
static bool vp_pool_recheck(unsigned long lo, unsigned long hi)
{
	unsigned long n = lo - 1;
	unsigned int seen = 0;
	bool freed = false;

	for (;;) {
		n = find_next_bit(vp_pool_others, hi + 1, n + 1);
		if (n > hi)
			return freed;
		if (ioasid_find(NULL, vp_pasid_min + n, NULL) ==
		    ERR_PTR(-ENOENT) && test_and_clear_bit(n, vp_pool_others)) {
			vp_pool_release(n);
			freed = true;
		}
		if (!(++seen % VP_POOL_RESCHED))
			cond_resched();
	}
}

/*
 * A PASID in [@min, @max], which must lie in [pasid_min, pasid_max], from
 * the allocator: 0 and *@pasid, or -ENOSPC when none is free.
 */
int vp_pool_alloc(u32 min, u32 max, u32 *pasid)
{
	unsigned long lo = min - vp_pasid_min, hi = max - vp_pasid_min, n;
	bool hint = true, rechecked = false;
	ioasid_t got;

	for (n = lo;; n++) {
		n = vp_pool_next(n, hi, hint);
		if (n > hi) {
			/* nothing through the hint: bit by bit */
			if (hint) {
				hint = false;
			} else if (!rechecked) {
				/* once more if another user gave some back */
				rechecked = true;
				if (!vp_pool_recheck(lo, hi))
					return -ENOSPC;
			} else {
				return -ENOSPC;
			}
			n = lo - 1;
			continue;
		}
		if (!vp_pool_claim(n))
			continue;
		got = ioasid_alloc(&vp_ioasid_set, vp_pasid_min + n,
				   vp_pasid_min + n, NULL);
		if (got == vp_pasid_min + n) {
			*pasid = got;
			return 0;
		}
		if (!pasid_valid(got)) {
			/*
			 * Another user holds it (or the allocator had no
			 * memory): it stays claimed, marked as another user's
			 */
			set_bit(n, vp_pool_others);
			continue;
		}
		vp_pool_release(n);
		/*
		 * A custom allocator (a guest's virtual VT-d) chooses the
		 * PASID itself: it is ours if it is in the range and no VM of
		 * ours has it
		 */
		if (got >= min && got <= max &&
		    vp_pool_claim(got - vp_pasid_min)) {
			*pasid = got;
			return 0;
		}
		ioasid_free(got);
		return -ENOSPC;
	}
}

/* Give back a PASID vp_pool_alloc() gave */
void vp_pool_free(u32 pasid)
{
	ioasid_free(pasid);
	/* only then may a VM of ours claim it again */
	vp_pool_release(pasid - vp_pasid_min);
}

#endif /* VP_COMPAT_POOL_IOASID */
