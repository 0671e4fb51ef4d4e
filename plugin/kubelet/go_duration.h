// Formats durations the way Go's time.Duration.String() does ("0s", "45s", "1h30m0s"),
// because the kubelet decodes `cacheDuration` with time.ParseDuration.
#ifndef ACRCP_PLUGIN_KUBELET_GO_DURATION_H_
#define ACRCP_PLUGIN_KUBELET_GO_DURATION_H_

#include <string>

#include "absl/time/time.h"

namespace acrcp {

// Whole seconds only (sub-second parts are truncated); negative durations give "0s".
std::string FormatGoDuration(absl::Duration d);

}  // namespace acrcp

#endif  // ACRCP_PLUGIN_KUBELET_GO_DURATION_H_
