# The sanitizer build's report directory (tests/sanitizer_options.cc.in), as CTest fixtures:
#   cmake -DDIR=<dir> -DMODE=reset -P sanitizer_reports.cmake   empty it before the tests
#   cmake -DDIR=<dir> -DMODE=check -P sanitizer_reports.cmake   after them: fail on any report
# Reports are files because a finding in the HTTPS helper never reaches a test's assertions
# (it shares the plugin's stderr, and its leaks show only when it exits after answering).
if(MODE STREQUAL "reset")
  file(REMOVE_RECURSE "${DIR}")
  file(MAKE_DIRECTORY "${DIR}")
elseif(MODE STREQUAL "check")
  file(GLOB reports "${DIR}/*")
  if(reports)
    list(LENGTH reports count)
    foreach(report IN LISTS reports)
      file(READ "${report}" text)
      message("==== ${report}\n${text}")
    endforeach()
    message(FATAL_ERROR "${count} sanitizer report(s) in ${DIR}")
  endif()
  message("no sanitizer reports in ${DIR}")
else()
  message(FATAL_ERROR "MODE must be reset or check")
endif()
