// Client::Update and Client::PutIfAbsent: a read, a decision on the caller's thread, and a
// put with the read's context, inside one deadline. Both are compositions of the public
// Get and Put (which retry per the client's RetryPolicy); what they add is the order, the
// deadline over the whole, and the rule that nothing is written unless the decision says so.

#include <chrono>
#include <exception>

#include "ringkv/client.h"
#include "sdk/client_impl.h"

namespace ringkv {

namespace {

using SteadyClock = std::chrono::steady_clock;

// The time left for the put once the read (and the decision) took their share;
// TimedOut when none is left: the put is not sent.
Result<std::chrono::milliseconds> TimeLeftForPut(SteadyClock::time_point deadline, const std::string& what) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
  if (left.count() <= 0) {
    return Status::TimedOut(what + ": the timeout passed before the write; nothing was written");
  }
  return left;
}

}  // namespace

Result<UpdateResult> Client::Update(const std::string& key, const UpdateFunction& fn, const RequestOptions& options) {
  RINGKV_TRY(impl_->SyncAllowed());
  if (!fn) return Status::InvalidArgument("update of '" + key + "': no function given; nothing was written");
  auto deadline = SteadyClock::now() + options.timeout.value_or(impl_->options().timeout);
  UpdateResult out;
  RINGKV_ASSIGN(out.read, Get(key, options));
  std::optional<std::string> value;
  try {
    value = fn(out.read);
  } catch (const std::exception& e) {
    // The application's own failure, as a value, whatever it threw.
    return Status::InvalidArgument("update of '" + key + "': the function threw: " + e.what() +
                                   "; nothing was written");
  } catch (...) {
    return Status::InvalidArgument(
        "update of '" + key + "': the function threw an exception that is not a std::exception; nothing was written");
  }
  if (!value) return out;
  RINGKV_ASSIGN(auto left, TimeLeftForPut(deadline, "update of '" + key + "'"));
  RequestOptions put_options = options;
  put_options.timeout = left;
  RINGKV_ASSIGN(out.put, Put(key, *value, out.read.context, put_options));
  out.written = true;
  return out;
}

Result<PutResult> Client::PutIfAbsent(const std::string& key, const std::string& value, const RequestOptions& options) {
  RINGKV_TRY(impl_->SyncAllowed());
  // Bad input fails before anything is read or sent.
  RINGKV_TRY(impl_->PrepareWrite(options, key, &value, Context()).status());
  auto deadline = SteadyClock::now() + options.timeout.value_or(impl_->options().timeout);
  RINGKV_ASSIGN(GetResult read, Get(key, options));
  if (read.found) {
    return Status::Exists("'" + key + "' holds a value (" + std::to_string(read.values.size()) + " version" +
                          (read.values.size() == 1 ? "" : "s") + " read from " + std::to_string(read.replies) +
                          " replicas); nothing was written");
  }
  RINGKV_ASSIGN(auto left, TimeLeftForPut(deadline, "put-if-absent of '" + key + "'"));
  RequestOptions put_options = options;
  put_options.timeout = left;
  return Put(key, value, read.context, put_options);
}

}  // namespace ringkv
