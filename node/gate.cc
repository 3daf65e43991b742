#include "node/gate.h"

namespace ringkv {

kj::Promise<void> GateServer::login(LoginContext context) {
  auto credential = context.getParams().getCredential();
  Access access = AccessFor(required_, std::string_view(reinterpret_cast<const char*>(credential.begin()), credential.size()));
  context.getResults().setNode(kj::heap<NodeServer>(services_, access));
  return kj::READY_NOW;
}

}  // namespace ringkv
