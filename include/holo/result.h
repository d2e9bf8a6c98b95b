// File: holo/result.h
//
// Result<T> holds either a value or a non-OK Status (after absl::StatusOr).
//
//   holo::Result<OneId> r = engine->Resolve("phone:+8613800000000");
//   if (!r.ok()) return r.status();
//   OneId id = *r;
//
//   HOLO_ASSIGN_OR_RETURN(OneId id, engine->Resolve(raw));
#pragma once

#include <cassert>
#include <utility>
#include <variant>

#include "holo/status.h"

namespace holo {

template <typename T>
class [[nodiscard]] Result {
 public:
  // REQUIRES: !status.ok().
  Result(Status status) : v_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    assert(!std::get<Status>(v_).ok());
  }
  Result(T value) : v_(std::move(value)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return std::holds_alternative<T>(v_); }
  // Returns OK when a value is held.
  Status status() const { return ok() ? Status::OK() : std::get<Status>(v_); }

  // REQUIRES: ok().
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  // The value, or `alternative` when this holds an error.
  template <typename U>
  T value_or(U&& alternative) const& {
    return ok() ? value() : static_cast<T>(std::forward<U>(alternative));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<Status, T> v_;
};

}  // namespace holo

#define HOLO_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                               \
  if (!tmp.ok()) return tmp.status();              \
  lhs = std::move(tmp).value()

// Evaluates `expr` (a Result<T>); returns its Status on error, else assigns the value to `lhs`.
#define HOLO_ASSIGN_OR_RETURN(lhs, expr) \
  HOLO_ASSIGN_OR_RETURN_IMPL(HOLO_STATUS_CONCAT(holo_result_tmp_, __LINE__), lhs, expr)
