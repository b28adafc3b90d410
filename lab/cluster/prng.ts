/** The lab's seeded PRNG is the core's own, so a seed means the same thing on both sides. */
export { mulberry32 } from '../../src/protocol/prng.js';
