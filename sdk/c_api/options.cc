// Client and request options of the C ABI (include/ringkv/ringkv.h): each setter checks its
// input and leaves the options unchanged when it refuses it.

#include <chrono>
#include <new>

#include "common/comma_list.h"
#include "ringkv/limits.h"
#include "sdk/c_api/handles.h"

using ringkv::c_api::Invalid;

namespace {

std::string OrEmpty(const char* text) { return text == nullptr ? std::string() : std::string(text); }

}  // namespace

extern "C" {

ringkv_options* ringkv_options_new(void) { return new (std::nothrow) ringkv_options(); }

void ringkv_options_free(ringkv_options* options) { delete options; }

ringkv_code ringkv_options_set_seeds(ringkv_options* options, const char* seeds, ringkv_error** error) {
  if (options == nullptr) return Invalid("options is NULL", error);
  auto list = ringkv::SplitCommaList(OrEmpty(seeds));
  if (list.empty()) return Invalid("no seed nodes given (host:port, comma-separated)", error);
  options->options.seeds = std::move(list);
  return RINGKV_OK;
}

ringkv_code ringkv_options_set_cluster_name(ringkv_options* options, const char* name, ringkv_error** error) {
  if (options == nullptr) return Invalid("options is NULL", error);
  options->options.cluster_name = OrEmpty(name);
  return RINGKV_OK;
}

ringkv_code ringkv_options_set_nwr(ringkv_options* options, int n, int w, int r, ringkv_error** error) {
  if (options == nullptr) return Invalid("options is NULL", error);
  if (n < 1 || w < 1 || r < 1 || w > n || r > n) {
    return Invalid("bad N/W/R " + std::to_string(n) + "/" + std::to_string(w) + "/" + std::to_string(r) +
                       ": each must be >= 1 and W, R <= N",
                   error);
  }
  options->options.n = n;
  options->options.w = w;
  options->options.r = r;
  return RINGKV_OK;
}

ringkv_code ringkv_options_set_timeout_ms(ringkv_options* options, int64_t timeout_ms, ringkv_error** error) {
  if (options == nullptr) return Invalid("options is NULL", error);
  if (timeout_ms <= 0) return Invalid("timeout must be > 0 ms, got " + std::to_string(timeout_ms), error);
  options->options.timeout = std::chrono::milliseconds(timeout_ms);
  return RINGKV_OK;
}

ringkv_code ringkv_options_set_token(ringkv_options* options, const char* token, ringkv_error** error) {
  if (options == nullptr) return Invalid("options is NULL", error);
  options->options.token = OrEmpty(token);
  return RINGKV_OK;
}

ringkv_code ringkv_options_set_user(ringkv_options* options, const char* user, const char* password,
                                    ringkv_error** error) {
  if (options == nullptr) return Invalid("options is NULL", error);
  options->options.user = OrEmpty(user);
  options->options.password = OrEmpty(password);
  return RINGKV_OK;
}

ringkv_code ringkv_options_set_tls(ringkv_options* options, const char* ca_file, const char* cert_file,
                                   const char* key_file, const char* server_name, ringkv_error** error) {
  if (options == nullptr) return Invalid("options is NULL", error);
  auto& tls = options->options.tls;
  tls.ca_file = OrEmpty(ca_file);
  tls.cert_file = OrEmpty(cert_file);
  tls.key_file = OrEmpty(key_file);
  if (server_name != nullptr) tls.server_name = server_name;
  return RINGKV_OK;
}

ringkv_request_options* ringkv_request_options_new(void) { return new (std::nothrow) ringkv_request_options(); }

void ringkv_request_options_free(ringkv_request_options* options) { delete options; }

ringkv_code ringkv_request_options_set_level(ringkv_request_options* options, int level, ringkv_error** error) {
  if (options == nullptr) return Invalid("request options is NULL", error);
  using ringkv::Consistency;
  switch (level) {
    case RINGKV_LEVEL_ONE:
      options->options.level = Consistency::kOne;
      return RINGKV_OK;
    case RINGKV_LEVEL_QUORUM:
      options->options.level = Consistency::kQuorum;
      return RINGKV_OK;
    case RINGKV_LEVEL_ALL:
      options->options.level = Consistency::kAll;
      return RINGKV_OK;
    case RINGKV_LEVEL_LOCAL_QUORUM:
      options->options.level = Consistency::kLocalQuorum;
      return RINGKV_OK;
    case RINGKV_LEVEL_LOCAL_ONE:
      options->options.level = Consistency::kLocalOne;
      return RINGKV_OK;
    case RINGKV_LEVEL_EACH_QUORUM:
      options->options.level = Consistency::kEachQuorum;
      return RINGKV_OK;
    default:
      return Invalid("unknown consistency level " + std::to_string(level) + " (RINGKV_LEVEL_ONE..EACH_QUORUM: 1..6)",
                     error);
  }
}

ringkv_code ringkv_request_options_set_nwr(ringkv_request_options* options, int n, int w, int r, ringkv_error** error) {
  if (options == nullptr) return Invalid("request options is NULL", error);
  if (n < 0 || w < 0 || r < 0) return Invalid("N/W/R must be >= 1, or 0 for the default", error);
  auto set = [](std::optional<int>& field, int value) {
    if (value > 0) {
      field = value;
    } else {
      field.reset();
    }
  };
  set(options->options.n, n);
  set(options->options.w, w);
  set(options->options.r, r);
  return RINGKV_OK;
}

ringkv_code ringkv_request_options_set_timeout_ms(ringkv_request_options* options, int64_t timeout_ms,
                                                  ringkv_error** error) {
  if (options == nullptr) return Invalid("request options is NULL", error);
  if (timeout_ms <= 0) return Invalid("timeout must be > 0 ms, got " + std::to_string(timeout_ms), error);
  options->options.timeout = std::chrono::milliseconds(timeout_ms);
  return RINGKV_OK;
}

ringkv_code ringkv_request_options_set_namespace(ringkv_request_options* options, const char* ns,
                                                 ringkv_error** error) {
  if (options == nullptr) return Invalid("request options is NULL", error);
  options->options.ns = OrEmpty(ns);
  return RINGKV_OK;
}

ringkv_code ringkv_request_options_set_ttl_ms(ringkv_request_options* options, int64_t ttl_ms, ringkv_error** error) {
  if (options == nullptr) return Invalid("request options is NULL", error);
  auto valid = ringkv::ValidateTtlMs(ttl_ms);
  if (!valid.ok()) return ringkv::c_api::Report(valid, error);
  options->options.ttl = std::chrono::milliseconds(ttl_ms);
  return RINGKV_OK;
}

}  // extern "C"
