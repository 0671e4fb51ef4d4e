# Debian's abseil CMake package exports its shared libraries, one .so per component.
# Loading a dozen extra shared objects on every kubelet exec would cost more than the
# whole cache-hit path, so point each imported absl target at the static archive that
# the same package ships beside it (see docs/performance.md).
get_directory_property(_acrcp_imported IMPORTED_TARGETS)
foreach(_target IN LISTS _acrcp_imported)
  if(NOT _target MATCHES "^absl::")
    continue()
  endif()
  get_target_property(_type ${_target} TYPE)
  if(NOT _type STREQUAL "SHARED_LIBRARY")
    continue()
  endif()
  get_target_property(_configs ${_target} IMPORTED_CONFIGURATIONS)
  foreach(_config IN LISTS _configs)
    get_target_property(_location ${_target} IMPORTED_LOCATION_${_config})
    string(REGEX REPLACE "\\.so(\\.[0-9]+)*$" ".a" _archive "${_location}")
    if(NOT EXISTS "${_archive}")
      message(FATAL_ERROR "static abseil archive missing: ${_archive} (install libabsl-dev)")
    endif()
    set_target_properties(${_target} PROPERTIES IMPORTED_LOCATION_${_config} "${_archive}"
                                                IMPORTED_NO_SONAME_${_config} TRUE)
  endforeach()
endforeach()
