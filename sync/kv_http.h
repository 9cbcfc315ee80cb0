// A Workers KV namespace through the Cloudflare API (libcurl), for `tailor publish --to cloudflare`
// and, with the same client, the local edge of scripts/demo (`--to local`), which serves the same
// API subset on loopback (edge-adapters/cloudflare/kv-api.mjs):
//   PUT    {base}/accounts/{a}/storage/kv/namespaces/{n}/values/{key}   body = the value
//   GET    {base}/accounts/{a}/storage/kv/namespaces/{n}/values/{key}   the value, or 404
//   DELETE {base}/accounts/{a}/storage/kv/namespaces/{n}/values/{key}
//   PUT    {base}/accounts/{a}/storage/kv/namespaces/{n}/bulk           [{"key","value","base64":true}]
//   GET    {base}/accounts/{a}/storage/kv/namespaces/{n}/keys?prefix=&cursor=&limit=1000
#pragma once
#include <memory>
#include <string>

#include "publish_store.h"

namespace tailor::sync {

struct KvHttpConfig {
  std::string base;        // "https://api.cloudflare.com/client/v4" (TAILOR_CF_API_BASE overrides)
  std::string account, namespace_id, token;
  std::string prefix;      // the tenant's kv_prefix
  std::string label;       // for messages: "Cloudflare KV namespace <id>", "local edge <url>"
  int retries = 3;         // per request, on connection errors, 429 and 5xx (backoff 0.5 s, 1 s, 2 s...)
  long timeout_s = 300;    // per request
};

std::unique_ptr<Store> make_kv_http_store(const KvHttpConfig& config);

}  // namespace tailor::sync
