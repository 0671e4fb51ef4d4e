# CPack pre-build script (CPACK_PRE_BUILD_SCRIPTS), run on the staged tree of each package
# before it is archived.
#
# 1. The binaries, already stripped by CPACK_STRIP_FILES, also lose .comment (the compiler's
#    version string) and .note, as dh_strip does; lintian flags them otherwise.
# 2. Every file, directory and symbolic link gets the mtime SOURCE_DATE_EPOCH, so the
#    packages record the same times however old the checkout or new the build. The DEB
#    generator does this by itself; rpmbuild only clamps times newer than SOURCE_DATE_EPOCH
#    and keeps older ones (a fresh checkout's README).
file(GLOB_RECURSE _acrcp_staged LIST_DIRECTORIES false "${CPACK_TEMPORARY_DIRECTORY}/*")
foreach(_file IN LISTS _acrcp_staged)
  if(_file MATCHES "/usr/libexec/" AND NOT IS_SYMLINK "${_file}")
    execute_process(COMMAND ${CPACK_ACRCP_STRIP} --remove-section=.comment
                            --remove-section=.note "${_file}"
                    COMMAND_ERROR_IS_FATAL ANY)
  endif()
endforeach()

if(DEFINED ENV{SOURCE_DATE_EPOCH})
  execute_process(
    COMMAND find "${CPACK_TEMPORARY_DIRECTORY}" -exec touch -h -d "@$ENV{SOURCE_DATE_EPOCH}" {} +
    COMMAND_ERROR_IS_FATAL ANY)
endif()
