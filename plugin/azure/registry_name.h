// Registry names: the one parser of "host[:port]", wherever a registry is named (an image
// reference, a Docker credential helper's server URL, the config's registries, mirrors and
// identities, the authority host's origin). Every decision about where a token may go
// (login_server.h) starts from a name this module produced.
//
// A normalised name is what a registry compares: lower case (DNS names are case-insensitive)
// and without ":443" (the default port of every https:// registry), so "MyAcr.azurecr.io:443"
// and "myacr.azurecr.io" are one registry, with one cache entry and one exchange `service`.
// A host is a DNS name or an IPv4 address: letters, digits, '-' and '.', no empty label. IPv6
// literals ("[::1]:5000") are refused: no ACR login server is one, and brackets would need
// their own matching rules at every step after this one.
#ifndef ACRCP_PLUGIN_AZURE_REGISTRY_NAME_H_
#define ACRCP_PLUGIN_AZURE_REGISTRY_NAME_H_

#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace acrcp {

// The registry part ("host[:port]") of an image reference, spelt as in the image, the way
// Docker reads it: "nginx" and "library/nginx" belong to "docker.io"; the first path
// component is a registry only if it contains '.' or ':' or is "localhost".
std::string RegistryOfImage(absl::string_view image);

// `name` ("host" or "host:port") normalised. InvalidArgument saying what is wrong otherwise.
absl::StatusOr<std::string> NormalizeRegistry(absl::string_view name);

// The host and the port ("" for the default one) of a normalised name.
std::pair<absl::string_view, absl::string_view> SplitRegistry(absl::string_view normalized);

// The normalised registry a Docker credential helper's server URL names, as clients send it:
// "myacr.azurecr.io", "https://MyAcr.azurecr.io/v2/", "myacr.azurecr.io:443". A path is
// ignored. FailedPrecondition for "http://": a token must never be handed out for a server
// that would receive it in the clear. InvalidArgument when it names no registry.
absl::StatusOr<std::string> RegistryOfServerUrl(absl::string_view server_url);

// "https://host[:port]" (a trailing '/' allowed) with the host[:port] normalised, for
// origins such as the authority host. InvalidArgument for anything else.
absl::StatusOr<std::string> NormalizeHttpsOrigin(absl::string_view url);

}  // namespace acrcp

#endif  // ACRCP_PLUGIN_AZURE_REGISTRY_NAME_H_
