// Runs a fuzz target over files instead of under libFuzzer: each argument is a file or a
// directory of files (a corpus). The test suite replays the committed corpus this way in
// every build, sanitized ones included; scripts/fuzz.sh does the real fuzzing with clang.
//
//   target CORPUS...                          replay every input once
//   target --mutate SECONDS [--seed N] CORPUS...
//                                             then, for SECONDS, mutate random inputs
//                                             (bit flips, byte changes, inserts, deletes,
//                                             truncation, splices of two inputs) and run
//                                             them: a short, dumb fuzz run any compiler can
//                                             do. The seed is printed; --seed replays a run.

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

using Bytes = std::vector<uint8_t>;

void Run(const Bytes& input) { LLVMFuzzerTestOneInput(input.data(), input.size()); }

void Load(const std::filesystem::path& p, std::vector<Bytes>* corpus) {
  if (std::filesystem::is_directory(p)) {
    for (const auto& entry : std::filesystem::recursive_directory_iterator(p)) {
      if (entry.is_regular_file()) Load(entry.path(), corpus);
    }
    return;
  }
  std::ifstream in(p, std::ios::binary);
  corpus->emplace_back((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// One to four random edits of `input` (and sometimes a splice with `other`).
Bytes Mutate(Bytes input, const Bytes& other, std::mt19937_64& rng) {
  auto pick = [&rng](size_t n) { return n == 0 ? 0 : static_cast<size_t>(rng() % n); };
  int edits = 1 + static_cast<int>(rng() % 4);
  for (int e = 0; e < edits; ++e) {
    switch (rng() % 6) {
      case 0:  // flip a bit
        if (!input.empty()) input[pick(input.size())] ^= static_cast<uint8_t>(1u << (rng() % 8));
        break;
      case 1:  // an interesting byte
        if (!input.empty()) input[pick(input.size())] = std::array<uint8_t, 5>{0, 1, 0x7f, 0x80, 0xff}[rng() % 5];
        break;
      case 2:  // insert a random byte
        input.insert(input.begin() + static_cast<long>(pick(input.size() + 1)), static_cast<uint8_t>(rng()));
        break;
      case 3:  // delete a run
        if (!input.empty()) {
          size_t at = pick(input.size());
          input.erase(input.begin() + static_cast<long>(at),
                      input.begin() + static_cast<long>(std::min(input.size(), at + 1 + pick(16))));
        }
        break;
      case 4:  // truncate
        input.resize(pick(input.size() + 1));
        break;
      default:  // splice: our head, the other input's tail
        if (!other.empty()) {
          input.resize(pick(input.size() + 1));
          size_t from = pick(other.size());
          input.insert(input.end(), other.begin() + static_cast<long>(from), other.end());
        }
    }
  }
  return input;
}

}  // namespace

int main(int argc, char** argv) {
  double mutate_seconds = 0;
  uint64_t seed = std::random_device{}();
  std::vector<Bytes> corpus;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--mutate" && i + 1 < argc) {
      mutate_seconds = std::atof(argv[++i]);
    } else if (arg == "--seed" && i + 1 < argc) {
      seed = std::strtoull(argv[++i], nullptr, 10);
    } else {
      Load(arg, &corpus);
    }
  }
  for (const Bytes& input : corpus) Run(input);
  std::printf("replayed %zu inputs\n", corpus.size());
  if (corpus.empty()) return 1;
  if (mutate_seconds <= 0) return 0;

  std::printf("mutating for %.0f s with --seed %llu\n", mutate_seconds, static_cast<unsigned long long>(seed));
  std::fflush(stdout);  // printed before a crash can happen
  std::mt19937_64 rng(seed);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(mutate_seconds);
  uint64_t runs = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    for (int batch = 0; batch < 64; ++batch, ++runs) {
      Run(Mutate(corpus[rng() % corpus.size()], corpus[rng() % corpus.size()], rng));
    }
  }
  std::printf("ran %llu mutated inputs: clean\n", static_cast<unsigned long long>(runs));
  return 0;
}
