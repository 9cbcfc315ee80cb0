#include "tailor/explain.h"

namespace tailor {

const char* term_kind_name(fb::TermKind kind) {
  switch (kind) {
    case fb::TermKind::Attribute: return "attribute";
    case fb::TermKind::CategoryAffinity: return "category_affinity";
    case fb::TermKind::BrandAffinity: return "brand_affinity";
    case fb::TermKind::AttributeAffinity: return "attribute_affinity";
    case fb::TermKind::Embedding: return "embedding";
    case fb::TermKind::Popularity: return "popularity";
    case fb::TermKind::Recency: return "recency";
    case fb::TermKind::Plugin: return "plugin";
  }
  return "unknown";
}

const char* rule_action_name(fb::RuleAction action) {
  switch (action) {
    case fb::RuleAction::Boost: return "boost";
    case fb::RuleAction::Bury: return "bury";
    case fb::RuleAction::Pin: return "pin";
    case fb::RuleAction::Exclude: return "exclude";
  }
  return "unknown";
}

const char* filter_reason_name(FilterReason reason) {
  switch (reason) {
    case FilterReason::kUnknownItem: return "unknown_item";
    case FilterReason::kPolicy: return "policy";
    case FilterReason::kDenyList: return "deny_list";
    case FilterReason::kEntitlement: return "entitlement";
    case FilterReason::kRequestExclude: return "request_exclude";
    case FilterReason::kSiteScope: return "site_scope";
    case FilterReason::kOutOfStock: return "out_of_stock";
    case FilterReason::kAlreadyPurchased: return "already_purchased";
    case FilterReason::kAlreadyViewed: return "already_viewed";
    case FilterReason::kCount: break;
  }
  return "unknown";
}

}  // namespace tailor
