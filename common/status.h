// Status and StatusOr<T>: errors as values.
//
// A Status is OK or carries a code and a message that says what went wrong and where
// ("scenario.json:12 $.hosts[2].domain: unknown domain 'CORPX'"). A policy refusal is
// not an error: it is a common::Decision. Exceptions from third-party libraries are
// caught where those libraries are called and turned into a Status.
//
//   StatusOr<Ticket> t = OpenTicket(sealed, key);
//   if (!t.ok()) return t.status();
#ifndef DELEGSIM_COMMON_STATUS_H_
#define DELEGSIM_COMMON_STATUS_H_

#include <cassert>
#include <optional>
#include <string>
#include <utility>

namespace delegsim {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,  // the caller's input is malformed
  kNotFound,         // a name refers to nothing
  kAlreadyExists,    // a name is defined twice
  kFailedPrecondition,
  kUnauthenticated,   // a seal or signature does not verify
  kDeadlineExceeded,  // a bounded wait ran out
  kUnavailable,       // a peer or connection is gone
  kResourceExhausted,
  kInternal,
};

const char* StatusCodeName(StatusCode code);

class Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}
  static Status Ok() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  std::string ToString() const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status InvalidArgument(std::string m) {
  return {StatusCode::kInvalidArgument, std::move(m)};
}
inline Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
inline Status AlreadyExists(std::string m) { return {StatusCode::kAlreadyExists, std::move(m)}; }
inline Status FailedPrecondition(std::string m) {
  return {StatusCode::kFailedPrecondition, std::move(m)};
}
inline Status Unauthenticated(std::string m) {
  return {StatusCode::kUnauthenticated, std::move(m)};
}
inline Status Unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
inline Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }
inline Status ResourceExhausted(std::string m) {
  return {StatusCode::kResourceExhausted, std::move(m)};
}

// A value or the Status that explains its absence. Precondition of value(): ok().
template <typename T>
class StatusOr {
 public:
  StatusOr(T value) : value_(std::move(value)) {}         // NOLINT: implicit by design
  StatusOr(Status status) : status_(std::move(status)) {  // NOLINT: implicit by design
    assert(!status_.ok());
  }

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }
  const T& value() const& {
    assert(ok());
    return *value_;
  }
  T& value() & {
    assert(ok());
    return *value_;
  }
  T&& value() && {
    assert(ok());
    return std::move(*value_);
  }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }

 private:
  Status status_;
  std::optional<T> value_;
};

}  // namespace delegsim

#endif  // DELEGSIM_COMMON_STATUS_H_
