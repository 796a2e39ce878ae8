/** A source of uniform numbers in [0, 1); the simulation's only randomness. */
export type Rng = () => number;

/** mulberry32 seeded from a string or number: the same seed gives the same sequence on every run. */
export function seededRng(seed: string | number): Rng {
  let h = 1779033703;
  const text = String(seed);
  for (let i = 0; i < text.length; i++) {
    h = Math.imul(h ^ text.charCodeAt(i), 3432918353);
    h = (h << 13) | (h >>> 19);
  }
  let a = h >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
