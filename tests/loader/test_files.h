// Files of the repository for the loader tests: the source directory (CTest sets
// DELEGSIM_SOURCE_DIR; otherwise the one the test was built from) and whole-file reads.
#ifndef DELEGSIM_TESTS_LOADER_TEST_FILES_H_
#define DELEGSIM_TESTS_LOADER_TEST_FILES_H_

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>

namespace delegsim::testing {

inline std::string SourceDir() {
  const char* dir = std::getenv("DELEGSIM_SOURCE_DIR");
  return dir ? dir : DELEGSIM_TEST_SOURCE_DIR;
}

// The file's bytes; empty when it cannot be read.
inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace delegsim::testing

#endif  // DELEGSIM_TESTS_LOADER_TEST_FILES_H_
