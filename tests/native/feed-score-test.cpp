// Meadow's relevance score (src/feed/score.h): monotonic in engagement with diminishing gains,
// decay by half-lives, the crossover of a fresh quiet post and an older busy one, and inputs
// that are huge, negative or from the future.
#include <doctest/doctest.h>

#include <climits>
#include <cmath>

#include "feed/score.h"

using lattice::feed::ScoreInput;
using lattice::feed::ScoreWeights;
using lattice::feed::engagement;
using lattice::feed::relevance;

namespace {
constexpr long long kNow = 1795000000000;
constexpr long long kHour = 3600 * 1000;
ScoreInput post(long long ageHours, long long reactions = 0, long long comments = 0) {
  return ScoreInput{kNow - ageHours * kHour, reactions, comments};
}
}  // namespace

TEST_CASE("feed score: a fresh quiet post scores 1; engagement is reactions plus three per comment") {
  CHECK(relevance(post(0), kNow) == doctest::Approx(1.0));
  CHECK(engagement(post(0, 4, 2)) == doctest::Approx(10.0));
  CHECK(relevance(post(0, 4, 2), kNow) == doctest::Approx(1 + 0.5 * std::log(11.0)));
  // A comment weighs as three reactions.
  CHECK(relevance(post(5, 0, 1), kNow) == doctest::Approx(relevance(post(5, 3, 0), kNow)));
}

TEST_CASE("feed score: monotonic in engagement, with diminishing marginal gain") {
  double previous = relevance(post(3, 0), kNow);
  double previousGain = INFINITY;
  for (long long e = 1; e <= 4096; e *= 2) {
    const double s = relevance(post(3, e), kNow);
    CHECK(s > previous);
    // Each doubling of engagement adds less than the one before (gain per point falls).
    const double gainPerPoint = (s - previous) / static_cast<double>(e - e / 2);
    CHECK(gainPerPoint < previousGain);
    previousGain = gainPerPoint;
    previous = s;
  }
  // The first reaction is worth far more than the thousandth.
  const double first = relevance(post(0, 1), kNow) - relevance(post(0, 0), kNow);
  const double thousandth = relevance(post(0, 1000), kNow) - relevance(post(0, 999), kNow);
  CHECK(first > 100 * thousandth);
}

TEST_CASE("feed score: decays with age and halves every half-life") {
  double previous = INFINITY;
  for (long long h = 0; h <= 240; h += 6) {
    const double s = relevance(post(h, 50, 5), kNow);
    CHECK(s < previous);
    CHECK(s > 0);
    previous = s;
  }
  for (long long e : {0LL, 7LL, 1000LL}) {
    const double now = relevance(post(10, e), kNow);
    CHECK(relevance(post(34, e), kNow) == doctest::Approx(now / 2));
    CHECK(relevance(post(58, e), kNow) == doctest::Approx(now / 4));
  }
  ScoreWeights hourly;
  hourly.halfLifeHours = 1;
  CHECK(relevance(post(3), kNow, hourly) == doctest::Approx(0.125));
}

TEST_CASE("feed score: a busy post outranks a brand-new quiet one until about 41 hours old") {
  const double fresh = relevance(post(0), kNow);
  CHECK(relevance(post(24, 100), kNow) > fresh);
  CHECK(relevance(post(40, 100), kNow) > fresh);
  CHECK(relevance(post(42, 100), kNow) < fresh);
  CHECK(relevance(post(72, 100), kNow) < fresh);
  // With E = 10,000 the crossover moves out by less than a day, not by a factor of 100.
  CHECK(relevance(post(59, 10000), kNow) > fresh);
  CHECK(relevance(post(61, 10000), kNow) < fresh);
}

TEST_CASE("feed score: future published_at counts as now; huge, negative and silly inputs stay finite") {
  CHECK(relevance(ScoreInput{kNow + 1000 * kHour, 3, 0}, kNow) == doctest::Approx(relevance(post(0, 3), kNow)));
  CHECK(relevance(ScoreInput{LLONG_MAX, 0, 0}, kNow) == doctest::Approx(1.0));
  CHECK(relevance(post(0, -50, -3), kNow) == doctest::Approx(1.0));
  CHECK(engagement(post(0, -5, -5)) == 0);
  for (const ScoreInput& in : {ScoreInput{0, LLONG_MAX, LLONG_MAX}, ScoreInput{LLONG_MIN, LLONG_MAX, 0},
                               ScoreInput{LLONG_MAX, LLONG_MIN, LLONG_MIN}, ScoreInput{kNow, LLONG_MAX, 0}}) {
    for (long long now : {kNow, 0LL, LLONG_MIN, LLONG_MAX}) {
      const double s = relevance(in, now);
      CHECK(std::isfinite(s));
      CHECK(s >= 0);
    }
  }
  // A very old post decays to (about) nothing, never below zero.
  CHECK(relevance(post(24 * 365 * 50), kNow) == doctest::Approx(0.0));
  // Bad weights fall back to the defaults.
  ScoreWeights bad;
  bad.halfLifeHours = 0;
  bad.engagementWeight = NAN;
  bad.commentWeight = -1;
  CHECK(relevance(post(24, 2, 2), kNow, bad) == doctest::Approx(relevance(post(24, 2, 2), kNow)));
}
