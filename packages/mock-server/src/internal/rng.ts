/** A source of uniform numbers in [0, 1), like `Math.random`. */
export type Rng = () => number;

/**
 * mulberry32: a tiny 32-bit PRNG. Good enough statistically for fault and jitter draws, and (unlike
 * `Math.random`) reproducible from a seed, which is the whole point of a fault-injecting mock.
 */
export function mulberry32(seed: number): Rng {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a 32-bit hash of a string, used to derive per-endpoint and per-request seeds. */
export function hashString(text: string, seed = 0x811c9dc5): number {
  let hash = seed >>> 0;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/** One standard normal draw (Box–Muller), consuming exactly two uniforms so draw counts stay fixed. */
export function standardNormal(rng: Rng): number {
  const u1 = rng();
  const u2 = rng();
  // 1 - u1 is in (0, 1], so the log never sees 0.
  return Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
}

/**
 * A log-normal multiplier with median 1: `exp(sigma * N(0, 1))`. Latencies of real servers are
 * right-skewed; a log-normal keeps them positive and the median where the profile puts it.
 */
export function logNormalMultiplier(rng: Rng, sigma: number): number {
  const z = standardNormal(rng);
  return sigma === 0 ? 1 : Math.exp(sigma * z);
}
