# tailor_node_test(NAME name FILE path [NODE_ARGS ...] [ENV ...] [TIMEOUT s]): one ctest entry that
# runs a node:test file from the repo root against this tree's CLI and tailor.wasm
# (TAILOR_WASI_WASM, set in tests/conformance/CMakeLists.txt). Extra ENV entries are appended.
find_program(NODE node REQUIRED)
function(tailor_node_test)
  cmake_parse_arguments(T "" "NAME;FILE;TIMEOUT" "NODE_ARGS;ENV" ${ARGN})
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 300)
  endif()
  file(RELATIVE_PATH rel "${CMAKE_SOURCE_DIR}" "${T_FILE}")
  add_test(NAME "${T_NAME}" COMMAND "${NODE}" ${T_NODE_ARGS} --test --test-reporter=spec "${rel}")
  set_tests_properties("${T_NAME}" PROPERTIES
    ENVIRONMENT "TAILOR_CLI=$<TARGET_FILE:tailor>;TAILOR_WASM=${TAILOR_WASI_WASM};NODE_NO_WARNINGS=1;${T_ENV}"
    WORKING_DIRECTORY "${CMAKE_SOURCE_DIR}"
    TIMEOUT ${T_TIMEOUT})
endfunction()

# One entry per *.test.mjs file in DIR, named "<prefix>: <file>".
function(tailor_node_test_files prefix dir)
  file(GLOB files CONFIGURE_DEPENDS "${dir}/*.test.mjs")
  foreach(path ${files})
    get_filename_component(file "${path}" NAME)
    tailor_node_test(NAME "${prefix}: ${file}" FILE "${path}")
  endforeach()
endfunction()
