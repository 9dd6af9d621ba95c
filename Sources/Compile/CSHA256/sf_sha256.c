/* SHA-256's constants and, on x86-64, its block function on the CPU's SHA extensions
 * (SHA-NI), for FilterCache's SHA256: the round constants are written once, here, and
 * read by the portable Swift rounds too. */
#include "sf_sha256.h"

/* The SHA-256 round constants (FIPS 180-4, 4.2.2). */
const uint32_t sf_sha256_k[64] __attribute__((aligned(16))) = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

const uint32_t *sf_sha256_constants(void)
{
	return sf_sha256_k;
}

#if defined(__x86_64__)
#include <immintrin.h>
#include <sys/platform/x86.h>

bool sf_sha256_blocks_available(void)
{
	return CPU_FEATURE_ACTIVE(SHA) && CPU_FEATURE_ACTIVE(SSSE3) && CPU_FEATURE_ACTIVE(SSE4_1);
}


/* The SHA instructions keep the state as two registers, ABEF and CDGH (A in the
 * highest lane), and run two rounds per sha256rnds2: the first call takes CDGH,
 * ABEF and two message words plus constants, and returns the new ABEF, the old
 * ABEF becoming the new CDGH. sha256msg1 and sha256msg2 extend the message
 * schedule four words at a time. */
__attribute__((target("sha,ssse3,sse4.1")))
void sf_sha256_blocks(uint32_t state[8], const uint8_t *data, size_t blocks)
{
	/* Each 32-bit word of the block is big-endian. */
	const __m128i big_endian = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
	__m128i dcba = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&state[0]), 0xB1); /* B A D C */
	__m128i hgfe = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&state[4]), 0x1B); /* H G F E */
	__m128i abef = _mm_alignr_epi8(dcba, hgfe, 8);  /* F E B A: A highest */
	__m128i cdgh = _mm_blend_epi16(hgfe, dcba, 0xF0); /* H G D C: C highest */
	for (; blocks > 0; blocks--, data += 64) {
		const __m128i abef_before = abef, cdgh_before = cdgh;
		/* w[i % 4] holds message words 4i..4i+3 until words 4(i+4)... replace them. */
		__m128i w[4];
		for (int i = 0; i < 4; i++)
			w[i] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data + 16 * i)), big_endian);
		for (int group = 0; group < 16; group++) {
			if (group >= 4) {
				/* W[t..t+3] from W[t-16..t-13], W[t-12..t-9], W[t-7..t-4] and W[t-4..t-1]. */
				__m128i x = _mm_sha256msg1_epu32(w[group % 4], w[(group + 1) % 4]);
				x = _mm_add_epi32(x, _mm_alignr_epi8(w[(group + 3) % 4], w[(group + 2) % 4], 4));
				w[group % 4] = _mm_sha256msg2_epu32(x, w[(group + 3) % 4]);
			}
			const __m128i wk = _mm_add_epi32(w[group % 4], _mm_load_si128((const __m128i *)&sf_sha256_k[4 * group]));
			cdgh = _mm_sha256rnds2_epu32(cdgh, abef, wk);                        /* now ABEF */
			abef = _mm_sha256rnds2_epu32(abef, cdgh, _mm_shuffle_epi32(wk, 0x0E)); /* now ABEF again */
		}
		abef = _mm_add_epi32(abef, abef_before);
		cdgh = _mm_add_epi32(cdgh, cdgh_before);
	}
	const __m128i abef_ = _mm_shuffle_epi32(abef, 0x1B); /* A B E F, A lowest */
	const __m128i ghcd = _mm_shuffle_epi32(cdgh, 0xB1);  /* G H C D */
	_mm_storeu_si128((__m128i *)&state[0], _mm_blend_epi16(abef_, ghcd, 0xF0)); /* A B C D */
	_mm_storeu_si128((__m128i *)&state[4], _mm_alignr_epi8(ghcd, abef_, 8));     /* E F G H */
}
#else
bool sf_sha256_blocks_available(void)
{
	return false;
}

void sf_sha256_blocks(uint32_t state[8], const uint8_t *data, size_t blocks)
{
	(void)state, (void)data, (void)blocks;
}
#endif
