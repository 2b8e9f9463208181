// The bpe contract across the trust boundary (see harness/host/binding.h). Text crosses as std::string (length
// and bytes, so NUL and bytes >= 128 arrive as they are), ids as std::vector<int64_t>, merges as
// std::vector<std::tuple<int64_t, int64_t>> (kata::Merges: a macro argument cannot hold the comma of the tuple).
#include "bpe.h"

#include "binding.h"

KATA_BIND_FUNCTION(kata::Merges, train_bpe, (const std::string& text, int64_t num_merges), (text, num_merges))
KATA_BIND_FUNCTION(std::vector<int64_t>, encode, (const std::string& text, const kata::Merges& merges),
                   (text, merges))
KATA_BIND_FUNCTION(std::string, decode, (const std::vector<int64_t>& ids, const kata::Merges& merges),
                   (ids, merges))
