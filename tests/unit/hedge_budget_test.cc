// HedgeBudget: hedges add at most their share of the requests made, plus the burst.

#include <catch2/catch.hpp>

#include "sdk/hedge_budget.h"

using ringkv::sdk::HedgeBudget;

TEST_CASE("a fresh budget allows its burst of hedges and then none until requests earn more") {
  HedgeBudget budget(0.1, 10);
  for (int i = 0; i < 10; ++i) REQUIRE(budget.TrySpend());
  CHECK_FALSE(budget.TrySpend());
  for (int i = 0; i < 9; ++i) budget.OnRequest();
  CHECK_FALSE(budget.TrySpend());  // 0.9 of a hedge
  budget.OnRequest();
  CHECK(budget.TrySpend());
  CHECK_FALSE(budget.TrySpend());
}

TEST_CASE("when every request wants a hedge, hedges stay at the ratio of the requests plus the burst") {
  HedgeBudget budget(0.1, 10);
  int hedges = 0;
  for (int i = 0; i < 10000; ++i) {
    budget.OnRequest();
    if (budget.TrySpend()) ++hedges;
  }
  CHECK(hedges >= 1000);
  CHECK(hedges <= 1010);
}

TEST_CASE("unspent tokens never pile up past the burst") {
  HedgeBudget budget(0.5, 3);
  for (int i = 0; i < 1000; ++i) budget.OnRequest();  // a quiet hour
  int hedges = 0;
  while (budget.TrySpend()) ++hedges;
  CHECK(hedges == 3);
}

TEST_CASE("a ratio of 0 allows only the burst, ever, and with no burst no hedge at all") {
  HedgeBudget budget(0, 1);
  CHECK(budget.TrySpend());
  for (int i = 0; i < 1000; ++i) budget.OnRequest();
  CHECK_FALSE(budget.TrySpend());
  HedgeBudget none(0, 0);
  none.OnRequest();
  CHECK_FALSE(none.TrySpend());
}
