#pragma once
// TLS contexts (kj-tls over OpenSSL) built from ringkv's TLS material (common/security.h).
//
// Every context trusts only the cluster CA (never the system store), speaks TLS 1.2 or
// newer, and presents this process's certificate. A server context also demands a client
// certificate signed by the CA (mutual TLS), and gives up on a handshake that has not
// finished within `handshake_timeout`. A context belongs to one event loop.

#include <kj/async-io.h>
#include <kj/compat/tls.h>

#include <chrono>

#include "common/security.h"

namespace ringkv::wire {

enum class TlsRole { kClient, kServer };

// InvalidArgument naming what is wrong (a PEM that does not parse, a key that does not
// match its certificate). `timer` is needed by servers only.
Result<kj::Own<kj::TlsContext>> MakeTlsContext(const TlsMaterial& material, TlsRole role, kj::Timer* timer = nullptr,
                                               std::chrono::milliseconds handshake_timeout = std::chrono::seconds(10));

}  // namespace ringkv::wire
