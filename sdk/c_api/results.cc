// Get and put results of the C ABI (include/ringkv/ringkv.h, "results"): read-only views
// into the C++ results they hold.

#include "sdk/c_api/handles.h"

namespace {

void ContextBytes(const ringkv::Context& context, const uint8_t** data, size_t* length) {
  if (data != nullptr) *data = reinterpret_cast<const uint8_t*>(context.bytes().data());
  if (length != nullptr) *length = context.bytes().size();
}

void Bytes(const std::string& bytes, const char** data, size_t* length) {
  if (data != nullptr) *data = bytes.data();
  if (length != nullptr) *length = bytes.size();
}

}  // namespace

extern "C" {

int ringkv_get_result_found(const ringkv_get_result* result) { return result != nullptr && result->result.found; }

size_t ringkv_get_result_value_count(const ringkv_get_result* result) {
  return result == nullptr ? 0 : result->result.values.size();
}

int ringkv_get_result_value(const ringkv_get_result* result, size_t i, const char** data, size_t* length) {
  if (result == nullptr || i >= result->result.values.size()) return 0;
  Bytes(result->result.values[i], data, length);
  return 1;
}

void ringkv_get_result_context(const ringkv_get_result* result, const uint8_t** data, size_t* length) {
  static const ringkv::Context kEmpty;
  ContextBytes(result == nullptr ? kEmpty : result->result.context, data, length);
}

int ringkv_get_result_replies(const ringkv_get_result* result) {
  return result == nullptr ? 0 : result->result.replies;
}

size_t ringkv_get_result_sibling_count(const ringkv_get_result* result) {
  return result == nullptr ? 0 : result->result.siblings.size();
}

int ringkv_get_result_sibling(const ringkv_get_result* result, size_t i, const char** value, size_t* value_length,
                              int* tombstone, uint64_t* written_ms, uint64_t* expires_ms, const char** id) {
  if (result == nullptr || i >= result->result.siblings.size()) return 0;
  const ringkv::SiblingInfo& sibling = result->result.siblings[i];
  Bytes(sibling.value, value, value_length);
  if (tombstone != nullptr) *tombstone = sibling.tombstone ? 1 : 0;
  if (written_ms != nullptr) *written_ms = sibling.written_ms;
  if (expires_ms != nullptr) *expires_ms = sibling.expires_ms;
  if (id != nullptr) *id = sibling.id.c_str();
  return 1;
}

void ringkv_get_result_free(ringkv_get_result* result) { delete result; }

void ringkv_put_result_context(const ringkv_put_result* result, const uint8_t** data, size_t* length) {
  static const ringkv::Context kEmpty;
  ContextBytes(result == nullptr ? kEmpty : result->result.context, data, length);
}

int ringkv_put_result_acks(const ringkv_put_result* result) { return result == nullptr ? 0 : result->result.acks; }

void ringkv_put_result_free(ringkv_put_result* result) { delete result; }

}  // extern "C"
