// Contract for the bpe exercise. Do not edit: the hidden tests are built against it.
#ifndef KATA_BPE_H
#define KATA_BPE_H

#include <cstdint>
#include <string>
#include <tuple>
#include <vector>

namespace kata {
// Byte-level BPE, as in minbpe's BasicTokenizer (no pre-tokenisation regex: the text is one byte sequence).
//
// Token ids: 0 .. 255 are the byte values, read as UNSIGNED (the byte 0xC3 is id 195, never -61); merge i of a
// table creates token id 256 + i. A merge is the pair (left, right) of token ids it replaces.
using Merge = std::tuple<int64_t, int64_t>;
using Merges = std::vector<Merge>;
//
// Merging the pair (a, b) into id X: scan the sequence left to right; wherever the current token and the next
// are (a, b), emit X and skip both, else emit the token. Occurrences never overlap: [a, a, a] with (a, a)
// becomes [X, a], and [a, a, a, a] becomes [X, X].
//
// text: any bytes (NUL, bytes >= 128, invalid UTF-8 are all allowed), possibly empty. Nothing here throws on
// valid inputs, and no argument is modified.

// Learns up to num_merges (>= 0) merges from text. Starting from its bytes, repeat:
//   1. count every adjacent pair of the current sequence; a pair's count is the number of non-overlapping
//      occurrences that merging it would replace ("aaaa" has (a, a) twice, "aaa" once; for a != b this is
//      just the number of adjacent occurrences);
//   2. the pair with the highest count wins; among equally frequent pairs, the one whose FIRST occurrence
//      (leftmost position in the current sequence) is earliest;
//   3. if that count is below 2 (no pair occurs twice, or fewer than 2 tokens are left), stop early: the result
//      then has fewer than num_merges merges;
//   4. otherwise append the pair as merge i (i = the number of merges so far) and merge it into id 256 + i.
// Returns the merges in the order they were made (merge i at index i).
Merges train_bpe(const std::string& text, int64_t num_merges);

// The token ids of text under a merge table. merges is a valid table (from train_bpe on any text, or made by
// hand): merge i = (a, b) with 0 <= a, b < 256 + i, and no pair appears twice. Start from the bytes of text;
// while some adjacent pair of the sequence is in the table, take the one with the LOWEST index (rank) i among
// the pairs present and merge it into 256 + i. Returns the ids (empty for an empty text).
std::vector<int64_t> encode(const std::string& text, const Merges& merges);

// The bytes that ids stand for under the merge table: an id below 256 is that byte, id 256 + i is the bytes of
// merge i's left id followed by those of its right id (recursively, down to bytes). Every id is in
// [0, 256 + merges.size()); an id outside that range is a caller error whose behaviour is unspecified (it is
// never checked; throwing std::invalid_argument is a good choice). decode(encode(s, m), m) == s for every s.
std::string decode(const std::vector<int64_t>& ids, const Merges& merges);
}  // namespace kata

#endif
