#include "plugin/config/upstream_keys.h"

#include <array>
#include <optional>
#include <string>

#include "absl/strings/match.h"

namespace acrcp {
namespace {

constexpr std::array<absl::string_view, 33> kIgnoredUpstreamKeys = {
    "subscriptionId",
    "resourceGroup",
    "location",
    "vnetName",
    "vnetResourceGroup",
    "subnetName",
    "securityGroupName",
    "securityGroupResourceGroup",
    "routeTableName",
    "routeTableResourceGroup",
    "primaryAvailabilitySetName",
    "primaryScaleSetName",
    "vmType",
    "cloudProviderBackoff",
    "cloudProviderBackoffRetries",
    "cloudProviderBackoffExponent",
    "cloudProviderBackoffDuration",
    "cloudProviderBackoffJitter",
    "cloudProviderRateLimit",
    "cloudProviderRateLimitQPS",
    "cloudProviderRateLimitBucket",
    "cloudProviderRateLimitQPSWrite",
    "cloudProviderRateLimitBucketWrite",
    "useInstanceMetadata",
    "loadBalancerSku",
    "excludeMasterFromStandardLB",
    "disableOutboundSNAT",
    "maximumLoadBalancerRuleCount",
    "networkResourceTenantId",
    "networkResourceSubscriptionId",
    "userAgent",
    "enableMigrateToIPBasedBackendPoolAPI",
    "putVMSSVMBatchSize"};

constexpr std::array<absl::string_view, 7> kUnsupportedUpstreamKeys = {
    "aadClientCertPath",
    "aadClientCertPassword",
    "aadFederatedTokenFile",
    "useFederatedWorkloadIdentityExtension",
    "aadMSIDataPlaneIdentityPath",
    "resourceManagerEndpoint",
    "identitySystem"};

template <size_t N>
std::optional<absl::string_view> Find(const std::array<absl::string_view, N>& keys,
                                      absl::string_view key) {
  for (absl::string_view k : keys) {
    if (absl::EqualsIgnoreCase(k, key)) return k;
  }
  return std::nullopt;
}

}  // namespace

bool IsIgnoredUpstreamKey(absl::string_view key) {
  return Find(kIgnoredUpstreamKeys, key).has_value();
}

std::optional<std::string> UnsupportedUpstreamKey(absl::string_view key) {
  const std::optional<absl::string_view> upstream = Find(kUnsupportedUpstreamKeys, key);
  if (!upstream) return std::nullopt;
  if (*upstream == "aadClientCertPath" || *upstream == "aadClientCertPassword") {
    return "use clientCertificateFile with a PEM file; convert the PKCS#12 file with: openssl "
           "pkcs12 -in cert.pfx -out cert.pem -noenc";
  }
  if (*upstream == "aadFederatedTokenFile" ||
      *upstream == "useFederatedWorkloadIdentityExtension") {
    return "use federatedTokenFile";
  }
  return "see docs/identities.md for the identities this plugin supports";
}

}  // namespace acrcp
