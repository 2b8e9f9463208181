// Hidden tests for bpe: the learner's kata::train_bpe, kata::encode and kata::decode against the reference. Nothing
// is a float: merges, ids and bytes are compared exactly, as int64 tensors (merges [M, 2], ids [N], bytes [N]
// with values 0 .. 255), so the float32/float64 runs, gradients and non-contiguous views of the other
// exercises have no counterpart here, and the inputs cannot change (std::string and std::vector cross the
// boundary by value). Random texts come from torch's generator, reseeded per check from the run's seed.
//
// The checks run in this order, and the first failure decides the named mistake, so each crafted case is
// chosen (by running every known mistake on it) to change the answer of its own mistake only, against the
// mistakes that reach it: ties first (every natural text has them), then merges of merges (ids 256+),
// overlapping runs, the stop rule, bytes >= 128; encode with merge tables given by the test, so a training
// bug cannot hide an encoding one; decode last.
//
// Not checked: decode of an id outside [0, 256 + M). The contract leaves it unspecified because the kit cannot
// check an expected throw: any exception from the learner's code fails the check as a runtime error
// (harness/host/remote.cpp, ok_reply: Session::fail(Failure::exception)).
#include "kata_test.h"

#include <fmt/format.h>

#include <map>
#include <stdexcept>
#include <unordered_map>

#include "bpe.h"

#include "kata_reference.h"  // the reference, as reference::kata::..., with internal linkage

namespace {

using kata::Merges;
using kata_test::diff;
// Merges, ids and bytes are integers, so every comparison is exact. Measured: the two right styles
// (ok_table_order, ok_run_lengths) gave the reference's merges, ids and round trips exactly on 200 random texts
// of the four alphabets below (a /tmp driver, 50 seeds); there is nothing for a tolerance to absorb.
const kata_test::Tolerance kExact{0, 0};

torch::Tensor merges_tensor(const Merges& merges) {  // (M, 2) int64
  auto t = torch::empty({static_cast<int64_t>(merges.size()), 2}, torch::kInt64);
  auto a = t.accessor<int64_t, 2>();
  for (size_t i = 0; i < merges.size(); ++i) {
    a[i][0] = std::get<0>(merges[i]);
    a[i][1] = std::get<1>(merges[i]);
  }
  return t;
}

torch::Tensor ids_tensor(const std::vector<int64_t>& ids) {  // (N,) int64
  return torch::tensor(ids, torch::kInt64).reshape({static_cast<int64_t>(ids.size())});
}

torch::Tensor bytes_tensor(const std::string& s) {  // (N,) int64, each 0 .. 255
  std::vector<int64_t> v;
  for (unsigned char c : s) v.push_back(c);
  return ids_tensor(v);
}

// "\"h\\xc3\\xa9llo\" (6 bytes)": printable ASCII as is, every other byte as \xNN, the first `limit` bytes.
std::string shown(const std::string& s, size_t limit = 48) {
  std::string out = "\"";
  for (size_t i = 0; i < s.size() && i < limit; ++i) {
    unsigned char c = s[i];
    if (c == '"' || c == '\\') out += fmt::format("\\{}", static_cast<char>(c));
    else if (c >= 32 && c < 127) out += static_cast<char>(c);
    else out += fmt::format("\\x{:02x}", c);
  }
  out += s.size() > limit ? "\"..." : "\"";
  return fmt::format("{} ({} bytes)", out, s.size());
}

// "[(97, 98), (256, 99)]", the first `limit` merges.
std::string shown(const Merges& merges, size_t limit = 12) {
  std::vector<std::string> parts;
  for (size_t i = 0; i < merges.size() && i < limit; ++i)
    parts.push_back(fmt::format("({}, {})", std::get<0>(merges[i]), std::get<1>(merges[i])));
  if (merges.size() > limit) parts.push_back(fmt::format("... {} in all", merges.size()));
  return fmt::format("[{}]", fmt::join(parts, ", "));
}

std::string shown(const std::vector<int64_t>& ids, size_t limit = 24) {
  std::vector<std::string> parts;
  for (size_t i = 0; i < ids.size() && i < limit; ++i) parts.push_back(std::to_string(ids[i]));
  if (ids.size() > limit) parts.push_back(fmt::format("... {} in all", ids.size()));
  return fmt::format("[{}]", fmt::join(parts, ", "));
}

std::string seed_note() { return fmt::format("seed {}", kata_test::run_seed()); }

// A random text of n symbols drawn from `alphabet` (each symbol one or more bytes).
std::string random_text(const std::vector<std::string>& alphabet, int64_t n) {
  auto picks = torch::randint(static_cast<int64_t>(alphabet.size()), {n}, torch::kInt64);
  auto p = picks.accessor<int64_t, 1>();
  std::string s;
  for (int64_t i = 0; i < n; ++i) s += alphabet[p[i]];
  return s;
}

// n random bytes, every value 0 .. 255 (NUL and invalid UTF-8 included).
std::string random_bytes(int64_t n) {
  auto b = torch::randint(256, {n}, torch::kInt64);
  auto v = b.accessor<int64_t, 1>();
  std::string s;
  for (int64_t i = 0; i < n; ++i) s += static_cast<char>(v[i]);
  return s;
}

// Small alphabets give many repeated pairs, so many and deep merges (and many ties).
const std::vector<std::vector<std::string>> kAlphabets = {
    {"a", "b", "c"},
    {"a", "b", "c", "d", " "},
    {"\xc3\xa9", "\xc3\xb6", "\xf0\x9f\x99\x82", "l", " "},  // é ö 🙂 l space: multi-byte UTF-8
    {std::string(1, '\0'), "\xff", "\x80", "a"},           // NUL, 0xFF, 0x80 (invalid UTF-8)
};

std::optional<std::string> check_train(const std::string& text, int64_t num_merges, const std::string& note = "") {
  auto want = reference::kata::train_bpe(text, num_merges);
  auto got = kata::train_bpe(text, num_merges);
  return diff(merges_tensor(got), merges_tensor(want), fmt::format("merges of train_bpe(text, num_merges = {})", num_merges),
              fmt::format("text {}{}, expected merges {}, got {}, {}", shown(text), note.empty() ? "" : " (" + note + ")",
                          shown(want), shown(got), seed_note()),
              kExact);
}

std::optional<std::string> check_encode(const std::string& text, const Merges& merges, const std::string& note = "") {
  auto want = reference::kata::encode(text, merges);
  auto got = kata::encode(text, merges);
  return diff(ids_tensor(got), ids_tensor(want), "ids of encode(text, merges)",
              fmt::format("text {}, merges {}{}, expected ids {}, got {}, {}", shown(text), shown(merges),
                          note.empty() ? "" : " (" + note + ")", shown(want), shown(got), seed_note()),
              kExact);
}

std::optional<std::string> check_decode(const std::vector<int64_t>& ids, const Merges& merges,
                                        const std::string& note = "") {
  auto want = reference::kata::decode(ids, merges);
  auto got = kata::decode(ids, merges);
  return diff(bytes_tensor(got), bytes_tensor(want), "bytes of decode(ids, merges)",
              fmt::format("ids {}, merges {}{}, expected {}, got {}, {}", shown(ids), shown(merges),
                          note.empty() ? "" : " (" + note + ")", shown(want), shown(got), seed_note()),
              kExact);
}

// decode(encode(text, merges), merges) == text, byte for byte, both the learner's.
std::optional<std::string> check_round_trip(const std::string& text, const Merges& merges, const std::string& note) {
  auto ids = kata::encode(text, merges);
  auto back = kata::decode(ids, merges);
  return diff(bytes_tensor(back), bytes_tensor(text), "bytes of decode(encode(text, merges), merges)",
              fmt::format("text {} ({}), merges {}, encode gave {}, decode gave {}, {}", shown(text), note,
                          shown(merges), shown(ids), shown(back), seed_note()),
              kExact);
}

Merges M(std::initializer_list<std::pair<int64_t, int64_t>> pairs) {
  Merges m;
  for (const auto& [a, b] : pairs) m.emplace_back(a, b);
  return m;
}


// What a wrong length means, shown only when the count differs (merges travel as a [M, 2] table, ids as [N]).
void explain_train_length() {
  kata_test::explain(kata_test::Symptom::wrong_shape,
                     "train_bpe returned another number of merges (the first size of the [M, 2] table): fewer "
                     "when it stopped too early or returned nothing, more when it went on after the best pair "
                     "occurred fewer than 2 times. It makes at most num_merges merges and stops at the first "
                     "round whose most frequent pair occurs fewer than 2 times.");
}
void explain_encode_length() {
  kata_test::explain(kata_test::Symptom::wrong_shape,
                     "encode returned another number of ids: a merge that was not applied (or applied where it "
                     "should not be), an occurrence merged twice, or bytes lost or added.");
}
void explain_decode_length() {
  kata_test::explain(kata_test::Symptom::wrong_shape,
                     "decode returned another number of bytes: each id below 256 is one byte, and id 256 + i is "
                     "as many bytes as its two parts together, expanded down to bytes.");
}

// ---- train_bpe

TEST(Bpe, TrainTies) {
  explain_train_length();
  kata_test::meaning(
      "Among equally frequent pairs the contract picks the one whose FIRST occurrence in the current sequence is "
      "earliest (what minbpe's max(stats, key=stats.get) does, since a Python dict keeps insertion order). Iterating "
      "a std::map picks the smallest pair (a, b) instead, a >= in the comparison picks the last one seen, and an "
      "unordered_map picks whatever its buckets give. Keep each pair's first position next to its count and break "
      "ties on it.");
  // (c,d), (a,b), (e,f) each twice: the earliest is (c,d), the smallest (a,b), the last (e,f).
  KATA_ASSERT_OK(check_train("cdcdababefef", 1, "(c,d), (a,b), (e,f) each occur twice"));
  KATA_ASSERT_OK(check_train("cdcdababefef", 3, "(c,d), (a,b), (e,f) each occur twice"));
  KATA_ASSERT_OK(check_train("dcbdbddc", 2, "ties after the first merge"));
  KATA_ASSERT_OK(check_train("bdccabbdabcc", 3, "ties after the first merge"));
  KATA_ASSERT_OK(check_train("zyzyxwxwvu vu", 3, "ties at every step"));
}

TEST(Bpe, TrainMergesOfMerges) {
  explain_train_length();
  kata_test::meaning(
      "Merge i creates token id 256 + i (the first merge is 256: ids 0 .. 255 are the bytes), and after every "
      "merge the pairs are counted again on the new sequence, so later merges can join merged tokens: "
      "(105, 115) = \"is\" -> 256, then (256, 115) = \"iss\" -> 257. Counting once and taking the top pairs of "
      "that count never merges a merged token.");
  KATA_ASSERT_OK(check_train("mississippi missing", 3));
  KATA_ASSERT_OK(check_train("banana bandana", 3));
  KATA_ASSERT_OK(check_train("low lower lowest", 4));
  KATA_ASSERT_OK(check_train("hugging hug hugs hugging", 6));
}

TEST(Bpe, TrainOverlappingRuns) {
  explain_train_length();
  kata_test::meaning(
      "A pair's count is the number of occurrences a left-to-right merge would replace, which do not overlap: "
      "\"aaa\" holds (a, a) once, \"aaaa\" twice, \"aaaaa\" twice. Counting every adjacent position (minbpe's "
      "get_stats) counts (a, a) in \"aaa\" twice. And merging consumes both tokens of an occurrence: [a, a, a] "
      "becomes [X, a], never [X, X].");
  // (a,a) occurs once without overlap, (b,c) twice: (b,c) wins; counting overlaps gives (a,a) twice and first.
  KATA_ASSERT_OK(check_train("aaabcbc", 1, "a run of three a"));
  KATA_ASSERT_OK(check_train("bbbababbbb", 2, "runs of b"));
  KATA_ASSERT_OK(check_train("aaaaabaaaaab", 4, "runs of five a"));
  KATA_ASSERT_OK(check_train("xxxxxxxyxxxy", 3, "a run of seven x"));
}

TEST(Bpe, TrainStopsEarly) {
  explain_train_length();
  kata_test::meaning(
      "Training stops as soon as the most frequent pair occurs fewer than 2 times (or fewer than 2 tokens are "
      "left), so it can return fewer than num_merges merges: a pair seen once is not merged (minbpe would go on "
      "merging until num_merges). The check is on the best count, before the merge is recorded.");
  KATA_ASSERT_OK(check_train("abab", 5, "after (a,b) the text is [256, 256]: (256, 256) occurs once"));
  KATA_ASSERT_OK(check_train("aaa", 1, "(a,a) occurs once without overlap"));
  KATA_ASSERT_OK(check_train("aaaa", 3, "(a,a) twice, then [256, 256]"));
  KATA_ASSERT_OK(check_train("abcd", 3, "every pair once"));
  KATA_ASSERT_OK(check_train("the cat the hat", 20));
}

TEST(Bpe, TrainBytesAbove127) {
  explain_train_length();
  kata_test::meaning(
      "Bytes are read as unsigned: ids 0 .. 255. char is signed on x86, so `for (char c : text) ids.push_back(c)` "
      "gives -61 for the first byte of \"\\xc3\\xa9\" (e as UTF-8): go through unsigned char "
      "(static_cast<unsigned char>(c)), or read the bytes as uint8_t.");
  KATA_ASSERT_OK(check_train("h\xc3\xa9llo w\xc3\xb6rld \xf0\x9f\x99\x82 h\xc3\xa9llo w\xc3\xb6rld \xf0\x9f\x99\x82", 6,
                             "h\\xc3\\xa9llo w\\xc3\\xb6rld + an emoji, twice"));
  KATA_ASSERT_OK(check_train("\xff\xfe\xff\xfe\x80\x80\x80\x80", 3, "bytes 255, 254, 128"));
  KATA_ASSERT_OK(check_train("\xe4\xbd\xa0\xe5\xa5\xbd\xef\xbc\x8c\xe4\xbd\xa0\xe5\xa5\xbd", 4, "CJK text"));
}

TEST(Bpe, TrainEdgeCases) {
  explain_train_length();
  kata_test::meaning(
      "An empty text, a single byte, num_merges 0, or a text of NUL bytes: no pair to count means no merge (and "
      "no crash: ids.size() - 1 on an empty vector is a huge size_t); NUL is a byte like any other (a std::string "
      "holds it, c_str() and strlen stop at it).");
  KATA_ASSERT_OK(check_train("", 5, "empty"));
  KATA_ASSERT_OK(check_train("x", 5, "one byte"));
  KATA_ASSERT_OK(check_train("\xff", 5, "one byte 0xff"));
  KATA_ASSERT_OK(check_train("abababab", 0, "num_merges 0"));
  KATA_ASSERT_OK(check_train(std::string("\0\0\0\0\0a\0a", 8), 3, "NUL bytes"));
}

TEST(Bpe, TrainRandom) {
  explain_train_length();
  kata_test::meaning(
      "The merges differ on a random text from a small alphabet (many merges, merges of merges, runs and ties). "
      "Each step: count non-overlapping pairs on the current sequence, take the most frequent (ties to the "
      "earliest first occurrence), stop if it occurs fewer than 2 times, merge it left to right into 256 + i.");
  for (const auto& alphabet : kAlphabets) {
    const int64_t n = 120 + torch::randint(200, {1}).item<int64_t>();
    KATA_ASSERT_OK(check_train(random_text(alphabet, n), 40, "random, small alphabet"));
  }
  KATA_ASSERT_OK(check_train(random_bytes(400), 10, "random bytes"));
}

// ---- encode, with merge tables given by the test

TEST(Bpe, EncodeRankOrder) {
  explain_encode_length();
  kata_test::meaning(
      "encode merges by rank: among the pairs present, the one with the lowest index in merges goes first, then "
      "the sequence is scanned again. Merging the leftmost pair that has any rank, or the pair that is most "
      "frequent in the text being encoded, gives other tokens than training would have: the order of the table "
      "is the order training made them in. (Applying the merges one after the other, in table order, once each, "
      "is right too.)");
  // (b,c) has rank 0: "abc" -> [a, 256], though (a,b) comes first in the text.
  KATA_ASSERT_OK(check_encode("abc", M({{98, 99}, {97, 98}}), "(b,c) has rank 0, (a,b) rank 1"));
  // (b,c) occurs 3 times, (a,b) once, but (a,b) has rank 0: [256, c, 257, 257].
  KATA_ASSERT_OK(check_encode("abcbcbc", M({{97, 98}, {98, 99}}), "(a,b) rank 0 once, (b,c) rank 1 three times"));
  KATA_ASSERT_OK(check_encode("xyzxyzyz", M({{121, 122}, {120, 121}, {256, 256}, {120, 256}, {258, 257}}),
                              "merges of merges"));
  KATA_ASSERT_OK(check_encode("abcdabcd", M({{99, 100}, {98, 99}, {97, 98}, {256, 256}, {97, 257}, {258, 100}}),
                              "rank 1 and 2 overlap rank 0"));
}

TEST(Bpe, EncodeNonOverlapping) {
  explain_encode_length();
  kata_test::meaning(
      "Merging replaces non-overlapping occurrences, left to right: with (a, a) -> 256, \"aaa\" is [256, 97] and "
      "\"aaaaa\" [256, 256, 97]. Every byte of the text is in exactly one token.");
  KATA_ASSERT_OK(check_encode("aaa", M({{97, 97}})));
  KATA_ASSERT_OK(check_encode("aaaaa", M({{97, 97}})));
  KATA_ASSERT_OK(check_encode("aaaaaaab", M({{97, 97}, {256, 256}, {256, 97}, {97, 98}})));
}

TEST(Bpe, EncodeBytesAbove127) {
  explain_encode_length();
  kata_test::meaning(
      "The bytes of the text are ids 0 .. 255 (unsigned): \"\\xc3\\xa9\" (e as UTF-8) starts as [195, 169], and a "
      "table holding (195, 169) merges it. A signed char gives [-61, -87], which no merge matches.");
  const std::string hello = "h\xc3\xa9llo w\xc3\xb6rld \xf0\x9f\x99\x82";
  KATA_ASSERT_OK(check_encode(hello, {}, "no merges: the bytes"));
  KATA_ASSERT_OK(check_encode(hello, M({{195, 169}, {195, 182}, {240, 159}, {256, 108}, {153, 130}, {260, 258}})));
  KATA_ASSERT_OK(check_encode(std::string("\xff\xff\xff\x80\x00", 5), M({{255, 255}, {256, 255}, {128, 0}})));
}

TEST(Bpe, EncodeEdgeCases) {
  explain_encode_length();
  kata_test::meaning(
      "An empty text gives no ids, a single byte gives that byte, an empty table gives the bytes, and NUL is a "
      "byte like any other.");
  KATA_ASSERT_OK(check_encode("", M({{97, 98}}), "empty text"));
  KATA_ASSERT_OK(check_encode("a", M({{97, 98}}), "one byte"));
  KATA_ASSERT_OK(check_encode("hello", {}, "no merges"));
  KATA_ASSERT_OK(check_encode(std::string("\0\0\0a\0", 5), M({{0, 0}, {256, 97}}), "NUL bytes"));
}

TEST(Bpe, EncodeWithMergesFromAnotherText) {
  explain_encode_length();
  kata_test::meaning(
      "encode with merges trained on another text: only pairs present are merged, by rank. Tokens of the table "
      "that never form are simply not used.");
  const std::string hello = "h\xc3\xa9llo w\xc3\xb6rld \xf0\x9f\x99\x82";
  auto from_english = reference::kata::train_bpe("the quick brown fox jumps over the lazy dog, the end", 30);
  KATA_ASSERT_OK(check_encode("the other theme", from_english, "merges trained on an English sentence"));
  KATA_ASSERT_OK(check_encode(hello, from_english, "merges trained on an English sentence"));
  auto from_hello = reference::kata::train_bpe(hello + " " + hello + " h\xc3\xa9", 20);
  KATA_ASSERT_OK(check_encode("w\xc3\xb6rld h\xc3\xa9llo \xf0\x9f\x99\x82\xf0\x9f\x99\x82", from_hello,
                              "merges trained on UTF-8 text"));
  for (const auto& alphabet : kAlphabets) {
    auto merges = reference::kata::train_bpe(random_text(alphabet, 300), 60);
    KATA_ASSERT_OK(check_encode(random_text(alphabet, 200), merges, "random texts of one alphabet"));
  }
}

TEST(Bpe, EncodeLongText) {
  explain_encode_length();
  kata_test::meaning(
      "encode of a 2 KB text with a couple of hundred merges: the ids differ. (One scan of the sequence per merge "
      "applied, O(length * merges), is fast enough.)");
  // About 200 merges (training stops when no pair occurs twice); the table is trained on another text.
  auto merges = reference::kata::train_bpe(random_text(kAlphabets[1], 2500), 250);
  KATA_ASSERT_OK(check_encode(random_text(kAlphabets[1], 2000), merges, "2000 bytes, large table"));
}

// ---- decode

TEST(Bpe, DecodeBytes) {
  explain_decode_length();
  kata_test::meaning("An id below 256 decodes to that one byte, NUL and 128 .. 255 included.");
  KATA_ASSERT_OK(check_decode({104, 195, 169, 0, 255, 128, 10}, {}, "bytes only"));
  KATA_ASSERT_OK(check_decode({}, M({{97, 98}}), "no ids"));
}

TEST(Bpe, DecodeMerges) {
  explain_decode_length();
  kata_test::meaning(
      "Id 256 + i decodes to the bytes of merge i's left id followed by those of its right id, and either may be "
      "a merged id itself: expand recursively (or build a table vocab[256 + i] = vocab[a] + vocab[b] in order, "
      "as minbpe does). Casting a merged id to char gives a wrong byte.");
  auto merges = M({{97, 98}, {256, 99}, {257, 257}, {100, 256}});
  KATA_ASSERT_OK(check_decode({256}, merges, "256 = (a,b)"));
  KATA_ASSERT_OK(check_decode({257, 259, 258}, merges, "257 = (256, c), 258 = (257, 257), 259 = (d, 256)"));
  auto deep = reference::kata::train_bpe(random_text(kAlphabets[0], 300), 50);
  KATA_ASSERT_OK(check_decode(reference::kata::encode(random_text(kAlphabets[0], 200), deep), deep, "ids of a text"));
  auto picks = torch::randint(static_cast<int64_t>(256 + deep.size()), {60}, torch::kInt64);
  std::vector<int64_t> any(picks.data_ptr<int64_t>(), picks.data_ptr<int64_t>() + 60);
  KATA_ASSERT_OK(check_decode(any, deep, "random ids of the table"));
}

TEST(Bpe, RoundTrip) {
  explain_decode_length();
  kata_test::meaning(
      "decode(encode(text, merges), merges) must give back the text, byte for byte, for any bytes: NUL, invalid "
      "UTF-8, emoji. If encode is right (the checks before), decode loses or changes bytes.");
  const std::string hello = "h\xc3\xa9llo w\xc3\xb6rld \xf0\x9f\x99\x82";
  KATA_ASSERT_OK(check_round_trip(hello, reference::kata::train_bpe(hello + hello, 10), "trained on itself, twice"));
  for (int r = 0; r < 3; ++r) {
    auto text = random_bytes(300);
    KATA_ASSERT_OK(check_round_trip(text, reference::kata::train_bpe(text + random_bytes(50) + text, 30), "random bytes"));
  }
  for (const auto& alphabet : kAlphabets) {
    auto merges = reference::kata::train_bpe(random_text(alphabet, 300), 50);
    KATA_ASSERT_OK(check_round_trip(random_text(alphabet, 250), merges, "random text, merges from another"));
  }
}

}  // namespace
