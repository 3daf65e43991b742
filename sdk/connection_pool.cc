#include "sdk/connection_pool.h"

namespace ringkv::sdk {

wire::Node::Client ConnectionPool::Get(const std::string& address) {
  Entry& entry = entries_[address];
  KJ_IF_MAYBE(cap, entry.cap) { return *cap; }
  auto connecting = network_.parseAddress(address)
                        .then([](kj::Own<kj::NetworkAddress> addr) { return addr->connect(); })
                        .then([this, address](kj::Own<kj::AsyncIoStream> stream) -> wire::Node::Client {
                          auto it = entries_.find(address);
                          if (it == entries_.end()) KJ_FAIL_REQUIRE("connection abandoned", address);
                          Entry& e = it->second;
                          e.connection = kj::heap<Connection>(kj::mv(stream));
                          e.watcher = e.connection->client.onDisconnect()
                                          .then([this, address]() { MarkFailed(address); },
                                                [this, address](kj::Exception&&) { MarkFailed(address); })
                                          .eagerlyEvaluate(nullptr);
                          return e.connection->client.bootstrap().castAs<wire::Node>();
                        });
  wire::Node::Client cap(kj::mv(connecting));
  entry.cap = cap;
  return cap;
}

void ConnectionPool::MarkFailed(const std::string& address) {
  down_until_.insert_or_assign(address, timer_.now() + down_backoff_.count() * kj::MILLISECONDS);
  auto it = entries_.find(address);
  if (it == entries_.end()) return;
  // Destroying the entry may be running inside its own watcher: defer the teardown.
  auto doomed = kj::heap<Entry>(kj::mv(it->second));
  entries_.erase(it);
  kj::evalLater([doomed = kj::mv(doomed)]() mutable { doomed = nullptr; }).detach([](kj::Exception&&) {});
}

void ConnectionPool::MarkHealthy(const std::string& address) { down_until_.erase(address); }

bool ConnectionPool::IsDown(const std::string& address) const {
  auto it = down_until_.find(address);
  return it != down_until_.end() && timer_.now() < it->second;
}

}  // namespace ringkv::sdk
