// Turning Entra ID's error documents into one actionable line.
//
// Entra answers failures with {"error", "error_description", "error_codes": [AADSTS...],
// "trace_id", "correlation_id"}. The code decides policy and the message; the description is
// free text and never parsed. Secrets cannot appear in the result: it is built only from
// the codes, IDs and the request's non-secret fields.
#ifndef ACRCP_PLUGIN_AZURE_ENTRA_ERRORS_H_
#define ACRCP_PLUGIN_AZURE_ENTRA_ERRORS_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "plugin/azure/entra_client.h"

namespace acrcp {

// The status for a non-200 answer (`http_status`, `body`) to `request`, after `attempts`.
// Unauthenticated for credential problems, NotFound for unknown tenants or applications,
// Unavailable for throttling and outages, FailedPrecondition otherwise.
absl::Status EntraError(const EntraTokenRequest& request, int http_status, absl::string_view body,
                        int attempts);

}  // namespace acrcp

#endif  // ACRCP_PLUGIN_AZURE_ENTRA_ERRORS_H_
