#ifndef SF_SHA256_H
#define SF_SHA256_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The 64 round constants of SHA-256 (FIPS 180-4, 4.2.2). */
const uint32_t *sf_sha256_constants(void);

/*
 * SHA-256's block function on the CPU's SHA extensions (x86 SHA-NI):
 * sf_sha256_blocks_available() says whether this CPU has them (from what the C library
 * found at start-up: no cpuid here); sf_sha256_blocks() compresses `blocks` 64-byte
 * blocks at `data` into the eight state words, exactly as the portable rounds do.
 */
bool sf_sha256_blocks_available(void);
void sf_sha256_blocks(uint32_t state[8], const uint8_t *data, size_t blocks);

#endif
