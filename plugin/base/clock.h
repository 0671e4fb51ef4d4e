// Time, behind an interface so retry and expiry logic can be tested without waiting.
#ifndef ACRCP_PLUGIN_BASE_CLOCK_H_
#define ACRCP_PLUGIN_BASE_CLOCK_H_

#include "absl/time/time.h"

namespace acrcp {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() = 0;
  virtual void SleepFor(absl::Duration d) = 0;
};

// The system clock. Thread-safe.
Clock& RealClock();

}  // namespace acrcp

#endif  // ACRCP_PLUGIN_BASE_CLOCK_H_
