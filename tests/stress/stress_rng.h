/*
 * stress_rng.h - the deterministic random numbers of the stress programs.
 *
 * Every decision of a stress run comes from one of these generators, and every generator is
 * derived from the run's seed and a few stream numbers (the round, the thread, the task), so
 * that `--seed S` replays the same decisions in every thread and task. Only the interleaving
 * of the threads differs from run to run.
 *
 * xoshiro256** (Blackman and Vigna), seeded through splitmix64.
 */
#ifndef STRESS_RNG_H
#define STRESS_RNG_H

#include <stdbool.h>
#include <stdint.h>

typedef struct st_rng {
    uint64_t s[4];
} st_rng;

static inline uint64_t st_splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* One 64-bit value from a seed and two stream numbers: the seed of a derived generator. */
static inline uint64_t st_derive(uint64_t seed, uint64_t a, uint64_t b)
{
    uint64_t x = seed;
    uint64_t h = st_splitmix(&x);
    x = h ^ (a * 0xD6E8FEB86659FD93ull);
    h = st_splitmix(&x);
    x = h ^ (b * 0xA0761D6478BD642Full);
    return st_splitmix(&x);
}

static inline void st_rng_init(st_rng *r, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++)
        r->s[i] = st_splitmix(&x);
}

static inline uint64_t st_rotl(uint64_t v, int k) { return (v << k) | (v >> (64 - k)); }

static inline uint64_t st_next(st_rng *r)
{
    uint64_t *s = r->s;
    uint64_t out = st_rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = st_rotl(s[3], 45);
    return out;
}

/* Uniform in [0, n) (0 when n is 0). The modulo bias is irrelevant here. */
static inline unsigned st_below(st_rng *r, unsigned n)
{
    return n ? (unsigned)(st_next(r) % n) : 0;
}

/* Uniform in [lo, hi]. */
static inline uint64_t st_range(st_rng *r, uint64_t lo, uint64_t hi)
{
    return hi <= lo ? lo : lo + st_next(r) % (hi - lo + 1);
}

/* True with probability pct percent. */
static inline bool st_pct(st_rng *r, unsigned pct) { return st_below(r, 100) < pct; }

#endif
