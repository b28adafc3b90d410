/**
 * mulberry32: a tiny, fast, seeded 32-bit PRNG. Not cryptographic; its only job is that a run
 * replays the same fault decisions from the same seed.
 */

/** Returns a generator of floats in [0, 1) fully determined by `seed` (any integer, taken mod 2^32). */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
