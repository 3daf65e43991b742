#pragma once
// The C ABI's opaque handles (include/ringkv/ringkv.h) as the C++ objects they wrap, and the
// conversions every entry point shares. Internal to ringkv_c: never installed.

#include <memory>
#include <string>

#include "ringkv/client.h"
#include "ringkv/ringkv.h"
#include "ringkv/status.h"

struct ringkv_error {
  ringkv::Status status;
  std::string message;  // "<what failed>" (the Status' message), NUL-terminated for C
};

struct ringkv_options {
  ringkv::ClientOptions options;
};

struct ringkv_request_options {
  ringkv::RequestOptions options;
};

struct ringkv_get_result {
  ringkv::GetResult result;
};

struct ringkv_put_result {
  ringkv::PutResult result;
};

struct ringkv_client {
  std::unique_ptr<ringkv::Client> client;
};

namespace ringkv::c_api {

// The fixed C number of a StatusCode.
ringkv_code CodeOf(StatusCode code);
// Returns status' code; when it failed and `error` is not NULL, sets *error to a new error.
ringkv_code Report(const Status& status, ringkv_error** error);
// InvalidArgument("<what>") reported through `error`.
ringkv_code Invalid(const std::string& what, ringkv_error** error);

}  // namespace ringkv::c_api
