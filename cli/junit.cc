#include "cli/junit.h"

#include <libxml/xmlwriter.h>

#include <cstdio>
#include <memory>

#include "common/text.h"

namespace delegsim::cli {
namespace {

const xmlChar* X(const char* s) { return reinterpret_cast<const xmlChar*>(s); }

// Text that XML 1.0 can carry: unsafe characters written visibly, line breaks kept.
std::string XmlText(const std::string& s) { return EscapeUnsafe(s, /*keep_line_breaks=*/true); }

struct BufferFree {
  void operator()(xmlBuffer* b) const { xmlBufferFree(b); }
};
struct WriterFree {
  void operator()(xmlTextWriter* w) const { xmlFreeTextWriter(w); }
};

}  // namespace

void JUnitReport::AddCase(std::string name, std::string file, double seconds, std::string failure) {
  cases_.push_back({std::move(name), std::move(file), seconds, std::move(failure)});
}

std::string JUnitReport::Render() const {
  std::unique_ptr<xmlBuffer, BufferFree> buffer(xmlBufferCreate());
  if (!buffer) return "";
  // The writer writes into `buffer`, which outlives it.
  std::unique_ptr<xmlTextWriter, WriterFree> w(xmlNewTextWriterMemory(buffer.get(), 0));
  if (!w) return "";
  int failures = 0;
  for (const Case& c : cases_) failures += c.failure.empty() ? 0 : 1;
  xmlTextWriterSetIndent(w.get(), 1);
  xmlTextWriterSetIndentString(w.get(), X("  "));
  xmlTextWriterStartDocument(w.get(), nullptr, "UTF-8", nullptr);
  xmlTextWriterStartElement(w.get(), X("testsuite"));
  xmlTextWriterWriteAttribute(w.get(), X("name"), X("delegsim"));
  xmlTextWriterWriteAttribute(w.get(), X("tests"), X(std::to_string(cases_.size()).c_str()));
  xmlTextWriterWriteAttribute(w.get(), X("failures"), X(std::to_string(failures).c_str()));
  for (const Case& c : cases_) {
    char seconds[32];
    std::snprintf(seconds, sizeof seconds, "%.6f", c.seconds);
    xmlTextWriterStartElement(w.get(), X("testcase"));
    xmlTextWriterWriteAttribute(w.get(), X("classname"), X("delegsim.scenarios"));
    xmlTextWriterWriteAttribute(w.get(), X("name"), X(XmlText(c.name).c_str()));
    xmlTextWriterWriteAttribute(w.get(), X("file"), X(XmlText(c.file).c_str()));
    xmlTextWriterWriteAttribute(w.get(), X("time"), X(seconds));
    if (!c.failure.empty()) {
      xmlTextWriterStartElement(w.get(), X("failure"));
      xmlTextWriterWriteAttribute(w.get(), X("message"), X("scenario failed"));
      xmlTextWriterWriteString(w.get(), X(XmlText(c.failure).c_str()));
      xmlTextWriterEndElement(w.get());
    }
    xmlTextWriterEndElement(w.get());
  }
  xmlTextWriterEndDocument(w.get());  // closes the open elements and flushes
  w.reset();
  return std::string(reinterpret_cast<const char*>(xmlBufferContent(buffer.get())),
                     static_cast<size_t>(xmlBufferLength(buffer.get())));
}

}  // namespace delegsim::cli
