#include "sim/loader.h"

#include <algorithm>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>

#include "common/text.h"
#include "sim/loader_checker.h"
#include "sim/loader_decoder.h"
#include "sim/loader_json_tree.h"
#include "sim/schema_check.h"

namespace delegsim::sim {
namespace {

using namespace loader_internal;  // NOLINT: the loader's own parts

// Adds the schema's problems to the decoder's. Where the decoder spoke about the same
// value it knows more (a functional level's hint, a ticket expectation's wording), so its
// message stands alone; a missing field is always reported.
void AddSchemaProblems(std::vector<SchemaProblem> shape, const PathLines& lines,
                       std::vector<Raw>* problems) {
  std::set<std::string> decoded;
  for (const Raw& p : *problems) decoded.insert(p.path);
  for (SchemaProblem& p : shape) {
    bool missing = p.message.rfind("missing required field", 0) == 0;
    if (!missing && decoded.count(p.path) > 0) continue;
    problems->push_back({LineOfPath(lines, p.path), std::move(p.path), std::move(p.message)});
  }
}

LoadResult Finish(std::string file, std::vector<Raw> raw) {
  std::stable_sort(raw.begin(), raw.end(),
                   [](const Raw& a, const Raw& b) { return a.line < b.line; });
  LoadResult r;
  for (Raw& p : raw) r.problems.push_back({file, p.line, std::move(p.path), std::move(p.message)});
  return r;
}

}  // namespace

std::string Problem::ToString() const {
  std::string out = file;
  if (line > 0) out += ":" + std::to_string(line);
  out += ":";
  if (!path.empty()) out += " " + path + ":";
  // Messages quote what the file said, and the file may be hostile.
  return EscapeUnsafe(out + " " + message);
}

namespace {
// The one problem of a file over the size limit.
std::string FileTooLarge(uintmax_t size, size_t max_bytes) {
  std::string limit = std::to_string(max_bytes);
  if (max_bytes % (size_t{1} << 20) == 0) limit += " (" + std::to_string(max_bytes >> 20) + " MiB)";
  return "file is " + std::to_string(size) + " bytes; the limit is " + limit +
         " (raise it with --max-file-size)";
}
}  // namespace

LoadResult LoadScenarioText(std::string_view text, std::string file_name, size_t max_bytes,
                            const std::vector<std::string>& fault_arguments) {
  if (text.size() > max_bytes) {
    return Finish(std::move(file_name), {{0, "", FileTooLarge(text.size(), max_bytes)}});
  }
  std::vector<Raw> problems;
  try {
    ParsedText parsed = ReadScenarioJson(text);
    if (parsed.fatal) return Finish(std::move(file_name), {*parsed.fatal});
    problems = std::move(parsed.soft);
    const PathLines& lines = parsed.lines;

    // The document's shape against the schema; each --fault argument as the one fault of
    // a `faults` section.
    std::vector<SchemaProblem> shape = CheckAgainstSchema(parsed.root);
    std::vector<Json> extra_faults;
    for (size_t i = 0; i < fault_arguments.size(); ++i) {
      extra_faults.push_back(FaultArgumentAsJson(fault_arguments[i]));
      Json wrapper = {{"name", "--fault"}, {"faults", Json::array({extra_faults.back()})}};
      const std::string prefix = "$.faults[0]";
      for (SchemaProblem& p : CheckAgainstSchema(wrapper)) {
        if (p.path.compare(0, prefix.size(), prefix) != 0) continue;
        p.path = "--fault[" + std::to_string(i) + "]" + p.path.substr(prefix.size());
        shape.push_back(std::move(p));
      }
    }

    Sources src;
    Decoder decoder(lines, &problems, shape.empty());
    Scenario scenario = decoder.Decode(parsed.root, &src);
    for (size_t i = 0; i < extra_faults.size(); ++i) {
      decoder.DecodeExtraFault(extra_faults[i], "--fault[" + std::to_string(i) + "]", &scenario);
    }
    AddSchemaProblems(std::move(shape), lines, &problems);
    if (parsed.root.is_object()) Checker(scenario, src, lines, &problems).Run();
    if (problems.empty()) {
      LoadResult r;
      r.scenario = std::move(scenario);
      return r;
    }
  } catch (const std::exception& e) {
    problems.push_back({0, "", std::string("internal error while loading: ") + e.what()});
  }
  return Finish(std::move(file_name), std::move(problems));
}

LoadResult LoadScenarioFile(const std::string& path, size_t max_bytes,
                            const std::vector<std::string>& fault_arguments) {
  namespace fs = std::filesystem;
  auto fail = [&](std::string message) { return Finish(path, {{0, "", std::move(message)}}); };
  std::string text;
  try {
    std::error_code ec;
    if (fs::is_directory(path, ec)) return fail("cannot read: is a directory");
    uintmax_t size = fs::file_size(path, ec);
    if (ec) return fail("cannot read: " + ec.message());
    if (size > max_bytes) return fail(FileTooLarge(size, max_bytes));
    std::ifstream in(path, std::ios::binary);
    if (!in) return fail("cannot read: cannot open the file");
    text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    if (in.bad()) return fail("cannot read: read error");
  } catch (const std::exception& e) {  // std::bad_alloc
    return fail(std::string("cannot read: ") + e.what());
  }
  return LoadScenarioText(text, path, max_bytes, fault_arguments);
}

}  // namespace delegsim::sim
