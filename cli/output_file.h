// Output files of the commands (`run --trace`, `check --junit`): never one of the inputs,
// and never half-written.
//
//   Status st = CheckOutputPaths({scenario}, {{"--trace", trace_path}});  // before any work
//   StatusOr<std::unique_ptr<OutputFile>> f = OutputFile::Create(trace_path);
//   (*f)->stream() << ...;
//   Status done = (*f)->Commit();  // renames the finished file into place
//
// An output that names an input (the same file by another spelling, through a symlink or
// a hard link: std::filesystem::equivalent) or another output is refused before anything
// is written, so nothing the user wrote is overwritten. An OutputFile writes to a
// temporary file beside the target and renames it over the target on Commit(); destroyed
// without Commit() (the run failed), it removes the temporary file and leaves the target
// as it was.
#ifndef DELEGSIM_CLI_OUTPUT_FILE_H_
#define DELEGSIM_CLI_OUTPUT_FILE_H_

#include <fstream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"

namespace delegsim::cli {

// kInvalidArgument "--trace x.json is the scenario file x.json: refusing to overwrite an
// input" when an output path is an input or another output, or is a directory.
// `outputs` are (option, path) pairs; empty paths are skipped.
Status CheckOutputPaths(const std::vector<std::string>& inputs,
                        const std::vector<std::pair<std::string, std::string>>& outputs);

class OutputFile {
 public:
  // Creates the temporary file in the target's directory; kInvalidArgument if it cannot.
  static StatusOr<std::unique_ptr<OutputFile>> Create(const std::string& path);
  ~OutputFile();
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;

  std::ostream& stream() { return out_; }
  // Flushes, closes and renames the temporary file over the target. Once only.
  Status Commit();

 private:
  OutputFile(std::string path, std::string temp_path);

  std::string path_;
  std::string temp_path_;
  std::ofstream out_;
  bool committed_ = false;
};

}  // namespace delegsim::cli

#endif  // DELEGSIM_CLI_OUTPUT_FILE_H_
