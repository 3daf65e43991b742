// ringkv._ringkv: the Python package's native part, a thin pybind11 layer over the C ABI
// (include/ringkv/ringkv.h, libringkv.so). ringkv/client.py builds the public API on it.
//
// Over the C ABI rather than the C++ SDK: the extension then depends on one small, stable,
// versioned ABI (RINGKV_C_ABI_VERSION) instead of the SDK's C++ types, and the error
// codes, bad-input checks and ownership rules are the ones the C tests prove; the extension
// only converts bytes and raises exceptions. Every call releases the GIL while it waits on
// the cluster, so other Python threads run meanwhile.

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "ringkv/ringkv.h"

namespace py = pybind11;

namespace {

// Raises ringkv.errors' exception for a failed call (taking ownership of `error`).
[[noreturn]] void Raise(ringkv_code code, ringkv_error* error) {
  std::string message = error != nullptr ? ringkv_error_message(error) : ringkv_code_name(code);
  int acked = ringkv_error_acked(error), needed = ringkv_error_needed(error);
  ringkv_error_free(error);
  py::object exception =
      py::module_::import("ringkv.errors").attr("error_for")(static_cast<int>(code), message, acked, needed);
  PyErr_SetObject(reinterpret_cast<PyObject*>(Py_TYPE(exception.ptr())), exception.ptr());
  throw py::error_already_set();
}

void Check(ringkv_code code, ringkv_error* error) {
  if (code != RINGKV_OK) Raise(code, error);
}

// A request's options, freed with it; every field optional (unset: the client's defaults).
class RequestOptions {
 public:
  RequestOptions(std::optional<int> level, const std::string& ns, std::optional<int64_t> timeout_ms,
                 std::optional<int64_t> ttl_ms, int n, int w, int r)
      : options_(ringkv_request_options_new(), &ringkv_request_options_free) {
    if (options_ == nullptr) throw std::bad_alloc();
    ringkv_request_options* options = options_.get();
    // Each setter's error is read after the setter ran (not as a second argument of one call,
    // whose evaluation order C++ leaves open).
    auto set = [](auto setter) {
      ringkv_error* error = nullptr;
      ringkv_code code = setter(&error);
      Check(code, error);
    };
    if (level) set([&](ringkv_error** e) { return ringkv_request_options_set_level(options, *level, e); });
    if (!ns.empty())
      set([&](ringkv_error** e) { return ringkv_request_options_set_namespace(options, ns.c_str(), e); });
    if (timeout_ms) {
      set([&](ringkv_error** e) { return ringkv_request_options_set_timeout_ms(options, *timeout_ms, e); });
    }
    if (ttl_ms) set([&](ringkv_error** e) { return ringkv_request_options_set_ttl_ms(options, *ttl_ms, e); });
    if (n != 0 || w != 0 || r != 0) {
      set([&](ringkv_error** e) { return ringkv_request_options_set_nwr(options, n, w, r, e); });
    }
  }
  const ringkv_request_options* get() const { return options_.get(); }

 private:
  std::unique_ptr<ringkv_request_options, void (*)(ringkv_request_options*)> options_;
};

py::bytes Bytes(const void* data, size_t length) { return py::bytes(static_cast<const char*>(data), length); }

py::tuple PutTuple(ringkv_put_result* result) {
  const uint8_t* context = nullptr;
  size_t length = 0;
  ringkv_put_result_context(result, &context, &length);
  py::tuple out = py::make_tuple(Bytes(context, length), ringkv_put_result_acks(result));
  ringkv_put_result_free(result);
  return out;
}

// (found, [values], context, [(id, written_ms, tombstone, value, expires_ms)], replies)
py::tuple GetTuple(ringkv_get_result* result) {
  py::list values, siblings;
  for (size_t i = 0; i < ringkv_get_result_value_count(result); ++i) {
    const char* data = nullptr;
    size_t length = 0;
    ringkv_get_result_value(result, i, &data, &length);
    values.append(Bytes(data, length));
  }
  for (size_t i = 0; i < ringkv_get_result_sibling_count(result); ++i) {
    const char *value = nullptr, *id = nullptr;
    size_t length = 0;
    int tombstone = 0;
    uint64_t written_ms = 0, expires_ms = 0;
    ringkv_get_result_sibling(result, i, &value, &length, &tombstone, &written_ms, &expires_ms, &id);
    siblings.append(py::make_tuple(std::string(id), written_ms, tombstone != 0, Bytes(value, length), expires_ms));
  }
  const uint8_t* context = nullptr;
  size_t context_length = 0;
  ringkv_get_result_context(result, &context, &context_length);
  py::tuple out = py::make_tuple(ringkv_get_result_found(result) != 0, values, Bytes(context, context_length), siblings,
                                 ringkv_get_result_replies(result));
  ringkv_get_result_free(result);
  return out;
}

class Client {
 public:
  Client(const std::string& seeds, const std::string& cluster_name, int n, int w, int r, int64_t timeout_ms,
         const std::string& token, const std::string& user, const std::string& password, const std::string& tls_ca,
         const std::string& tls_cert, const std::string& tls_key, const std::string& tls_server_name) {
    ringkv_options* options = ringkv_options_new();
    if (options == nullptr) throw std::bad_alloc();
    ringkv_error* error = nullptr;
    ringkv_code code = ringkv_options_set_seeds(options, seeds.c_str(), &error);
    if (code == RINGKV_OK) code = ringkv_options_set_cluster_name(options, cluster_name.c_str(), &error);
    if (code == RINGKV_OK) code = ringkv_options_set_nwr(options, n, w, r, &error);
    if (code == RINGKV_OK) code = ringkv_options_set_timeout_ms(options, timeout_ms, &error);
    if (code == RINGKV_OK) code = ringkv_options_set_token(options, token.c_str(), &error);
    if (code == RINGKV_OK) code = ringkv_options_set_user(options, user.c_str(), password.c_str(), &error);
    if (code == RINGKV_OK && !tls_ca.empty()) {
      code = ringkv_options_set_tls(options, tls_ca.c_str(), tls_cert.c_str(), tls_key.c_str(),
                                    tls_server_name.empty() ? nullptr : tls_server_name.c_str(), &error);
    }
    if (code == RINGKV_OK) {
      py::gil_scoped_release unlocked;
      code = ringkv_client_connect(options, &client_, &error);
    }
    ringkv_options_free(options);
    Check(code, error);
  }
  ~Client() { Close(); }

  void Close() {
    ringkv_client* client = client_;
    client_ = nullptr;
    py::gil_scoped_release unlocked;
    ringkv_client_close(client);
  }

  py::tuple Get(const std::string& key, const RequestOptions& options) {
    ringkv_get_result* result = nullptr;
    ringkv_error* error = nullptr;
    ringkv_code code;
    {
      py::gil_scoped_release unlocked;
      code = ringkv_get(Open(), key.data(), key.size(), options.get(), &result, &error);
    }
    Check(code, error);
    return GetTuple(result);
  }

  py::tuple Put(const std::string& key, const std::string& value, const std::string& context,
                const RequestOptions& options) {
    ringkv_put_result* result = nullptr;
    ringkv_error* error = nullptr;
    ringkv_code code;
    {
      py::gil_scoped_release unlocked;
      code =
          ringkv_put(Open(), key.data(), key.size(), value.data(), value.size(),
                     reinterpret_cast<const uint8_t*>(context.data()), context.size(), options.get(), &result, &error);
    }
    Check(code, error);
    return PutTuple(result);
  }

  py::tuple PutIfAbsent(const std::string& key, const std::string& value, const RequestOptions& options) {
    ringkv_put_result* result = nullptr;
    ringkv_error* error = nullptr;
    ringkv_code code;
    {
      py::gil_scoped_release unlocked;
      code = ringkv_put_if_absent(Open(), key.data(), key.size(), value.data(), value.size(), options.get(), &result,
                                  &error);
    }
    Check(code, error);
    return PutTuple(result);
  }

  py::tuple Delete(const std::string& key, const std::string& context, const RequestOptions& options) {
    ringkv_put_result* result = nullptr;
    ringkv_error* error = nullptr;
    ringkv_code code;
    {
      py::gil_scoped_release unlocked;
      code = ringkv_delete(Open(), key.data(), key.size(), reinterpret_cast<const uint8_t*>(context.data()),
                           context.size(), options.get(), &result, &error);
    }
    Check(code, error);
    return PutTuple(result);
  }

  void CreateNamespace(const std::string& name, int n, int w, int r, int conflict, uint64_t default_ttl_s) {
    ringkv_error* error = nullptr;
    ringkv_code code;
    {
      py::gil_scoped_release unlocked;
      code = ringkv_create_namespace(Open(), name.c_str(), n, w, r, conflict, default_ttl_s, &error);
    }
    Check(code, error);
  }

  void RefreshRing() {
    ringkv_error* error = nullptr;
    ringkv_code code;
    {
      py::gil_scoped_release unlocked;
      code = ringkv_refresh_ring(Open(), &error);
    }
    Check(code, error);
  }

  void DropNamespace(const std::string& name) {
    ringkv_error* error = nullptr;
    ringkv_code code;
    {
      py::gil_scoped_release unlocked;
      code = ringkv_drop_namespace(Open(), name.c_str(), &error);
    }
    Check(code, error);
  }

 private:
  // The handle; a closed client passes NULL, which the C ABI refuses with InvalidArgument.
  ringkv_client* Open() const { return client_; }
  ringkv_client* client_ = nullptr;
};

}  // namespace

PYBIND11_MODULE(_ringkv, m) {
  m.doc() = "ringkv's native layer over the C ABI (libringkv.so); use the ringkv package";
  m.attr("ABI_VERSION") = RINGKV_C_ABI_VERSION;
  m.def("abi_version", &ringkv_abi_version);
  m.def("version", [] { return std::string(ringkv_version_string()); });
  m.def("code_name", [](int code) { return std::string(ringkv_code_name(code)); });

  py::class_<RequestOptions>(m, "RequestOptions")
      .def(py::init<std::optional<int>, const std::string&, std::optional<int64_t>, std::optional<int64_t>, int, int,
                    int>(),
           py::arg("level") = py::none(), py::arg("namespace") = "", py::arg("timeout_ms") = py::none(),
           py::arg("ttl_ms") = py::none(), py::arg("n") = 0, py::arg("w") = 0, py::arg("r") = 0);

  py::class_<Client>(m, "Client")
      .def(py::init<const std::string&, const std::string&, int, int, int, int64_t, const std::string&,
                    const std::string&, const std::string&, const std::string&, const std::string&, const std::string&,
                    const std::string&>(),
           py::arg("seeds"), py::arg("cluster_name"), py::arg("n"), py::arg("w"), py::arg("r"), py::arg("timeout_ms"),
           py::arg("token"), py::arg("user"), py::arg("password"), py::arg("tls_ca"), py::arg("tls_cert"),
           py::arg("tls_key"), py::arg("tls_server_name"))
      .def("close", &Client::Close)
      .def("get", &Client::Get)
      .def("put", &Client::Put)
      .def("put_if_absent", &Client::PutIfAbsent)
      .def("delete", &Client::Delete)
      .def("create_namespace", &Client::CreateNamespace)
      .def("drop_namespace", &Client::DropNamespace)
      .def("refresh_ring", &Client::RefreshRing);
}
