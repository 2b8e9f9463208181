// expect: accepted
// why: minbpe's structure in plain C++ with other choices throughout: pairs counted in one unordered_map holding an index into a vector kept in first-occurrence order (so a strict > over that vector breaks ties to the earliest first occurrence, as Python's insertion-ordered dict does), overlaps skipped with the end of the last counted occurrence, merges done in place with a read and a write index, encode applying the table once in order (for a valid table the same as lowest rank first: a merge can only create pairs of higher rank), decode through a vocabulary built in merge order
#include "bpe.h"

#include <cstdint>
#include <unordered_map>

namespace kata {
namespace {

std::vector<int64_t> bytes_of(const std::string& text) {
  const auto* p = reinterpret_cast<const uint8_t*>(text.data());
  return std::vector<int64_t>(p, p + text.size());
}

uint64_t key(int64_t a, int64_t b) { return (static_cast<uint64_t>(a) << 32) | static_cast<uint64_t>(b); }

struct Pair {
  int64_t a, b, count;
  size_t end;  // one past the last counted occurrence
};

// In place: every non-overlapping (a, b), left to right, becomes idx.
void merge_in_place(std::vector<int64_t>& ids, int64_t a, int64_t b, int64_t idx) {
  size_t w = 0;
  for (size_t r = 0; r < ids.size();) {
    if (r + 1 < ids.size() && ids[r] == a && ids[r + 1] == b) {
      ids[w++] = idx;
      r += 2;
    } else {
      ids[w++] = ids[r++];
    }
  }
  ids.resize(w);
}

}  // namespace

Merges train_bpe(const std::string& text, int64_t num_merges) {
  std::vector<int64_t> ids = bytes_of(text);
  Merges merges;
  while (static_cast<int64_t>(merges.size()) < num_merges) {
    std::unordered_map<uint64_t, size_t> where;
    std::vector<Pair> pairs;  // in order of first occurrence
    for (size_t j = 0; j + 1 < ids.size(); ++j) {
      auto [it, fresh] = where.emplace(key(ids[j], ids[j + 1]), pairs.size());
      if (fresh) pairs.push_back({ids[j], ids[j + 1], 0, 0});
      Pair& p = pairs[it->second];
      if (j < p.end) continue;  // starts inside the occurrence counted just before
      p.count += 1;
      p.end = j + 2;
    }
    const Pair* best = nullptr;
    for (const Pair& p : pairs)
      if (!best || p.count > best->count) best = &p;
    if (!best || best->count < 2) break;
    const int64_t idx = 256 + static_cast<int64_t>(merges.size());
    merges.emplace_back(best->a, best->b);
    merge_in_place(ids, best->a, best->b, idx);
  }
  return merges;
}

std::vector<int64_t> encode(const std::string& text, const Merges& merges) {
  std::vector<int64_t> ids = bytes_of(text);
  for (size_t i = 0; i < merges.size() && ids.size() >= 2; ++i)
    merge_in_place(ids, std::get<0>(merges[i]), std::get<1>(merges[i]), 256 + static_cast<int64_t>(i));
  return ids;
}

std::string decode(const std::vector<int64_t>& ids, const Merges& merges) {
  std::vector<std::string> vocab;
  for (int b = 0; b < 256; ++b) vocab.emplace_back(1, static_cast<char>(b));
  for (const auto& [a, b] : merges) vocab.push_back(vocab.at(a) + vocab.at(b));
  std::string out;
  for (int64_t id : ids) out += vocab.at(id);
  return out;
}

}  // namespace kata
