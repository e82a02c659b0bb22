#!/usr/bin/env bash
# make_test_certs.sh DIR: a throw-away PKI for the TLS tests, made fresh by every test run.
#   DIR/ca.pem, ca.key          a test CA
#   DIR/server.pem, server.key  signed by it, valid for DNS:localhost and IP:127.0.0.1
#   DIR/other-ca.pem            an unrelated CA (a client trusting only it must refuse the server)
set -euo pipefail
dir=${1:?usage: make_test_certs.sh DIR}
mkdir -p "$dir"
cd "$dir"
quiet() {  # openssl is chatty: show its output only when it fails
  local out
  out=$("$@" 2>&1) || { echo "$out" >&2; return 1; }
}

new_ca() {  # new_ca NAME CN
  quiet openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -subj "/CN=$2" -keyout "$1.key" -out "$1.pem" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
}
new_ca ca "Parley test CA"
new_ca other-ca "Parley unrelated CA"

quiet openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=localhost" \
  -keyout server.key -out server.csr
cat >server.ext <<'EXT'
basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=DNS:localhost,IP:127.0.0.1
EXT
quiet openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
  -extfile server.ext -out server.pem
rm -f server.csr server.ext ca.srl
