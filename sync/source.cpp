#include "source.h"

#include <fstream>
#include <sstream>
#include <unordered_set>

#include "csv.h"
#include "json_parse.h"
#include "ndjson.h"
#include "postgres_source.h"

namespace tailor::sync {
namespace {

std::string lower_extension(std::string_view path) {
  size_t slash = path.find_last_of("/\\");
  size_t dot = path.find_last_of('.');
  if (dot == std::string_view::npos || (slash != std::string_view::npos && dot < slash)) return "";
  std::string ext(path.substr(dot + 1));
  for (char& c : ext)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return ext;
}

// Readers hand records to an Emit: the mapping applied, then the caller's visitor.
using Emit = std::function<bool(Record&&)>;
using Columns = std::function<bool(const std::vector<std::string>&)>;

uint64_t read_csv(const SourceSpec& src, std::istream& in, ErrorList& errors, const Columns& columns,
                  const Emit& visit) {
  CsvReader reader(in);
  std::vector<std::string> fields;
  std::shared_ptr<std::vector<std::string>> header;
  uint64_t count = 0;
  while (!errors.full()) {
    CsvReader::Next n = reader.next(fields);
    if (n == CsvReader::Next::kEnd) break;
    auto at = [&] { return src.name + ":" + std::to_string(reader.line()) + ": "; };
    if (n == CsvReader::Next::kError) {
      errors.add(at() + reader.error());
      continue;
    }
    if (!header) {
      header = std::make_shared<std::vector<std::string>>();
      std::unordered_set<std::string> seen;
      for (std::string& f : fields) {
        size_t b = f.find_first_not_of(" \t"), e = f.find_last_not_of(" \t");
        f = b == std::string::npos ? std::string() : f.substr(b, e - b + 1);
        if (f.empty()) errors.add(at() + "header: column " + std::to_string(header->size() + 1) + " has no name");
        else if (!seen.insert(f).second) errors.add(at() + "header: duplicate column '" + f + "'");
        header->push_back(f);
      }
      if (!columns(*header)) return 0;
      continue;
    }
    if (fields.size() != header->size()) {
      errors.add(at() + "row has " + std::to_string(fields.size()) + " fields, the header has " +
                 std::to_string(header->size()));
      continue;
    }
    std::vector<Value> values(fields.size());
    bool ok = true;
    for (size_t i = 0; i < fields.size(); ++i) {
      if (fields[i].empty()) continue;
      if (!valid_utf8(fields[i])) {
        errors.add(at() + "field '" + (*header)[i] + "': not valid UTF-8");
        ok = false;
        continue;
      }
      values[i].kind = Value::Kind::kText;
      values[i].text = std::move(fields[i]);
    }
    if (!ok) continue;
    ++count;
    if (!visit(Record(header, std::move(values), Location{&src.name, reader.line(), false}))) break;
  }
  if (!header && !errors.full()) errors.add(src.name + ": empty file (a CSV source needs a header row)");
  return count;
}

uint64_t read_ndjson(const SourceSpec& src, std::istream& in, ErrorList& errors, const Emit& visit) {
  NdjsonReader reader(in);
  nlohmann::json j;
  uint64_t count = 0;
  while (!errors.full()) {
    NdjsonReader::Next n = reader.next(j);
    if (n == NdjsonReader::Next::kEnd) break;
    if (n == NdjsonReader::Next::kError) {
      errors.add(src.name + ":" + std::to_string(reader.line()) + ": " + reader.error());
      continue;
    }
    ++count;
    if (!visit(record_from_json(j, Location{&src.name, reader.line(), false}))) break;
  }
  return count;
}

uint64_t read_json(const SourceSpec& src, std::istream& in, ErrorList& errors, const Emit& visit) {
  std::string text;
  {
    std::ostringstream ss;
    ss << in.rdbuf();
    text = std::move(ss).str();
  }
  nlohmann::json doc;
  std::string why;
  if (!parse_json(text, doc, why)) {
    errors.add(src.name + ": invalid JSON at " + why);
    return 0;
  }
  std::string().swap(text);
  if (!doc.is_array()) {
    errors.add(src.name + ": expected a JSON array of objects, got " + std::string(doc.type_name()));
    return 0;
  }
  uint64_t count = 0;
  for (size_t i = 0; i < doc.size() && !errors.full(); ++i) {
    const nlohmann::json& e = doc[i];
    Location where{&src.name, i, true};
    if (!e.is_object()) {
      errors.add(where.str() + ": expected an object, got " + std::string(e.type_name()));
      continue;
    }
    ++count;
    if (!visit(record_from_json(e, where))) break;
  }
  return count;
}

}  // namespace

std::optional<Format> format_from_name(std::string_view name) {
  if (name == "csv") return Format::kCsv;
  if (name == "ndjson" || name == "jsonl") return Format::kNdjson;
  if (name == "json") return Format::kJson;
  return std::nullopt;
}

std::optional<Format> format_from_extension(std::string_view path) {
  return format_from_name(lower_extension(path));
}

uint64_t read_records(const SourceSpec& source, ErrorList& errors, const RecordVisitor& visit,
                      const ProgressFn& progress, std::string_view stage, uint64_t before) {
  if (!progress) return read_records(source, errors, visit);
  uint64_t n = before;
  const uint64_t read = read_records(source, errors, [&](const Record& r) {
    if (++n % 10000 == 0) progress(stage, n);
    return visit(r);
  });
  progress(stage, before + read);
  return read;
}

uint64_t read_records(const SourceSpec& source, ErrorList& errors, const RecordVisitor& visit) {
  RecordMapper mapper(source.map, source.name, errors);
  const Columns columns = [&](const std::vector<std::string>& names) { return mapper.check_columns(names); };
  const Emit emit = [&](Record&& r) {
    if (!mapper.apply(r)) return !errors.full();
    return visit(r);
  };
  if (source.kind == SourceKind::kPostgres) return read_postgres(source, errors, columns, emit);
  std::error_code ec;
  auto status = std::filesystem::status(source.file, ec);
  if (ec || !std::filesystem::exists(status)) {
    errors.add_io(source.name + ": cannot read: no such file (" + source.file.string() + ")");
    return 0;
  }
  if (std::filesystem::is_directory(status)) {
    errors.add_io(source.name + ": cannot read: is a directory");
    return 0;
  }
  uint64_t size = std::filesystem::file_size(source.file, ec);
  if (!ec && size > kMaxSourceBytes) {
    errors.add(source.name + ": " + std::to_string(size) + " bytes, over the limit of 2 GiB per source file");
    return 0;
  }
  std::ifstream in(source.file, std::ios::binary);
  if (!in) {
    errors.add_io(source.name + ": cannot open " + source.file.string());
    return 0;
  }
  uint64_t n = 0;
  switch (source.format) {
    case Format::kCsv: n = read_csv(source, in, errors, columns, emit); break;
    case Format::kNdjson: n = read_ndjson(source, in, errors, emit); break;
    case Format::kJson: n = read_json(source, in, errors, emit); break;
  }
  if (source.format != Format::kCsv && !errors.full()) mapper.finish(n);
  if (in.bad()) errors.add_io(source.name + ": read error");
  return n;
}

}  // namespace tailor::sync
