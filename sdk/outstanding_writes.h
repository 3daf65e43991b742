#pragma once
// OutstandingWrites: the puts whose replica calls or hint placements are still in flight —
// often after the put was acknowledged (W of N held), while the other replicas' copies,
// or the hints standing for them, are still being sent. Closing the client waits for them
// (bounded): a short-lived process (`kv put`) that exited at once would drop the copy for
// a slow or down replica before it was held anywhere. Loop thread only (not locked); a
// token may outlive the counter (a put dropped with its event loop): it then counts nothing.

#include <kj/async.h>
#include <kj/vector.h>

#include <cstddef>
#include <memory>
#include <utility>

namespace ringkv::sdk {

class OutstandingWrites {
  struct State {
    size_t count = 0;
    kj::Vector<kj::Own<kj::PromiseFulfiller<void>>> waiters;
  };

 public:
  // Held by a put's state for as long as any of its calls is in flight.
  class Token {
   public:
    Token() = default;
    explicit Token(std::shared_ptr<State> state) : state_(std::move(state)) { ++state_->count; }
    Token(Token&& other) noexcept = default;
    Token& operator=(Token&& other) noexcept {
      Release();
      state_ = std::move(other.state_);
      return *this;
    }
    ~Token() { Release(); }

   private:
    void Release() {
      if (!state_) return;
      if (--state_->count == 0) {
        for (auto& w : state_->waiters) w->fulfill();
        state_->waiters.clear();
      }
      state_.reset();
    }
    std::shared_ptr<State> state_;
  };

  Token Enter() { return Token(state_); }
  size_t count() const { return state_->count; }
  // Resolves once no put is outstanding (at once if none is).
  kj::Promise<void> WhenIdle() {
    if (state_->count == 0) return kj::READY_NOW;
    auto paf = kj::newPromiseAndFulfiller<void>();
    state_->waiters.add(kj::mv(paf.fulfiller));
    return kj::mv(paf.promise);
  }

 private:
  std::shared_ptr<State> state_ = std::make_shared<State>();
};

}  // namespace ringkv::sdk
