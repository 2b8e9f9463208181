// Your solution: implement kata::train_bpe, kata::encode and kata::decode as README.md and bpe.h describe.
// Judge it with: ./kata judge bpe
#include "bpe.h"

namespace kata {

Merges train_bpe(const std::string& text, int64_t num_merges) {
  // TODO: start from the bytes of text (as unsigned: 0 .. 255); repeat num_merges times: count the pairs
  // (non-overlapping), take the most frequent (ties to the earliest first occurrence), stop if it occurs fewer
  // than 2 times, else record it as merge i and replace it with 256 + i
  return {};  // TODO: replace with the learned merges
}

std::vector<int64_t> encode(const std::string& text, const Merges& merges) {
  // TODO: start from the bytes of text; while a pair of the table is present, merge the one with the lowest
  // rank (index in merges) into 256 + rank
  return {};  // TODO: replace with the token ids
}

std::string decode(const std::vector<int64_t>& ids, const Merges& merges) {
  // TODO: id < 256 is that byte; id 256 + i is the bytes of merge i's left id, then of its right id
  return "";  // TODO: replace with the decoded bytes
}

}  // namespace kata
