#include "cwrf/experiment/task.h"

#include "cwrf/common/error.h"
#include "cwrf/common/files.h"
#include "cwrf/experiment/child_job.h"

#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <map>

namespace cwrf::experiment {

namespace fs = std::filesystem;

namespace {

constexpr const char* kOpen = "@cwrf-input{";

std::string resolve_text(const std::string& text, std::map<std::string, std::string>& dirs) {
  std::string out;
  size_t at = 0;
  while (true) {
    const size_t start = text.find(kOpen, at);
    if (start == std::string::npos) break;
    const size_t begin = start + std::char_traits<char>::length(kOpen);
    const size_t end = text.find('}', begin);
    if (end == std::string::npos) throw Error(fmt::format("job spec: unterminated input placeholder in '{}'", text));
    const std::string file = text.substr(begin, end - begin);
    auto it = dirs.find(file);
    if (it == dirs.end()) {
      std::error_code ec;
      if (!fs::exists(file, ec))
        throw Error(fmt::format("an input of this job has not finished: its result file {} does not exist", file));
      std::string dir;
      try {
        dir = nlohmann::json::parse(read_file(file)).at("dir").get<std::string>();
      } catch (const nlohmann::json::exception& e) {
        throw Error(fmt::format("the result file {} of an input is not valid: {}", file, e.what()));
      }
      it = dirs.emplace(file, dir).first;
    }
    out += text.substr(at, start - at) + it->second;
    at = end + 1;
  }
  return out + text.substr(at);
}

nlohmann::json resolve(const nlohmann::json& value, std::map<std::string, std::string>& dirs) {
  if (value.is_string()) return resolve_text(value.get<std::string>(), dirs);
  if (value.is_array()) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& item : value) out.push_back(resolve(item, dirs));
    return out;
  }
  if (value.is_object()) {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& [k, v] : value.items()) out[k] = resolve(v, dirs);
    return out;
  }
  return value;
}

}  // namespace

std::string input_placeholder(const fs::path& result_file) {
  const std::string file = result_file.string();
  if (file.find('}') != std::string::npos)
    throw Error(fmt::format("a job's result file may not contain '}}': {}", file));
  return kOpen + file + "}";
}

nlohmann::json resolve_input_placeholders(const nlohmann::json& spec) {
  std::map<std::string, std::string> dirs;
  return resolve(spec, dirs);
}

void run_task(const fs::path& spec_file, const fs::path& result_file) {
  const auto started = std::chrono::steady_clock::now();
  nlohmann::json spec;
  try {
    spec = nlohmann::json::parse(read_file(spec_file));
  } catch (const nlohmann::json::exception& e) {
    throw Error(fmt::format("{}: not a valid job spec: {}", spec_file.string(), e.what()));
  }
  nlohmann::json payload = run_child_job(resolve_input_placeholders(spec));
  payload["seconds"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  payload["host"] = host_name();
  const char* slurm_id = std::getenv("SLURM_JOB_ID");
  payload["slurm_job_id"] = slurm_id != nullptr ? slurm_id : "";
  write_file_atomic(result_file, payload.dump(2) + "\n");
}

}  // namespace cwrf::experiment
