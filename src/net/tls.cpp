#include "net/tls.hpp"

#include <openssl/ssl.h>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <stdexcept>

namespace parley::net {

namespace ssl = boost::asio::ssl;

namespace {

ssl::context modern_context(ssl::context::method method) {
  ssl::context context(method);
  if (SSL_CTX_set_min_proto_version(context.native_handle(), TLS1_2_VERSION) != 1) {
    throw std::runtime_error("OpenSSL refused TLS 1.2 as the minimum version");
  }
  context.set_options(ssl::context::default_workarounds | ssl::context::no_compression);
  return context;
}

}  // namespace

ssl::context server_tls_context(const std::string& cert_chain_file, const std::string& key_file) {
  ssl::context context = modern_context(ssl::context::tls_server);
  boost::system::error_code ec;
  context.use_certificate_chain_file(cert_chain_file, ec);
  if (ec) {
    throw std::runtime_error("cannot use TLS certificate " + cert_chain_file + ": " + ec.message());
  }
  context.use_private_key_file(key_file, ssl::context::pem, ec);
  if (ec) {
    throw std::runtime_error("cannot use TLS key " + key_file + ": " + ec.message());
  }
  if (SSL_CTX_check_private_key(context.native_handle()) != 1) {
    throw std::runtime_error("TLS key " + key_file + " does not match certificate " + cert_chain_file);
  }
  return context;
}

ssl::context client_tls_context(const std::string& ca_file) {
  ssl::context context = modern_context(ssl::context::tls_client);
  boost::system::error_code ec;
  if (ca_file.empty()) {
    context.set_default_verify_paths(ec);
  } else {
    context.load_verify_file(ca_file, ec);
  }
  if (ec) throw std::runtime_error("cannot load CA certificates " + ca_file + ": " + ec.message());
  context.set_verify_mode(ssl::verify_peer);
  return context;
}

bool expect_server_name(Stream& stream, const std::string& host) {
  SSL* handle = stream.tls().native_handle();
  boost::system::error_code ec;
  boost::asio::ip::make_address(host, ec);
  const bool is_name = static_cast<bool>(ec);
  // SNI carries names only; an IP address is checked against the certificate's IP SANs.
  if (is_name && SSL_set_tlsext_host_name(handle, host.c_str()) != 1) return false;
  stream.tls().set_verify_callback(ssl::host_name_verification(host));
  return true;
}

}  // namespace parley::net
