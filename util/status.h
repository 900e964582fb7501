// Helpers over absl::Status: early return on error, and unwrapping absl::StatusOr.
//
// Library code returns absl::Status / absl::StatusOr and never throws across a module boundary.
// Conventions for status codes used throughout Northstar:
//   kDataLoss           bytes from disk failed a check (corruption, torn record, bad CRC)
//   kInternal           an I/O error reported by the device (EIO)
//   kResourceExhausted  no space left (ENOSPC) or a configured limit was hit
//   kInvalidArgument    bad input from a caller (bad flag, key too long, offset overflow)
//   kFailedPrecondition misuse (I/O on a closed file)
//   kNotFound / kAlreadyExists   as for files
#pragma once

#include <utility>  // std::move in NS_ASSIGN_OR_RETURN

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define NS_STATUS_CONCAT_INNER(a, b) a##b
#define NS_STATUS_CONCAT(a, b) NS_STATUS_CONCAT_INNER(a, b)

// NS_RETURN_IF_ERROR(expression): evaluates an absl::Status expression once and returns it from
// the enclosing function when it is not OK.
#define NS_RETURN_IF_ERROR(expression)                                \
  do {                                                                \
    ::absl::Status ns_status_ = (expression);                         \
    if (!ns_status_.ok()) [[unlikely]] return ns_status_;             \
  } while (false)

// NS_ASSIGN_OR_RETURN(lhs, expression): evaluates an absl::StatusOr<T> expression; on error
// returns its status, otherwise moves the value into lhs (which may be a declaration:
// `NS_ASSIGN_OR_RETURN(auto file, fs.open(...));`).
#define NS_ASSIGN_OR_RETURN(lhs, expression) \
  NS_ASSIGN_OR_RETURN_IMPL(NS_STATUS_CONCAT(ns_statusor_, __LINE__), lhs, expression)

#define NS_ASSIGN_OR_RETURN_IMPL(statusor, lhs, expression) \
  auto statusor = (expression);                             \
  if (!statusor.ok()) [[unlikely]] return statusor.status(); \
  lhs = std::move(statusor).value()
