// sync_scale_gen: writes a deterministic large tenant for the origin scale benchmark
// (bench/sync_scale): tailor.json, categories.json, brands.csv, items.csv (with embeddings,
// a categorical and a tags attribute) and events.ndjson (views, carts, purchases, searches,
// consent, identify). Same arguments -> byte-identical files (splitmix64, fixed formatting).
//
//   sync_scale_gen OUTDIR ITEMS EVENTS [USERS] [DIM]
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

namespace {

struct Rng {
  uint64_t s;
  uint64_t next() {
    uint64_t z = (s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  double unit() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  uint64_t below(uint64_t n) { return next() % n; }
};

constexpr int64_t kNow = 1793491200;  // 2026-11-01T00:00:00Z
constexpr int64_t kSpan = 90 * 86400;  // events over the 90 days before
constexpr int kTopCategories = 40;
constexpr int kSubCategories = 25;     // per top category: 1,040 categories in all
constexpr int kBrands = 2000;

const char* const kWords[] = {"trail", "road", "alpine", "urban", "coastal", "desert", "forest", "summit",
                              "river",  "canyon", "glacier", "meadow", "harbor", "prairie", "tundra", "valley"};
const char* const kKinds[] = {"shoes", "jackets", "tents", "packs", "gloves", "lamps", "stoves", "bottles",
                              "shirts", "pants"};
const char* const kColors[] = {"black", "white", "red", "blue", "green", "sand", "grey", "orange"};
const char* const kTags[] = {"sale", "new", "waterproof", "recycled", "bestseller", "limited"};

FILE* open_out(const std::filesystem::path& p) {
  FILE* f = std::fopen(p.c_str(), "wb");
  if (!f) {
    std::perror(p.c_str());
    std::exit(4);
  }
  static std::vector<std::vector<char>> buffers;
  buffers.emplace_back(1 << 20);
  std::setvbuf(f, buffers.back().data(), _IOFBF, buffers.back().size());
  return f;
}

std::string category_id(int top, int sub) {
  char b[32];
  if (sub < 0) std::snprintf(b, sizeof b, "c%02d", top);
  else std::snprintf(b, sizeof b, "c%02d-%02d", top, sub);
  return b;
}

std::string category_name(int top, int sub) {
  std::string n = std::string(kWords[top % 16]) + " " + kKinds[top % 10];
  if (sub >= 0) n = std::string(kWords[(sub * 7 + top) % 16]) + " " + n + " " + std::to_string(sub);
  return n;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: sync_scale_gen OUTDIR ITEMS EVENTS [USERS] [DIM]\n");
    return 2;
  }
  const std::filesystem::path out = argv[1];
  const uint64_t items = std::strtoull(argv[2], nullptr, 10);
  const uint64_t events = std::strtoull(argv[3], nullptr, 10);
  const uint64_t users = argc > 4 ? std::strtoull(argv[4], nullptr, 10) : std::max<uint64_t>(1, events / 10);
  const int dim = argc > 5 ? std::atoi(argv[5]) : 64;
  if (items == 0 || users == 0 || dim < 1 || dim > 1024) {
    std::fprintf(stderr, "sync_scale_gen: ITEMS and USERS must be > 0, DIM 1..1024\n");
    return 2;
  }
  std::filesystem::create_directories(out);

  FILE* cfg = open_out(out / "tailor.json");
  std::fprintf(cfg,
               "{\n  \"schema\": 1,\n  \"tenant\": {\"id\": \"scale\", \"name\": \"Scale benchmark\"},\n"
               "  \"built_at\": %" PRId64 ",\n"
               "  \"categories\": {\"path\": \"categories.json\"},\n"
               "  \"brands\": {\"path\": \"brands.csv\"},\n"
               "  \"items\": {\"path\": \"items.csv\"},\n"
               "  \"attributes\": [{\"name\": \"color\", \"type\": \"categorical\"}, {\"name\": \"tags\", "
               "\"type\": \"tags\"}],\n"
               "  \"embedding\": {\"dim\": %d},\n"
               "  \"strategies\": [{\"id\": \"for-you\", \"terms\": [{\"kind\": \"category_affinity\"}, "
               "{\"kind\": \"brand_affinity\"}, {\"kind\": \"embedding\"}, {\"kind\": \"popularity\"}]}],\n"
               "  \"slots\": [{\"id\": \"home\", \"strategy\": \"for-you\"}]\n}\n",
               kNow, dim);
  std::fclose(cfg);

  FILE* cats = open_out(out / "categories.json");
  std::fputs("[\n", cats);
  for (int t = 0; t < kTopCategories; ++t) {
    std::fprintf(cats, "%s{\"id\": \"%s\", \"name\": \"%s\"}", t ? ",\n" : "", category_id(t, -1).c_str(),
                 category_name(t, -1).c_str());
    for (int s = 0; s < kSubCategories; ++s)
      std::fprintf(cats, ",\n{\"id\": \"%s\", \"name\": \"%s\", \"parent\": \"%s\"}", category_id(t, s).c_str(),
                   category_name(t, s).c_str(), category_id(t, -1).c_str());
  }
  std::fputs("\n]\n", cats);
  std::fclose(cats);

  FILE* brands = open_out(out / "brands.csv");
  std::fputs("id,name\n", brands);
  for (int b = 0; b < kBrands; ++b)
    std::fprintf(brands, "b%04d,%s%s %d\n", b, kWords[b % 16], kWords[(b / 16) % 16], b);
  std::fclose(brands);

  // Items: category and brand from the id (so events can name them without a table), an
  // embedding that clusters by top category, a colour and up to two tags.
  Rng rng{42};
  FILE* f = open_out(out / "items.csv");
  std::fputs("id,title,category,brand,price,popularity,published_at,stock,embedding,color,tags\n", f);
  std::vector<double> centre(static_cast<size_t>(kTopCategories) * dim);
  for (double& c : centre) c = rng.unit() * 2 - 1;
  std::string line;
  char buf[64];
  for (uint64_t i = 0; i < items; ++i) {
    const int top = static_cast<int>(i % kTopCategories), sub = static_cast<int>((i / kTopCategories) % kSubCategories);
    line.clear();
    std::snprintf(buf, sizeof buf, "i%07" PRIu64 ",Item %" PRIu64 ",", i, i);
    line += buf;
    line += category_id(top, sub);
    std::snprintf(buf, sizeof buf, ",b%04" PRIu64 ",%.2f,%" PRIu64 ",%" PRId64 ",%" PRIu64 ",", (i * 7919) % kBrands,
                  5 + rng.unit() * 495, rng.below(10000), kNow - static_cast<int64_t>(rng.below(730 * 86400)),
                  rng.below(200));
    line += buf;
    for (int k = 0; k < dim; ++k) {
      std::snprintf(buf, sizeof buf, "%s%.4f", k ? " " : "", centre[static_cast<size_t>(top) * dim + k] + rng.unit() - 0.5);
      line += buf;
    }
    line += ',';
    line += kColors[rng.below(8)];
    line += ',';
    const uint64_t t = rng.below(36);
    if (t < 6) line += kTags[t];
    else if (t < 12) (line += kTags[t - 6]) += std::string("|") + kTags[(t + 1) % 6];
    line += '\n';
    std::fwrite(line.data(), 1, line.size(), f);
  }
  std::fclose(f);

  // Events: users skewed (a few very active), items skewed towards each user's favourite top
  // category; 60% views, 15% carts, 5% purchases, 5% searches, the rest consent and identify.
  FILE* e = open_out(out / "events.ndjson");
  for (uint64_t n = 0; n < events; ++n) {
    const double u = rng.unit();
    const uint64_t user = static_cast<uint64_t>(static_cast<double>(users) * u * u) % users;
    const int64_t ts = kNow - kSpan + static_cast<int64_t>(static_cast<uint64_t>(kSpan) * n / std::max<uint64_t>(events, 1));
    const uint64_t kind = rng.below(100);
    const uint64_t fav = (user * 2654435761u) % kTopCategories;
    uint64_t item = rng.below(items);
    if (rng.below(4) != 0) item = item - item % kTopCategories + fav;  // 75%: the favourite category
    if (item >= items) item = fav % items;
    line.clear();
    std::snprintf(buf, sizeof buf, "{\"user\":\"user-%08" PRIu64 "@example.com\",\"type\":\"", user);
    line += buf;
    if (kind < 75) {
      line += kind < 60 ? "view" : kind < 70 ? "cart" : "purchase";
      std::snprintf(buf, sizeof buf, "\",\"item\":\"i%07" PRIu64 "\"", item);
      line += buf;
    } else if (kind < 80) {
      line += "search\",\"query\":\"";
      line += category_name(static_cast<int>(fav), -1);
      line += '"';
    } else if (kind < 90) {
      line += kind < 88 ? "view" : "cart";
      std::snprintf(buf, sizeof buf, "\",\"item\":\"i%07" PRIu64 "\"", rng.below(items));
      line += buf;
    } else if (kind < 95) {
      line += "consent\",\"purposes\":[\"personalization\",\"analytics\"]";
    } else {
      std::snprintf(buf, sizeof buf, "identify\",\"account\":\"acct-%04" PRIu64 "\",\"segments\":[\"s%" PRIu64 "\"]",
                    user % 5000, user % 7);
      line += buf;
    }
    std::snprintf(buf, sizeof buf, ",\"ts\":%" PRId64 "}\n", ts);
    line += buf;
    std::fwrite(line.data(), 1, line.size(), e);
  }
  std::fclose(e);
  return 0;
}
