// expect: accepted
// why: counts without any overlap bookkeeping per pair: a pair (a, b) with a != b cannot overlap itself, so every position counts, and (a, a) inside a run of L equal tokens counts L / 2 (rounded down); first occurrences from one scan; the winner by std::max_element over (count, -first); encode by the lowest rank present, looked up in a hash map keyed on both ids; decode by recursion down to bytes
#include "bpe.h"

#include <algorithm>
#include <map>
#include <unordered_map>

namespace kata {
namespace {

std::vector<int64_t> bytes_of(const std::string& text) {
  std::vector<int64_t> ids;
  for (char c : text) ids.push_back(static_cast<unsigned char>(c));
  return ids;
}

std::vector<int64_t> replace(const std::vector<int64_t>& ids, const Merge& pair, int64_t idx) {
  std::vector<int64_t> out;
  for (size_t j = 0; j < ids.size(); ++j) {
    if (j + 1 < ids.size() && Merge{ids[j], ids[j + 1]} == pair) {
      out.push_back(idx);
      ++j;
    } else {
      out.push_back(ids[j]);
    }
  }
  return out;
}

struct Stat {
  Merge pair;
  int64_t count = 0;
  int64_t first = 0;
};

std::vector<Stat> pair_stats(const std::vector<int64_t>& ids) {
  std::map<Merge, Stat> stats;
  const int64_t n = static_cast<int64_t>(ids.size());
  for (int64_t j = 0; j + 1 < n; ++j) {
    Merge p{ids[j], ids[j + 1]};
    auto [it, fresh] = stats.try_emplace(p, Stat{p, 0, j});
    if (ids[j] != ids[j + 1]) it->second.count += 1;
  }
  // Runs of equal tokens: a run of length L holds L / 2 non-overlapping (t, t).
  for (int64_t j = 0; j < n;) {
    int64_t k = j;
    while (k < n && ids[k] == ids[j]) ++k;
    if (k - j >= 2) stats[Merge{ids[j], ids[j]}].count += (k - j) / 2;
    j = k;
  }
  std::vector<Stat> out;
  for (auto& [p, s] : stats) out.push_back(s);
  return out;
}

}  // namespace

Merges train_bpe(const std::string& text, int64_t num_merges) {
  auto ids = bytes_of(text);
  Merges merges;
  for (int64_t i = 0; i < num_merges; ++i) {
    auto stats = pair_stats(ids);
    if (stats.empty()) break;
    auto best = *std::max_element(stats.begin(), stats.end(), [](const Stat& x, const Stat& y) {
      return x.count != y.count ? x.count < y.count : x.first > y.first;
    });
    if (best.count < 2) break;
    merges.push_back(best.pair);
    ids = replace(ids, best.pair, 256 + i);
  }
  return merges;
}

std::vector<int64_t> encode(const std::string& text, const Merges& merges) {
  std::unordered_map<int64_t, int64_t> rank;  // a * 2^32 + b -> rank (ids stay far below 2^32)
  for (size_t r = 0; r < merges.size(); ++r)
    rank.emplace((std::get<0>(merges[r]) << 32) + std::get<1>(merges[r]), static_cast<int64_t>(r));
  auto ids = bytes_of(text);
  for (;;) {
    int64_t lowest = static_cast<int64_t>(merges.size());
    for (size_t j = 0; j + 1 < ids.size(); ++j) {
      auto it = rank.find((ids[j] << 32) + ids[j + 1]);
      if (it != rank.end()) lowest = std::min(lowest, it->second);
    }
    if (lowest == static_cast<int64_t>(merges.size())) return ids;
    ids = replace(ids, merges[lowest], 256 + lowest);
  }
}

static void expand(int64_t id, const Merges& merges, std::string& out) {
  if (id < 256) {
    out.push_back(static_cast<char>(static_cast<unsigned char>(id)));
    return;
  }
  expand(std::get<0>(merges.at(id - 256)), merges, out);
  expand(std::get<1>(merges.at(id - 256)), merges, out);
}

std::string decode(const std::vector<int64_t>& ids, const Merges& merges) {
  std::string out;
  for (int64_t id : ids) expand(id, merges, out);
  return out;
}

}  // namespace kata
