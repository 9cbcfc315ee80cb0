// SearchMatcher: maps a visitor's search query to the categories and brands it names, so search
// events feed category and brand affinities. A category or brand matches when every word of its
// name (or of its id) occurs in the query; words are compared case-insensitively (ASCII) and a
// trailing plural "s" is ignored ("Trail Running Shoes" matches "trail running shoe").
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tailor/snapshot.h"

namespace tailor::sync {

// The words of `text`: lower-cased runs of letters and digits (bytes >= 0x80 count as letters),
// a trailing 's' dropped from words longer than 3 characters.
std::vector<std::string> search_words(std::string_view text);

class SearchMatcher {
 public:
  // At most this many categories (and brands) are credited per query: a vague query such as
  // "new" must not spread weight over the whole taxonomy.
  static constexpr size_t kMaxMatches = 8;

  explicit SearchMatcher(const Snapshot& snapshot);

  // Snapshot indexes of the categories and brands `query` names, ascending; the most specific
  // (longest names) win when more than kMaxMatches match.
  void match(std::string_view query, std::vector<int32_t>& categories, std::vector<int32_t>& brands) const;

 private:
  struct Entry {
    std::vector<std::string> words;  // sorted, unique
    int32_t index;
  };
  struct Index {
    std::vector<Entry> entries;
    std::unordered_map<std::string, std::vector<uint32_t>> by_first;  // entries keyed by words[0]
    void add(std::string_view text, int32_t index);
    void match(const std::vector<std::string>& query_words, std::vector<int32_t>& out) const;
  };
  Index categories_, brands_;
};

}  // namespace tailor::sync
