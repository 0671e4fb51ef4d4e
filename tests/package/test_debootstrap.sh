#!/usr/bin/env bash
# Installs the .deb into a fresh Debian 12 root made with debootstrap, so apt itself proves
# the package's Depends. Inside that root it follows docs/k3s.md's node steps against the
# project's fake Entra ID + ACR (running outside, reached through its CONNECT proxy on
# 127.0.0.1): --version, `check`, one kubelet request, `setup k3s` next to an ECR provider.
# Then the node's life as docs/upgrade-uninstall.md tells it: an upgrade keeps everything,
# `apt remove` takes the plugin out of K3s's config (the ECR provider stays, byte for byte)
# so the kubelet finds no dangling provider, and after a second setup `apt purge` leaves
# nothing of K3s's wiring and only what policy says stays: the files the operator created.
#
# Needs root (debootstrap, chroot, mounting /proc) and Debian's package mirror. Takes about
# 2 minutes, most of it debootstrap; the base root is cached in build/ between runs.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
cd "$repo"
source scripts/lib/deps.sh
acrcp_install_deps debootstrap

readonly PY=/usr/bin/python3
readonly IMAGE=myacr.azurecr.io/team/app
readonly SECRET='debootstrap~Secret.value-0123456789abcdef'
readonly TENANT=5b1a7c3e-0d2f-4e6a-9b8c-7d6e5f4a3b2c
readonly CLIENT=9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b
fail() { echo "test_debootstrap: FAIL: $*" >&2; exit 1; }
step() { echo "== $*"; }

[ -n "$(ls dist/*.deb 2>/dev/null)" ] || scripts/package >/dev/null
deb=$(ls dist/*.deb | head -n 1)

work=$(mktemp -d /tmp/acrcp-debootstrap.XXXXXX)
root=$work/root
cleanup() {
  mountpoint -q "$root/proc" && umount "$root/proc"
  [ -n "${fake_pid:-}" ] && kill "$fake_pid" 2>/dev/null && wait "$fake_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

base=build/debootstrap-bookworm-minbase.tar
if [ ! -f "$base" ]; then
  step "debootstrap bookworm (cached afterwards in $base)"
  debootstrap --variant=minbase bookworm "$work/base" http://deb.debian.org/debian >"$work/debootstrap.log" 2>&1 ||
    { tail -20 "$work/debootstrap.log"; fail "debootstrap failed"; }
  tar -C "$work/base" -cf "$base.tmp" . && mv "$base.tmp" "$base"
  rm -rf "$work/base"
fi
mkdir "$root" && tar -C "$root" -xf "$base"
mount -t proc proc "$root/proc"
in_root() { chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HTTPS_PROXY="$proxy" "$@"; }

step "apt installs $(basename "$deb") and resolves its Depends"
cp "$deb" "$root/tmp/"
proxy=""
in_root apt-get update -qq
in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "/tmp/$(basename "$deb")" >"$work/apt.log" 2>&1 ||
  { tail -20 "$work/apt.log"; fail "apt could not install the package"; }
in_root acr-credential-provider --version | grep -qx "acr-credential-provider 0.1.0" || fail "--version"
[ "$(stat -c %a "$root/etc/acr-credential-provider/config.json")" = 600 ] || fail "config template is not 0600"

step "fake Entra ID + ACR"
cat >"$work/scenario.json" <<JSON
{"tenants": {"$TENANT": {"apps": {"$CLIENT": {"secrets": ["$SECRET"]}}}},
 "registries": {"myacr.azurecr.io": {"acrpull": ["$CLIENT"]}}}
JSON
"$PY" tests/fakes/fake_azure.py --state-dir "$work/fake" --scenario "$work/scenario.json" >"$work/fake.out" 2>"$work/fake.log" &
fake_pid=$!
for _ in $(seq 100); do grep -qx ready "$work/fake.out" 2>/dev/null && break; sleep 0.1; done
grep -qx ready "$work/fake.out" || { cat "$work/fake.log"; fail "the fake did not start"; }
proxy="http://127.0.0.1:$("$PY" tests/fakes/fake_client.py --state-dir "$work/fake" port proxy)"

step "docs/k3s.md: secret file, node config, check"
install -m 600 /dev/null "$root/etc/acr-credential-provider/client-secret"
printf '%s\n' "$SECRET" >"$root/etc/acr-credential-provider/client-secret"
cp "$work/fake/ca.pem" "$root/etc/acr-credential-provider/test-ca.pem"
cat >"$root/etc/acr-credential-provider/config.json" <<JSON
{"tenantId": "$TENANT", "clientId": "$CLIENT",
 "clientSecretFile": "/etc/acr-credential-provider/client-secret",
 "caBundleFile": "/etc/acr-credential-provider/test-ca.pem"}
JSON
in_root acr-credential-provider check --image "$IMAGE" >"$work/check.out" || { cat "$work/check.out"; fail "check"; }
grep -q "result: passed" "$work/check.out" || fail "check did not pass"

step "one kubelet request, as the kubelet runs the plugin"
request='{"kind":"CredentialProviderRequest","apiVersion":"credentialprovider.kubelet.k8s.io/v1","image":"'"$IMAGE"'"}'
response=$(printf '%s\n' "$request" | in_root \
  /usr/libexec/kubelet-image-credential-provider-plugins/acr-credential-provider \
  --config /etc/acr-credential-provider/config.json)
"$PY" -c 'import json,sys; r=json.loads(sys.argv[1]); a=r["auth"]["myacr.azurecr.io"]
assert r["kind"]=="CredentialProviderResponse" and a["username"]=="00000000-0000-0000-0000-000000000000" and a["password"]' "$response" ||
  fail "unexpected response: $response"
grep -q "$SECRET" <<<"$response" && fail "the secret reached stdout"

step "docs/docker-credential-helper.md: the same identity through docker-credential-acr"
answer=$(printf 'myacr.azurecr.io\n' | in_root docker-credential-acr get)
"$PY" -c 'import json,sys; a=json.loads(sys.argv[1])
assert a["ServerURL"]=="myacr.azurecr.io" and a["Username"]=="00000000-0000-0000-0000-000000000000" and a["Secret"]' "$answer" ||
  fail "unexpected docker-credential-acr answer: $answer"

step "docs/k3s.md: setup k3s, next to an ECR provider"
k3s=$root/var/lib/rancher/credentialprovider
mkdir -p "$k3s/bin"
cat >"$k3s/config.yaml" <<'YAML'
apiVersion: kubelet.config.k8s.io/v1
kind: CredentialProviderConfig
providers:
  # ECR for the build cluster
  - name: ecr-credential-provider
    matchImages: ["*.dkr.ecr.*.amazonaws.com"]
    defaultCacheDuration: "12h"
    apiVersion: credentialprovider.kubelet.k8s.io/v1
YAML
cp "$k3s/config.yaml" "$work/ecr-only.yaml"
printf '#!/bin/sh\n' >"$k3s/bin/ecr-credential-provider" && chmod 755 "$k3s/bin/ecr-credential-provider"
in_root acr-credential-provider setup k3s --image "$IMAGE" >"$work/setup.out" || { cat "$work/setup.out"; fail "setup"; }
[ "$(readlink "$k3s/bin/acr-credential-provider")" = \
  /usr/libexec/kubelet-image-credential-provider-plugins/acr-credential-provider ] || fail "bin link"
grep -q "systemctl restart k3s" "$work/setup.out" || fail "no restart hint"

# What the kubelet checks at start (pkg/credentialprovider/plugin): every provider named in the
# config has an executable in the bin dir. Prints the names; fails on a dangling one.
registered() {
  "$PY" - "$root" <<'PY'
import os, re, sys
root = sys.argv[1]
config = root + "/var/lib/rancher/credentialprovider/config.yaml"
if not os.path.exists(config):
    sys.exit(0)  # K3s wires no provider at all
names = re.findall(r"^  - name: ([\w.-]+)", open(config).read(), re.M)
for name in names:
    binary = root + "/var/lib/rancher/credentialprovider/bin/" + name
    for _ in range(10):  # links resolve inside the root, as they would on the node
        if not os.path.islink(binary):
            break
        target = os.readlink(binary)
        binary = root + target if target.startswith("/") else os.path.join(os.path.dirname(binary), target)
    if not os.access(binary, os.X_OK) or os.path.islink(binary):
        sys.exit(f"dangling provider {name}: {binary}")
print(" ".join(names))
PY
}
[ "$(registered)" = "ecr-credential-provider acr-credential-provider" ] || fail "after setup: $(registered)"

step "docs/upgrade-uninstall.md: an upgrade keeps everything"
in_root env DEBIAN_FRONTEND=noninteractive dpkg -i "/tmp/$(basename "$deb")" >"$work/upgrade.log" 2>&1 ||
  { tail -20 "$work/upgrade.log"; fail "upgrade"; }
grep -q "taken out" "$work/upgrade.log" && fail "an upgrade took the plugin out"
[ "$(registered)" = "ecr-credential-provider acr-credential-provider" ] || fail "after upgrade: $(registered)"

step "docs/upgrade-uninstall.md: apt remove takes the plugin out of K3s, keeps ECR"
in_root env DEBIAN_FRONTEND=noninteractive apt-get remove -y -qq acr-credential-provider >"$work/remove.log" 2>&1 ||
  { tail -20 "$work/remove.log"; fail "remove"; }
grep -q "acr-credential-provider: taken out of the k3s kubelet's credential provider config; restart K3s" \
  "$work/remove.log" || { cat "$work/remove.log"; fail "no one-line restart note"; }
[ "$(registered)" = "ecr-credential-provider" ] || fail "after remove: $(registered)"
cmp -s "$k3s/config.yaml" "$work/ecr-only.yaml" || fail "the ECR config was not given back byte for byte"
[ ! -e "$k3s/bin/acr-credential-provider" ] && [ ! -L "$k3s/bin/acr-credential-provider" ] || fail "link left"

step "setup again, alone, then apt purge leaves no K3s wiring"
rm -r "$k3s"
in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "/tmp/$(basename "$deb")" >"$work/apt.log" 2>&1 ||
  { tail -20 "$work/apt.log"; fail "reinstall"; }
in_root acr-credential-provider setup k3s --image "$IMAGE" >"$work/setup.out" || { cat "$work/setup.out"; fail "setup"; }
printf '%s\n' "$request" | in_root \
  /usr/libexec/kubelet-image-credential-provider-plugins/acr-credential-provider \
  --config /etc/acr-credential-provider/config.json >/dev/null || fail "a request before purge"
[ -d "$root/run/acr-credential-provider" ] || fail "no token cache to remove"
in_root env DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq acr-credential-provider >"$work/purge.log" 2>&1 ||
  { tail -20 "$work/purge.log"; fail "purge"; }
[ -z "$(registered)" ] || fail "after purge: $(registered)"
for gone in /usr/bin/acr-credential-provider /usr/bin/docker-credential-acr \
            /usr/libexec/acr-credential-provider \
            /usr/libexec/kubelet-image-credential-provider-plugins/acr-credential-provider \
            /etc/acr-credential-provider/config.json /usr/share/doc/acr-credential-provider \
            /usr/share/man/man8/acr-credential-provider.8.gz /var/lib/rancher/credentialprovider \
            /run/acr-credential-provider; do
  [ ! -e "$root$gone" ] || fail "purge left $gone"
done
left=$(cd "$root/etc/acr-credential-provider" && ls)
[ "$left" = "$(printf 'client-secret\ntest-ca.pem')" ] || fail "unexpected files left: $left"
echo "test_debootstrap: passed (left behind, as documented: the operator's own files: $(echo $left))"
