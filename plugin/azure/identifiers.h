// Shapes of Entra ID identifiers, checked before they are put into URLs or messages.
#ifndef ACRCP_PLUGIN_AZURE_IDENTIFIERS_H_
#define ACRCP_PLUGIN_AZURE_IDENTIFIERS_H_

#include <string>

#include "absl/strings/string_view.h"

namespace acrcp {

// 8-4-4-4-12 hexadecimal digits.
bool IsGuid(absl::string_view s);

// A GUID or a verified domain name ("contoso.onmicrosoft.com"): nothing else may become a
// URL path segment.
bool IsTenantId(absl::string_view s);

// A random (version 4) GUID, for JWT IDs.
std::string RandomGuid();

}  // namespace acrcp

#endif  // ACRCP_PLUGIN_AZURE_IDENTIFIERS_H_
