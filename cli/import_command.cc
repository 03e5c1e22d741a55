#include "cli/import_command.h"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "importer/bloodhound_import.h"
#include "sim/loader.h"
#include "sim/scenario_writer.h"

namespace delegsim::cli {
namespace {

namespace fs = std::filesystem;

// A scenario name from a path: "20240101_collection.zip" -> "20240101_collection".
std::string NameFromPath(const std::string& path) {
  std::string stem = fs::path(path).lexically_normal().filename().stem().string();
  if (stem.empty() || stem == ".") stem = fs::absolute(path).lexically_normal().filename().string();
  return stem.empty() ? "bloodhound-import" : stem;
}

// Writes `text` to `output` through a temporary file in the same folder, renamed when
// complete, so that a reader never sees half a file and a failure leaves nothing behind.
bool WriteAtomically(const std::string& output, const std::string& text, std::ostream& err) {
  fs::path target(output);
  fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  std::string pattern = (dir / ("." + target.filename().string() + ".XXXXXX")).string();
  std::vector<char> name(pattern.begin(), pattern.end());
  name.push_back('\0');
  int fd = mkstemp(name.data());
  if (fd < 0) {
    err << output << ": cannot create a temporary file in " << dir.string() << ": "
        << std::strerror(errno) << "\n";
    return false;
  }
  std::string tmp(name.data());
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  bool ok = done == text.size() && ::fsync(fd) == 0;
  ok = ::close(fd) == 0 && ok;
  std::error_code ec;
  if (ok) {
    fs::permissions(tmp,
                    fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                        fs::perms::others_read,
                    ec);
    fs::rename(tmp, target, ec);
    ok = !ec;
  }
  if (!ok) {
    fs::remove(tmp, ec);
    err << output << ": cannot write the scenario\n";
  }
  return ok;
}

}  // namespace

int ImportBloodHoundCommand(const ImportOptions& options, std::ostream& out, std::ostream& err) {
  importer::ImportOptions import_options;
  import_options.name = options.name.empty() ? NameFromPath(options.paths.front()) : options.name;
  importer::ImportResult result = importer::ImportBloodHound(options.paths, import_options);
  if (!result.ok()) {
    for (const importer::ImportProblem& p : result.problems) err << p.ToString() << "\n";
    err << "import: " << result.problems.size() << " problem"
        << (result.problems.size() == 1 ? "" : "s") << "; nothing was written\n";
    return kExitInvalid;
  }
  std::string text = sim::WriteScenarioJson(*result.scenario);
  // The scenario must load as written: a mapping mistake is reported, never saved.
  if (text.size() <= sim::kMaxScenarioBytes) {
    sim::LoadResult check = sim::LoadScenarioText(text, options.output);
    if (!check.ok()) {
      for (const sim::Problem& p : check.problems) err << p.ToString() << "\n";
      err << "import: the imported scenario does not load (" << check.problems.size()
          << " problems above); nothing was written\n";
      return kExitInvalid;
    }
  }
  out << result.summary.ToText();
  if (!WriteAtomically(options.output, text, err)) return kExitInvalid;
  out << "wrote " << options.output << " (" << text.size() << " bytes; no steps)";
  if (text.size() > sim::kMaxScenarioBytes) {
    out << "; larger than the scenario loader's default limit of " << (sim::kMaxScenarioBytes >> 20)
        << " MiB, so `validate` and `run` need --max-file-size to read it";
  }
  out << "\n";
  return kExitOk;
}

std::function<int()> RegisterImportCommand(CLI::App& app) {
  auto options = std::make_shared<ImportOptions>();
  CLI::App* import = app.add_subcommand("import", "Import a directory from another tool");
  import->require_subcommand(1);
  CLI::App* bloodhound = import->add_subcommand(
      "bloodhound",
      "A SharpHound / BloodHound CE collection (zip, folder or JSON files) as a scenario");
  bloodhound->add_option("paths", options->paths, "Collector zip, folder or JSON files")
      ->required();
  bloodhound->add_option("-o,--output", options->output, "Scenario file to write")->required();
  bloodhound->add_option("--name", options->name, "Scenario name (default: from the path)");
  return [options, bloodhound]() -> int {
    if (!bloodhound->parsed()) return -1;
    return ImportBloodHoundCommand(*options, std::cout, std::cerr);
  };
}

}  // namespace delegsim::cli
