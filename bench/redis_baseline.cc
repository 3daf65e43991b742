#include "bench/redis_baseline.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace ringkv::bench {
namespace {

int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

std::string Capture(const std::string& cmd) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return out;
  std::array<char, 4096> buf{};
  while (::fgets(buf.data(), buf.size(), p) != nullptr) out += buf.data();
  ::pclose(p);
  return out;
}

// redis-benchmark --csv: "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms",...,"p99_latency_ms",...
bool ParseCsvLine(const std::string& line, std::string* test, RedisFigures* f) {
  std::vector<std::string> cols;
  std::stringstream in(line);
  std::string cell;
  while (std::getline(in, cell, ',')) {
    cell.erase(std::remove(cell.begin(), cell.end(), '"'), cell.end());
    cols.push_back(cell);
  }
  if (cols.size() < 8 || cols[0] == "test") return false;
  *test = cols[0];
  f->ops_per_sec = std::stod(cols[1]);
  f->p50_ms = std::stod(cols[4]);
  f->p99_ms = std::stod(cols[6]);
  return true;
}

}  // namespace

Result<RedisBaseline> RunRedisBaseline(uint64_t ops, int concurrency, int value_size, uint64_t keys, int repeat) {
  if (Capture("command -v redis-server && command -v redis-benchmark").find("redis-benchmark") == std::string::npos) {
    return Status::Unavailable("redis-server or redis-benchmark not installed");
  }
  int port = FreePort();
  auto dir = std::filesystem::temp_directory_path() / ("ringkv-redis-" + std::to_string(port));
  std::filesystem::create_directories(dir);
  std::string p = std::to_string(port), d = dir.string();  // before fork: the child must not allocate
  pid_t pid = ::fork();
  if (pid < 0) return Status::FromErrno("fork redis-server", errno);
  if (pid == 0) {
    ::execlp("redis-server", "redis-server", "--bind", "127.0.0.1", "--port", p.c_str(), "--dir", d.c_str(), "--save",
             "", "--appendonly", "yes", "--appendfsync", "everysec", "--daemonize", "no", "--loglevel", "warning",
             static_cast<char*>(nullptr));
    ::_exit(127);
  }
  std::string ping = "redis-cli -h 127.0.0.1 -p " + std::to_string(port) + " ping 2>/dev/null";
  for (int i = 0; i < 200 && Capture(ping).find("PONG") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::vector<RedisFigures> sets, gets;
  std::string cmd = "redis-benchmark -h 127.0.0.1 -p " + std::to_string(port) + " -c " + std::to_string(concurrency) +
                    " -n " + std::to_string(ops) + " -d " + std::to_string(value_size) + " -r " + std::to_string(keys) +
                    " -t set,get --csv 2>/dev/null";
  for (int r = 0; r < repeat; ++r) {
    std::stringstream out(Capture(cmd));
    std::string line, test;
    RedisFigures fig;
    while (std::getline(out, line)) {
      if (!ParseCsvLine(line, &test, &fig)) continue;
      if (test == "SET") sets.push_back(fig);
      if (test == "GET") gets.push_back(fig);
    }
  }
  ::kill(pid, SIGTERM);
  ::waitpid(pid, nullptr, 0);
  std::filesystem::remove_all(dir);
  if (sets.empty() || gets.empty()) return Status::Unavailable("redis-benchmark produced no figures");
  auto median = [](std::vector<RedisFigures> v) {
    std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.ops_per_sec < b.ops_per_sec; });
    return v[v.size() / 2];
  };
  return RedisBaseline{median(sets), median(gets)};
}

}  // namespace ringkv::bench
