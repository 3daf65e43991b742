// The C ABI's client calls (include/ringkv/ringkv.h, "the client"): each checks its handles
// and pointers, builds the C++ request and runs it on ringkv::Client. Nothing throws out of
// here: an exception (only std::bad_alloc is expected) becomes RINGKV_ABORTED.

#include <exception>
#include <new>

#include "sdk/c_api/handles.h"

using ringkv::c_api::Invalid;
using ringkv::c_api::Report;

namespace {

const ringkv::RequestOptions& OptionsOf(const ringkv_request_options* options) {
  static const ringkv::RequestOptions kDefaults;
  return options == nullptr ? kDefaults : options->options;
}

// InvalidArgument for a NULL client, or a NULL key or context pointer with a length; OK otherwise.
ringkv::Status CheckCall(const ringkv_client* client, const char* key, size_t key_length, const uint8_t* context,
                         size_t context_length) {
  if (client == nullptr) return ringkv::Status::InvalidArgument("client is NULL");
  if (key == nullptr) return ringkv::Status::InvalidArgument("key is NULL");
  if (context == nullptr && context_length != 0) {
    return ringkv::Status::InvalidArgument("context is NULL with length " + std::to_string(context_length));
  }
  (void)key_length;  // an empty or oversized key is the SDK's to refuse, with its own message
  return ringkv::Status::OK();
}

ringkv::Context ContextOf(const uint8_t* context, size_t length) {
  if (context == nullptr || length == 0) return {};
  return ringkv::Context(std::string(reinterpret_cast<const char*>(context), length));
}

// Runs `call`, turning an exception into Aborted (the C side cannot catch it).
template <typename F>
ringkv_code Guarded(ringkv_error** error, F call) {
  try {
    return call();
  } catch (const std::exception& e) {
    return Report(ringkv::Status::Aborted(std::string("internal error in the C API: ") + e.what()), error);
  }
}

ringkv_code FinishPut(ringkv::Result<ringkv::PutResult> put, ringkv_put_result** out, ringkv_error** error) {
  if (!put.ok()) return Report(put.status(), error);
  if (out != nullptr) {
    *out = new ringkv_put_result{std::move(put).value()};
  }
  return RINGKV_OK;
}

// The C++ callback that hands a put/delete result to a C callback.
ringkv::Client::PutCallback PutCallbackOf(ringkv_put_callback done, void* user) {
  return [done, user](ringkv::Result<ringkv::PutResult> put) {
    if (!put.ok()) {
      ringkv_error error{put.status(), put.status().message()};
      done(user, ringkv::c_api::CodeOf(put.status().code()), &error, nullptr);
      return;
    }
    done(user, RINGKV_OK, nullptr, new ringkv_put_result{std::move(put).value()});
  };
}

// Calls `done` at once with InvalidArgument(status) (bad input to an async call).
template <typename Callback>
void RejectAsync(const ringkv::Status& status, Callback done, void* user) {
  ringkv_error error{status, status.message()};
  done(user, ringkv::c_api::CodeOf(status.code()), &error, nullptr);
}

}  // namespace

extern "C" {

ringkv_code ringkv_client_connect(const ringkv_options* options, ringkv_client** out, ringkv_error** error) {
  if (out != nullptr) *out = nullptr;
  if (options == nullptr) return Invalid("options is NULL", error);
  if (out == nullptr) return Invalid("out is NULL", error);
  return Guarded(error, [&] {
    auto client = ringkv::Client::Connect(options->options);
    if (!client.ok()) return Report(client.status(), error);
    *out = new ringkv_client{std::move(client).value()};
    return RINGKV_OK;
  });
}

void ringkv_client_close(ringkv_client* client) { delete client; }

ringkv_code ringkv_get(ringkv_client* client, const char* key, size_t key_length, const ringkv_request_options* options,
                       ringkv_get_result** out, ringkv_error** error) {
  if (out != nullptr) *out = nullptr;
  auto valid = CheckCall(client, key, key_length, nullptr, 0);
  if (!valid.ok()) return Report(valid, error);
  if (out == nullptr) return Invalid("out is NULL", error);
  return Guarded(error, [&] {
    auto got = client->client->Get(std::string(key, key_length), OptionsOf(options));
    if (!got.ok()) return Report(got.status(), error);
    *out = new ringkv_get_result{std::move(got).value()};
    return RINGKV_OK;
  });
}

ringkv_code ringkv_put(ringkv_client* client, const char* key, size_t key_length, const char* value,
                       size_t value_length, const uint8_t* context, size_t context_length,
                       const ringkv_request_options* options, ringkv_put_result** out, ringkv_error** error) {
  if (out != nullptr) *out = nullptr;
  auto valid = CheckCall(client, key, key_length, context, context_length);
  if (!valid.ok()) return Report(valid, error);
  if (value == nullptr && value_length != 0) return Invalid("value is NULL with a length", error);
  return Guarded(error, [&] {
    std::string bytes = value == nullptr ? std::string() : std::string(value, value_length);
    return FinishPut(client->client->Put(std::string(key, key_length), bytes, ContextOf(context, context_length),
                                         OptionsOf(options)),
                     out, error);
  });
}

ringkv_code ringkv_delete(ringkv_client* client, const char* key, size_t key_length, const uint8_t* context,
                          size_t context_length, const ringkv_request_options* options, ringkv_put_result** out,
                          ringkv_error** error) {
  if (out != nullptr) *out = nullptr;
  auto valid = CheckCall(client, key, key_length, context, context_length);
  if (!valid.ok()) return Report(valid, error);
  return Guarded(error, [&] {
    return FinishPut(
        client->client->Delete(std::string(key, key_length), ContextOf(context, context_length), OptionsOf(options)),
        out, error);
  });
}

ringkv_code ringkv_put_if_absent(ringkv_client* client, const char* key, size_t key_length, const char* value,
                                 size_t value_length, const ringkv_request_options* options, ringkv_put_result** out,
                                 ringkv_error** error) {
  if (out != nullptr) *out = nullptr;
  auto valid = CheckCall(client, key, key_length, nullptr, 0);
  if (!valid.ok()) return Report(valid, error);
  if (value == nullptr && value_length != 0) return Invalid("value is NULL with a length", error);
  return Guarded(error, [&] {
    std::string bytes = value == nullptr ? std::string() : std::string(value, value_length);
    return FinishPut(client->client->PutIfAbsent(std::string(key, key_length), bytes, OptionsOf(options)), out, error);
  });
}

void ringkv_get_async(ringkv_client* client, const char* key, size_t key_length, const ringkv_request_options* options,
                      ringkv_get_callback done, void* user) {
  if (done == nullptr) return;  // nowhere to report anything: documented as bad input that does nothing
  auto valid = CheckCall(client, key, key_length, nullptr, 0);
  if (!valid.ok()) return RejectAsync(valid, done, user);
  client->client->GetAsync(std::string(key, key_length), OptionsOf(options),
                           [done, user](ringkv::Result<ringkv::GetResult> got) {
                             if (!got.ok()) {
                               ringkv_error error{got.status(), got.status().message()};
                               done(user, ringkv::c_api::CodeOf(got.status().code()), &error, nullptr);
                               return;
                             }
                             done(user, RINGKV_OK, nullptr, new ringkv_get_result{std::move(got).value()});
                           });
}

void ringkv_put_async(ringkv_client* client, const char* key, size_t key_length, const char* value, size_t value_length,
                      const uint8_t* context, size_t context_length, const ringkv_request_options* options,
                      ringkv_put_callback done, void* user) {
  if (done == nullptr) return;
  auto valid = CheckCall(client, key, key_length, context, context_length);
  if (valid.ok() && value == nullptr && value_length != 0) {
    valid = ringkv::Status::InvalidArgument("value is NULL with a length");
  }
  if (!valid.ok()) return RejectAsync(valid, done, user);
  std::string bytes = value == nullptr ? std::string() : std::string(value, value_length);
  client->client->PutAsync(std::string(key, key_length), bytes, ContextOf(context, context_length), OptionsOf(options),
                           PutCallbackOf(done, user));
}

void ringkv_delete_async(ringkv_client* client, const char* key, size_t key_length, const uint8_t* context,
                         size_t context_length, const ringkv_request_options* options, ringkv_put_callback done,
                         void* user) {
  if (done == nullptr) return;
  auto valid = CheckCall(client, key, key_length, context, context_length);
  if (!valid.ok()) return RejectAsync(valid, done, user);
  client->client->DeleteAsync(std::string(key, key_length), ContextOf(context, context_length), OptionsOf(options),
                              PutCallbackOf(done, user));
}

ringkv_code ringkv_create_namespace(ringkv_client* client, const char* name, int n, int w, int r, int conflict,
                                    uint64_t default_ttl_s, ringkv_error** error) {
  if (client == nullptr) return Invalid("client is NULL", error);
  if (name == nullptr) return Invalid("namespace name is NULL", error);
  if (conflict != 0 && conflict != 1) {
    return Invalid("unknown conflict mode " + std::to_string(conflict) + " (0: siblings, 1: lww)", error);
  }
  ringkv::NamespaceSettings settings;
  settings.n = n;
  settings.w = w;
  settings.r = r;
  settings.conflict = conflict == 1 ? ringkv::ConflictMode::kLastWriterWins : ringkv::ConflictMode::kSiblings;
  settings.default_ttl_s = default_ttl_s;
  return Guarded(error, [&] { return Report(client->client->CreateNamespace(name, settings), error); });
}

ringkv_code ringkv_refresh_ring(ringkv_client* client, ringkv_error** error) {
  if (client == nullptr) return Invalid("client is NULL", error);
  return Guarded(error, [&] { return Report(client->client->RefreshRing(), error); });
}

ringkv_code ringkv_drop_namespace(ringkv_client* client, const char* name, ringkv_error** error) {
  if (client == nullptr) return Invalid("client is NULL", error);
  if (name == nullptr) return Invalid("namespace name is NULL", error);
  return Guarded(error, [&] { return Report(client->client->DropNamespace(name), error); });
}

}  // extern "C"
