#include "cli/output_file.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

namespace delegsim::cli {
namespace {

namespace fs = std::filesystem;

// Whether `a` and `b` name the same file: the same inode when both exist, else the same
// normalised absolute path.
bool SameFile(const std::string& a, const std::string& b) {
  std::error_code ec;
  if (fs::exists(a, ec) && fs::exists(b, ec)) {
    bool same = fs::equivalent(a, b, ec);
    if (!ec) return same;
  }
  fs::path ca = fs::weakly_canonical(fs::absolute(a, ec), ec);
  fs::path cb = fs::weakly_canonical(fs::absolute(b, ec), ec);
  return !ec && ca == cb;
}

}  // namespace

Status CheckOutputPaths(const std::vector<std::string>& inputs,
                        const std::vector<std::pair<std::string, std::string>>& outputs) {
  for (size_t i = 0; i < outputs.size(); ++i) {
    const auto& [option, path] = outputs[i];
    if (path.empty()) continue;
    std::error_code ec;
    if (fs::is_directory(path, ec)) {
      return InvalidArgument(option + " " + path + " is a directory");
    }
    for (const std::string& input : inputs) {
      if (SameFile(path, input)) {
        return InvalidArgument(option + " " + path + " is the input " + input +
                               ": refusing to overwrite an input");
      }
    }
    for (size_t j = 0; j < i; ++j) {
      if (!outputs[j].second.empty() && SameFile(path, outputs[j].second)) {
        return InvalidArgument(option + " " + path + " is also the file of " + outputs[j].first);
      }
    }
  }
  return Status::Ok();
}

OutputFile::OutputFile(std::string path, std::string temp_path)
    : path_(std::move(path)), temp_path_(std::move(temp_path)) {}

StatusOr<std::unique_ptr<OutputFile>> OutputFile::Create(const std::string& path) {
  fs::path target(path);
  fs::path dir = target.parent_path();
  std::string pattern =
      (dir.empty() ? fs::path(".") : dir) / ("." + target.filename().string() + ".tmp.XXXXXX");
  int fd = mkstemp(pattern.data());
  if (fd < 0) {
    return InvalidArgument(path + ": cannot write: " + std::strerror(errno));
  }
  // mkstemp creates the file 0600; give it the mode a plain open would (0666 less umask).
  const mode_t mask = umask(0);
  umask(mask);
  fchmod(fd, 0666 & ~mask);
  close(fd);
  std::unique_ptr<OutputFile> file(new OutputFile(path, pattern));
  file->out_.open(pattern, std::ios::binary | std::ios::trunc);
  if (!file->out_) return InvalidArgument(path + ": cannot write");
  return file;
}

OutputFile::~OutputFile() {
  if (committed_) return;
  out_.close();
  std::error_code ec;
  fs::remove(temp_path_, ec);
}

Status OutputFile::Commit() {
  if (committed_) return InvalidArgument(path_ + ": already written");
  out_.flush();
  bool written = static_cast<bool>(out_);
  out_.close();
  if (!written || out_.fail()) return InvalidArgument(path_ + ": cannot write (disk full?)");
  std::error_code ec;
  fs::rename(temp_path_, path_, ec);
  if (ec) return InvalidArgument(path_ + ": cannot write: " + ec.message());
  committed_ = true;
  return Status::Ok();
}

}  // namespace delegsim::cli
