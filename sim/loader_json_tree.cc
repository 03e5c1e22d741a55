#include "sim/loader_json_tree.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <iterator>

#include "sim/json_path.h"

namespace delegsim::sim::loader_internal {

// The line recorded for exactly `path`, or 0.
int ExactLine(const LineTable& lines, const std::string& path) {
  if (auto it = lines.members.find(path); it != lines.members.end()) return it->second;
  if (path.empty() || path.back() != ']') return 0;
  size_t open = path.find_last_of('[');
  size_t digits = open == std::string::npos ? 0 : path.size() - open - 2;
  if (digits == 0 || digits > 18) return 0;
  size_t index = 0;
  for (size_t i = open + 1; i + 1 < path.size(); ++i) {
    if (!std::isdigit(static_cast<unsigned char>(path[i]))) return 0;
    index = index * 10 + static_cast<size_t>(path[i] - '0');
  }
  auto it = lines.elements.find(path.substr(0, open));
  return it != lines.elements.end() && index < it->second.size() ? it->second[index] : 0;
}

// The line of `path`, or of its nearest ancestor with a recorded line; 0 if none.
int LineOfPath(const LineTable& lines, std::string path) {
  while (!path.empty()) {
    if (int line = ExactLine(lines, path); line > 0) return line;
    size_t cut = path.find_last_of(".[");
    if (cut == std::string::npos || cut == 0) break;
    path.resize(cut);
  }
  return 0;
}

namespace {

// Where each line starts, to turn byte offsets into 1-based lines.
// The offset of the last token read, `consumed` characters into `text`. A number is only
// known to end when the lexer has read the character after it, so for numbers that
// character is stepped over.
size_t LastTokenOffset(std::string_view text, size_t consumed, bool number) {
  size_t offset = consumed > 0 ? consumed - 1 : 0;
  if (number && offset > 0 && offset < text.size()) {
    char c = text[offset];
    bool part = std::isdigit(static_cast<unsigned char>(c)) || c == '.' || c == 'e' || c == 'E' ||
                c == '+' || c == '-';
    if (!part) --offset;
  }
  return offset;
}

class LineIndex {
 public:
  explicit LineIndex(std::string_view text) {
    for (size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '\n') newlines_.push_back(i);
    }
  }
  int LineOf(size_t offset) const {
    return 1 + static_cast<int>(std::lower_bound(newlines_.begin(), newlines_.end(), offset) -
                                newlines_.begin());
  }

 private:
  std::vector<size_t> newlines_;
};

// A forward iterator over the text that records how many characters the JSON lexer has
// consumed, so that each SAX event can be placed on a line.
class TrackingIterator {
 public:
  using iterator_category = std::forward_iterator_tag;
  using value_type = char;
  using difference_type = std::ptrdiff_t;
  using pointer = const char*;
  using reference = const char&;

  TrackingIterator() = default;
  TrackingIterator(const char* base, const char* p, size_t* consumed)
      : base_(base), p_(p), consumed_(consumed) {}

  reference operator*() const { return *p_; }
  TrackingIterator& operator++() {
    ++p_;
    *consumed_ = static_cast<size_t>(p_ - base_);
    return *this;
  }
  TrackingIterator operator++(int) {
    TrackingIterator old = *this;
    ++*this;
    return old;
  }
  bool operator==(const TrackingIterator& o) const { return p_ == o.p_; }
  bool operator!=(const TrackingIterator& o) const { return p_ != o.p_; }

 private:
  const char* base_ = nullptr;
  const char* p_ = nullptr;
  size_t* consumed_ = nullptr;
};

// SAX handler for nlohmann::json::sax_parse: builds the document as a Json value and
// records the line of every path. Duplicate keys are problems (the later value wins);
// a syntax error or excessive nesting stops the parse.
class TreeBuilder {
 public:
  using number_integer_t = Json::number_integer_t;
  using number_unsigned_t = Json::number_unsigned_t;
  using number_float_t = Json::number_float_t;
  using string_t = Json::string_t;
  using binary_t = Json::binary_t;

  TreeBuilder(std::string_view text, const size_t* consumed, LineTable* lines)
      : text_(text), index_(text), consumed_(consumed), lines_(lines) {}
  TreeBuilder(const TreeBuilder&) = delete;
  TreeBuilder& operator=(const TreeBuilder&) = delete;

  bool null() { return Scalar(nullptr, false); }
  bool boolean(bool v) { return Scalar(v, false); }
  bool number_integer(number_integer_t v) { return Scalar(v, true); }
  bool number_unsigned(number_unsigned_t v) { return Scalar(v, true); }
  bool number_float(number_float_t v, const string_t&) { return Scalar(v, true); }
  bool string(string_t& v) { return Scalar(std::move(v), false); }
  bool binary(binary_t&) { return false; }  // never produced by JSON text
  bool start_object(std::size_t) { return Open(Json::object()); }
  bool start_array(std::size_t) { return Open(Json::array()); }
  bool end_object() { return Close(); }
  bool end_array() { return Close(); }

  bool key(string_t& k) {
    Frame& top = stack_.back();
    int line = CurrentLine(false);
    std::string path = Member(top.path, k);
    if (top.value->contains(k)) {
      soft_.push_back({line, path,
                       "duplicate key '" + k + "' (first at line " +
                           std::to_string(LineOfPath(*lines_, path)) + ")"});
    }
    RecordMember(path, line, top.line, IsIdentifier(k));
    top.key = std::move(k);
    top.key_line = line;
    top.has_key = true;
    return true;
  }

  bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& e) {
    // nlohmann's text: "[json.exception.parse_error.101] parse error at line 3, column 5:
    // syntax error while parsing object key - unexpected '}'; expected string literal".
    std::string what = e.what();
    int line = 0;
    int column = 0;
    std::string detail = what;
    if (size_t at = what.find(" at line "); at != std::string::npos) {
      if (std::sscanf(what.c_str() + at, " at line %d, column %d", &line, &column) != 2) line = 0;
      if (size_t colon = what.find(": ", at); colon != std::string::npos) {
        detail = what.substr(colon + 2);
      }
    } else if (size_t bracket = what.find("] "); bracket != std::string::npos) {
      detail = what.substr(bracket + 2);
    }
    if (line == 0) {
      size_t offset = position > 0 ? std::min(position - 1, text_.size()) : 0;
      line = index_.LineOf(offset);
    }
    fatal_ = Raw{line, ErrorPath(),
                 "malformed JSON" + (column > 0 ? " at column " + std::to_string(column) : "") +
                     ": " + detail};
    return false;
  }

  Json& root() { return root_; }
  // Problems that end parsing: a syntax error or nesting beyond kMaxJsonDepth.
  const std::optional<Raw>& fatal() const { return fatal_; }
  // Problems that do not (duplicate keys).
  std::vector<Raw>& soft() { return soft_; }

 private:
  struct Frame {
    Json* value;
    std::string path;
    int line;         // the line LineOfPath gives for `path`
    std::string key;  // objects: the key whose value comes next, and its line
    int key_line = 0;
    bool has_key = false;
    std::vector<int>* element_lines = nullptr;  // arrays: LineTable::elements[path]
  };

  // Records the line of object member `path`, unless LineOfPath can find it from the
  // parent's: the same line, and a key that cutting at the last '.' removes exactly.
  void RecordMember(const std::string& path, int line, int parent_line, bool identifier_key) {
    if (line != parent_line || !identifier_key) {
      lines_->members[path] = line;
    } else {
      lines_->members.erase(path);  // a duplicate key may have recorded another line
    }
  }

  // The line of the last token read.
  int CurrentLine(bool number) const {
    return index_.LineOf(LastTokenOffset(text_, *consumed_, number));
  }

  // Stores `v` where the parser is and records its line; returns where it went.
  Json* Place(Json&& v, int line) {
    if (stack_.empty()) {
      root_ = std::move(v);
      lines_->members["$"] = line;
      return &root_;
    }
    Frame& top = stack_.back();
    if (top.value->is_array()) {
      top.element_lines->push_back(line);
      top.value->push_back(std::move(v));
      return &top.value->back();
    }
    Json& slot = (*top.value)[top.key];
    slot = std::move(v);
    top.has_key = false;
    return &slot;
  }

  bool Scalar(Json&& v, bool number) {
    Place(std::move(v), CurrentLine(number));
    return true;
  }

  bool Open(Json&& container) {
    int line = CurrentLine(false);
    if (stack_.size() >= static_cast<size_t>(kMaxJsonDepth)) {
      fatal_ = Raw{line, ErrorPath(),
                   "JSON nested deeper than " + std::to_string(kMaxJsonDepth) + " levels"};
      return false;
    }
    // The new container's path and line, from the parent frame before Place changes it.
    std::string path = "$";
    int path_line = line;
    if (!stack_.empty()) {
      const Frame& top = stack_.back();
      if (top.value->is_array()) {
        path = Index(top.path, top.value->size());
      } else {
        path = Member(top.path, top.key);
        path_line = top.key_line;
      }
    }
    bool array = container.is_array();
    Json* where = Place(std::move(container), line);
    Frame f{where, std::move(path), path_line, "", 0, false, nullptr};
    if (array) {
      f.element_lines = &lines_->elements[f.path];  // references survive rehashing
      f.element_lines->clear();                     // a duplicate key may have filled it
    }
    stack_.push_back(std::move(f));
    return true;
  }

  bool Close() {
    stack_.pop_back();
    return true;
  }

  // The path of the value being parsed when an error struck.
  std::string ErrorPath() const {
    if (stack_.empty()) return "$";
    const Frame& top = stack_.back();
    if (top.value->is_array()) return Index(top.path, top.value->size());
    if (top.has_key) return Member(top.path, top.key);
    return top.path;
  }

  std::string_view text_;
  LineIndex index_;
  const size_t* consumed_;
  LineTable* lines_;
  Json root_;
  std::vector<Frame> stack_;
  std::optional<Raw> fatal_;
  std::vector<Raw> soft_;
};

}  // namespace

ParsedText ParseWithLines(std::string_view text) {
  ParsedText out;
  LineTable lines;
  size_t consumed = 0;
  TreeBuilder builder(text, &consumed, &lines);
  TrackingIterator first(text.data(), text.data(), &consumed);
  TrackingIterator last(text.data(), text.data() + text.size(), &consumed);
  Json::sax_parse(first, last, &builder);
  out.fatal = builder.fatal();
  out.soft = std::move(builder.soft());
  out.root = std::move(builder.root());
  out.lines = PathLines(std::move(lines));
  return out;
}

int PathLines::Line(const std::string& path) const {
  if (complete_) return LineOfPath(table_, path);
  // Every recorded path starts at the root, "$": nothing else has a line.
  if (path.empty() || path[0] != '$') return 0;
  // "$.steps[3]": the elements of top-level arrays are known.
  if (path.back() == ']' && path.find('[') == path.find_last_of('[') &&
      path.find('.', 2) == std::string::npos) {
    if (int line = ExactLine(table_, path); line > 0) return line;
  }
  table_ = std::move(ParseWithLines(text_).lines.table_);
  complete_ = true;
  return LineOfPath(table_, path);
}

namespace {

// SAX handler for the quick read: builds the same document as TreeBuilder, recording only
// the lines of top-level array elements, and gives up (returns false) at the first
// duplicate key, syntax error or nesting beyond kMaxJsonDepth, which ParseWithLines then
// reports.
class QuickBuilder {
 public:
  using number_integer_t = Json::number_integer_t;
  using number_unsigned_t = Json::number_unsigned_t;
  using number_float_t = Json::number_float_t;
  using string_t = Json::string_t;
  using binary_t = Json::binary_t;

  QuickBuilder(std::string_view text, const size_t* consumed, LineTable* lines)
      : text_(text), consumed_(consumed), lines_(lines) {}
  QuickBuilder(const QuickBuilder&) = delete;
  QuickBuilder& operator=(const QuickBuilder&) = delete;

  bool null() { return Scalar(nullptr, false); }
  bool boolean(bool v) { return Scalar(v, false); }
  bool number_integer(number_integer_t v) { return Scalar(v, true); }
  bool number_unsigned(number_unsigned_t v) { return Scalar(v, true); }
  bool number_float(number_float_t v, const string_t&) { return Scalar(v, true); }
  bool string(string_t& v) { return Scalar(std::move(v), false); }
  bool binary(binary_t&) { return false; }
  bool start_object(std::size_t) { return Open(Json::object()); }
  bool start_array(std::size_t) { return Open(Json::array()); }
  bool end_object() { return Close(); }
  bool end_array() { return Close(); }

  bool key(string_t& k) {
    Frame& top = stack_.back();
    auto [it, inserted] = top.value->get_ref<Json::object_t&>().emplace(std::move(k), nullptr);
    if (!inserted) return false;  // a duplicate key: ParseWithLines reports it
    top.slot = &it->second;
    if (stack_.size() == 1) top_key_ = &it->first;
    return true;
  }

  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) {
    return false;
  }

  Json& root() { return root_; }

 private:
  struct Frame {
    Json* value;
    Json* slot = nullptr;                       // objects: where the next value goes
    std::vector<int>* element_lines = nullptr;  // top-level arrays: their elements' lines
  };

  // The line of the last token read, counting lines forward from the last offset asked.
  int CurrentLine(bool number) {
    const size_t offset = std::min(LastTokenOffset(text_, *consumed_, number), text_.size());
    if (offset >= counted_to_) {
      line_ +=
          static_cast<int>(std::count(text_.begin() + counted_to_, text_.begin() + offset, '\n'));
    } else {
      line_ -=
          static_cast<int>(std::count(text_.begin() + offset, text_.begin() + counted_to_, '\n'));
    }
    counted_to_ = offset;
    return line_;
  }

  Json* Place(Json&& v, bool number) {
    if (stack_.empty()) {
      root_ = std::move(v);
      return &root_;
    }
    Frame& top = stack_.back();
    if (top.value->is_array()) {
      if (top.element_lines) top.element_lines->push_back(CurrentLine(number));
      top.value->push_back(std::move(v));
      return &top.value->back();
    }
    *top.slot = std::move(v);
    return top.slot;
  }

  bool Scalar(Json&& v, bool number) {
    Place(std::move(v), number);
    return true;
  }

  bool Open(Json&& container) {
    if (stack_.size() >= static_cast<size_t>(kMaxJsonDepth)) return false;
    bool array = container.is_array();
    // A top-level array: the root is an object, and this is one of its members.
    bool top_array = array && stack_.size() == 1 && stack_.back().value->is_object();
    Json* where = Place(std::move(container), false);
    Frame f{where};
    if (top_array) f.element_lines = &lines_->elements[Member("$", *top_key_)];
    stack_.push_back(f);
    return true;
  }

  bool Close() {
    stack_.pop_back();
    return true;
  }

  std::string_view text_;
  const size_t* consumed_;
  LineTable* lines_;
  Json root_;
  std::vector<Frame> stack_;
  const std::string* top_key_ = nullptr;  // the root object's member being read
  size_t counted_to_ = 0;                 // CurrentLine: newlines counted up to here
  int line_ = 1;                          // ...and the line there
};

}  // namespace

ParsedText ReadScenarioJson(std::string_view text) {
  LineTable top_elements;
  size_t consumed = 0;
  QuickBuilder builder(text, &consumed, &top_elements);
  TrackingIterator first(text.data(), text.data(), &consumed);
  TrackingIterator last(text.data(), text.data() + text.size(), &consumed);
  if (!Json::sax_parse(first, last, &builder)) return ParseWithLines(text);
  ParsedText out;
  out.root = std::move(builder.root());
  out.lines = PathLines(text, std::move(top_elements));
  return out;
}

}  // namespace delegsim::sim::loader_internal
