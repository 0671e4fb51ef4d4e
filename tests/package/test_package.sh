#!/usr/bin/env bash
# The .deb and .rpm from scripts/package, inspected as a distribution would:
#   - lintian and rpmlint: no errors, and no warning that packaging/README.md does not justify;
#   - the exact file lists, modes, conffile / %config(noreplace), no maintainer scripts;
#   - Depends / Requires / Provides as computed by dpkg-shlibdeps and rpm's generator;
#   - the binaries: the plugin has no NEEDED and no interpreter, the helper needs only
#     libraries of a RHEL 9 base install and no glibc symbol version newer than 2.34;
#   - --version and --help agree with the version and the man page;
#   - reproducibility: a second, fresh build in another directory gives identical contents.
# Run by CTest (label "package"); prints how long each phase took.
set -euo pipefail  # hence no `cmd | grep -q` below: its early exit would fail the pipeline
cd "$(dirname "$0")/../.."
source scripts/lib/deps.sh
acrcp_install_deps lintian rpmlint rpm2cpio cpio binutils man-db systemd

name=acr-credential-provider
version=$(sed -n "s/^project($name VERSION \([0-9.]*\).*/\1/p" CMakeLists.txt)
revision=$(dpkg-parsechangelog -l packaging/changelog -S Version | sed 's/.*-//')
deb=dist/${name}_${version}-${revision}_amd64.deb
rpm=dist/$name-$version-$revision.x86_64.rpm
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
pass() { echo "ok: $*"; }
# same DESCRIPTION EXPECTED ACTUAL: compares two multi-line texts, shows the diff on mismatch.
same() {
  if diff -u <(printf '%s\n' "$2") <(printf '%s\n' "$3") >"$work/diff"; then pass "$1"
  else fail "$1"; cat "$work/diff" >&2; fi
}
phase_start=$SECONDS
phase() { echo "== $1 ($((SECONDS - phase_start)) s since start)"; }

phase "build the packages (scripts/package, incremental in build/package)"
scripts/package >/dev/null
if [ ! -f "$deb" ] || [ ! -f "$rpm" ]; then echo "FAIL: $deb or $rpm missing" >&2; exit 1; fi

# ---- contents -----------------------------------------------------------------------------
sorted() { LC_ALL=C sort; }
# Both formats ship these; docs/*.md and config/*.yaml as they are in the tree.
common_files="/etc/$name/config.json
/usr/bin/$name -> ../libexec/kubelet-image-credential-provider-plugins/$name
/usr/bin/docker-credential-acr -> ../libexec/kubelet-image-credential-provider-plugins/$name
/usr/libexec/$name/$name-http
/usr/libexec/kubelet-image-credential-provider-plugins/$name
/usr/lib/systemd/system/$name-refresh.service
/usr/lib/systemd/system/$name-refresh.timer
/usr/share/doc/$name/README.md
$(for f in docs/*.md; do echo "/usr/share/doc/$name/$f"; done)
$(for f in config/*.yaml; do echo "/usr/share/doc/$name/examples/${f#config/}"; done)
/usr/share/man/man8/$name.8.gz
/usr/share/man/man8/docker-credential-acr.8.gz -> $name.8.gz"

phase "deb: contents, control, lintian"
deb_files=$(dpkg-deb -c "$deb" | awk '$1 !~ /^d/ {sub(/^\./, "", $6); $1=$2=$3=$4=$5=""; sub(/^ +/, ""); print}' | sorted)
same "deb file list" "$(printf '%s\n%s\n%s\n%s' "$common_files" \
  /usr/share/doc/$name/changelog.Debian.gz /usr/share/doc/$name/copyright \
  /usr/share/lintian/overrides/$name | sorted)" "$deb_files"
same "deb modes of the config directory and template" \
  "drwx------ root/root ./etc/acr-credential-provider/
-rw------- root/root ./etc/acr-credential-provider/config.json" \
  "$(dpkg-deb -c "$deb" | awk '$6 ~ /^\.\/etc\/acr/ {print $1, $2, $6}')"
same "deb conffiles" "/etc/acr-credential-provider/config.json" \
  "$(dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles)"
same "deb control members (maintainer scripts: prerm, postrm)" \
  "conffiles control md5sums postrm prerm" \
  "$(dpkg-deb --ctrl-tarfile "$deb" | tar -t | sed -n 's#^\./##p' | grep . | sorted | xargs)"
# On removal (not upgrade) the plugin is taken out of the kubelets first; purge or remove
# deletes the token cache. The same bodies as the rpm's scriptlets below.
prerm=$(dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./prerm)
grep -q '^  remove|deconfigure)$' <<<"$prerm" && grep -q 'setup "$target" --remove' <<<"$prerm" ||
  fail "deb prerm does not take the plugin out on remove"
same "deb maintainer scripts are executable" "-rwxr-xr-x -rwxr-xr-x" \
  "$(dpkg-deb --ctrl-tarfile "$deb" | tar -tv ./prerm ./postrm | awk '{print $1}' | xargs)"
same "deb version" "$version-$revision" "$(dpkg-deb -f "$deb" Version)"
depends=$(dpkg-deb -f "$deb" Depends)
echo "   Depends: $depends"
for dep in ca-certificates libc6 libcurl4 libssl3 libgcc-s1; do
  grep -Eq "(^|, )$dep( |,|$)" <<<"$depends" || fail "deb Depends lacks $dep"
done
if grep -Eq 'libc6 \(>= 2\.(3[5-9]|[4-9][0-9])' <<<"$depends"; then
  fail "deb needs glibc newer than 2.34: $depends"
fi

lintian --pedantic --display-info --display-experimental "$deb" >"$work/lintian" 2>&1 || true
sed 's/^/   /' "$work/lintian"
# Justified in packaging/README.md ("lintian"); anything else is a finding to fix or justify.
lintian_known='initial-upload-closes-no-bugs|non-standard-dir-perm 0700 != 0755 \[etc/acr-credential-provider/\]|non-standard-file-perm 0600 != 0644 \[etc/acr-credential-provider/config.json\]|shared-library-lacks-prerequisites \[usr/libexec/kubelet-image-credential-provider-plugins/acr-credential-provider\]|spelling-error-in-binary ment meant \[usr/libexec/kubelet-image-credential-provider-plugins/acr-credential-provider\]|maintainer-script-calls-systemctl \[prerm:[0-9]+\]'
if grep -q '^E:' "$work/lintian"; then fail "lintian errors"; else pass "lintian: no errors"; fi
if grep -E '^[WIXP]:' "$work/lintian" | grep -Ev "$lintian_known" >"$work/unknown"; then
  fail "lintian findings not justified in packaging/README.md:"
  cat "$work/unknown" >&2
fi

phase "rpm: contents, dependencies, rpmlint"
# Files and links (the directories the package owns are checked below).
rpm_files=$(rpm -qp --qf '[%{FILEMODES:perms} %{FILENAMES} %{FILELINKTOS}\n]' "$rpm" |
  awk '$1 !~ /^d/ {print $2 ($3 == "" ? "" : " -> " $3)}' | sorted)
same "rpm file list" "$(printf '%s\n%s\n%s' "$common_files" \
  /usr/share/licenses/$name/LICENSE /usr/share/licenses/$name/copyright | sorted)" "$rpm_files"
same "rpm owned directories" "/etc/acr-credential-provider drwx------
/usr/libexec/acr-credential-provider drwxr-xr-x
/usr/libexec/kubelet-image-credential-provider-plugins drwxr-xr-x
/usr/share/doc/acr-credential-provider drwxr-xr-x
/usr/share/doc/acr-credential-provider/docs drwxr-xr-x
/usr/share/doc/acr-credential-provider/examples drwxr-xr-x
/usr/share/licenses/acr-credential-provider drwxr-xr-x" \
  "$(rpm -qp --qf '[%{FILENAMES} %{FILEMODES:perms}\n]' "$rpm" | awk '$2 ~ /^d/' | sorted)"
same "rpm config file: 0600 root, %config(noreplace)" \
  "/etc/acr-credential-provider/config.json -rw------- root root cn" \
  "$(rpm -qp --qf '[%{FILENAMES} %{FILEMODES:perms} %{FILEUSERNAME} %{FILEGROUPNAME} %{FILEFLAGS:fflags}\n]' "$rpm" | grep ' [^ ]*c[^ ]*$')"
rpm_scripts=$(rpm -qp --scripts "$rpm")
same "rpm scriptlets" "preuninstall scriptlet (using /bin/sh):
postuninstall scriptlet (using /bin/sh):" "$(grep 'scriptlet' <<<"$rpm_scripts")"
grep -q 'setup "$target" --remove' <<<"$rpm_scripts" && grep -q 'if \[ "$1" -eq 0 \]' <<<"$rpm_scripts" ||
  fail "rpm %preun does not take the plugin out on erase"
same "rpm version" "$version-$revision" "$(rpm -qp --qf '%{VERSION}-%{RELEASE}' "$rpm")"
same "rpm provides" "$name = $version-$revision
$name(x86-64) = $version-$revision
config($name) = $version-$revision" "$(rpm -qp --provides "$rpm" | sorted)"
requires=$(rpm -qp --requires "$rpm")
awk '{print "   Requires: " $0}' <<<"$requires"
for dep in ca-certificates 'libcurl\.so\.4\(\)\(64bit\)' 'libcrypto\.so\.3\(OPENSSL_3\.0\.0\)\(64bit\)' \
           'libc\.so\.6\(GLIBC_2\.34\)\(64bit\)'; do
  grep -Eq "^$dep$" <<<"$requires" || fail "rpm Requires lacks $dep"
done
# What RHEL 9 cannot provide: glibc > 2.34, Debian's libcurl symbol version, libstdc++.so.
if grep -E 'GLIBC_2\.(3[5-9]|[4-9][0-9])|CURL_OPENSSL|libstdc\+\+' <<<"$requires"; then
  fail "rpm Requires names something RHEL 9 does not provide"
fi

rpmlint -c packaging/rpmlint.toml "$rpm" >"$work/rpmlint" 2>&1 || true
sed 's/^/   /' "$work/rpmlint"
# Justified in packaging/README.md ("rpmlint"); the deliberate errors are filtered, each
# with its reason, in packaging/rpmlint.toml.
rpmlint_known='W: no-url-tag$|W: dangerous-command-in-%postun rm$|W: only-non-binary-in-usr-lib$|W: no-manual-page-for-binary (acr-credential-provider|docker-credential-acr)$'
if grep -q ' 0 errors' "$work/rpmlint" && ! grep -q ': E: ' "$work/rpmlint"; then
  pass "rpmlint: no errors"
else
  fail "rpmlint errors"
fi
if grep -E ': [EW]: ' "$work/rpmlint" | grep -Ev "$rpmlint_known" >"$work/unknown"; then
  fail "rpmlint findings not justified in packaging/README.md:"
  cat "$work/unknown" >&2
fi

phase "binaries: linkage, symbol versions, behaviour"
mkdir -p "$work/deb-root" "$work/rpm-root"
dpkg-deb -x "$deb" "$work/deb-root"
(cd "$work/rpm-root" && rpm2cpio "$OLDPWD/$rpm" | cpio -idm --quiet)
plugin=$work/deb-root/usr/libexec/kubelet-image-credential-provider-plugins/$name
helper=$work/deb-root/usr/libexec/$name/$name-http
# The two formats carry the same bytes for every file they share.
same "deb and rpm payloads agree" \
  "$(cd "$work/deb-root" && find . -type f ! -path '*/doc/*/changelog.Debian.gz' ! -path '*/doc/*/copyright' \
     ! -path './usr/share/lintian/*' -exec sha256sum {} + | sorted)" \
  "$(cd "$work/rpm-root" && find . -type f ! -path './usr/share/licenses/*' -exec sha256sum {} + | sorted)"

same "deb md5sums match the payload" "" \
  "$(cd "$work/deb-root" && dpkg-deb --ctrl-tarfile "$OLDPWD/$deb" | tar -xO ./md5sums | md5sum -c --quiet 2>&1)"
same "rpm digests" "$rpm: digests OK" "$(rpm -K --nosignature "$rpm")"

same "plugin: no NEEDED entries (fully static)" "" \
  "$(readelf -d "$plugin" | grep NEEDED || true)"
same "plugin: no program interpreter" "" \
  "$(readelf -l "$plugin" | grep -i 'interpreter' || true)"
needed=$(readelf -d "$helper" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | sorted)
awk '{print "   helper NEEDED: " $0}' <<<"$needed"
# A RHEL 9 base install has all of these (glibc, libgcc, openssl-libs, libcurl-minimal).
allowed='^(libcurl\.so\.4|libssl\.so\.3|libcrypto\.so\.3|libc\.so\.6|libm\.so\.6|libgcc_s\.so\.1|ld-linux-x86-64\.so\.2)$'
if grep -Evq "$allowed" <<<"$needed"; then
  fail "helper needs libraries outside the RHEL 9 allow-list: $(grep -Ev "$allowed" <<<"$needed" | xargs)"
else
  pass "helper NEEDED within the RHEL 9 allow-list"
fi
glibc_max=$(objdump -T "$helper" | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -1)
echo "   helper: newest glibc symbol version GLIBC_$glibc_max"
if [ "$(printf '%s\n' "$glibc_max" 2.34 | sort -V | tail -1)" != 2.34 ]; then
  fail "helper needs GLIBC_$glibc_max:"
  objdump -T "$helper" | grep -E 'GLIBC_2\.(3[5-9]|[4-9][0-9])' >&2
else
  pass "helper needs no glibc symbol version newer than 2.34"
fi
if grep -q 'GLIBCXX_\|CXXABI_' <(objdump -T "$helper"); then
  fail "helper has dynamic libstdc++ symbols"
fi
# The plugin looks for its helper relative to its own directory (plugin/CMakeLists.txt).
if grep -qx "../$name" <(strings "$plugin") &&
   [ -x "$(dirname "$plugin")/../$name/$name-http" ]; then
  pass "plugin finds its helper at ../$name/ relative to itself"
else
  fail "the helper is not at ../$name/$name-http relative to the plugin, where the plugin looks"
fi
same "plugin --version" "$name $version" "$("$plugin" --version)"
same "/usr/bin link resolves to the plugin" "$plugin" "$(readlink -f "$work/deb-root/usr/bin/$name")"
same "docker-credential-acr link resolves to the plugin" "$plugin" \
  "$(readlink -f "$work/deb-root/usr/bin/docker-credential-acr")"

# The refresh units load in systemd (unknown keys, a wrong ExecStart path, a missing
# binary fail here) and name the packaged plugin.
units=$work/deb-root/usr/lib/systemd/system
grep -qx "ExecStart=/usr/libexec/kubelet-image-credential-provider-plugins/$name refresh" \
  "$units/$name-refresh.service" || fail "refresh service does not run the packaged plugin"
# The targets they name come from this machine's systemd; the man page is checked below.
cp -n /lib/systemd/system/*.target "$units/"
verify=$(SYSTEMD_LOG_LEVEL=warning systemd-analyze verify --man=no --root="$work/deb-root" \
  "$units/$name-refresh.service" "$units/$name-refresh.timer" 2>&1)
rm -f "$units"/*.target
same "systemd-analyze verify: refresh service and timer" "" "$verify"
security=$(systemd-analyze security --offline=true --root="$work/deb-root" \
  "$units/$name-refresh.service" 2>/dev/null | tail -1)
echo "   $security"
grep -Eq 'exposure level .*: ([01]\.[0-9]|2\.0) ' <<<"$security" ||
  fail "refresh service: exposure above 2.0 ($security)"

man=$work/deb-root/usr/share/man/man8/$name.8.gz
warnings=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l -Tutf8 -Z "$man" 2>&1 >/dev/null)
same "man page renders without groff warnings" "" "$warnings"
rendered=$(MANWIDTH=200 man -l "$man" 2>/dev/null | col -b)
grep -q "$name $version" <<<"$rendered" || fail "man page does not name version $version"
absent=""
for flag in $("$plugin" --help | grep -oE '(^|[[ ])--?[a-z][a-z-]*' | tr -d '[ ' | sort -u) \
            check setup refresh k3s kubeadm; do
  grep -q -- "$flag" <<<"$rendered" || absent+=" $flag"
done
same "man page names every flag and subcommand of --help" "" "${absent# }"
same "changelog.Debian.gz is packaging/changelog" "$(cat packaging/changelog)" \
  "$(zcat "$work/deb-root/usr/share/doc/$name/changelog.Debian.gz")"
same "gzip files carry no name or time stamp (gzip -n)" "" \
  "$(for f in "$man" "$work/deb-root/usr/share/doc/$name/changelog.Debian.gz"; do
       [ "$(od -An -tx1 -j3 -N5 "$f" | tr -d ' ')" = 0000000000 ] || echo "$f"
     done)"

phase "reproducibility: a fresh build in another directory"
scripts/package --build-dir "$work/build-b" --out "$work/dist-b" >/dev/null
for pkg in "$deb" "$rpm"; do
  other=$work/dist-b/$(basename "$pkg")
  if cmp -s "$pkg" "$other"; then pass "$(basename "$pkg") is bit-identical"; continue; fi
  # Not bit-identical: the contents must still be (listings with modes, times, digests).
  case $pkg in
    *.deb) list() { dpkg-deb -c "$1"; dpkg-deb -I "$1" control; }
           payload() { mkdir -p "$2"; dpkg-deb -x "$1" "$2"; } ;;
    *.rpm) list() { rpm -qp --dump "$1"; rpm -qpi "$1"; }
           payload() { mkdir -p "$2"; (cd "$2" && rpm2cpio "$1" | cpio -idm --quiet); } ;;
  esac
  same "$(basename "$pkg"): same listing" "$(list "$pkg" | sorted)" "$(list "$other" | sorted)"
  payload "$PWD/$pkg" "$work/a"; payload "$other" "$work/b"
  same "$(basename "$pkg"): same file hashes" \
    "$(cd "$work/a" && find . -type f -exec sha256sum {} + | sorted)" \
    "$(cd "$work/b" && find . -type f -exec sha256sum {} + | sorted)"
  rm -rf "$work/a" "$work/b"
done

phase "done"
if [ "$failures" -gt 0 ]; then echo "$failures check(s) failed" >&2; exit 1; fi
echo "all package checks passed"
