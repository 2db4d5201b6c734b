#include "cwrf/attack/vulnerable.h"

#include "cwrf/common/error.h"
#include "cwrf/common/mean_sd.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <sstream>

namespace cwrf::attack {

VulnerableList vulnerable_examples(const AttackRun& run, double fpr_level, int64_t top) {
  VulnerableList out;
  out.fpr_level = fpr_level;
  const VariantResult* best = nullptr;
  double best_tpr = -1.0, best_auc = -1.0;
  for (const VariantResult& v : run.variants) {
    if (!v.skipped.empty() || v.targets.empty()) continue;
    std::vector<double> tpr, auc;
    for (const TargetResult& r : v.targets) {
      tpr.push_back(tpr_at_fpr(roc_curve(r.scores, run.membership[&r - v.targets.data()]), fpr_level));
      auc.push_back(r.metrics.auc);
    }
    const double t = mean_sd(tpr).mean, a = mean_sd(auc).mean;
    if (t > best_tpr || (t == best_tpr && a > best_auc)) best = &v, best_tpr = t, best_auc = a;
  }
  if (best == nullptr) return out;
  out.variant = best->name;
  const int64_t N = run.examples;
  std::vector<double> fpr_sum(static_cast<size_t>(N), 0.0), score_sum(static_cast<size_t>(N), 0.0);
  std::vector<int64_t> count(static_cast<size_t>(N), 0);
  for (size_t i = 0; i < best->targets.size(); ++i) {
    const std::vector<double>& scores = best->targets[i].scores;
    const std::vector<uint8_t>& member = run.membership[i];
    std::vector<double> negatives;
    for (int64_t n = 0; n < N; ++n)
      if (!member[static_cast<size_t>(n)]) negatives.push_back(scores[static_cast<size_t>(n)]);
    std::sort(negatives.begin(), negatives.end());
    if (negatives.empty()) continue;
    for (int64_t n = 0; n < N; ++n) {
      if (!member[static_cast<size_t>(n)]) continue;
      const double s = scores[static_cast<size_t>(n)];
      // Non-members with a score >= s: the ones from the first not below s.
      const auto at_least = negatives.end() - std::lower_bound(negatives.begin(), negatives.end(), s);
      fpr_sum[static_cast<size_t>(n)] += static_cast<double>(at_least) / static_cast<double>(negatives.size());
      score_sum[static_cast<size_t>(n)] += s;
      ++count[static_cast<size_t>(n)];
    }
  }
  for (int64_t n = 0; n < N; ++n) {
    const int64_t c = count[static_cast<size_t>(n)];
    if (c > 0)
      out.examples.push_back({n, fpr_sum[static_cast<size_t>(n)] / c, score_sum[static_cast<size_t>(n)] / c, c});
  }
  std::sort(out.examples.begin(), out.examples.end(), [](const VulnerableExample& a, const VulnerableExample& b) {
    if (a.fpr != b.fpr) return a.fpr < b.fpr;
    if (a.member_targets != b.member_targets) return a.member_targets > b.member_targets;
    return a.example < b.example;
  });
  if (top >= 0 && static_cast<int64_t>(out.examples.size()) > top) out.examples.resize(static_cast<size_t>(top));
  return out;
}

std::string vulnerable_csv(const VulnerableList& list, const torch::Tensor& pool, const torch::Tensor& labels) {
  const torch::Tensor p = pool.defined() ? pool.to(torch::kLong).contiguous() : torch::Tensor();
  const torch::Tensor l = labels.defined() ? labels.to(torch::kLong).contiguous() : torch::Tensor();
  std::ostringstream csv;
  csv << "rank,example,pool_index,label,fpr,score,member_targets,attack\n";
  int64_t rank = 0;
  for (const VulnerableExample& e : list.examples)
    csv << ++rank << "," << e.example << "," << (p.defined() ? p.data_ptr<int64_t>()[e.example] : e.example) << ","
        << (l.defined() ? l.data_ptr<int64_t>()[e.example] : -1) << "," << fmt::format("{:.10g}", e.fpr) << ","
        << fmt::format("{:.10g}", e.score) << "," << e.member_targets << "," << list.variant << "\n";
  return csv.str();
}

torch::Tensor image_grid(const torch::Tensor& images, const std::vector<int64_t>& order, int64_t columns) {
  require(images.dim() == 4 && images.scalar_type() == torch::kUInt8 && (images.size(1) == 1 || images.size(1) == 3),
          "image_grid: images must be uint8 [N, 1 or 3, H, W]");
  require(columns >= 1, "image_grid: columns must be >= 1");
  const int64_t H = images.size(2), W = images.size(3), gap = 2;
  const int64_t scale = std::max<int64_t>(1, (48 + std::max(H, W) - 1) / std::max(H, W));
  const int64_t count = static_cast<int64_t>(order.size());
  const int64_t cols = std::max<int64_t>(1, std::min(columns, count)), rows = std::max<int64_t>(1, (count + cols - 1) / cols);
  const int64_t th = H * scale, tw = W * scale;
  torch::Tensor sheet = torch::full({3, gap + rows * (th + gap), gap + cols * (tw + gap)}, 255, torch::kUInt8);
  using torch::indexing::Slice;
  for (int64_t i = 0; i < count; ++i) {
    const int64_t n = order[static_cast<size_t>(i)];
    require(n >= 0 && n < images.size(0), fmt::format("image_grid: example {} out of range", n));
    torch::Tensor tile = images[n].expand({3, H, W});
    tile = tile.repeat_interleave(scale, 1).repeat_interleave(scale, 2);
    const int64_t top = gap + (i / cols) * (th + gap), left = gap + (i % cols) * (tw + gap);
    sheet.index_put_({Slice(), Slice(top, top + th), Slice(left, left + tw)}, tile);
  }
  return sheet;
}

}  // namespace cwrf::attack
