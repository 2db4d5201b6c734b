// ROC curves on log-log axes (as LiRA's plots: FPR and TPR from 1e-5 to 1) through gnuplot,
// which scripts/setup.sh installs (gnuplot-nox). Without gnuplot, or with neither the pngcairo
// nor the png terminal, the plot is skipped with a warning: plots never fail an attack run.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace cwrf::attack {

struct PlotCurve {
  std::string title;
  std::vector<double> fpr, tpr;
};

// Writes `png`, and next to it the data (<stem>.dat) and the gnuplot script (<stem>.gp) so the
// figure can be redrawn. Returns an empty string on success, otherwise a warning.
std::string plot_roc_loglog(const std::vector<PlotCurve>& curves, const std::filesystem::path& png,
                            const std::string& title);

}  // namespace cwrf::attack
