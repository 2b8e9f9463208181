// expect: wrong_answer Bpe.TrainEdgeCases
// mistake: text read as a C string (stops at the first NUL byte)
// why: a std::string holds any bytes, NUL included: walking text.c_str() until *p == 0 (or strlen, or a const char* overload) drops the first NUL and everything after it; iterate over the string itself (for (unsigned char c : text), or text.size() bytes from text.data())
#include "bpe.h"

#include <map>

namespace kata {

static std::vector<int64_t> to_ids(const std::string& text) {
  std::vector<int64_t> ids;
  for (const char* p = text.c_str(); *p != '\0'; ++p) ids.push_back(static_cast<unsigned char>(*p));
  return ids;
}

// Replaces the occurrences of pair, left to right, with idx.
static std::vector<int64_t> merge(const std::vector<int64_t>& ids, const Merge& pair, int64_t idx) {
  std::vector<int64_t> out;
  size_t i = 0;
  while (i < ids.size()) {
    if (i + 1 < ids.size() && ids[i] == std::get<0>(pair) && ids[i + 1] == std::get<1>(pair)) {
      out.push_back(idx);
      i += 2;
    } else {
      out.push_back(ids[i]);
      i += 1;
    }
  }
  return out;
}

Merges train_bpe(const std::string& text, int64_t num_merges) {
  std::vector<int64_t> ids = to_ids(text);
  Merges merges;
  for (int64_t m = 0; m < num_merges; ++m) {
    std::map<Merge, int64_t> counts, first;
    Merge prev{-1, -1};
    bool prev_counted = false;
    for (size_t i = 0; i + 1 < ids.size(); ++i) {
      Merge p{ids[i], ids[i + 1]};
      bool overlaps = prev_counted && p == prev;  // (a, a) right after a counted (a, a)
      prev = p;
      prev_counted = !overlaps;
      if (overlaps) continue;
      if (!first.count(p)) first[p] = static_cast<int64_t>(i);
      counts[p] += 1;
    }
    Merge best{-1, -1};
    int64_t best_count = 0;
    for (const auto& [p, c] : counts) {
      if (c > best_count || (c == best_count && first[p] < first[best])) {
        best = p;
        best_count = c;
      }
    }
    if (best_count < 2) break;
    merges.push_back(best);
    ids = merge(ids, best, 256 + m);
  }
  return merges;
}

std::vector<int64_t> encode(const std::string& text, const Merges& merges) {
  std::map<Merge, int64_t> rank;
  for (size_t r = 0; r < merges.size(); ++r) rank[merges[r]] = static_cast<int64_t>(r);
  std::vector<int64_t> ids = to_ids(text);
  while (ids.size() >= 2) {
    int64_t best = -1;
    for (size_t i = 0; i + 1 < ids.size(); ++i) {
      auto it = rank.find(Merge{ids[i], ids[i + 1]});
      if (it != rank.end() && (best == -1 || it->second < best)) best = it->second;
    }
    if (best == -1) break;
    ids = merge(ids, merges[best], 256 + best);
  }
  return ids;
}

static void append_bytes(int64_t id, const Merges& merges, std::string& out) {
  if (id < 256) {
    out += static_cast<char>(id);
    return;
  }
  const auto [a, b] = merges.at(id - 256);
  append_bytes(a, merges, out);
  append_bytes(b, merges, out);
}

std::string decode(const std::vector<int64_t>& ids, const Merges& merges) {
  std::string out;
  for (int64_t id : ids) append_bytes(id, merges, out);
  return out;
}

}  // namespace kata
