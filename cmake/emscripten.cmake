# Toolchain for the browser build: wraps Emscripten's own toolchain file.
# Debian's apt `emscripten` lives in /usr/share/emscripten; EMSDK users set EMSCRIPTEN_ROOT.
if(NOT EMSCRIPTEN_ROOT)
  if(DEFINED ENV{EMSCRIPTEN_ROOT})
    set(EMSCRIPTEN_ROOT "$ENV{EMSCRIPTEN_ROOT}")
  elseif(DEFINED ENV{EMSDK})
    set(EMSCRIPTEN_ROOT "$ENV{EMSDK}/upstream/emscripten")
  else()
    set(EMSCRIPTEN_ROOT "/usr/share/emscripten")
  endif()
endif()
include("${EMSCRIPTEN_ROOT}/cmake/Modules/Platform/Emscripten.cmake")
set(TAILOR_WASM_TARGET web)
