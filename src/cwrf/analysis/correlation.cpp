#include "cwrf/analysis/correlation.h"

#include "cwrf/common/error.h"
#include "cwrf/common/files.h"
#include "cwrf/common/gnuplot.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include <set>
#include <sstream>

namespace cwrf::analysis {

namespace {

using models::WeightKind;

struct Group {
  std::string name;
  std::vector<WeightKind> kinds;  // empty = all
};

std::vector<Group> groups_present(const std::map<std::string, WeightKind>& kinds) {
  std::set<WeightKind> present;
  for (const auto& [name, kind] : kinds) present.insert(kind);
  std::vector<Group> groups{{"all", {}}};
  if (present.count(WeightKind::Attention) && present.count(WeightKind::Mlp))
    groups.push_back({"attention+mlp", {WeightKind::Attention, WeightKind::Mlp}});
  for (WeightKind k : {WeightKind::Conv, WeightKind::Attention, WeightKind::Mlp, WeightKind::Linear, WeightKind::Norm,
                       WeightKind::Embedding, WeightKind::Bias})
    if (present.count(k)) groups.push_back({models::to_string(k), {k}});
  return groups;
}

}  // namespace

double pearson(const torch::Tensor& a, const torch::Tensor& b) {
  require(a.numel() == b.numel(), "pearson: vectors of different lengths");
  if (a.numel() < 2) return std::nan("");
  const torch::Tensor x = a.to(torch::kFloat64).view({-1}), y = b.to(torch::kFloat64).view({-1});
  const torch::Tensor dx = x - x.mean(), dy = y - y.mean();
  const double denom = std::sqrt(dx.pow(2).sum().item<double>() * dy.pow(2).sum().item<double>());
  return denom > 0 ? (dx * dy).sum().item<double>() / denom : std::nan("");
}

torch::Tensor gather_scores(const weights::Scores& scores, const std::map<std::string, WeightKind>& kinds,
                            const std::vector<WeightKind>& group) {
  std::vector<torch::Tensor> parts;
  for (const auto& [name, s] : scores) {
    auto it = kinds.find(name);
    if (it == kinds.end()) throw Error(fmt::format("no weight kind for scored parameter '{}'", name));
    if (group.empty() || std::find(group.begin(), group.end(), it->second) != group.end())
      parts.push_back(s.to(torch::kFloat64).reshape({-1}));
  }
  return parts.empty() ? torch::empty({0}, torch::kFloat64) : torch::cat(parts);
}

Table correlation_table(const weights::Scores& pve, const weights::Scores& tfo,
                        const std::map<std::string, WeightKind>& kinds) {
  Table table;
  table.columns = {"weight_type", "pcc", "pcc_log", "weights", "share"};
  const int64_t total = gather_scores(pve, kinds, {}).numel();
  for (const Group& g : groups_present(kinds)) {
    const torch::Tensor a = gather_scores(pve, kinds, g.kinds), b = gather_scores(tfo, kinds, g.kinds);
    const torch::Tensor positive = (a > 0) & (b > 0);
    const double log_r = positive.sum().item<int64_t>() >= 2
                             ? pearson(a.masked_select(positive).log10(), b.masked_select(positive).log10())
                             : std::nan("");
    table.add_row({g.name, pearson(a, b), log_r, a.numel(), static_cast<double>(a.numel()) / total});
  }
  return table;
}

std::map<std::string, std::vector<double>> pcc_replicates(const weights::Scores& pve, const weights::Scores& tfo,
                                                          const std::map<std::string, WeightKind>& kinds,
                                                          int64_t replicates, uint64_t seed) {
  std::map<std::string, std::vector<double>> out;
  uint64_t stream = 0;
  for (const Group& g : groups_present(kinds)) {
    const torch::Tensor a = gather_scores(pve, kinds, g.kinds), b = gather_scores(tfo, kinds, g.kinds);
    auto gen = at::make_generator<at::CPUGeneratorImpl>(seed + 7919 * stream++);
    std::vector<double>& reps = out[g.name];
    const int64_t n = a.numel();
    for (int64_t r = 0; r < replicates && n >= 2; ++r) {
      const torch::Tensor pick = torch::randint(n, {n}, gen, torch::kLong);
      reps.push_back(pearson(a.index_select(0, pick), b.index_select(0, pick)));
    }
  }
  return out;
}

void plot_score_scatter(const weights::Scores& pve, const weights::Scores& tfo,
                        const std::map<std::string, WeightKind>& kinds, const std::filesystem::path& dir,
                        int64_t max_points) {
  for (const Group& g : groups_present(kinds)) {
    torch::Tensor a = gather_scores(pve, kinds, g.kinds), b = gather_scores(tfo, kinds, g.kinds);
    const torch::Tensor positive = (a > 0) & (b > 0);
    a = a.masked_select(positive);
    b = b.masked_select(positive);
    if (a.numel() > max_points) {
      auto gen = at::make_generator<at::CPUGeneratorImpl>(12345);
      const torch::Tensor pick = torch::randperm(a.numel(), gen, torch::kLong).slice(0, 0, max_points);
      a = a.index_select(0, pick);
      b = b.index_select(0, pick);
    }
    std::ostringstream data;
    data << "# tfo pve\n";
    const auto pa = a.accessor<double, 1>(), pb = b.accessor<double, 1>();
    for (int64_t i = 0; i < a.numel(); ++i) data << pb[i] << " " << pa[i] << "\n";
    std::string stem = g.name;
    std::replace(stem.begin(), stem.end(), '+', '_');
    const auto dat = dir / ("scatter-" + stem + ".dat");
    write_file_atomic(dat, data.str());
    render_gnuplot(fmt::format("set logscale xy\nset format x '10^{{%L}}'\nset format y '10^{{%L}}'\n"
                               "set xlabel 'learnability (TFO score)'\nset ylabel 'privacy vulnerability (PVE score)'\n"
                               "set title '{} weights ({} plotted)'\nunset key\n"
                               "plot {} using 1:2 with points pt 7 ps 0.25 lc rgb '#1f77b4'\n",
                               g.name, a.numel(), gnuplot_quote(dat.string())),
                   dir / ("scatter-" + stem + ".png"));
  }
}

}  // namespace cwrf::analysis
