// Names in explanations and `filtered` are API: clients key on them.
#include <doctest/doctest.h>

#include <string>

#include "tailor/explain.h"

using namespace tailor;

TEST_CASE("explain: term kind, rule action and filter reason names") {
  CHECK(std::string(term_kind_name(fb::TermKind::Attribute)) == "attribute");
  CHECK(std::string(term_kind_name(fb::TermKind::CategoryAffinity)) == "category_affinity");
  CHECK(std::string(term_kind_name(fb::TermKind::BrandAffinity)) == "brand_affinity");
  CHECK(std::string(term_kind_name(fb::TermKind::AttributeAffinity)) == "attribute_affinity");
  CHECK(std::string(term_kind_name(fb::TermKind::Embedding)) == "embedding");
  CHECK(std::string(term_kind_name(fb::TermKind::Popularity)) == "popularity");
  CHECK(std::string(term_kind_name(fb::TermKind::Recency)) == "recency");
  CHECK(std::string(term_kind_name(static_cast<fb::TermKind>(42))) == "unknown");

  CHECK(std::string(rule_action_name(fb::RuleAction::Boost)) == "boost");
  CHECK(std::string(rule_action_name(fb::RuleAction::Bury)) == "bury");
  CHECK(std::string(rule_action_name(fb::RuleAction::Pin)) == "pin");
  CHECK(std::string(rule_action_name(fb::RuleAction::Exclude)) == "exclude");
  CHECK(std::string(rule_action_name(static_cast<fb::RuleAction>(9))) == "unknown");

  // Listed in the order the filters apply (docs/api.md).
  const char* expected[] = {"unknown_item",  "policy", "deny_list", "entitlement", "request_exclude", "site_scope",
                            "out_of_stock", "already_purchased", "already_viewed"};
  static_assert(std::size(expected) == static_cast<size_t>(FilterReason::kCount));
  for (int i = 0; i < static_cast<int>(FilterReason::kCount); ++i)
    CHECK(std::string(filter_reason_name(static_cast<FilterReason>(i))) == expected[i]);
  CHECK(std::string(filter_reason_name(FilterReason::kCount)) == "unknown");
}
