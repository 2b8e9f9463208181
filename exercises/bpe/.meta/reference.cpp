// Reference for bpe: minbpe's BasicTokenizer in C++, with the contract's two differences (non-overlapping pair
// counts, and training stops when no pair occurs twice). Short functions over std::vector<int64_t>.
#include "bpe.h"

#include <map>
#include <stdexcept>
#include <unordered_map>

namespace kata {

// The byte values of text as ids 0 .. 255: through unsigned char, so 0xC3 is 195, not -61.
static std::vector<int64_t> bytes_of(const std::string& text) {
  std::vector<int64_t> ids;
  ids.reserve(text.size());
  for (unsigned char c : text) ids.push_back(c);  // (T,)
  return ids;
}

struct PairStats {
  int64_t count = 0;  // non-overlapping occurrences
  int64_t first = 0;  // position of the first occurrence
  int64_t last = -2;  // position of the last counted occurrence
};

// Each adjacent pair's count as a left-to-right merge would replace it: an occurrence that starts where the last
// counted one of the same pair ended ((a, a) inside a run) is not counted. Ordered by pair, first occurrence kept.
static std::map<Merge, PairStats> get_stats(const std::vector<int64_t>& ids) {
  std::map<Merge, PairStats> stats;
  for (int64_t j = 0; j + 1 < static_cast<int64_t>(ids.size()); ++j) {
    auto [it, fresh] = stats.try_emplace(Merge{ids[j], ids[j + 1]});
    PairStats& s = it->second;
    if (fresh) s.first = j;
    if (s.last == j - 1) continue;  // overlaps the occurrence counted at j - 1
    s.count += 1;
    s.last = j;
  }
  return stats;
}

// Replaces every non-overlapping occurrence of pair, left to right, with idx.
static std::vector<int64_t> merge(const std::vector<int64_t>& ids, const Merge& pair, int64_t idx) {
  const auto [a, b] = pair;
  std::vector<int64_t> out;
  out.reserve(ids.size());
  for (size_t j = 0; j < ids.size(); ++j) {
    if (j + 1 < ids.size() && ids[j] == a && ids[j + 1] == b) {
      out.push_back(idx);
      ++j;  // both tokens of the pair are consumed
    } else {
      out.push_back(ids[j]);
    }
  }
  return out;
}

Merges train_bpe(const std::string& text, int64_t num_merges) {
  auto ids = bytes_of(text);  // (T,)
  Merges merges;
  for (int64_t i = 0; i < num_merges; ++i) {
    auto stats = get_stats(ids);
    const std::pair<const Merge, PairStats>* best = nullptr;
    for (const auto& entry : stats) {  // most frequent; ties to the earliest first occurrence
      const PairStats& s = entry.second;
      if (!best || s.count > best->second.count || (s.count == best->second.count && s.first < best->second.first))
        best = &entry;
    }
    if (!best || best->second.count < 2) break;  // no pair occurs twice: stop early
    merges.push_back(best->first);
    ids = merge(ids, best->first, /*idx=*/256 + i);  // (T',) T' < T
  }
  return merges;
}

std::vector<int64_t> encode(const std::string& text, const Merges& merges) {
  std::map<Merge, int64_t> rank;
  for (size_t i = 0; i < merges.size(); ++i) rank.emplace(merges[i], static_cast<int64_t>(i));
  auto ids = bytes_of(text);  // (T,)
  while (ids.size() >= 2) {
    int64_t lowest = -1;  // the lowest rank among the pairs present
    for (size_t j = 0; j + 1 < ids.size(); ++j) {
      auto it = rank.find(Merge{ids[j], ids[j + 1]});
      if (it != rank.end() && (lowest < 0 || it->second < lowest)) lowest = it->second;
    }
    if (lowest < 0) break;  // nothing left to merge
    ids = merge(ids, merges[lowest], /*idx=*/256 + lowest);
  }
  return ids;
}

std::string decode(const std::vector<int64_t>& ids, const Merges& merges) {
  std::vector<std::string> vocab(256 + merges.size());  // id -> its bytes
  for (int64_t b = 0; b < 256; ++b) vocab[b] = std::string(1, static_cast<char>(b));
  for (size_t i = 0; i < merges.size(); ++i) {  // merge i only uses ids below 256 + i: already built
    const auto [a, b] = merges[i];
    vocab[256 + i] = vocab.at(a) + vocab.at(b);
  }
  std::string text;
  for (int64_t id : ids) {
    if (id < 0 || id >= static_cast<int64_t>(vocab.size())) throw std::invalid_argument("decode: unknown token id");
    text += vocab[id];
  }
  return text;
}

}  // namespace kata
