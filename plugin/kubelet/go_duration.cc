#include "plugin/kubelet/go_duration.h"

#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"

namespace acrcp {

std::string FormatGoDuration(absl::Duration d) {
  const int64_t total = absl::ToInt64Seconds(d);
  if (total <= 0) return "0s";
  const int64_t hours = total / 3600;
  const int64_t minutes = (total % 3600) / 60;
  const int64_t seconds = total % 60;
  if (hours > 0) return absl::StrCat(hours, "h", minutes, "m", seconds, "s");
  if (minutes > 0) return absl::StrCat(minutes, "m", seconds, "s");
  return absl::StrCat(seconds, "s");
}

}  // namespace acrcp
