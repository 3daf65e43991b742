#pragma once
// A real headless Chromium driven over the W3C WebDriver protocol (Debian's chromium and
// chromium-driver), for tests of the dashboard page. Start() launches chromedriver in its
// own process group on a free loopback port and opens a browser session; the destructor
// ends the session and kills the whole group, whatever happened.

#include <sys/types.h>

#include <memory>
#include <string>

#include <boost/json.hpp>

#include "ringkv/status.h"

namespace ringkv::testing {

class Browser {
 public:
  static Result<std::unique_ptr<Browser>> Start();
  ~Browser();
  Browser(const Browser&) = delete;
  Browser& operator=(const Browser&) = delete;

  Status Navigate(const std::string& url);
  // Runs `script` (a function body; `return` gives the value) in the page.
  Result<boost::json::value> Execute(const std::string& script);
  // Saves a PNG of the viewport.
  Status Screenshot(const std::string& path);

 private:
  Browser() = default;
  Result<boost::json::value> Command(const std::string& method, const std::string& path,
                                     const boost::json::value& body);

  pid_t driver_pid_ = -1;
  std::string driver_;   // host:port of chromedriver
  std::string session_;  // WebDriver session id
};

}  // namespace ringkv::testing
