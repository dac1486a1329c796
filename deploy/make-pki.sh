#!/usr/bin/env bash
# Makes a local certificate authority and one certificate per BMI service (openssl from Debian), for a single-host
# stack, the demo and the tests. Idempotent: what exists is kept, so restarts keep their identities.
# Usage: make-pki.sh DIR [NAME ...]   (default names: the five services)
# Extra subject names for every certificate (hosts nodes or operators use): BMI_PKI_SANS="DNS:bmi.example,IP:10.0.0.5"
# Writes DIR/ca.crt, DIR/ca.key (keep it private), DIR/<name>.crt and DIR/<name>.key (mode 600).
set -euo pipefail
dir=${1:?usage: make-pki.sh DIR [NAME ...]}
shift
names=("$@")
[ ${#names[@]} -gt 0 ] || names=(orchestrator image-service target-service boot-service haas-gateway)
command -v openssl >/dev/null || { echo "make-pki.sh: openssl is not installed (apt-get install openssl)" >&2; exit 1; }
mkdir -p "$dir"
chmod 700 "$dir"
umask 077
if [ ! -s "$dir/ca.crt" ] || [ ! -s "$dir/ca.key" ]; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -sha256 -days 3650 \
    -keyout "$dir/ca.key" -out "$dir/ca.crt" -subj "/O=BMI/CN=BMI local CA $(hostname)" \
    -addext "basicConstraints=critical,CA:true" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
fi
for name in "${names[@]}"; do
  [[ "$name" =~ ^[a-z][a-z0-9-]{0,62}$ ]] || { echo "make-pki.sh: bad name '$name'" >&2; exit 2; }
  [ -s "$dir/$name.crt" ] && [ -s "$dir/$name.key" ] && continue
  ext=$(mktemp)
  printf 'subjectAltName=DNS:localhost,DNS:%s,IP:127.0.0.1,IP:::1%s\nextendedKeyUsage=serverAuth,clientAuth\nbasicConstraints=CA:false\n' \
    "$name" "${BMI_PKI_SANS:+,$BMI_PKI_SANS}" > "$ext"
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$dir/$name.key" \
    -out "$dir/$name.csr" -subj "/O=BMI/CN=$name" 2>/dev/null
  openssl x509 -req -sha256 -days 825 -in "$dir/$name.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" \
    -CAcreateserial -out "$dir/$name.crt" -extfile "$ext" 2>/dev/null
  rm -f "$dir/$name.csr" "$ext"
done
chmod 644 "$dir/ca.crt"
