#!/usr/bin/env bash
# Installs the .deb into a fresh Debian 12 root made with debootstrap, so apt itself proves
# the package's Depends. Inside that root it follows docs/k3s.md's node steps against the
# project's fake Entra ID + ACR (running outside, reached through its CONNECT proxy on
# 127.0.0.1): --version, `check`, one kubelet request, `setup k3s`. Then it removes the K3s
# files as docs/upgrade-uninstall.md says, purges the package, and checks that only what
# policy says stays is left: the secret file the operator created.
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

step "docs/k3s.md: setup k3s"
in_root acr-credential-provider setup k3s --image "$IMAGE" >"$work/setup.out" || { cat "$work/setup.out"; fail "setup"; }
[ "$(readlink "$root/var/lib/rancher/credentialprovider/bin/acr-credential-provider")" = \
  /usr/libexec/kubelet-image-credential-provider-plugins/acr-credential-provider ] || fail "bin link"
grep -q "kind: CredentialProviderConfig" "$root/var/lib/rancher/credentialprovider/config.yaml" || fail "config.yaml"
grep -q "systemctl restart k3s" "$work/setup.out" || fail "no restart hint"

step "docs/upgrade-uninstall.md: remove the K3s files, purge"
rm -r "$root/var/lib/rancher/credentialprovider"
in_root env DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq acr-credential-provider >"$work/purge.log" 2>&1 ||
  { tail -20 "$work/purge.log"; fail "purge"; }
for gone in /usr/bin/acr-credential-provider /usr/bin/docker-credential-acr \
            /usr/libexec/acr-credential-provider \
            /usr/libexec/kubelet-image-credential-provider-plugins/acr-credential-provider \
            /etc/acr-credential-provider/config.json /usr/share/doc/acr-credential-provider \
            /usr/share/man/man8/acr-credential-provider.8.gz; do
  [ ! -e "$root$gone" ] || fail "purge left $gone"
done
left=$(cd "$root/etc/acr-credential-provider" && ls)
[ "$left" = "$(printf 'client-secret\ntest-ca.pem')" ] || fail "unexpected files left: $left"
echo "test_debootstrap: passed (left behind, as documented: the operator's own files: $(echo $left))"
