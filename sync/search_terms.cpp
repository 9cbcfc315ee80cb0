#include "search_terms.h"

#include <algorithm>

namespace tailor::sync {

std::vector<std::string> search_words(std::string_view text) {
  std::vector<std::string> out;
  std::string w;
  auto flush = [&] {
    if (w.size() > 3 && w.back() == 's') w.pop_back();
    if (!w.empty()) out.push_back(w);
    w.clear();
  };
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    if (c >= 'A' && c <= 'Z') w.push_back(static_cast<char>(c - 'A' + 'a'));
    else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c >= 0x80) w.push_back(ch);
    else flush();
  }
  flush();
  return out;
}

void SearchMatcher::Index::add(std::string_view text, int32_t index) {
  std::vector<std::string> words = search_words(text);
  std::sort(words.begin(), words.end());
  words.erase(std::unique(words.begin(), words.end()), words.end());
  if (words.empty()) return;
  by_first[words[0]].push_back(static_cast<uint32_t>(entries.size()));
  entries.push_back({std::move(words), index});
}

void SearchMatcher::Index::match(const std::vector<std::string>& query, std::vector<int32_t>& out) const {
  // (words matched, index): an entry's name and id may both match; the longer counts.
  std::vector<std::pair<size_t, int32_t>> hits;
  for (const std::string& first : query) {
    auto it = by_first.find(first);
    if (it == by_first.end()) continue;
    for (uint32_t e : it->second) {
      const Entry& entry = entries[e];
      bool all = true;
      for (size_t k = 1; k < entry.words.size() && all; ++k)
        all = std::binary_search(query.begin(), query.end(), entry.words[k]);
      if (all) hits.push_back({entry.words.size(), entry.index});
    }
  }
  std::sort(hits.begin(), hits.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second < b.second : a.first > b.first;
  });
  hits.erase(std::unique(hits.begin(), hits.end(), [](const auto& a, const auto& b) { return a.second == b.second; }),
             hits.end());
  if (hits.size() > kMaxMatches) {
    std::stable_sort(hits.begin(), hits.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    hits.resize(kMaxMatches);
  }
  for (auto& h : hits) out.push_back(h.second);
  std::sort(out.begin(), out.end());
}

SearchMatcher::SearchMatcher(const Snapshot& snap) {
  const fb::Snapshot& root = snap.root();
  if (const auto* cats = root.categories())
    for (uint32_t i = 0; i < cats->size(); ++i) {
      const fb::Category* c = cats->Get(i);
      if (c->name()) categories_.add(sv(c->name()), static_cast<int32_t>(i));
      categories_.add(sv(c->id()), static_cast<int32_t>(i));
    }
  if (const auto* brands = root.brands())
    for (uint32_t i = 0; i < brands->size(); ++i) {
      const fb::Brand* b = brands->Get(i);
      if (b->name()) brands_.add(sv(b->name()), static_cast<int32_t>(i));
      brands_.add(sv(b->id()), static_cast<int32_t>(i));
    }
}

void SearchMatcher::match(std::string_view query, std::vector<int32_t>& categories, std::vector<int32_t>& brands) const {
  categories.clear();
  brands.clear();
  std::vector<std::string> words = search_words(query);
  std::sort(words.begin(), words.end());
  words.erase(std::unique(words.begin(), words.end()), words.end());
  categories_.match(words, categories);
  brands_.match(words, brands);
}

}  // namespace tailor::sync
