// The C ABI's fixed numbers (include/ringkv/ringkv.h) against the C++ SDK's.

#include <catch2/catch.hpp>
#include <string>

#include "ringkv/client.h"
#include "ringkv/ringkv.h"
#include "ringkv/status.h"

TEST_CASE("every StatusCode has the C code of the same number and name, and no code is left unmapped") {
  for (int code = 0; code <= RINGKV_PERMISSION_DENIED; ++code) {
    INFO("code " << code);
    CHECK(std::string(ringkv_code_name(code)) == std::string(ringkv::StatusCodeName(ringkv::StatusCode(code))));
  }
  // A StatusCode added after kPermissionDenied would have a name here: the C ABI must then map it.
  CHECK(std::string(ringkv::StatusCodeName(ringkv::StatusCode(RINGKV_PERMISSION_DENIED + 1))) == "Unknown");
  CHECK(std::string(ringkv_code_name(RINGKV_PERMISSION_DENIED + 1)) == "Unknown");
}

TEST_CASE("the C levels are the C++ Consistency levels in order, and others are refused with options unchanged") {
  CHECK(RINGKV_LEVEL_ONE == static_cast<int>(ringkv::Consistency::kOne) + 1);
  CHECK(RINGKV_LEVEL_EACH_QUORUM == static_cast<int>(ringkv::Consistency::kEachQuorum) + 1);
  ringkv_request_options* options = ringkv_request_options_new();
  for (int level = RINGKV_LEVEL_ONE; level <= RINGKV_LEVEL_EACH_QUORUM; ++level) {
    CHECK(ringkv_request_options_set_level(options, level, nullptr) == RINGKV_OK);
  }
  for (int level : {-1, 0, 7, 1000}) {
    ringkv_error* error = nullptr;
    CHECK(ringkv_request_options_set_level(options, level, &error) == RINGKV_INVALID_ARGUMENT);
    REQUIRE(error != nullptr);
    CHECK(std::string(ringkv_error_message(error)).find("unknown consistency level") != std::string::npos);
    ringkv_error_free(error);
  }
  ringkv_request_options_free(options);
}

TEST_CASE("the library's ABI version and release are the header's, and the release is the project's") {
  CHECK(ringkv_abi_version() == RINGKV_C_ABI_VERSION);
  CHECK(std::string(ringkv_version_string()) == RINGKV_PROJECT_VERSION);
  CHECK(std::string(ringkv_version_string()) == std::to_string(RINGKV_VERSION_MAJOR) + "." +
                                                    std::to_string(RINGKV_VERSION_MINOR) + "." +
                                                    std::to_string(RINGKV_VERSION_PATCH));
}
