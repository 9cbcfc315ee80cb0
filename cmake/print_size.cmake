# Prints a build artefact's size (and gzip -9 size) so size regressions show in every build log.
file(SIZE "${FILE}" _size)
execute_process(COMMAND sh -c "gzip -9c '${FILE}' | wc -c" OUTPUT_VARIABLE _gz OUTPUT_STRIP_TRAILING_WHITESPACE)
get_filename_component(_name "${FILE}" NAME)
message(STATUS "size: ${_name} ${_size} bytes (${_gz} gzipped)")
