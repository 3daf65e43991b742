#include "tests/cluster/webdriver.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/beast/core/detail/base64.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

#include "tests/cluster/http_client.h"

namespace ringkv::testing {
namespace json = boost::json;

namespace {

constexpr const char* kChromium = "/usr/bin/chromium";
constexpr const char* kChromedriver = "/usr/bin/chromedriver";

int FreeLoopbackPort() {
  // Bind port 0, read it back, release it; chromedriver takes it a moment later.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  int port = -1;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

json::value ChromeCapabilities() {
  json::array args = {"--headless=new",          "--no-sandbox",           "--disable-gpu",
                      "--disable-dev-shm-usage", "--window-size=1280,900", "--no-first-run"};
  return json::object{
      {"capabilities",
       json::object{{"alwaysMatch", json::object{{"browserName", "chrome"},
                                                 {"goog:chromeOptions",
                                                  json::object{{"binary", kChromium}, {"args", std::move(args)}}}}}}}};
}

}  // namespace

Result<std::unique_ptr<Browser>> Browser::Start() {
  for (const char* tool : {kChromium, kChromedriver}) {
    if (!std::filesystem::exists(tool)) {
      return Status::NotFound(std::string(tool) +
                              " is missing: run scripts/install-deps.sh (chromium, chromium-driver)");
    }
  }
  std::unique_ptr<Browser> b(new Browser());
  int port = FreeLoopbackPort();
  b->driver_ = "127.0.0.1:" + std::to_string(port);
  std::string port_flag = "--port=" + std::to_string(port);  // before fork: the child must not allocate
  pid_t pid = ::fork();
  if (pid < 0) return Status::FromErrno("fork", errno);
  if (pid == 0) {
    ::setpgid(0, 0);  // chromedriver and every browser process it starts: one group to kill
    ::execl(kChromedriver, kChromedriver, port_flag.c_str(), "--allowed-ips=127.0.0.1", "--log-level=SEVERE",
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::setpgid(pid, pid);
  b->driver_pid_ = pid;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (true) {
    auto status = HttpGet(b->driver_, "/status");
    if (status.ok() && status->status == 200) break;
    if (std::chrono::steady_clock::now() > deadline) return Status::TimedOut("chromedriver did not start");
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  RINGKV_ASSIGN(json::value session, b->Command("POST", "/session", ChromeCapabilities()));
  b->session_ = std::string(session.at("sessionId").as_string());
  return b;
}

Browser::~Browser() {
  if (!session_.empty()) (void)Command("DELETE", "/session/" + session_, nullptr);
  if (driver_pid_ > 0) {
    ::kill(-driver_pid_, SIGKILL);
    int status = 0;
    ::waitpid(driver_pid_, &status, 0);
  }
}

Result<json::value> Browser::Command(const std::string& method, const std::string& path, const json::value& body) {
  std::string text = body.is_null() ? "" : json::serialize(body);
  RINGKV_ASSIGN(HttpResponse r, HttpRequest(driver_, method, path, text, std::chrono::seconds(60)));
  json::value reply;
  try {
    reply = json::parse(r.body);
  } catch (const std::exception&) {
    return Status::Aborted("WebDriver " + path + ": not JSON: " + r.body.substr(0, 200));
  }
  if (r.status != 200) return Status::Aborted("WebDriver " + method + " " + path + ": " + r.body.substr(0, 500));
  return reply.at("value");
}

Status Browser::Navigate(const std::string& url) {
  return Command("POST", "/session/" + session_ + "/url", json::object{{"url", url}}).status();
}

Result<json::value> Browser::Execute(const std::string& script) {
  return Command("POST", "/session/" + session_ + "/execute/sync",
                 json::object{{"script", script}, {"args", json::array()}});
}

Status Browser::Screenshot(const std::string& path) {
  RINGKV_ASSIGN(json::value png, Command("GET", "/session/" + session_ + "/screenshot", nullptr));
  const json::string& encoded = png.as_string();
  std::string bytes(boost::beast::detail::base64::decoded_size(encoded.size()), '\0');
  auto [written, read] = boost::beast::detail::base64::decode(bytes.data(), encoded.data(), encoded.size());
  (void)read;
  bytes.resize(written);
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream out(path, std::ios::binary);
  out << bytes;
  return out ? Status::OK() : Status::IOError("cannot write " + path);
}

}  // namespace ringkv::testing
