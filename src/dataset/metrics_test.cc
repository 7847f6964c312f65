#include "dataset/metrics.h"

#include <gtest/gtest.h>

#include <random>

namespace surrogate::dataset {
namespace {

// Kendall's tau-b by its definition, O(n^2).
double naive_tau_b(const std::vector<double>& x, const std::vector<double>& y) {
  double c = 0, d = 0, tx = 0, ty = 0;
  for (size_t i = 0; i < x.size(); ++i)
    for (size_t j = i + 1; j < x.size(); ++j) {
      double s = (x[i] - x[j]) * (y[i] - y[j]);
      if (s > 0) ++c;
      if (s < 0) ++d;
      if (x[i] == x[j] && y[i] != y[j]) ++tx;
      if (y[i] == y[j] && x[i] != x[j]) ++ty;
    }
  return (c - d) / std::sqrt((c + d + tx) * (c + d + ty));
}

TEST(Metrics, KendallTauMatchesTheDefinitionWithTies) {
  std::mt19937 rng(3);
  std::uniform_int_distribution<int> small(0, 9);  // many ties
  for (int trial = 0; trial < 20; ++trial) {
    std::vector<double> x(200), y(200);
    for (size_t i = 0; i < x.size(); ++i) {
      x[i] = small(rng);
      y[i] = trial % 2 ? small(rng) : x[i] + small(rng) % 3;
    }
    EXPECT_NEAR(kendall_tau_b(x, y), naive_tau_b(x, y), 1e-12) << trial;
  }
  EXPECT_DOUBLE_EQ(kendall_tau_b({1, 2, 3}, {10, 20, 30}), 1.0);
  EXPECT_DOUBLE_EQ(kendall_tau_b({1, 2, 3}, {30, 20, 10}), -1.0);
}

TEST(Metrics, MapeAndPercentiles) {
  ErrorSummary s = summarize_errors({110, 90, 100, 200}, {100, 100, 100, 100});
  EXPECT_DOUBLE_EQ(s.mape, (0.1 + 0.1 + 0 + 1.0) / 4);
  EXPECT_DOUBLE_EQ(s.p50, 0.1);
  EXPECT_DOUBLE_EQ(s.within_5, 0.25);
  EXPECT_DOUBLE_EQ(s.within_10, 0.75);
  EXPECT_EQ(s.blocks, 4u);
  EXPECT_THROW(summarize_errors({1}, {0}), std::invalid_argument);
}

TEST(Metrics, Groups) {
  auto g = summarize_errors_by({110, 100, 50}, {100, 100, 100}, {"a", "b", "a"});
  ASSERT_EQ(g.size(), 2u);
  EXPECT_DOUBLE_EQ(g["a"].mape, 0.3);
  EXPECT_DOUBLE_EQ(g["b"].mape, 0.0);
}

}  // namespace
}  // namespace surrogate::dataset
