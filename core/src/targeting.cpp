#include "tailor/targeting.h"

#include <algorithm>
#include <limits>

#include <nlohmann/json.hpp>

#include "tailor/b2b.h"
#include "tailor/civil_date.h"
#include "tailor/expr.h"

namespace tailor {
namespace {

using json = nlohmann::json;

constexpr size_t kTopProfileKeys = 5;  // profile.top_categories / top_brands

void two_digits(std::string& s, unsigned v) {
  s += static_cast<char>('0' + v / 10);
  s += static_cast<char>('0' + v % 10);
}

// {"hour", "minute", "weekday" (ISO: 1 Monday .. 7 Sunday), "date" ("YYYY-MM-DD")}, all UTC.
json time_fields(int64_t now) {
  const int64_t days = now >= 0 ? now / 86400 : (now - 86399) / 86400;
  const int64_t secs = now - days * 86400;
  int64_t y;
  unsigned m, d;
  civil_from_days(days, y, m, d);
  std::string date = std::to_string(y) + "-";
  two_digits(date, m);
  date += '-';
  two_digits(date, d);
  const int64_t wd = ((days % 7) + 7 + 3) % 7 + 1;  // 1970-01-01 was a Thursday (ISO 4)
  return json{{"hour", secs / 3600}, {"minute", (secs % 3600) / 60}, {"weekday", wd}, {"date", std::move(date)}};
}

json string_array(const std::vector<std::string>& v) {
  json a = json::array();
  for (const auto& s : v) a.push_back(s);
  return a;
}

template <class V>
json string_array(const V* v) {
  json a = json::array();
  if (v)
    for (auto* s : *v) a.push_back(std::string(sv(s)));
  return a;
}

// The keys of the `n` heaviest affinities (ties: key order), heaviest first.
json top_keys(const flatbuffers::Vector<flatbuffers::Offset<fb::Affinity>>* v, size_t n) {
  json a = json::array();
  if (!v) return a;
  std::vector<const fb::Affinity*> all(v->begin(), v->end());
  const size_t k = std::min(n, all.size());
  std::partial_sort(all.begin(), all.begin() + k, all.end(), [](const fb::Affinity* x, const fb::Affinity* y) {
    if (x->weight() != y->weight()) return x->weight() > y->weight();
    return sv(x->key()) < sv(y->key());
  });
  for (size_t i = 0; i < k; ++i) a.push_back(std::string(sv(all[i]->key())));
  return a;
}

// Row `row` of a typed attribute column as condition data: a number, a string or an array of
// strings; null when the record has no value (NaN number, missing code).
json attribute_json(const fb::Attribute& at, uint32_t row) {
  switch (at.type()) {
    case fb::AttributeType::Number: {
      const float v = at.numbers() ? at.numbers()->Get(row) : std::numeric_limits<float>::quiet_NaN();
      return v == v ? json(static_cast<double>(v)) : json(nullptr);
    }
    case fb::AttributeType::Categorical: {
      const uint32_t code = at.codes() ? at.codes()->Get(row) : kMissingCode;
      return code == kMissingCode ? json(nullptr) : json(std::string(sv(at.dict()->Get(code))));
    }
    case fb::AttributeType::TagSet: {
      json out = json::array();
      for (uint32_t k = at.offsets()->Get(row), e = at.offsets()->Get(row + 1); k < e; ++k)
        out.push_back(std::string(sv(at.dict()->Get(at.tags()->Get(k)))));
      return out;
    }
  }
  return json(nullptr);
}

// The profile's value of declared trait `at` as condition data (traits are sorted by name).
json trait_json(const fb::Attribute& at, const flatbuffers::Vector<flatbuffers::Offset<fb::Trait>>* traits) {
  if (!traits) return json(nullptr);
  const std::string_view name = sv(at.name());
  uint32_t lo = 0, hi = traits->size();
  while (lo < hi) {
    const uint32_t mid = lo + (hi - lo) / 2;
    if (sv(traits->Get(mid)->name()) < name) lo = mid + 1;
    else hi = mid;
  }
  if (lo == traits->size() || sv(traits->Get(lo)->name()) != name) return json(nullptr);
  const fb::Trait& t = *traits->Get(lo);
  switch (at.type()) {
    case fb::AttributeType::Number: {
      const float v = t.number();
      return v == v && !t.text() && !t.tags() ? json(static_cast<double>(v)) : json(nullptr);
    }
    case fb::AttributeType::Categorical: return t.text() ? json(std::string(sv(t.text()))) : json(nullptr);
    case fb::AttributeType::TagSet: return t.tags() ? string_array(t.tags()) : json(nullptr);
  }
  return json(nullptr);
}

}  // namespace

const char* condition_of_name(ConditionOf of) {
  switch (of) {
    case ConditionOf::kSegment: return "segment";
    case ConditionOf::kRule: return "rule";
    case ConditionOf::kSlot: return "slot";
    case ConditionOf::kExperiment: return "experiment";
    case ConditionOf::kPolicy: return "policy";
    case ConditionOf::kCount: break;
  }
  return "condition";
}

Targeting::Targeting() = default;
Targeting::~Targeting() = default;
Targeting::Targeting(Targeting&&) noexcept = default;
Targeting& Targeting::operator=(Targeting&&) noexcept = default;

Status Targeting::init(const Snapshot& snap, const Request& req, const Profile* profile, int64_t now, Arena& arena,
                       const TargetingLimits& limits) {
  snap_ = &snap;
  req_ = &req;
  profile_ = profile;
  now_ = now;
  limits_ = limits;
  steps_left_ = limits.max_steps_per_request;
  data_.reset();
  errors_.clear();
  const fb::Snapshot& root = snap.root();
  auto count = [](const auto* v) -> uint32_t { return v ? v->size() : 0; };
  const uint32_t counts[] = {count(root.segments()), count(root.rules()), count(root.slots()),
                             count(root.experiments()), count(root.policies())};
  for (int k = 0; k < static_cast<int>(ConditionOf::kCount); ++k) cache_[k] = arena.zeroed<uint8_t>(counts[k]);

  const auto* segs = root.segments();
  const uint32_t n = counts[0];
  member_ = arena.zeroed<uint8_t>(n);
  for (uint32_t s = 0; s < n; ++s) {
    std::string_view id = sv(segs->Get(s)->id());
    for (const std::string& listed : req.segments)
      if (listed == id) { member_[s] = 1; break; }
  }
  // Conditions in snapshot order: each sees the listed segments and the earlier segments whose
  // condition held (the build refuses references to itself or to later conditional segments).
  for (uint32_t s = 0; s < n; ++s) {
    if (member_[s]) continue;
    const auto* cond = segs->Get(s)->condition();
    if (!cond || cond->size() == 0) continue;
    if (condition_true(ConditionOf::kSegment, static_cast<int32_t>(s), cond)) {
      member_[s] = 1;
      if (data_) {
        json a = json::array();
        for (uint32_t g = 0; g < n; ++g)
          if (member_[g]) a.push_back(std::string(sv(segs->Get(g)->id())));
        (*data_)["segments"] = std::move(a);
      }
    }
  }
  return Status::Ok();
}

const json& Targeting::data() {
  if (!data_) build_data();
  return *data_;
}

void Targeting::build_data() {
  const fb::Snapshot& root = snap_->root();
  const Request& req = *req_;
  json d = json::object();
  d["now"] = now_;
  d["time"] = time_fields(now_);
  json user = json::object();
  std::string user_id;
  if (req.data && req.data->is_object())
    if (auto u = req.data->find("user"); u != req.data->end() && u->is_object())
      if (auto id = u->find("id"); id != u->end() && id->is_string()) user_id = id->get<std::string>();
  user["known"] = !user_id.empty();
  if (!user_id.empty()) user["id"] = user_id;
  d["user"] = std::move(user);
  if (!req.site.empty()) d["site"] = req.site;
  if (!req.country.empty()) d["country"] = req.country;
  if (!req.region.empty()) d["region"] = req.region;
  if (req.age >= 0) d["age"] = req.age;
  d["licences"] = string_array(req.licences);
  // The purposes granted now: the request's list, else the (consented) profile's record.
  if (req.has_consent) d["consent"] = string_array(req.consent);
  else if (profile_) d["consent"] = string_array(profile_->root().consent());
  else d["consent"] = json::array();
  json segs = json::array();
  for (uint32_t g = 0; g < member_.size(); ++g)
    if (member_[g]) segs.push_back(std::string(sv(root.segments()->Get(g)->id())));
  d["segments"] = std::move(segs);
  if (!req.account.empty()) {
    json acct = json::object();
    acct["id"] = req.account;
    json anc = json::array();
    int32_t a = find_account(root, req.account);
    acct["known"] = a >= 0;
    if (a >= 0) {
      // Parents are in range, acyclic and depth-capped (validate_b2b).
      for (int32_t p = root.accounts()->Get(a)->parent(); p >= 0; p = root.accounts()->Get(p)->parent())
        anc.push_back(std::string(sv(root.accounts()->Get(p)->id())));
      // Tenant-declared account attributes (docs/config.md#custom-attributes) as account.<name>;
      // the build refuses names that would shadow id/known/ancestors.
      if (const auto* attrs = root.account_attributes())
        for (const fb::Attribute* at : *attrs) acct[std::string(sv(at->name()))] = attribute_json(*at, static_cast<uint32_t>(a));
    }
    acct["ancestors"] = std::move(anc);
    d["account"] = std::move(acct);
  }
  if (req.has_buyer) {
    json b = json::object();
    if (!req.buyer_id.empty()) b["id"] = req.buyer_id;
    if (!req.buyer_role.empty()) b["role"] = req.buyer_role;
    d["buyer"] = std::move(b);
  }
  if (!req.currency.empty()) d["currency"] = req.currency;
  d["quantity"] = req.quantity;
  if (req.data && req.data->is_object())
    if (auto c = req.data->find("context"); c != req.data->end() && c->is_object()) d["context"] = *c;
  if (!d.contains("context")) d["context"] = json::object();
  if (profile_) {
    const fb::Profile& p = profile_->root();
    json pr = json::object();
    pr["top_categories"] = top_keys(p.categories(), kTopProfileKeys);
    pr["top_brands"] = top_keys(p.brands(), kTopProfileKeys);
    pr["segments"] = string_array(p.segments());
    pr["viewed"] = p.recent_viewed() ? p.recent_viewed()->size() : 0;
    pr["bought"] = p.recent_bought() ? p.recent_bought()->size() : 0;
    if (p.updated_at() > 0) pr["updated_at"] = p.updated_at();
    // Tenant-declared traits (docs/profiles.md#traits) as profile.<name>: every declared name is
    // present (null when the visitor has no value, or a value stored under another type).
    if (const auto* attrs = root.profile_attributes())
      for (const fb::Attribute* at : *attrs) pr[std::string(sv(at->name()))] = trait_json(*at, p.traits());
    d["profile"] = std::move(pr);
  }
  data_ = std::make_unique<json>(std::move(d));
}

bool Targeting::condition_true(ConditionOf of, int32_t index, std::span<const uint8_t> program) {
  if (program.empty()) return true;
  const int k = static_cast<int>(of);
  if (k < 0 || k >= static_cast<int>(ConditionOf::kCount) || index < 0 ||
      static_cast<size_t>(index) >= cache_[k].size())
    return evaluate(of, index, program);  // not cacheable: evaluate every time
  uint8_t& c = cache_[k][index];
  if (c == 0) c = evaluate(of, index, program) ? 2 : 1;
  return c == 2;
}

bool Targeting::evaluate(ConditionOf of, int32_t index, std::span<const uint8_t> program) {
  if (!snap_) return false;
  expr::Limits lim;
  lim.max_steps = limits_.max_steps_per_condition;
  auto r = expr::evaluate(program, data(), lim, &steps_left_);
  if (!r.ok()) {
    errors_.push_back(ConditionError{of, index, r.status().message()});
    return false;
  }
  return expr::truthy(r.value());
}

void Targeting::write_errors(JsonWriter& w) const {
  if (errors_.empty()) return;
  const fb::Snapshot& root = snap_->root();
  w.key("condition_errors");
  w.begin_array();
  for (const ConditionError& e : errors_) {
    std::string_view id;
    auto name_of = [&](const auto* v) {
      if (v && e.index >= 0 && static_cast<uint32_t>(e.index) < v->size()) id = sv(v->Get(e.index)->id());
    };
    switch (e.of) {
      case ConditionOf::kSegment: name_of(root.segments()); break;
      case ConditionOf::kRule: name_of(root.rules()); break;
      case ConditionOf::kSlot: name_of(root.slots()); break;
      case ConditionOf::kExperiment: name_of(root.experiments()); break;
      case ConditionOf::kPolicy: name_of(root.policies()); break;
      case ConditionOf::kCount: break;
    }
    w.begin_object();
    w.key("of"); w.string(condition_of_name(e.of));
    w.key("id"); w.string(id);
    w.key("error"); w.string(e.message);
    w.end_object();
  }
  w.end_array();
}

}  // namespace tailor
