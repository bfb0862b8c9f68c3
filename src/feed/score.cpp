#include "feed/score.h"

#include <algorithm>
#include <cmath>

namespace lattice::feed {

namespace {

ScoreWeights sane(const ScoreWeights& w) {
  const ScoreWeights defaults;
  ScoreWeights out = w;
  if (!std::isfinite(out.halfLifeHours) || out.halfLifeHours <= 0) out.halfLifeHours = defaults.halfLifeHours;
  if (!std::isfinite(out.engagementWeight) || out.engagementWeight < 0) out.engagementWeight = defaults.engagementWeight;
  if (!std::isfinite(out.commentWeight) || out.commentWeight < 0) out.commentWeight = defaults.commentWeight;
  return out;
}

}  // namespace

double engagement(const ScoreInput& post, const ScoreWeights& weights) {
  const ScoreWeights w = sane(weights);
  // In doubles: counts near LLONG_MAX stay finite (≈ 9.2e18), never overflow.
  const double reactions = static_cast<double>(std::max(0LL, post.reactions));
  const double comments = static_cast<double>(std::max(0LL, post.comments));
  return reactions + w.commentWeight * comments;
}

double relevance(const ScoreInput& post, UnixMillis now, const ScoreWeights& weights) {
  const ScoreWeights w = sane(weights);
  const double e = engagement(post, w);
  // Difference in doubles: extreme timestamps cannot overflow a 64-bit subtraction.
  const double ageMs = std::max(0.0, static_cast<double>(now) - static_cast<double>(post.publishedAt));
  const double ageHours = ageMs / 3600000.0;
  const double boost = 1.0 + w.engagementWeight * std::log1p(e);
  const double decay = std::exp2(-ageHours / w.halfLifeHours);  // underflows to 0, never NaN
  const double score = boost * decay;
  return std::isfinite(score) ? score : 0.0;
}

}  // namespace lattice::feed
