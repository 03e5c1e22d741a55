#include "importer/collection_files.h"

#include <zip.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string_view>
#include <system_error>

namespace delegsim::importer {
namespace {

namespace fs = std::filesystem;

bool HasExtension(const std::string& name, std::string_view ext) {
  if (name.size() < ext.size()) return false;
  std::string tail = name.substr(name.size() - ext.size());
  std::transform(tail.begin(), tail.end(), tail.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return tail == ext;
}
bool IsJsonName(const std::string& name) { return HasExtension(name, ".json"); }

std::string ZipErrorText(int code) {
  zip_error_t error;
  zip_error_init_with_code(&error, code);
  std::string text = zip_error_strerror(&error);
  zip_error_fini(&error);
  return text;
}

// The first bytes of a zip archive: a local file header, or the end of an empty archive.
bool LooksLikeZip(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char magic[4] = {};
  in.read(magic, 4);
  return in.gcount() == 4 && magic[0] == 'P' && magic[1] == 'K' &&
         ((magic[2] == 3 && magic[3] == 4) || (magic[2] == 5 && magic[3] == 6));
}
// A zip by its first bytes, or by its name (then libzip says what is wrong with it).
bool IsZip(const std::string& path) { return LooksLikeZip(path) || HasExtension(path, ".zip"); }

bool ReadPlainFile(const std::string& path, const std::function<void(CollectionFile&)>& visit,
                   std::vector<ImportProblem>* problems) {
  std::error_code ec;
  uintmax_t size = fs::file_size(path, ec);
  if (ec) {
    problems->push_back({path, "", "cannot read: " + ec.message()});
    return false;
  }
  if (size > kMaxCollectionFileBytes) {
    problems->push_back({path, "",
                         "file is " + std::to_string(size) + " bytes; the limit is " +
                             std::to_string(kMaxCollectionFileBytes) + " (1 GiB)"});
    return false;
  }
  std::ifstream in(path, std::ios::binary);
  CollectionFile file{path, std::string(static_cast<size_t>(size), '\0')};
  in.read(file.text.data(), static_cast<std::streamsize>(size));
  if (!in || static_cast<uintmax_t>(in.gcount()) != size) {
    problems->push_back({path, "", "cannot read the whole file"});
    return false;
  }
  visit(file);
  return true;
}

struct ZipCloser {
  void operator()(zip_t* z) const { zip_discard(z); }
};
struct ZipFileCloser {
  void operator()(zip_file_t* f) const { zip_fclose(f); }
};

bool ReadZip(const std::string& path, const std::function<void(CollectionFile&)>& visit,
             std::vector<std::string>* skipped, std::vector<ImportProblem>* problems) {
  int code = 0;
  // ZIP_CHECKCONS: a truncated archive, or one whose central directory disagrees with its
  // entries, is refused here rather than read halfway.
  std::unique_ptr<zip_t, ZipCloser> zip(zip_open(path.c_str(), ZIP_RDONLY | ZIP_CHECKCONS, &code));
  if (!zip) {
    problems->push_back({path, "",
                         "not a readable zip archive (" + ZipErrorText(code) +
                             "); a collector zip that was cut short must be collected again"});
    return false;
  }
  zip_int64_t count = zip_get_num_entries(zip.get(), 0);
  if (count < 0 || static_cast<uint64_t>(count) > kMaxCollectionFiles) {
    problems->push_back({path, "",
                         "the archive has " + std::to_string(count) + " members; the limit is " +
                             std::to_string(kMaxCollectionFiles)});
    return false;
  }
  struct Member {
    std::string name;
    zip_uint64_t index;
    zip_uint64_t size;
  };
  std::vector<Member> members;
  for (zip_int64_t i = 0; i < count; ++i) {
    zip_stat_t st;
    zip_stat_init(&st);
    if (zip_stat_index(zip.get(), static_cast<zip_uint64_t>(i), 0, &st) != 0 ||
        !(st.valid & ZIP_STAT_NAME) || !(st.valid & ZIP_STAT_SIZE)) {
      problems->push_back(
          {path, "",
           "member " + std::to_string(i) + " cannot be read: " + zip_strerror(zip.get())});
      return false;
    }
    std::string name = st.name;
    if (!name.empty() && name.back() == '/') continue;  // a folder entry
    if (!IsJsonName(name)) {
      skipped->push_back(path + "!" + name);
      continue;
    }
    if ((st.valid & ZIP_STAT_ENCRYPTION_METHOD) && st.encryption_method != ZIP_EM_NONE) {
      problems->push_back({path + "!" + name, "",
                           "the member is encrypted (a collector zip password); unzip it "
                           "first and import the folder"});
      return false;
    }
    if (st.size > kMaxCollectionFileBytes) {
      problems->push_back({path + "!" + name, "",
                           "member is " + std::to_string(st.size) + " bytes; the limit is " +
                               std::to_string(kMaxCollectionFileBytes) + " (1 GiB)"});
      return false;
    }
    members.push_back({name, static_cast<zip_uint64_t>(i), st.size});
  }
  std::sort(members.begin(), members.end(),
            [](const Member& a, const Member& b) { return a.name < b.name; });
  for (const Member& m : members) {
    std::string label = path + "!" + m.name;
    std::unique_ptr<zip_file_t, ZipFileCloser> in(zip_fopen_index(zip.get(), m.index, 0));
    if (!in) {
      problems->push_back({label, "", std::string("cannot open: ") + zip_strerror(zip.get())});
      return false;
    }
    CollectionFile file{label, std::string(static_cast<size_t>(m.size), '\0')};
    size_t got = 0;
    while (got < file.text.size()) {
      zip_int64_t n = zip_fread(in.get(), file.text.data() + got, file.text.size() - got);
      if (n < 0) {
        problems->push_back(
            {label, "", std::string("cannot read: ") + zip_file_strerror(in.get())});
        return false;
      }
      if (n == 0) break;
      got += static_cast<size_t>(n);
    }
    // One more read: the CRC is checked at the end of the data.
    char extra = 0;
    zip_int64_t tail = zip_fread(in.get(), &extra, 1);
    if (got != file.text.size() || tail != 0) {
      problems->push_back({label, "",
                           tail < 0 ? std::string("cannot read: ") + zip_file_strerror(in.get())
                                    : "the member's size differs from the archive's directory"});
      return false;
    }
    visit(file);
  }
  return true;
}

}  // namespace

bool ForEachCollectionFile(const std::vector<std::string>& paths,
                           const std::function<void(CollectionFile&)>& visit,
                           std::vector<std::string>* skipped,
                           std::vector<ImportProblem>* problems) {
  bool ok = true;
  for (const std::string& path : paths) {
    std::error_code ec;
    fs::file_status status = fs::status(path, ec);
    if (ec || !fs::exists(status)) {
      problems->push_back({path, "", "no such file or folder"});
      ok = false;
      continue;
    }
    if (fs::is_directory(status)) {
      std::vector<std::string> names;
      for (const auto& e : fs::directory_iterator(path, ec)) {
        if (names.size() >= kMaxCollectionFiles) break;
        if (!e.is_regular_file(ec)) continue;
        if (IsJsonName(e.path().filename().string()) || IsZip(e.path().string())) {
          names.push_back(e.path().string());
        } else {
          skipped->push_back(e.path().string());
        }
      }
      if (ec) {
        problems->push_back({path, "", "cannot list the folder: " + ec.message()});
        ok = false;
        continue;
      }
      std::sort(names.begin(), names.end());
      for (const std::string& name : names) {
        bool read = IsZip(name) ? ReadZip(name, visit, skipped, problems)
                                : ReadPlainFile(name, visit, problems);
        ok = ok && read;
      }
      continue;
    }
    bool read = IsZip(path) ? ReadZip(path, visit, skipped, problems)
                            : ReadPlainFile(path, visit, problems);
    ok = ok && read;
  }
  return ok;
}

}  // namespace delegsim::importer
