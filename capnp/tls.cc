#include "capnp/tls.h"

namespace ringkv::wire {

Result<kj::Own<kj::TlsContext>> MakeTlsContext(const TlsMaterial& material, TlsRole role, kj::Timer* timer,
                                               std::chrono::milliseconds handshake_timeout) {
  kj::Own<kj::TlsContext> context;
  std::string stage = "the CA certificate";
  KJ_IF_MAYBE (exception, kj::runCatchingExceptions([&] {
                 kj::TlsCertificate ca(kj::StringPtr(material.ca_pem.c_str()));
                 stage = "the certificate";
                 kj::TlsCertificate cert(kj::StringPtr(material.cert_pem.c_str()));
                 stage = "the private key";
                 kj::TlsPrivateKey key(kj::StringPtr(material.key_pem.c_str()));
                 kj::TlsKeypair keypair{kj::mv(key), kj::mv(cert)};
                 stage = "the TLS context (does the key match the certificate?)";
                 kj::TlsContext::Options options;
                 options.useSystemTrustStore = false;
                 options.trustedCertificates = kj::arrayPtr(&ca, 1);
                 options.defaultKeypair = keypair;
                 options.minVersion = kj::TlsVersion::TLS_1_2;
                 if (role == TlsRole::kServer) {
                   options.verifyClients = true;
                   if (timer != nullptr) {
                     options.timer = *timer;
                     options.acceptTimeout = handshake_timeout.count() * kj::MILLISECONDS;
                   }
                 }
                 context = kj::heap<kj::TlsContext>(kj::mv(options));
               })) {
    return Status::InvalidArgument("TLS: cannot load " + stage + ": " +
                                   std::string(exception->getDescription().cStr()));
  }
  return context;
}

}  // namespace ringkv::wire
