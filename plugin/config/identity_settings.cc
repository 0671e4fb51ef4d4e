#include "plugin/config/identity_settings.h"

#include <optional>
#include <string>
#include <utility>
#include <variant>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "nlohmann/json.hpp"
#include "plugin/azure/identifiers.h"
#include "plugin/base/log.h"

namespace acrcp {
namespace {

bool HasCredential(const IdentitySettings& identity) {
  return !std::holds_alternative<NoCredential>(identity.credential);
}

absl::Status ReadTenantAndClient(const ConfigReader& r, IdentitySettings& out) {
  absl::StatusOr<std::string> tenant = r.StringOrEnv("tenantId", "AZURE_TENANT_ID");
  if (!tenant.ok()) return tenant.status();
  if (!tenant->empty() && !IsTenantId(*tenant)) {
    return r.Error(absl::StrCat("tenant ID '", *tenant, "' is not a GUID or domain name"),
                   "copy it from: az account show --query tenantId");
  }
  out.tenant_id = *tenant;

  absl::StatusOr<std::string> client = r.String("clientId");
  absl::StatusOr<std::string> aad_client = r.String("aadClientId");
  if (!client.ok()) return client.status();
  if (!aad_client.ok()) return aad_client.status();
  if (!client->empty() && !aad_client->empty() && *client != *aad_client) {
    return r.Error("clientId and aadClientId differ", "keep one of them");
  }
  std::string client_id = client->empty() ? *aad_client : *client;
  if (client_id.empty()) client_id = r.env()("AZURE_CLIENT_ID").value_or("");
  if (!client_id.empty() && !IsGuid(client_id)) {
    return r.Error(absl::StrCat("client ID '", client_id, "' is not a GUID"),
                   "use the appId shown by: az ad sp list --display-name NAME");
  }
  out.client_id = client_id;
  return absl::OkStatus();
}

// The node credential named in the file; at most one may be.
absl::Status ReadFileCredential(const ConfigReader& r, bool source_private, IdentitySettings& out) {
  absl::StatusOr<std::string> secret_file = r.AbsolutePath("clientSecretFile");
  absl::StatusOr<std::string> inline_secret = r.String("aadClientSecret");
  absl::StatusOr<std::string> certificate = r.AbsolutePath("clientCertificateFile");
  absl::StatusOr<std::string> password_file = r.AbsolutePath("clientCertificatePasswordFile");
  absl::StatusOr<std::string> signature = r.String("clientCertificateSignature");
  absl::StatusOr<std::string> federated = r.AbsolutePath("federatedTokenFile");
  for (const auto* value :
       {&secret_file, &inline_secret, &certificate, &password_file, &signature, &federated}) {
    if (!value->ok()) return value->status();
  }
  const int named =
      !secret_file->empty() + !inline_secret->empty() + !certificate->empty() + !federated->empty();
  if (named > 1) {
    return r.Error("more than one credential is set",
                   "keep exactly one of clientSecretFile, aadClientSecret, "
                   "clientCertificateFile, federatedTokenFile");
  }
  if (certificate->empty() && (!password_file->empty() || !signature->empty())) {
    return r.Error(
        "clientCertificatePasswordFile and clientCertificateSignature need "
        "clientCertificateFile",
        "set clientCertificateFile or remove them");
  }
  if (!inline_secret->empty()) {
    // Register first: even the refusal below must not be able to echo it.
    log::RegisterSecret(*inline_secret);
    if (!source_private) {
      return r.Error(
          "aadClientSecret is set but the file is readable by group or others",
          absl::StrCat("run: chmod 600 ", r.file(), ", or move the secret to a clientSecretFile"));
    }
    ClientSecretSettings settings;
    settings.inline_secret = *inline_secret;
    settings.inline_origin = absl::StrCat("aadClientSecret in ", r.source());
    out.credential = std::move(settings);
  } else if (!secret_file->empty()) {
    ClientSecretSettings settings;
    settings.file = *secret_file;
    out.credential = std::move(settings);
  } else if (!certificate->empty()) {
    if (!signature->empty() && *signature != "PS256" && *signature != "RS256") {
      return r.Error(absl::StrCat("clientCertificateSignature '", *signature,
                                  "' is not PS256 "
                                  "or RS256"),
                     "PS256 is what Entra ID documents today; RS256 suits older setups");
    }
    ClientCertificateSettings settings;
    settings.file = *certificate;
    settings.password_file = *password_file;
    if (!signature->empty()) settings.algorithm = *signature;
    out.credential = std::move(settings);
  } else if (!federated->empty()) {
    out.credential = FederatedTokenFileSettings{*federated};
  }
  return absl::OkStatus();
}

bool IsLocalMetadataHost(absl::string_view host) {
  return host == "localhost" || host == "[::1]" || host == "169.254.169.254" ||
         absl::StartsWith(host, "127.");
}

// `managedIdentity` (or the upstream useManagedIdentityExtension) and its settings.
absl::Status ReadManagedIdentity(const ConfigReader& r, IdentitySettings& out) {
  absl::StatusOr<std::string> mode = r.String("managedIdentity");
  absl::StatusOr<std::string> id = r.String("managedIdentityClientId");
  absl::StatusOr<std::string> upstream_id = r.String("userAssignedIdentityID");
  absl::StatusOr<std::string> endpoint = r.String("managedIdentityEndpoint");
  for (const auto* value : {&mode, &id, &upstream_id, &endpoint}) {
    if (!value->ok()) return value->status();
  }
  if (const nlohmann::json* upstream = r.Find("useManagedIdentityExtension")) {
    if (!upstream->is_boolean()) {
      return r.Error("useManagedIdentityExtension must be true or false", "fix the value");
    }
    if (upstream->get<bool>() && mode->empty()) *mode = "auto";
  }
  if (id->empty()) *id = *upstream_id;
  if (mode->empty()) {
    if (!id->empty() || !endpoint->empty()) {
      return r.Error("managedIdentityClientId and managedIdentityEndpoint need managedIdentity",
                     "set \"managedIdentity\": \"auto\", \"arc\" or \"imds\"");
    }
    return absl::OkStatus();
  }
  if (HasCredential(out)) {
    return r.Error("more than one credential is set",
                   "a managed identity needs no clientSecretFile, clientCertificateFile or "
                   "federatedTokenFile");
  }
  if (*mode != "auto" && *mode != "arc" && *mode != "imds") {
    return r.Error(absl::StrCat("managedIdentity '", *mode, "' is not auto, arc or imds"),
                   "auto picks Azure Arc when its agent is installed, else the VM's IMDS");
  }
  if (!id->empty() && !IsGuid(*id) && !absl::StartsWithIgnoreCase(*id, "/subscriptions/")) {
    return r.Error(
        absl::StrCat("managed identity '", *id, "' is neither a client ID nor an ARM resource ID"),
        "use the identity's clientId, or its id starting with /subscriptions/");
  }
  if (!endpoint->empty() && !IsLocalMetadataUrl(*endpoint)) {
    return r.Error(absl::StrCat("managedIdentityEndpoint '", *endpoint,
                                "' is not an http:// URL on this machine"),
                   "only loopback addresses and 169.254.169.254 are allowed");
  }
  ManagedIdentitySettings settings;
  settings.endpoint = *endpoint;
  settings.id = *id;
  // Arc's agent puts these two into the environment of the machine's services.
  const std::optional<std::string> identity_endpoint = r.env()("IDENTITY_ENDPOINT");
  const bool arc_environment = identity_endpoint && r.env()("IMDS_ENDPOINT");
  if (*mode == "arc" || (*mode == "auto" && arc_environment)) {
    settings.source = ManagedIdentitySource::kArc;
  } else if (*mode == "imds") {
    settings.source = ManagedIdentitySource::kImds;
  }
  if (settings.endpoint.empty() && arc_environment &&
      settings.source != ManagedIdentitySource::kImds) {
    if (!IsLocalMetadataUrl(*identity_endpoint)) {
      return r.Error(absl::StrCat("IDENTITY_ENDPOINT '", *identity_endpoint,
                                  "' is not an http:// URL on this "
                                  "machine"),
                     "the Arc agent listens on localhost:40342");
    }
    settings.endpoint = *identity_endpoint;
  }
  out.credential = std::move(settings);
  return absl::OkStatus();
}

// The Azure SDK's environment variables, when the file names no credential.
void ReadEnvironmentCredential(const EnvLookup& env, IdentitySettings& out) {
  if (std::optional<std::string> secret = env("AZURE_CLIENT_SECRET"); secret && !secret->empty()) {
    log::RegisterSecret(*secret);
    ClientSecretSettings settings;
    settings.inline_secret = *secret;
    settings.inline_origin = "AZURE_CLIENT_SECRET";
    out.credential = std::move(settings);
  } else if (std::optional<std::string> path = env("AZURE_CLIENT_CERTIFICATE_PATH");
             path && !path->empty()) {
    ClientCertificateSettings settings;
    settings.file = *path;
    if (std::optional<std::string> password = env("AZURE_CLIENT_CERTIFICATE_PASSWORD")) {
      log::RegisterSecret(*password);
      settings.inline_password = *password;
    }
    out.credential = std::move(settings);
  } else if (std::optional<std::string> file = env("AZURE_FEDERATED_TOKEN_FILE");
             file && !file->empty()) {
    out.credential = FederatedTokenFileSettings{*file};
  }
}

}  // namespace

bool IsLocalMetadataUrl(absl::string_view url) {
  if (!absl::ConsumePrefix(&url, "http://")) return false;
  const absl::string_view authority = url.substr(0, url.find('/'));
  const size_t colon = authority.rfind(':');
  const absl::string_view host = colon == absl::string_view::npos || absl::EndsWith(authority, "]")
                                     ? authority
                                     : authority.substr(0, colon);
  return IsLocalMetadataHost(absl::AsciiStrToLower(host)) &&
         url.find_first_of("?#@") == absl::string_view::npos;
}

absl::Status ReadIdentitySettings(const ConfigReader& r, bool source_private, bool nested,
                                  IdentitySettings& out) {
  if (absl::Status s = ReadTenantAndClient(r, out); !s.ok()) return s;
  if (absl::Status s = ReadFileCredential(r, source_private, out); !s.ok()) return s;
  if (absl::Status s = ReadManagedIdentity(r, out); !s.ok()) return s;
  if (std::holds_alternative<ManagedIdentitySettings>(out.credential)) {
    // The tenant is in the token; no app registration is involved.
    return absl::OkStatus();
  }
  if (!HasCredential(out) && !nested) ReadEnvironmentCredential(r.env(), out);
  if (!HasCredential(out)) {
    if (!nested) return absl::OkStatus();
    return r.Error("no credential",
                   "set clientSecretFile, clientCertificateFile or "
                   "federatedTokenFile");
  }
  // Entries of `identities` never read the environment, so only the top level mentions it.
  const absl::string_view or_env = nested ? "" : " (or AZURE_TENANT_ID / AZURE_CLIENT_ID)";
  if (out.tenant_id.empty()) {
    return r.Error("no tenant ID", absl::StrCat("set \"tenantId\"", or_env,
                                                " to the directory (tenant) ID of the app"));
  }
  if (out.client_id.empty()) {
    return r.Error("no client ID", absl::StrCat("set \"clientId\"", or_env,
                                                " to the application (client) ID of the app"));
  }
  return absl::OkStatus();
}

}  // namespace acrcp
