// Zipf(s) over ranks 1..n: P(k) ∝ 1 / k^s. Sampled by binary search in the cumulative table,
// so a draw is O(log n) and exact (no rejection), and the same Rng gives the same ranks.

export class Zipf {
  constructor(n, s) {
    if (!(n >= 1)) throw new Error("zipf: n must be >= 1");
    this.n = n;
    this.s = s;
    this.cdf = new Float64Array(n);
    let sum = 0;
    for (let k = 1; k <= n; k++) {
      sum += 1 / Math.pow(k, s);
      this.cdf[k - 1] = sum;
    }
    for (let i = 0; i < n; i++) this.cdf[i] /= sum;
  }

  // A 0-based rank (0 is the most popular).
  sample(rng) {
    const u = rng.float();
    let lo = 0;
    let hi = this.n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.cdf[mid] > u) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  // Probability mass of the `k` most popular ranks (handy for sanity checks).
  headMass(k) {
    return k <= 0 ? 0 : this.cdf[Math.min(k, this.n) - 1];
  }
}
