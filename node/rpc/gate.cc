#include "node/rpc/gate.h"

namespace ringkv {

kj::Promise<void> GateServer::login(LoginContext context) {
  auto credential = context.getParams().getCredential();
  std::string_view presented(reinterpret_cast<const char*>(credential.begin()), credential.size());
  context.getResults().setNode(kj::heap<NodeServer>(services_, AccessFor(required_, presented)));
  return kj::READY_NOW;
}

}  // namespace ringkv
