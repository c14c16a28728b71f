#!/usr/bin/env bash
# Makes a test CA and a server certificate for 127.0.0.1 and localhost,
# valid for one day, into the directory given (the CTest fixture tls).
set -euo pipefail
dir=$1
mkdir -p "$dir"
cd "$dir"
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=symsrvd test CA" \
    -keyout ca.key -out ca.pem 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
    -keyout server.key -out server.csr 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >ext.cnf
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
    -days 1 -extfile ext.cnf -out server.pem 2>/dev/null
echo "test certificates in $dir"
