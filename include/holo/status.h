// File: holo/status.h
//
// Status is how every fallible Holo call reports a recoverable error. Holo does
// not throw from engine code; third-party exceptions are caught where the call
// is made and turned into a Status.
//
//   holo::Status s = engine->Ingest(paths, &report);
//   if (!s.ok()) { std::cerr << s.ToString() << "\n"; return 1; }
#pragma once

#include <string>
#include <string_view>
#include <utility>

namespace holo {

// Canonical codes, after absl::StatusCode. DO NOT CHANGE the numeric values:
// they appear in logs and in the HTTP error mapping.
enum class StatusCode : int {
  kOk = 0,
  kCancelled = 1,
  kUnknown = 2,
  kInvalidArgument = 3,
  kNotFound = 5,
  kAlreadyExists = 6,
  kResourceExhausted = 8,
  kFailedPrecondition = 9,
  kAborted = 10,
  kOutOfRange = 11,
  kUnimplemented = 12,
  kInternal = 13,
  kUnavailable = 14,
  kDataLoss = 15,
};

// Returns the canonical name of `code`, e.g. "INVALID_ARGUMENT".
std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status OK() { return Status(); }
  static Status InvalidArgument(std::string msg) { return {StatusCode::kInvalidArgument, std::move(msg)}; }
  static Status NotFound(std::string msg) { return {StatusCode::kNotFound, std::move(msg)}; }
  static Status AlreadyExists(std::string msg) { return {StatusCode::kAlreadyExists, std::move(msg)}; }
  static Status FailedPrecondition(std::string msg) {
    return {StatusCode::kFailedPrecondition, std::move(msg)};
  }
  static Status Aborted(std::string msg) { return {StatusCode::kAborted, std::move(msg)}; }
  static Status OutOfRange(std::string msg) { return {StatusCode::kOutOfRange, std::move(msg)}; }
  static Status Unimplemented(std::string msg) { return {StatusCode::kUnimplemented, std::move(msg)}; }
  static Status Internal(std::string msg) { return {StatusCode::kInternal, std::move(msg)}; }
  static Status Unavailable(std::string msg) { return {StatusCode::kUnavailable, std::move(msg)}; }
  static Status DataLoss(std::string msg) { return {StatusCode::kDataLoss, std::move(msg)}; }
  static Status IOError(std::string msg) { return {StatusCode::kUnavailable, std::move(msg)}; }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // Returns "OK" or "CODE: message".
  std::string ToString() const;

  // Returns a copy whose message is prefixed with `context + ": "`. OK stays OK.
  Status WithContext(std::string_view context) const;

  // Marks a deliberately ignored status (greppable, after rocksdb).
  void IgnoreError() const {}

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

}  // namespace holo

#define HOLO_STATUS_CONCAT_INNER(a, b) a##b
#define HOLO_STATUS_CONCAT(a, b) HOLO_STATUS_CONCAT_INNER(a, b)

// Returns from the enclosing function if `expr` (a Status) is not OK.
#define HOLO_RETURN_IF_ERROR(expr)                    \
  do {                                                \
    ::holo::Status holo_status_tmp_ = (expr);         \
    if (!holo_status_tmp_.ok()) return holo_status_tmp_; \
  } while (0)
