#include "cwrf/attack/plot.h"

#include "cwrf/common/files.h"

#include <fmt/format.h>

#include <cstdlib>
#include <sstream>

namespace cwrf::attack {

namespace {

std::string quoted(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

std::string shell_quoted(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

bool have_gnuplot() { return std::system("command -v gnuplot >/dev/null 2>&1") == 0; }

}  // namespace

std::string plot_roc_loglog(const std::vector<PlotCurve>& curves, const fs::path& png, const std::string& title) {
  if (!have_gnuplot()) return "gnuplot not found: skipping " + png.string() + " (scripts/setup.sh installs gnuplot-nox)";
  const fs::path data = fs::path(png).replace_extension(".dat");
  const fs::path script = fs::path(png).replace_extension(".gp");
  // One gnuplot data block per curve; points with FPR or TPR = 0 cannot be drawn on log axes.
  std::ostringstream dat;
  for (const PlotCurve& c : curves) {
    dat << "# " << c.title << "\n";
    for (size_t i = 0; i < c.fpr.size(); ++i)
      if (c.fpr[i] > 0 && c.tpr[i] > 0) dat << fmt::format("{:.9g} {:.9g}\n", c.fpr[i], c.tpr[i]);
    dat << "\n\n";
  }
  write_file_atomic(data, dat.str());
  std::string warning;
  for (const char* terminal : {"pngcairo", "png"}) {
    std::ostringstream gp;
    gp << "set terminal " << terminal << " size 800,640\n"
       << "set output " << quoted(png.filename().string()) << "\n"
       << "set title " << quoted(title) << " noenhanced\n"
       << "set logscale xy\nset xrange [1e-5:1]\nset yrange [1e-5:1]\nset format x '10^{%L}'\nset format y '10^{%L}'\n"
       << "set xlabel 'False positive rate'\nset ylabel 'True positive rate'\nset key bottom right noenhanced\n"
       << "set grid\nplot ";
    // Distinct colours for up to 12 curves (gnuplot's default cycle repeats after 8).
    static const char* kColours[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
                                     "#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#000000", "#aec7e8"};
    for (size_t i = 0; i < curves.size(); ++i)
      gp << quoted(data.filename().string()) << " index " << i << " using 1:2 with lines lw 2 lc rgb '"
         << kColours[i % 12] << "' dt " << (i < 12 ? 1 : 2) << " title " << quoted(curves[i].title) << ", ";
    gp << "x with lines dt 2 lc rgb 'gray' notitle\n";
    write_file_atomic(script, gp.str());
    const std::string log = fs::absolute(fs::path(png).replace_extension(".gnuplot.log")).string();
    const fs::path dir = script.parent_path().empty() ? fs::path(".") : script.parent_path();
    const std::string command = fmt::format("cd {} && gnuplot {} >{} 2>&1", shell_quoted(dir.string()),
                                            shell_quoted(script.filename().string()), shell_quoted(log));
    std::error_code ec;
    fs::remove(png, ec);
    if (std::system(command.c_str()) == 0 && fs::exists(png, ec) && fs::file_size(png, ec) > 0) {
      fs::remove(log, ec);
      return "";
    }
    warning = fmt::format("gnuplot could not draw {} (terminal {}; see {})", png.string(), terminal, log);
  }
  return warning;
}

}  // namespace cwrf::attack
