#include "kv_http.h"

#include <curl/curl.h>

#include <chrono>
#include <mutex>
#include <thread>

#include "json_parse.h"
#include "signing.h"

namespace tailor::sync {
namespace {

constexpr uint64_t kMaxJsonResponse = 64 << 20;  // list pages, errors, bulk results
constexpr size_t kBulkMaxPairs = 10'000;         // the API's bulk write limits
constexpr uint64_t kBulkMaxBytes = 90ull << 20;  // base64 included; the API takes 100 MB

struct Response {
  long status = 0;
  std::vector<uint8_t> body;
  uint64_t max = 0;
  bool overflow = false;
  std::string text() const { return std::string(body.begin(), body.end()); }
};

size_t on_data(char* data, size_t size, size_t n, void* user) {
  auto* r = static_cast<Response*>(user);
  if (r->body.size() + size * n > r->max) {
    r->overflow = true;
    return 0;  // aborts the transfer
  }
  r->body.insert(r->body.end(), data, data + size * n);
  return size * n;
}

// "code 10009: get: 'key not found'" from a Cloudflare API error body, or the body's start.
std::string api_error(const Response& r, int* first_code = nullptr) {
  nlohmann::json j;
  std::string why;
  std::string text = r.text();
  if (parse_json(text, j, why) && j.is_object() && j.contains("errors") && j["errors"].is_array() &&
      !j["errors"].empty() && j["errors"][0].is_object()) {
    const auto& e = j["errors"][0];
    int code = e.contains("code") && e["code"].is_number_integer() ? e["code"].get<int>() : 0;
    if (first_code) *first_code = code;
    std::string msg = e.contains("message") && e["message"].is_string() ? e["message"].get<std::string>() : "";
    return "code " + std::to_string(code) + ": " + msg;
  }
  if (text.size() > 200) text = text.substr(0, 200) + "...";
  return text.empty() ? "(empty body)" : text;
}

class KvHttpStore final : public Store {
 public:
  explicit KvHttpStore(KvHttpConfig c) : c_(std::move(c)), layout_(KeyLayout::Kind::kKv, c_.prefix) {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
    curl_ = curl_easy_init();
    while (!c_.base.empty() && c_.base.back() == '/') c_.base.pop_back();
    ns_url_ = c_.base + "/accounts/" + escape(c_.account) + "/storage/kv/namespaces/" + escape(c_.namespace_id);
  }
  ~KvHttpStore() override {
    if (curl_) curl_easy_cleanup(curl_);
  }

  std::string describe() const override { return c_.label; }
  const KeyLayout& layout() const override { return layout_; }

  Status put(const std::string& key, std::span<const uint8_t> value) override {
    Response r;
    Status st = call("PUT", value_url(key), value, "application/octet-stream", kMaxJsonResponse, r);
    if (!st.ok()) return st;
    if (r.status / 100 != 2) return http_error("PUT", key, r);
    return Status::Ok();
  }

  Status put_many(const std::vector<std::pair<std::string, std::vector<uint8_t>>>& values) override {
    size_t i = 0;
    while (i < values.size()) {
      nlohmann::ordered_json arr = nlohmann::ordered_json::array();
      uint64_t bytes = 0;
      size_t first = i;
      while (i < values.size() && arr.size() < kBulkMaxPairs) {
        std::string v = to_base64(values[i].second);
        if (!arr.empty() && bytes + v.size() + values[i].first.size() + 64 > kBulkMaxBytes) break;
        bytes += v.size() + values[i].first.size() + 64;
        arr.push_back({{"key", values[i].first}, {"value", std::move(v)}, {"base64", true}});
        ++i;
      }
      const std::string body = dump_json(arr);
      Response r;
      Status st = call("PUT", ns_url_ + "/bulk", std::span(reinterpret_cast<const uint8_t*>(body.data()), body.size()),
                       "application/json", kMaxJsonResponse, r);
      if (!st.ok()) return st;
      if (r.status / 100 != 2) return http_error("bulk PUT", values[first].first + " (+" + std::to_string(i - first - 1) + ")", r);
      nlohmann::json j;
      std::string why;
      if (parse_json(r.text(), j, why) && j.is_object() && j.contains("result") && j["result"].is_object() &&
          j["result"].contains("unsuccessful_keys") && j["result"]["unsuccessful_keys"].is_array() &&
          !j["result"]["unsuccessful_keys"].empty())
        return Status(Code::kIoError, c_.label + ": bulk write: " +
                                          std::to_string(j["result"]["unsuccessful_keys"].size()) + " keys not written");
    }
    return Status::Ok();
  }

  Status get(const std::string& key, uint64_t max_bytes, std::vector<uint8_t>& out, bool& found) override {
    Response r;
    found = false;
    out.clear();
    Status st = call("GET", value_url(key), {}, nullptr, max_bytes, r);
    if (!st.ok()) return st;
    if (r.status == 404) {
      int code = 0;
      std::string msg = api_error(r, &code);
      if (code == 10009) return Status::Ok();  // key not found
      return Status(Code::kIoError, c_.label + ": GET " + key + ": HTTP 404 (" + msg +
                                        "): check the account and namespace ids and the API base URL");
    }
    if (r.status / 100 != 2) return http_error("GET", key, r);
    found = true;
    out = std::move(r.body);
    return Status::Ok();
  }

  Status remove(const std::string& key) override {
    Response r;
    Status st = call("DELETE", value_url(key), {}, nullptr, kMaxJsonResponse, r);
    if (!st.ok()) return st;
    if (r.status / 100 != 2 && r.status != 404) return http_error("DELETE", key, r);
    return Status::Ok();
  }

  Status list(const std::string& prefix, size_t max_keys, std::vector<std::string>& keys) override {
    keys.clear();
    std::string cursor;
    for (int page = 0;; ++page) {
      std::string url = ns_url_ + "/keys?limit=1000&prefix=" + escape(prefix);
      if (!cursor.empty()) url += "&cursor=" + escape(cursor);
      Response r;
      Status st = call("GET", url, {}, nullptr, kMaxJsonResponse, r);
      if (!st.ok()) return st;
      if (r.status / 100 != 2) return http_error("list keys", prefix, r);
      nlohmann::json j;
      std::string why;
      if (!parse_json(r.text(), j, why) || !j.is_object() || !j.contains("result") || !j["result"].is_array())
        return Status(Code::kIoError, c_.label + ": list keys: unexpected answer");
      for (const auto& k : j["result"]) {
        if (!k.is_object() || !k.contains("name") || !k["name"].is_string()) continue;
        if (keys.size() >= max_keys)
          return Status(Code::kLimitExceeded, c_.label + ": more than " + std::to_string(max_keys) + " keys under " + prefix);
        keys.push_back(k["name"].get<std::string>());
      }
      cursor.clear();
      if (j.contains("result_info") && j["result_info"].is_object() && j["result_info"].contains("cursor") &&
          j["result_info"]["cursor"].is_string())
        cursor = j["result_info"]["cursor"].get<std::string>();
      if (cursor.empty() || j["result"].empty()) break;
    }
    return Status::Ok();
  }

 private:
  std::string escape(const std::string& s) const {
    char* e = curl_easy_escape(curl_, s.data(), static_cast<int>(s.size()));
    std::string out = e ? e : "";
    curl_free(e);
    return out;
  }
  std::string value_url(const std::string& key) const { return ns_url_ + "/values/" + escape(key); }

  Status http_error(const char* what, const std::string& key, const Response& r) const {
    std::string hint;
    if (r.status == 401 || r.status == 403) hint = " (check CLOUDFLARE_API_TOKEN: it needs Workers KV Storage edit)";
    return Status(Code::kIoError, c_.label + ": " + what + " " + key + ": HTTP " + std::to_string(r.status) + " " +
                                      api_error(r) + hint);
  }

  // One request with retries on connection errors, 429 and 5xx.
  Status call(const char* method, const std::string& url, std::span<const uint8_t> body, const char* type,
              uint64_t max_body, Response& out) {
    if (!curl_) return Status(Code::kIoError, c_.label + ": libcurl failed to initialise");
    std::string last;
    for (int attempt = 0; attempt <= c_.retries; ++attempt) {
      if (attempt > 0) std::this_thread::sleep_for(std::chrono::milliseconds(500 << std::min(attempt - 1, 5)));
      out = Response{};
      out.max = max_body;
      curl_easy_reset(curl_);
      curl_easy_setopt(curl_, CURLOPT_URL, url.c_str());
      curl_easy_setopt(curl_, CURLOPT_NOSIGNAL, 1L);
      curl_easy_setopt(curl_, CURLOPT_TIMEOUT, c_.timeout_s);
      curl_easy_setopt(curl_, CURLOPT_CONNECTTIMEOUT, 30L);
      curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, on_data);
      curl_easy_setopt(curl_, CURLOPT_WRITEDATA, &out);
      curl_easy_setopt(curl_, CURLOPT_USERAGENT, "tailor-publish");
      struct curl_slist* headers = nullptr;
      std::string auth;
      if (!c_.token.empty()) {
        auth = "Authorization: Bearer " + c_.token;
        headers = curl_slist_append(headers, auth.c_str());
      }
      std::string ctype;
      if (type) {
        ctype = std::string("Content-Type: ") + type;
        headers = curl_slist_append(headers, ctype.c_str());
      }
      headers = curl_slist_append(headers, "Expect:");  // no 100-continue round trip
      curl_easy_setopt(curl_, CURLOPT_HTTPHEADER, headers);
      if (std::string_view(method) == "PUT") {
        curl_easy_setopt(curl_, CURLOPT_CUSTOMREQUEST, "PUT");
        curl_easy_setopt(curl_, CURLOPT_POSTFIELDS, body.empty() ? "" : reinterpret_cast<const char*>(body.data()));
        curl_easy_setopt(curl_, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
      } else if (std::string_view(method) == "DELETE") {
        curl_easy_setopt(curl_, CURLOPT_CUSTOMREQUEST, "DELETE");
      } else {
        curl_easy_setopt(curl_, CURLOPT_HTTPGET, 1L);
      }
      CURLcode rc = curl_easy_perform(curl_);
      curl_slist_free_all(headers);
      if (auth.size()) std::fill(auth.begin(), auth.end(), '\0');
      if (out.overflow)
        return Status(Code::kLimitExceeded, c_.label + ": answer larger than " + std::to_string(max_body) + " bytes");
      if (rc != CURLE_OK) {
        last = std::string(method) + " " + c_.label + ": " + curl_easy_strerror(rc);
        continue;
      }
      curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &out.status);
      if (out.status == 429 || out.status >= 500) {
        last = std::string(method) + ": HTTP " + std::to_string(out.status) + " " + api_error(out);
        continue;
      }
      return Status::Ok();
    }
    return Status(Code::kIoError, c_.label + ": " + last + " (after " + std::to_string(c_.retries + 1) + " attempts)");
  }

  KvHttpConfig c_;
  KeyLayout layout_;
  CURL* curl_ = nullptr;
  std::string ns_url_;
};

}  // namespace

std::unique_ptr<Store> make_kv_http_store(const KvHttpConfig& config) { return std::make_unique<KvHttpStore>(config); }

}  // namespace tailor::sync
