// TLS settings shared by the server (--tls-cert/--tls-key) and the client library (wss://):
// TLS 1.2 and newer only, peer verification on for clients.
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <string>

#include "net/stream.hpp"

namespace parley::net {

// A server context from a PEM certificate chain (leaf first) and its PEM private key.
// Throws std::runtime_error naming the file that could not be used.
boost::asio::ssl::context server_tls_context(const std::string& cert_chain_file, const std::string& key_file);

// A client context that verifies the server against the CA certificates in ca_file (PEM), or
// against the system's trusted CAs when ca_file is empty. Throws std::runtime_error.
boost::asio::ssl::context client_tls_context(const std::string& ca_file);

// Before the client handshake: sends `host` as SNI and makes the handshake fail unless the
// server's certificate is valid for it (DNS name or IP address). Returns false when OpenSSL
// refused the host name.
bool expect_server_name(Stream& stream, const std::string& host);

}  // namespace parley::net
