// Meadow's relevance: how high a post ranks in a reader's feed at a given moment. Pure: the
// post's age and engagement in, a number out; no clock, no IO.
//
//   E     = max(0, reactions) + commentWeight · max(0, comments)
//   age   = max(0, now − published_at) in hours          (a post from the future counts as new)
//   score = (1 + engagementWeight · ln(1 + E)) · 2^(−age / halfLifeHours)
//
// Defaults, and why:
//   halfLifeHours    24   a feed is read about daily: yesterday's post weighs half of today's
//   engagementWeight 0.5  100 engagement points triple a post's weight (1 + 0.5·ln 101 ≈ 3.31),
//                         which is worth about 1.7 days of age (log2 3.31): a post with E = 100
//                         outranks a brand-new quiet post (score 1) until it is ≈ 41 hours old
//   commentWeight    3    a comment costs its writer far more than a click, and says more
// ln(1 + E) gives diminishing returns: the 1,000th reaction adds far less than the first, so a
// viral post cannot pin itself to the top for a week (E = 10,000 is worth ≈ 2.5 days of age,
// not 100 times E = 100's 1.7). Scores are finite and ≥ 0 for every input, huge or negative.
#pragma once

#include "core/time.h"

namespace lattice::feed {

struct ScoreWeights {
  double halfLifeHours = 24;
  double engagementWeight = 0.5;
  double commentWeight = 3;
};

struct ScoreInput {
  UnixMillis publishedAt = 0;
  long long reactions = 0;
  long long comments = 0;
};

// E above: engagement points, never negative.
double engagement(const ScoreInput& post, const ScoreWeights& weights = {});

// The score above. Weights that are not finite, or not positive (half-life) / negative (the
// others), are replaced by their defaults.
double relevance(const ScoreInput& post, UnixMillis now, const ScoreWeights& weights = {});

}  // namespace lattice::feed
