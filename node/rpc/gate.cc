#include "node/rpc/gate.h"

namespace ringkv {

kj::Promise<void> GateServer::login(LoginContext context) {
  auto params = context.getParams();
  auto credential = params.getCredential();
  std::string presented(reinterpret_cast<const char*>(credential.begin()), credential.size());
  std::string user = wire::ToText(params.getUser());
  if (user.empty() || services_.users == nullptr) {
    Principal principal;
    principal.access = AccessFor(*required_->Get(), presented);
    context.getResults().setNode(kj::heap<NodeServer>(services_, std::move(principal)));
    return kj::READY_NOW;
  }
  // A user's password: verified off the loop. Unknown user and wrong password look alike
  // to the caller (the first call answers `unauthenticated`).
  std::shared_ptr<const UserCatalog> users = services_.users->Snapshot();
  return services_.workers
      ->Run<Principal>([users, user, presented = std::move(presented)] {
        Principal principal;
        principal.user = user;
        const UserRecord* record = users->Find(user);
        if (record != nullptr && record->Verify(presented)) {
          principal.access = Access::kClient;
          principal.salt = record->salt;
        }
        return principal;
      })
      .then([services = services_, context](Principal principal) mutable {
        context.getResults().setNode(kj::heap<NodeServer>(services, std::move(principal)));
      });
}

}  // namespace ringkv
