# Installs the Debian packages the project needs, only those missing. Sourced by the
# scripts in scripts/; safe to run repeatedly. Uses sudo when not root.

# What building the two executables needs (scripts/demo stops here), plus GoogleTest, which
# configuring the build tree needs, and what the fake Entra ID + ACR runs on.
ACRCP_BUILD_DEPS=(
  cmake g++ make pkg-config
  libcurl4-openssl-dev libcurl4 libssl-dev ca-certificates
  libabsl-dev nlohmann-json3-dev libyaml-dev libgtest-dev libgmock-dev
  python3 python3-cryptography
)
# What the test suite adds (scripts/test and the other scripts).
ACRCP_TEST_DEPS=(
  clang-format gdb
  docker-registry skopeo containerd  # tests/e2e: a real registry and real clients
  clang libclang-rt-14-dev  # scripts/fuzz: libFuzzer and the sanitizer runtimes
  valgrind clang-tidy cppcheck  # integration.valgrind_leaks, lint.clang_tidy, lint.cppcheck
  prometheus  # integration.test_metrics: promtool check metrics
)

# Installs the build and test dependencies and any packages named as arguments.
acrcp_install_deps() {
  acrcp_install_packages "${ACRCP_BUILD_DEPS[@]}" "${ACRCP_TEST_DEPS[@]}" "$@"
}

# Installs only what building the executables needs, and any packages named as arguments.
acrcp_install_build_deps() {
  acrcp_install_packages "${ACRCP_BUILD_DEPS[@]}" "$@"
}

acrcp_install_packages() {
  local missing=() pkg
  for pkg in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$pkg")
    fi
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "installing missing packages: ${missing[*]}" >&2
  local sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  # Waits for another apt run (unattended-upgrades, a parallel build) instead of failing.
  local apt=("${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600)
  "${apt[@]}" update -qq
  "${apt[@]}" install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}
