// A small seeded PRNG (sfc32, seeded through splitmix32) and the draws the benchmark needs.
// Deterministic across platforms: only 32-bit integer arithmetic and Math.imul.

function splitmix32(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
}

export class Rng {
  // `seed` is any integer; `stream` derives independent sequences from one seed.
  constructor(seed, stream = 0) {
    const mix = splitmix32((seed >>> 0) ^ Math.imul(stream + 1, 0x27d4eb2d));
    this.a = mix();
    this.b = mix();
    this.c = mix();
    this.d = mix();
    for (let i = 0; i < 12; i++) this.u32();
  }

  u32() {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t;
  }

  // Uniform in [0, 1).
  float() {
    return this.u32() / 4294967296;
  }

  // Uniform integer in [lo, hi] (inclusive).
  int(lo, hi) {
    return lo + Math.floor(this.float() * (hi - lo + 1));
  }

  chance(p) {
    return this.float() < p;
  }

  pick(array) {
    return array[Math.floor(this.float() * array.length)];
  }

  // Standard normal (Box–Muller).
  normal() {
    const u = 1 - this.float(); // (0, 1]
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.float());
  }

  // exp(N(mu, sigma)).
  lognormal(mu, sigma) {
    return Math.exp(mu + sigma * this.normal());
  }

  // Fisher–Yates, in place; returns the array.
  shuffle(array) {
    for (let i = array.length - 1; i > 0; i--) {
      const j = Math.floor(this.float() * (i + 1));
      [array[i], array[j]] = [array[j], array[i]];
    }
    return array;
  }
}
