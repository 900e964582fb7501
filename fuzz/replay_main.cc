// main() for fuzz targets outside the fuzz preset (g++, or clang without libFuzzer): replays
// corpus files through LLVMFuzzerTestOneInput, so that CTest runs every corpus on every change.
//
//   <target> [--mutations=N] <file or directory>...
//
// Directories are read one level deep, files in name order. Each input is copied into a buffer
// of exactly its size, so that under AddressSanitizer a read one byte past it is reported. When
// the target has a custom mutator, each input is also mutated N times (default 16, seeds fixed)
// and every mutant replayed: a smoke test of the mutator and a few hundred extra inputs.
// Exit status 0 when every input returned; a bug aborts (NS_ASSERT) with the file's name printed
// first.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz/fuzz_target.h"
#include "util/random.h"

// Defined by targets that have one; null otherwise.
extern "C" __attribute__((weak)) size_t LLVMFuzzerCustomMutator(uint8_t* data, size_t size,
                                                                size_t max_size, unsigned int seed);

namespace {

constexpr size_t kMutationsDefault = 16;
constexpr size_t kMutationsMax = 1000;
// The largest input replayed; bigger files are refused rather than silently cut.
constexpr size_t kInputBytesMax = size_t{1} << 24;
// Room a mutant may grow into, as libFuzzer's -max_len would allow.
constexpr size_t kMutantGrowthBytes = 4096;

northstar::Rng& FallbackRng() {
  static northstar::Rng rng(0x6675'7a7a);  // "fuzz"
  return rng;
}

std::vector<std::filesystem::path> CollectInputs(const std::vector<std::string>& arguments) {
  std::vector<std::filesystem::path> inputs;
  for (const std::string& argument : arguments) {
    const std::filesystem::path path(argument);
    if (!std::filesystem::is_directory(path)) {
      inputs.push_back(path);
      continue;
    }
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(path)) {
      if (entry.is_regular_file()) files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    inputs.insert(inputs.end(), files.begin(), files.end());
  }
  return inputs;
}

std::vector<uint8_t> ReadFile(const std::filesystem::path& path) {
  std::ifstream stream(path, std::ios::binary);
  if (!stream) {
    std::fprintf(stderr, "replay: cannot read %s\n", path.c_str());
    std::exit(2);
  }
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(stream)),
                             std::istreambuf_iterator<char>());
  if (bytes.size() > kInputBytesMax) {
    std::fprintf(stderr, "replay: %s is larger than %zu bytes\n", path.c_str(), kInputBytesMax);
    std::exit(2);
  }
  return bytes;
}

// Runs one input from a heap buffer of exactly its size.
void RunOne(const uint8_t* data, size_t size) {
  std::unique_ptr<uint8_t[]> exact(new uint8_t[size == 0 ? 1 : size]);
  std::copy(data, data + size, exact.get());
  LLVMFuzzerTestOneInput(exact.get(), size);
}

size_t RunMutants(const std::vector<uint8_t>& input, size_t input_index, size_t mutations) {
  if (LLVMFuzzerCustomMutator == nullptr) return 0;
  const size_t max_size = input.size() + kMutantGrowthBytes;
  for (size_t index = 0; index < mutations; index++) {
    std::vector<uint8_t> buffer(input);
    buffer.resize(max_size);
    const auto seed = static_cast<unsigned int>(input_index * kMutationsMax + index + 1);
    const size_t size = LLVMFuzzerCustomMutator(buffer.data(), input.size(), max_size, seed);
    NS_ASSERT_MSG(size <= max_size, "custom mutator returned more than max_size bytes");
    RunOne(buffer.data(), size);
  }
  return mutations;
}

}  // namespace

// Outside libFuzzer a custom mutator's call to LLVMFuzzerMutate lands here: a few random byte
// changes, so that the mutator's own code paths still run in replay.
extern "C" size_t LLVMFuzzerMutate(uint8_t* data, size_t size, size_t max_size) {
  northstar::Rng& rng = FallbackRng();
  if (size == 0) {
    if (max_size == 0) return 0;
    data[0] = static_cast<uint8_t>(rng.Next());
    return 1;
  }
  const uint64_t changes = 1 + rng.Uniform(4);
  for (uint64_t change = 0; change < changes; change++) {
    data[rng.Uniform(size)] ^= static_cast<uint8_t>(1 + rng.Uniform(255));
  }
  return size;
}

int main(int argc, char** argv) {
  size_t mutations = kMutationsDefault;
  std::vector<std::string> arguments;
  for (int index = 1; index < argc; index++) {
    const std::string_view argument(argv[index]);
    if (argument.starts_with("--mutations=")) {
      mutations = std::min<size_t>(std::strtoull(argv[index] + 12, nullptr, 10), kMutationsMax);
    } else {
      arguments.emplace_back(argument);
    }
  }
  if (arguments.empty()) {
    std::fprintf(stderr, "usage: %s [--mutations=N] <file or directory>...\n", argv[0]);
    return 2;
  }
  const auto start = std::chrono::steady_clock::now();
  const std::vector<std::filesystem::path> inputs = CollectInputs(arguments);
  size_t mutants = 0;
  for (size_t index = 0; index < inputs.size(); index++) {
    const std::vector<uint8_t> input = ReadFile(inputs[index]);
    // Printed before running, so that a crash names its input.
    std::fprintf(stderr, "replay: %s (%zu bytes)\n", inputs[index].c_str(), input.size());
    RunOne(input.data(), input.size());
    mutants += RunMutants(input, index, mutations);
  }
  const auto elapsed_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::steady_clock::now() - start)
                              .count();
  std::printf("replay: %zu inputs and %zu mutants in %lld ms\n", inputs.size(), mutants,
              static_cast<long long>(elapsed_ms));
  if (inputs.empty()) {
    std::fprintf(stderr, "replay: no inputs found\n");
    return 1;
  }
  return 0;
}
