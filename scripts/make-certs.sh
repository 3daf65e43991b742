#!/usr/bin/env bash
# Makes a CA and certificates for a TLS ringkv cluster (tests, demos, a first deployment):
#   DIR/ca.pem, DIR/ca-key.pem       the cluster CA (keep ca-key.pem offline in production)
#   DIR/NAME.pem, DIR/NAME-key.pem   one per name: for a node and for each client (kv, apps)
# Every certificate is signed by the CA, carries DNS:SERVER_NAME (what clients check, kvnode
# --tls-server-name) and DNS:NAME, and may serve as both TLS server and client (mutual TLS).
# Keys are EC P-256, files chmod 600.
#
#   scripts/make-certs.sh DIR [--server-name ringkv] [--days 30] NAME...
#   scripts/make-certs.sh /tmp/certs node1 node2 node3 client
# An existing CA in DIR is reused, so more names can be added later.
set -euo pipefail

usage() { echo "usage: $0 DIR [--server-name NAME] [--days N] NAME..." >&2; exit 2; }
[[ $# -ge 2 ]] || usage
dir=$1; shift
server_name=ringkv
days=30
names=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --server-name) server_name=${2:?}; shift 2 ;;
    --days) days=${2:?}; shift 2 ;;
    -*) usage ;;
    *) names+=("$1"); shift ;;
  esac
done
((${#names[@]} > 0)) || usage
command -v openssl >/dev/null || { echo "make-certs: openssl is missing (scripts/install-deps.sh)" >&2; exit 1; }

mkdir -p "$dir"
umask 077
ec_key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

if [[ ! -f $dir/ca.pem ]]; then
  ec_key "$dir/ca-key.pem"
  openssl req -x509 -new -key "$dir/ca-key.pem" -days "$days" -subj "/CN=ringkv test CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -out "$dir/ca.pem"
fi

for name in "${names[@]}"; do
  [[ $name =~ ^[A-Za-z0-9._-]+$ ]] || { echo "make-certs: bad name '$name'" >&2; exit 2; }
  ec_key "$dir/$name-key.pem"
  extensions="subjectAltName=DNS:$server_name,DNS:$name
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth,clientAuth"
  openssl req -new -key "$dir/$name-key.pem" -subj "/CN=$name" |
    openssl x509 -req -CA "$dir/ca.pem" -CAkey "$dir/ca-key.pem" -CAcreateserial -days "$days" \
      -extfile <(echo "$extensions") -out "$dir/$name.pem" 2>/dev/null
done
echo "make-certs: CA and ${#names[@]} certificate(s) in $dir (server name $server_name)"
