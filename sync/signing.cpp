#include "signing.h"

#include <sodium.h>

#include <cctype>
#include <cstring>
#include <set>

#include "json_parse.h"
#include "tailor/sha256.h"

namespace tailor::sync {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool from_hex(std::string_view text, uint8_t* out, size_t len) {
  if (text.size() != len * 2) return false;
  for (char c : text)
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  size_t got = 0;
  return sodium_hex2bin(out, len, text.data(), text.size(), nullptr, &got, nullptr) == 0 && got == len;
}

bool is_hex(std::string_view s) {
  for (char c : s)
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

bool crypto_ready() { return sodium_init() >= 0; }

void generate_keypair(PublicKey& pk, SecretKey& sk) { crypto_sign_ed25519_keypair(pk.data(), sk.data()); }

std::string key_id(const PublicKey& pk) { return sha256_hex(std::span<const uint8_t>(pk)).substr(0, 16); }

PublicKey public_half(const SecretKey& sk) {
  PublicKey pk{};
  crypto_sign_ed25519_sk_to_pk(pk.data(), sk.data());
  return pk;
}

bool parse_secret_key(std::string_view text, SecretKey& sk, std::string& why) {
  text = trim(text);
  if (!from_hex(text, sk.data(), sk.size())) {
    why = "not a secret key: expected 128 hex characters (a 64-byte Ed25519 secret key from `tailor keygen`)";
    return false;
  }
  PublicKey pk{};
  SecretKey check{};
  crypto_sign_ed25519_seed_keypair(pk.data(), check.data(), sk.data());
  bool consistent = sodium_memcmp(check.data(), sk.data(), sk.size()) == 0;
  sodium_memzero(check.data(), check.size());
  if (!consistent) {
    why = "corrupt secret key: its public half does not match its seed";
    return false;
  }
  return true;
}

bool parse_public_key(std::string_view text, PublicKey& pk, std::string& why) {
  text = trim(text);
  if (!from_hex(text, pk.data(), pk.size())) {
    why = "not a public key: expected 64 hex characters (a 32-byte Ed25519 public key from `tailor keygen`)";
    return false;
  }
  return true;
}

std::string to_base64(std::span<const uint8_t> bytes) {
  const int variant = sodium_base64_VARIANT_ORIGINAL;
  std::string out(sodium_base64_ENCODED_LEN(bytes.size(), variant), '\0');
  sodium_bin2base64(out.data(), out.size(), bytes.data(), bytes.size(), variant);
  out.resize(std::strlen(out.c_str()));
  return out;
}

bool from_base64(std::string_view text, std::vector<uint8_t>& out) {
  out.assign(text.size(), 0);
  size_t len = 0;
  if (sodium_base642bin(out.data(), out.size(), text.data(), text.size(), nullptr, &len, nullptr,
                        sodium_base64_VARIANT_ORIGINAL) != 0)
    return false;
  out.resize(len);
  return true;
}

std::array<uint8_t, 32> digest_of(std::span<const uint8_t> bytes) {
  Sha256 h;
  h.update(bytes.data(), bytes.size());
  return h.finish();
}

bool parse_envelope(std::string_view text, Envelope& out, std::string& why) {
  nlohmann::json j;
  if (!parse_json(text, j, why)) {
    why = "signature envelope is not JSON: " + why;
    return false;
  }
  const char* shape = "signature envelope must be {\"schema\":1,\"sha256\":\"<hex>\",\"signatures\":[...]}";
  if (!j.is_object() || !j.contains("schema") || !j["schema"].is_number_integer() || j["schema"].get<int64_t>() != 1 ||
      !j.contains("sha256") || !j["sha256"].is_string() || !j.contains("signatures") || !j["signatures"].is_array()) {
    why = shape;
    return false;
  }
  out = Envelope{};
  out.sha256 = j["sha256"].get<std::string>();
  if (out.sha256.size() != 64 || !is_hex(out.sha256)) {
    why = "signature envelope: sha256 must be 64 hex characters";
    return false;
  }
  size_t i = 0;
  for (const auto& s : j["signatures"]) {
    if (!s.is_object() || !s.contains("key_id") || !s["key_id"].is_string() || !s.contains("alg") ||
        !s["alg"].is_string() || !s.contains("sig") || !s["sig"].is_string()) {
      why = "signature envelope: signatures[" + std::to_string(i) + "] must be {\"key_id\",\"alg\",\"sig\"} strings";
      return false;
    }
    out.signatures.push_back({s["key_id"].get<std::string>(), s["alg"].get<std::string>(), s["sig"].get<std::string>()});
    ++i;
  }
  return true;
}

std::string serialize_envelope(const Envelope& env) {
  nlohmann::ordered_json sigs = nlohmann::ordered_json::array();
  for (const Signature& s : env.signatures) sigs.push_back({{"key_id", s.key_id}, {"alg", s.alg}, {"sig", s.sig}});
  nlohmann::ordered_json j = {{"schema", 1}, {"sha256", env.sha256}, {"signatures", sigs}};
  return dump_json(j);
}

Signature sign_digest(const std::array<uint8_t, 32>& digest, const SecretKey& sk) {
  std::array<uint8_t, crypto_sign_ed25519_BYTES> sig{};
  crypto_sign_ed25519_detached(sig.data(), nullptr, digest.data(), digest.size(), sk.data());
  return {key_id(public_half(sk)), "ed25519", to_base64(sig)};
}

bool add_signature(Envelope& env, const Signature& sig) {
  for (Signature& s : env.signatures)
    if (s.key_id == sig.key_id) {
      s = sig;
      return true;
    }
  env.signatures.push_back(sig);
  return false;
}

VerifyResult verify_envelope(std::span<const uint8_t> snapshot, const Envelope& env, const std::vector<Trusted>& keys,
                             int required) {
  VerifyResult r;
  r.required = required;
  const auto digest = digest_of(snapshot);
  const std::string hex = to_hex(digest.data(), digest.size());
  if (lower(env.sha256) != hex) {
    r.code = VerifyCode::kDigestMismatch;
    r.reason = "digest mismatch: the snapshot's sha256 " + hex + " is not the signed digest " + env.sha256 +
               " (the snapshot was modified, or the envelope belongs to another snapshot)";
    return r;
  }
  if (env.signatures.empty()) {
    r.code = VerifyCode::kSignatureMissing;
    r.reason = "unsigned: the signature envelope holds no signatures";
    return r;
  }
  std::set<std::string> counted;
  bool any_trusted = false;
  for (const Signature& s : env.signatures) {
    const Trusted* key = nullptr;
    for (const Trusted& k : keys)
      if (k.key_id == s.key_id) key = &k;
    if (s.alg != "ed25519" || !key || counted.count(s.key_id)) continue;
    any_trusted = true;
    std::vector<uint8_t> sig;
    if (!from_base64(s.sig, sig) || sig.size() != crypto_sign_ed25519_BYTES) continue;
    if (crypto_sign_ed25519_verify_detached(sig.data(), digest.data(), digest.size(), key->pk.data()) == 0) {
      counted.insert(s.key_id);
      r.signers.push_back(s.key_id);
    }
  }
  const int valid = static_cast<int>(r.signers.size());
  if (valid >= required) {
    r.ok = true;
    r.code = VerifyCode::kOk;
    return r;
  }
  if (valid == 0 && !any_trusted) {
    r.code = VerifyCode::kUnknownSigner;
    r.reason = "unknown signer: no signature in the envelope is from a trusted public key";
  } else if (valid == 0) {
    r.code = VerifyCode::kSignatureInvalid;
    r.reason = "invalid signature: no signature from a trusted key verifies against the snapshot's digest";
  } else {
    r.code = VerifyCode::kInsufficient;
    r.reason = "under-signed: " + std::to_string(valid) + " of " + std::to_string(required) +
               " required approver signatures";
  }
  return r;
}

const char* verify_code_name(VerifyCode code) {
  switch (code) {
    case VerifyCode::kOk: return "ok";
    case VerifyCode::kDigestMismatch: return "digest_mismatch";
    case VerifyCode::kSignatureMissing: return "signature_missing";
    case VerifyCode::kUnknownSigner: return "signature_invalid";
    case VerifyCode::kSignatureInvalid: return "signature_invalid";
    case VerifyCode::kInsufficient: return "signature_insufficient";
  }
  return "signature_invalid";
}

}  // namespace tailor::sync
