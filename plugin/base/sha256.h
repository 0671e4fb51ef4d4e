// SHA-256 (FIPS 180-4), for cache keys and credential fingerprints.
//
// Implemented here rather than taken from libcrypto because the cache-hit path must not load
// OpenSSL (docs/performance.md); the unit tests check it against the FIPS test vectors and
// against OpenSSL itself. Not for signatures or MACs.
#ifndef ACRCP_PLUGIN_BASE_SHA256_H_
#define ACRCP_PLUGIN_BASE_SHA256_H_

#include <array>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace acrcp {

std::array<uint8_t, 32> Sha256(absl::string_view data);

// Lower-case hex of Sha256(data).
std::string Sha256Hex(absl::string_view data);

}  // namespace acrcp

#endif  // ACRCP_PLUGIN_BASE_SHA256_H_
