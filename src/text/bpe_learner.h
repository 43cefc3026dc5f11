#pragma once
// Learns byte-level BPE merges from a corpus (Sennrich et al.), with CLIP's text cleaning,
// pre-tokenisation, byte-to-unicode spelling and "</w>" word ends, and writes them in the
// merges-file format ClipTokenizer::from_file reads. Torch-free.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace bd::text {

struct BpeLearnOptions {
  int64_t max_merges = 4096;
  int64_t min_pair_count = 2;  // stop when the most frequent pair occurs less often
};

// Merges in rank order, each as (left, right) symbols in CLIP's spelling ("re", "d</w>").
// Deterministic: ties go to the lexicographically smallest pair.
std::vector<std::pair<std::string, std::string>> learn_bpe(const std::vector<std::string>& corpus,
                                                           const BpeLearnOptions& options = {});

// "#version: 0.2 <comment>" then one "left right" line per merge.
std::string merges_file_text(const std::vector<std::pair<std::string, std::string>>& merges,
                             const std::string& comment = "");

// Writes atomically. Throws bd::Error naming the path.
void write_merges_file(const std::string& path,
                       const std::vector<std::pair<std::string, std::string>>& merges,
                       const std::string& comment = "");

}  // namespace bd::text
