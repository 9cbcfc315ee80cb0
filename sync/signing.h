// Ed25519 snapshot signatures (libsodium): keys, the signature envelope that js/src/verify.js
// checks at the edge, and the two-person-rule count.
//   {"schema":1,"sha256":"<hex of the snapshot bytes>","signatures":[
//     {"key_id":"<first 16 hex of sha256(raw public key)>","alg":"ed25519","sig":"<base64>"}]}
// Each signature is Ed25519 (detached) over the 32 raw SHA-256 digest bytes of the snapshot.
#pragma once
#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tailor::sync {

using PublicKey = std::array<uint8_t, 32>;
using SecretKey = std::array<uint8_t, 64>;  // libsodium layout: seed (32) then public key (32)

// sodium_init(); false when libsodium cannot be initialised.
bool crypto_ready();

// A fresh key pair.
void generate_keypair(PublicKey& pk, SecretKey& sk);

// First 16 hex characters of sha256(raw 32-byte public key).
std::string key_id(const PublicKey& pk);

// Key files hold lower-case hex (surrounding whitespace ignored): 64 bytes for a secret key,
// 32 for a public one. False with `why` when malformed; a secret key must also be consistent
// (its public half derived from its seed).
bool parse_secret_key(std::string_view text, SecretKey& sk, std::string& why);
bool parse_public_key(std::string_view text, PublicKey& pk, std::string& why);
PublicKey public_half(const SecretKey& sk);

std::string to_base64(std::span<const uint8_t> bytes);
// False when `text` is not standard (padded) base64.
bool from_base64(std::string_view text, std::vector<uint8_t>& out);

// The SHA-256 digest of `bytes` (raw, and as lower-case hex).
std::array<uint8_t, 32> digest_of(std::span<const uint8_t> bytes);

struct Signature {
  std::string key_id;
  std::string alg = "ed25519";
  std::string sig;  // base64
};

struct Envelope {
  std::string sha256;  // hex of the snapshot bytes
  std::vector<Signature> signatures;
};

// Parses an envelope; false with `why` unless it is {"schema":1,"sha256":"<64 hex>","signatures":[...]}
// with every signature an object of string key_id, alg and sig.
bool parse_envelope(std::string_view text, Envelope& out, std::string& why);
// One line of JSON, keys in the order schema, sha256, signatures (each key_id, alg, sig).
std::string serialize_envelope(const Envelope& env);

// Signs `digest` with `sk`: a Signature with this key's id and the base64 signature.
Signature sign_digest(const std::array<uint8_t, 32>& digest, const SecretKey& sk);

// Adds `sig` to `env`: replaces the entry with the same key_id (one signature per key), else
// appends. Returns true when it replaced one.
bool add_signature(Envelope& env, const Signature& sig);

struct Trusted {
  std::string key_id;
  PublicKey pk;
};

enum class VerifyCode { kOk, kDigestMismatch, kSignatureMissing, kUnknownSigner, kSignatureInvalid, kInsufficient };

struct VerifyResult {
  bool ok = false;
  VerifyCode code = VerifyCode::kSignatureMissing;
  std::vector<std::string> signers;  // key_ids of distinct trusted keys with a valid signature
  int required = 1;
  std::string reason;  // empty when ok
};

// The same decision as js/src/verify.js: the digest must match, then at least `required` distinct
// trusted keys (by key_id) must have a valid ed25519 signature over the digest.
VerifyResult verify_envelope(std::span<const uint8_t> snapshot, const Envelope& env, const std::vector<Trusted>& keys,
                             int required);

// Machine name as the JS package's error codes: "digest_mismatch", "signature_missing",
// "signature_invalid" (also for unknown signers), "signature_insufficient"; "ok".
const char* verify_code_name(VerifyCode code);

}  // namespace tailor::sync
