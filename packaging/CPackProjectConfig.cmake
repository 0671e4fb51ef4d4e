# Read by cpack once per generator (CPACK_PROJECT_CONFIG_FILE).

# A build configured for another prefix (the release preset's /usr/local) would ship paths,
# such as the man page's and the docs' examples, that are not where the package puts them.
if(NOT CPACK_ACRCP_INSTALL_PREFIX STREQUAL "/usr")
  message(FATAL_ERROR "this build has CMAKE_INSTALL_PREFIX=${CPACK_ACRCP_INSTALL_PREFIX}; "
                      "packages need /usr (use scripts/package)")
endif()

# Each package gets the common files ("Unspecified") plus its own format's license and
# changelog files (packaging/CMakeLists.txt).
if(CPACK_GENERATOR STREQUAL "DEB")
  set(CPACK_COMPONENTS_ALL Unspecified deb)
elseif(CPACK_GENERATOR STREQUAL "RPM")
  set(CPACK_COMPONENTS_ALL Unspecified rpm)
endif()
