// The C ABI over tailor::Engine (see tailor.h for ownership rules).
#include "tailor.h"

#include <cstdlib>
#include <new>
#include <string>

#include "tailor/engine.h"
#include "tailor/json_writer.h"

#define TAILOR_API extern "C" __attribute__((visibility("default"), used))

struct tailor_engine {
  tailor::Engine engine;
  tailor::Code last_code = tailor::Code::kOk;
  std::string last_error;
  std::string info;
};

namespace {

int32_t record(tailor_engine* e, const tailor::Status& st) {
  e->last_code = st.code();
  e->last_error = st.message();
  return static_cast<int32_t>(st.code());
}

}  // namespace

TAILOR_API uint32_t tailor_abi_version(void) { return tailor::kEngineAbi; }

TAILOR_API tailor_engine* tailor_engine_create(void) { return new (std::nothrow) tailor_engine(); }

TAILOR_API void tailor_engine_free(tailor_engine* engine) { delete engine; }

TAILOR_API void* tailor_alloc(size_t size) { return std::malloc(size ? size : 1); }

TAILOR_API void tailor_free(void* ptr) { std::free(ptr); }

TAILOR_API int32_t tailor_engine_load_snapshot(tailor_engine* engine, const uint8_t* bytes, size_t len) {
  if (!engine) return TAILOR_ERR_INVALID_ARGUMENT;
  if (!bytes && len)
    return record(engine, tailor::Status(tailor::Code::kInvalidArgument, "snapshot pointer is null"));
  return record(engine, engine->engine.load_snapshot({bytes, len}));
}

TAILOR_API int32_t tailor_engine_load_snapshot_for(tailor_engine* engine, const uint8_t* bytes, size_t len,
                                                   const char* tenant, size_t tenant_len) {
  if (!engine) return TAILOR_ERR_INVALID_ARGUMENT;
  if ((!bytes && len) || (!tenant && tenant_len))
    return record(engine, tailor::Status(tailor::Code::kInvalidArgument, "input pointer is null"));
  return record(engine, engine->engine.load_snapshot({bytes, len}, {tenant, tenant_len}));
}

TAILOR_API int32_t tailor_engine_decide(tailor_engine* engine, const char* request, size_t request_len,
                                        const uint8_t* profile, size_t profile_len) {
  if (!engine) return TAILOR_ERR_INVALID_ARGUMENT;
  if ((!request && request_len) || (!profile && profile_len))
    return record(engine, tailor::Status(tailor::Code::kInvalidArgument, "input pointer is null"));
  return record(engine, engine->engine.decide({request, request_len}, {profile, profile_len}));
}

TAILOR_API const char* tailor_engine_output(const tailor_engine* engine) {
  return engine ? engine->engine.output().c_str() : "";
}

TAILOR_API size_t tailor_engine_output_len(const tailor_engine* engine) {
  return engine ? engine->engine.output().size() : 0;
}

TAILOR_API int32_t tailor_engine_last_error_code(const tailor_engine* engine) {
  return engine ? static_cast<int32_t>(engine->last_code) : TAILOR_ERR_INVALID_ARGUMENT;
}

TAILOR_API const char* tailor_engine_last_error(const tailor_engine* engine) {
  return engine ? engine->last_error.c_str() : "";
}

TAILOR_API const char* tailor_engine_snapshot_info(tailor_engine* engine) {
  if (!engine) return "";
  engine->info.clear();
  const tailor::Snapshot* s = engine->engine.snapshot();
  if (!s) return "";
  tailor::JsonWriter w(engine->info);
  w.begin_object();
  w.key("tenant"); w.string(tailor::sv(s->root().tenant()->id()));
  w.key("version"); w.string(tailor::sv(s->root().version()));
  w.key("hash"); w.string(s->hash());
  w.key("built_at"); w.integer(s->root().built_at());
  w.key("items"); w.integer(s->item_count());
  w.key("bytes"); w.integer(static_cast<int64_t>(s->byte_size()));
  w.end_object();
  return engine->info.c_str();
}
