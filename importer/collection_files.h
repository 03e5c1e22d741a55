// The files of a collection: a collector zip, a folder, or JSON files named one by one.
// Each file is handed over whole, one at a time, so that a caller keeps at most one file's
// text in memory besides what it extracts from it.
//
//   std::vector<ImportProblem> problems;
//   ForEachCollectionFile({"20240101_collection.zip"}, [&](const CollectionFile& f) {
//     Parse(f.label, f.text);
//   }, &problems);
//
// Only `*.json` members are read (other members are reported through `skipped`); a zip
// that is truncated, inconsistent or encrypted, a member larger than kMaxCollectionFileBytes
// or a path that does not exist is a problem naming the file.
#ifndef DELEGSIM_IMPORTER_COLLECTION_FILES_H_
#define DELEGSIM_IMPORTER_COLLECTION_FILES_H_

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "importer/import_problem.h"

namespace delegsim::importer {

// A guard against zip bombs and wrong files: no JSON file of a collection may be larger.
inline constexpr size_t kMaxCollectionFileBytes = size_t{1} << 30;  // 1 GiB
// At most this many members of one zip or files of one folder are looked at.
inline constexpr size_t kMaxCollectionFiles = 10'000;

struct CollectionFile {
  std::string label;  // "PATH" or "ZIP!MEMBER", for messages
  std::string text;
};

// Calls `visit` for every JSON file under `paths`, in order (a folder's files and a zip's
// members sorted by name). Files that are not JSON are named in `skipped`. Returns false
// when a problem was added to `problems` (the files before it were still visited).
bool ForEachCollectionFile(const std::vector<std::string>& paths,
                           const std::function<void(CollectionFile&)>& visit,
                           std::vector<std::string>* skipped, std::vector<ImportProblem>* problems);

}  // namespace delegsim::importer

#endif  // DELEGSIM_IMPORTER_COLLECTION_FILES_H_
