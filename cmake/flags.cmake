# Every compiler and linker flag that shapes the engine lives here.
#  - No fast-math and no FP contraction (FMA): scores must be bit-identical in every runtime.
#  - The core is built without exceptions and RTTI everywhere, so the native build checks what wasm needs.
set(TAILOR_COMMON_FLAGS -ffp-contract=off -fno-fast-math)
set(TAILOR_CORE_FLAGS -fno-exceptions -fno-rtti)
set(TAILOR_WARNINGS -Wall -Wextra -Wno-unused-parameter)

if(TAILOR_WASM_TARGET)
  set(TAILOR_WASM_OPT_FLAGS -Oz)
  set(TAILOR_WASM_COMPILE_FLAGS -Oz -flto -fvisibility=hidden)
  if(TAILOR_SIMD)
    list(APPEND TAILOR_WASM_COMPILE_FLAGS -msimd128)
  endif()
endif()
