// `tailor keygen`, `tailor sign`, `tailor verify`: Ed25519 signature envelopes for snapshots, in
// the format the edge checks (js/src/verify.js). K approvers each `sign` the same snapshot;
// `verify --required K` (and the edge's requiredSignatures) enforce the two-person rule.
#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "args.h"
#include "cli_util.h"
#include "commands.h"
#include "file_io.h"
#include "json_parse.h"
#include "signing.h"
#include "signing_config.h"
#include "tailor/sha256.h"
#include "tailor/snapshot.h"

using namespace tailor::sync;
namespace fs = std::filesystem;

const char* const kKeygenUsage =
    "usage: tailor keygen --out PREFIX [--json]\n"
    "\n"
    "Creates an Ed25519 key pair for signing snapshots: PREFIX.key (the secret key, hex, file\n"
    "mode 0600: keep it private) and PREFIX.pub (the public key, hex: give it to verifiers and\n"
    "the edge). Existing files are never overwritten. Prints the key id (first 16 hex of\n"
    "sha256(public key)) on stderr, or {\"key_id\":...,\"key\":...,\"pub\":...} on stdout with --json.\n"
    "\n"
    "Exit codes: 0 ok, 1 a key file already exists, 2 usage, 4 io error.\n";

const char* const kSignUsage =
    "usage: tailor sign SNAPSHOT --key PREFIX.key [--out FILE] [--force] [--json]\n"
    "\n"
    "Adds this key's Ed25519 signature over the snapshot's SHA-256 digest to the signature\n"
    "envelope FILE (default SNAPSHOT.sig.json). The snapshot is verified first. When FILE exists\n"
    "for the same digest the signature is added (one per key: signing again with the same key\n"
    "replaces it), so several approvers can each sign; when it is for another digest it is\n"
    "refused unless --force, which starts a new envelope.\n"
    "\n"
    "  --key FILE   secret key from `tailor keygen`\n"
    "  --out FILE   envelope to create or update (default SNAPSHOT.sig.json)\n"
    "  --force      replace an envelope made for a different snapshot (or unreadable JSON)\n"
    "  --json       print {\"ok\":true,\"out\",\"sha256\",\"key_id\",\"signatures\",\"replaced\"} on stdout\n"
    "\n"
    "Exit codes: 0 ok, 1 bad key or envelope for another snapshot, 2 usage, 3 invalid snapshot,\n"
    "4 io error.\n";

const char* const kVerifyUsage =
    "usage: tailor verify SNAPSHOT (--pub A.pub[,B.pub...] [--required K] | --config tailor.json)\n"
    "                     [--sig FILE] [--json]\n"
    "\n"
    "Checks the signature envelope FILE (default SNAPSHOT.sig.json) as the edge does: the\n"
    "snapshot's SHA-256 must be the signed digest, and at least K distinct trusted keys (the\n"
    "--pub files) must have a valid signature over it.\n"
    "\n"
    "  --pub FILES    trusted public keys, comma-separated\n"
    "  --required K   signatures needed from distinct trusted keys, 1..number of keys (default 1)\n"
    "  --config FILE  the tenant's signing policy instead: its \"signing\": {\"required\": K,\n"
    "                 \"approvers\": [{\"name\", \"key\" | \"key_file\"}]} (only that section is read)\n"
    "  --sig FILE     the envelope (default SNAPSHOT.sig.json)\n"
    "  --json         print {\"ok\",\"valid_signers\",\"required\",\"reason\",\"code\",\"signers\"} on stdout\n"
    "\n"
    "Exit codes: 0 enough valid signatures; 1 not (digest mismatch = tampered snapshot, unsigned,\n"
    "under-signed, unknown signer, invalid signature) or a malformed key, envelope or signing\n"
    "policy; 2 usage;\n"
    "4 io error.\n";

namespace {

bool read_text(const std::string& path, std::string& out, std::string& why) {
  tailor::Status st = read_text_file(path, 1 << 20, out);
  if (!st.ok()) why = st.message();
  return st.ok();
}

// Writes `text` to a new file `path` with `mode`; fails if it exists.
bool write_new(const std::string& path, const std::string& text, mode_t mode, std::string& why) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) {
    why = path + ": " + std::strerror(errno);
    return false;
  }
  ::fchmod(fd, mode);  // whatever the umask
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      why = path + ": " + std::strerror(errno);
      ::close(fd);
      return false;
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    why = path + ": " + std::strerror(errno);
    return false;
  }
  return true;
}

int no_crypto(const char* cmd) {
  std::fprintf(stderr, "tailor %s: libsodium failed to initialise\n", cmd);
  return kExitIo;
}

}  // namespace

int cmd_keygen(int argc, char** argv) {
  Args args;
  std::string err;
  if (!parse_args(argc, argv, {{"--out", true}, {"--json", false}}, args, err))
    return usage_error("keygen", err, kKeygenUsage);
  if (args.help) {
    std::fputs(kKeygenUsage, stdout);
    return kExitOk;
  }
  if (!args.positional.empty()) return usage_error("keygen", "unexpected argument '" + args.positional[0] + "'", kKeygenUsage);
  auto prefix = args.get("--out");
  if (!prefix || prefix->empty()) return usage_error("keygen", "--out PREFIX is required", kKeygenUsage);
  if (!crypto_ready()) return no_crypto("keygen");
  const std::string key_path = *prefix + ".key", pub_path = *prefix + ".pub";
  for (const std::string& p : {key_path, pub_path}) {
    std::error_code ec;
    if (fs::exists(p, ec) || fs::is_symlink(p, ec)) {
      std::fprintf(stderr, "tailor keygen: %s already exists; not overwriting a key\n", p.c_str());
      return kExitInput;
    }
  }
  std::error_code ec;
  fs::path parent = fs::path(key_path).parent_path();
  if (!parent.empty()) fs::create_directories(parent, ec);

  PublicKey pk{};
  SecretKey sk{};
  generate_keypair(pk, sk);
  std::string sk_hex = tailor::to_hex(sk.data(), sk.size()) + "\n";
  sodium_memzero(sk.data(), sk.size());
  const std::string id = key_id(pk);
  bool wrote = write_new(key_path, sk_hex, 0600, err);
  sodium_memzero(sk_hex.data(), sk_hex.size());
  if (!wrote) {
    std::fprintf(stderr, "tailor keygen: %s\n", err.c_str());
    return errno == EEXIST ? kExitInput : kExitIo;
  }
  if (!write_new(pub_path, tailor::to_hex(pk.data(), pk.size()) + "\n", 0644, err)) {
    int e = errno;
    std::remove(key_path.c_str());  // no secret key without its public half
    std::fprintf(stderr, "tailor keygen: %s\n", err.c_str());
    return e == EEXIST ? kExitInput : kExitIo;
  }
  if (args.has("--json")) {
    nlohmann::ordered_json j = {{"key_id", id}, {"key", key_path}, {"pub", pub_path}};
    std::printf("%s\n", dump_json(j).c_str());
  } else {
    std::fprintf(stderr, "tailor keygen: wrote %s (secret, mode 0600) and %s, key_id %s\n", key_path.c_str(),
                 pub_path.c_str(), id.c_str());
  }
  return kExitOk;
}

int cmd_sign(int argc, char** argv) {
  Args args;
  std::string err;
  if (!parse_args(argc, argv, {{"--key", true}, {"--out", true}, {"--force", false}, {"--json", false}}, args, err))
    return usage_error("sign", err, kSignUsage);
  if (args.help) {
    std::fputs(kSignUsage, stdout);
    return kExitOk;
  }
  if (args.positional.size() != 1)
    return usage_error("sign", args.positional.empty() ? "SNAPSHOT is required" : "one SNAPSHOT at a time", kSignUsage);
  auto key_path = args.get("--key");
  if (!key_path || key_path->empty()) return usage_error("sign", "--key FILE is required", kSignUsage);
  const std::string snap_path = args.positional[0];
  const std::string out = args.get("--out").value_or(snap_path + ".sig.json");
  if (out.empty()) return usage_error("sign", "--out needs a file name", kSignUsage);
  if (!crypto_ready()) return no_crypto("sign");

  std::string key_text;
  if (!read_text(*key_path, key_text, err)) {
    std::fprintf(stderr, "tailor sign: %s\n", err.c_str());
    return kExitIo;
  }
  SecretKey sk{};
  bool key_ok = parse_secret_key(key_text, sk, err);
  sodium_memzero(key_text.data(), key_text.size());
  if (!key_ok) {
    std::fprintf(stderr, "tailor sign: %s: %s\n", key_path->c_str(), err.c_str());
    return kExitInput;
  }

  std::vector<uint8_t> bytes;
  tailor::Status st = read_file(snap_path, tailor::SnapshotLimits{}.max_bytes, bytes);
  if (!st.ok()) {
    sodium_memzero(sk.data(), sk.size());
    std::fprintf(stderr, "tailor sign: %s\n", st.message().c_str());
    return st.code() == tailor::Code::kIoError ? kExitIo : kExitSnapshot;
  }
  auto snap = tailor::Snapshot::open(bytes);
  if (!snap.ok()) {
    sodium_memzero(sk.data(), sk.size());
    std::fprintf(stderr, "tailor sign: %s: not a valid snapshot: %s\n", snap_path.c_str(),
                 snap.status().message().c_str());
    return kExitSnapshot;
  }
  const auto digest = digest_of(bytes);
  const std::string hex = tailor::to_hex(digest.data(), digest.size());

  Envelope env;
  std::error_code ec;
  if (fs::exists(out, ec)) {
    std::string text;
    if (!read_text(out, text, err)) {
      sodium_memzero(sk.data(), sk.size());
      std::fprintf(stderr, "tailor sign: %s\n", err.c_str());
      return kExitIo;
    }
    Envelope old;
    if (!parse_envelope(text, old, err)) {
      if (!args.has("--force")) {
        sodium_memzero(sk.data(), sk.size());
        std::fprintf(stderr, "tailor sign: %s: %s; not replacing it without --force\n", out.c_str(), err.c_str());
        return kExitInput;
      }
    } else if (old.sha256 != hex && !args.has("--force")) {
      sodium_memzero(sk.data(), sk.size());
      std::fprintf(stderr,
                   "tailor sign: %s signs another snapshot (sha256 %s), not %s (sha256 %s); not replacing its "
                   "signatures without --force\n",
                   out.c_str(), old.sha256.c_str(), snap_path.c_str(), hex.c_str());
      return kExitInput;
    } else if (old.sha256 == hex) {
      env = std::move(old);
    }
  }
  env.sha256 = hex;
  const Signature sig = sign_digest(digest, sk);
  sodium_memzero(sk.data(), sk.size());
  const bool replaced = add_signature(env, sig);
  const std::string text = serialize_envelope(env) + "\n";
  st = write_file_atomic(out, std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
  if (!st.ok()) {
    std::fprintf(stderr, "tailor sign: %s\n", st.message().c_str());
    return kExitIo;
  }
  if (args.has("--json")) {
    nlohmann::ordered_json j = {{"ok", true},           {"out", out},
                                {"sha256", hex},        {"key_id", sig.key_id},
                                {"signatures", env.signatures.size()}, {"replaced", replaced}};
    std::printf("%s\n", dump_json(j).c_str());
  } else {
    std::fprintf(stderr, "tailor sign: %s signature by %s in %s (%zu signature%s), sha256 %.16s\n",
                 replaced ? "replaced the" : "added a", sig.key_id.c_str(), out.c_str(), env.signatures.size(),
                 env.signatures.size() == 1 ? "" : "s", hex.c_str());
  }
  return kExitOk;
}

int cmd_verify(int argc, char** argv) {
  Args args;
  std::string err;
  if (!parse_args(argc, argv,
                  {{"--pub", true}, {"--required", true}, {"--config", true}, {"--sig", true}, {"--json", false}}, args,
                  err))
    return usage_error("verify", err, kVerifyUsage);
  if (args.help) {
    std::fputs(kVerifyUsage, stdout);
    return kExitOk;
  }
  if (args.positional.size() != 1)
    return usage_error("verify", args.positional.empty() ? "SNAPSHOT is required" : "one SNAPSHOT at a time",
                       kVerifyUsage);
  auto pubs = args.get("--pub");
  auto config = args.get("--config");
  if (config && (pubs || args.has("--required")))
    return usage_error("verify", "--config sets the keys and the count: give it without --pub and --required",
                       kVerifyUsage);
  if (!config && (!pubs || pubs->empty()))
    return usage_error("verify", "--pub FILE[,FILE...] or --config FILE is required", kVerifyUsage);
  int required = 1;
  if (auto k = args.get("--required")) {
    auto [end, ec] = std::from_chars(k->data(), k->data() + k->size(), required);
    if (k->empty() || ec != std::errc() || end != k->data() + k->size() || required < 1)
      return usage_error("verify", "--required needs a count of at least 1, got '" + *k + "'", kVerifyUsage);
  }
  const std::string snap_path = args.positional[0];
  const std::string sig_path = args.get("--sig").value_or(snap_path + ".sig.json");
  if (!crypto_ready()) return no_crypto("verify");

  std::vector<Trusted> keys;
  SigningConfig policy;
  if (config) {
    ErrorList errors;
    if (!read_signing_config(*config, policy, errors)) {
      for (const std::string& m : errors.messages()) std::fprintf(stderr, "tailor verify: %s\n", m.c_str());
      return errors.has_io_error() ? kExitIo : kExitInput;
    }
    for (const Approver& a : policy.approvers) keys.push_back(a.key);
    required = static_cast<int>(policy.required);
  } else {
    std::string_view list = *pubs;
    while (true) {
      size_t comma = list.find(',');
      std::string path(list.substr(0, comma));
      if (path.empty()) return usage_error("verify", "--pub has an empty file name", kVerifyUsage);
      std::string text;
      if (!read_text(path, text, err)) {
        std::fprintf(stderr, "tailor verify: %s\n", err.c_str());
        return kExitIo;
      }
      Trusted t;
      if (!parse_public_key(text, t.pk, err)) {
        std::fprintf(stderr, "tailor verify: %s: %s\n", path.c_str(), err.c_str());
        return kExitInput;
      }
      t.key_id = key_id(t.pk);
      bool dup = false;
      for (const Trusted& k : keys) dup = dup || k.key_id == t.key_id;
      if (!dup) keys.push_back(t);
      if (comma == std::string_view::npos) break;
      list.remove_prefix(comma + 1);
    }
  }
  if (static_cast<size_t>(required) > keys.size())
    return usage_error("verify",
                       "--required " + std::to_string(required) + " is more than the " + std::to_string(keys.size()) +
                           " distinct trusted public key" + (keys.size() == 1 ? "" : "s") + " given",
                       kVerifyUsage);
  // "alice (0123456789abcdef)" with a config, the key id alone without.
  auto signer = [&](const std::string& id) {
    std::string name = approver_name(policy, id);
    return name.empty() ? id : name + " (" + id + ")";
  };

  std::vector<uint8_t> bytes;
  tailor::Status st = read_file(snap_path, tailor::SnapshotLimits{}.max_bytes, bytes);
  if (!st.ok()) {
    std::fprintf(stderr, "tailor verify: %s\n", st.message().c_str());
    return st.code() == tailor::Code::kIoError ? kExitIo : kExitSnapshot;
  }

  VerifyResult r;
  r.required = required;
  std::error_code ec;
  if (!fs::exists(sig_path, ec)) {
    r.code = VerifyCode::kSignatureMissing;
    r.reason = "unsigned: no signature envelope at " + sig_path;
  } else {
    std::string text;
    if (!read_text(sig_path, text, err)) {
      std::fprintf(stderr, "tailor verify: %s\n", err.c_str());
      return kExitIo;
    }
    Envelope env;
    if (!parse_envelope(text, env, err)) {
      r.code = VerifyCode::kSignatureInvalid;
      r.reason = sig_path + ": " + err;
    } else {
      r = verify_envelope(bytes, env, keys, required);
    }
  }
  if (args.has("--json")) {
    nlohmann::ordered_json j = {{"ok", r.ok},
                                {"valid_signers", r.signers.size()},
                                {"required", required},
                                {"reason", r.ok ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(r.reason)},
                                {"code", verify_code_name(r.code)},
                                {"signers", r.signers}};
    if (config) {
      nlohmann::ordered_json names = nlohmann::ordered_json::array();
      for (const std::string& id : r.signers) names.push_back(approver_name(policy, id));
      j["approvers"] = std::move(names);
    }
    std::printf("%s\n", dump_json(j).c_str());
  }
  if (!r.ok) {
    std::string who;
    for (const auto& id : r.signers) who += (who.empty() ? "" : ", ") + signer(id);
    std::fprintf(stderr, "tailor verify: %s: %s%s\n", snap_path.c_str(), r.reason.c_str(),
                 who.empty() ? "" : (" (valid: " + who + ")").c_str());
    return kExitInput;
  }
  if (!args.has("--json"))
    std::fprintf(stderr, "tailor verify: %s: ok, %zu of %d required signatures from trusted keys (%s)\n",
                 snap_path.c_str(), r.signers.size(), required, [&] {
                   std::string s;
                   for (const auto& id : r.signers) s += (s.empty() ? "" : ", ") + signer(id);
                   return s;
                 }().c_str());
  return kExitOk;
}
