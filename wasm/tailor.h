/* tailor.h — the whole contract between the Tailor core and its hosts (JS, edge runtimes).
 *
 * Flat C ABI with an opaque handle, no exceptions, no callbacks. Every function is safe to call
 * with a null engine (it fails with TAILOR_ERR_INVALID_ARGUMENT or returns 0/""/NULL).
 *
 * Memory and ownership (wasm hosts): the host allocates input buffers in the module's linear
 * memory with tailor_alloc, writes into them, passes pointer + length, and frees them with
 * tailor_free. Results are owned by the engine and stay valid until the next call on the same
 * engine; the host copies them out ("slice") before calling again, because any call may grow
 * memory and detach views of it.
 *
 * Status codes are the numeric values of tailor::Code (docs/api.md lists them). */
#ifndef TAILOR_H_
#define TAILOR_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tailor_engine tailor_engine;

enum {
  TAILOR_OK = 0,
  TAILOR_ERR_INVALID_ARGUMENT = 1,
  TAILOR_ERR_PARSE = 2,
  TAILOR_ERR_SNAPSHOT_INVALID = 3,
  TAILOR_ERR_SNAPSHOT_IDENTIFIER = 4,
  TAILOR_ERR_SNAPSHOT_INCOMPATIBLE = 5,
  TAILOR_ERR_NO_SNAPSHOT = 6,
  TAILOR_ERR_UNKNOWN_SLOT = 7,
  TAILOR_ERR_LIMIT_EXCEEDED = 8,
  TAILOR_ERR_PROFILE_INVALID = 9,
  TAILOR_ERR_NOT_FOUND = 10,
  TAILOR_ERR_IO = 11,
  TAILOR_ERR_INTERNAL = 12,
  TAILOR_ERR_TENANT_MISMATCH = 13
};

/* ABI version of this header (bumped on any incompatible change). */
uint32_t tailor_abi_version(void);

/* New engine with no snapshot. Caller owns it; release with tailor_engine_free. NULL on OOM. */
tailor_engine* tailor_engine_create(void);
/* Frees the engine and everything it owns (snapshot copy, outputs). Null is a no-op. */
void tailor_engine_free(tailor_engine* engine);

/* Allocates `size` bytes of linear memory for inputs; caller frees with tailor_free. */
void* tailor_alloc(size_t size);
/* Frees memory from tailor_alloc. Null is a no-op. */
void tailor_free(void* ptr);

/* Copies `len` bytes at `bytes`, verifies them as a snapshot and activates them. The caller keeps
 * ownership of `bytes` (free it right after). On error the previous snapshot keeps serving.
 * Returns a status code; the message is in tailor_engine_last_error. */
int32_t tailor_engine_load_snapshot(tailor_engine* engine, const uint8_t* bytes, size_t len);

/* As tailor_engine_load_snapshot, but refuses (TAILOR_ERR_TENANT_MISMATCH, before activation) a
 * snapshot whose tenant id is not the `tenant_len` bytes at `tenant` (UTF-8, not NUL-terminated;
 * caller-owned, not retained). Multi-tenant hosts call this with the tenant they routed the
 * request to, so a snapshot of tenant B stored or signed for B is never served to tenant A.
 * An empty tenant (len 0) checks nothing, as tailor_engine_load_snapshot. */
int32_t tailor_engine_load_snapshot_for(tailor_engine* engine, const uint8_t* bytes, size_t len, const char* tenant,
                                        size_t tenant_len);

/* Decides the request JSON (`request`, `request_len` bytes, not NUL-terminated) with optional
 * profile bytes (`profile` may be NULL with `profile_len` 0). Inputs stay owned by the caller and
 * are not retained. On TAILOR_OK the decision JSON is in tailor_engine_output. A profile recording
 * another tenant than the active snapshot's fails with TAILOR_ERR_TENANT_MISMATCH. */
int32_t tailor_engine_decide(tailor_engine* engine, const char* request, size_t request_len,
                             const uint8_t* profile, size_t profile_len);

/* The last decision JSON (NUL-terminated, engine-owned, valid until the next call on `engine`). */
const char* tailor_engine_output(const tailor_engine* engine);
/* Its length in bytes, without the NUL. */
size_t tailor_engine_output_len(const tailor_engine* engine);

/* Status code of the last failed call (TAILOR_OK after a success). */
int32_t tailor_engine_last_error_code(const tailor_engine* engine);
/* Message of the last failed call, "" after a success (engine-owned, valid until the next call). */
const char* tailor_engine_last_error(const tailor_engine* engine);

/* JSON summary of the active snapshot ({"tenant","version","hash","built_at","items"}), or ""
 * when none is loaded (engine-owned, valid until the next call on `engine`). */
const char* tailor_engine_snapshot_info(tailor_engine* engine);

#ifdef __cplusplus
}
#endif

#endif /* TAILOR_H_ */
