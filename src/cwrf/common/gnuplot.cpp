#include "cwrf/common/gnuplot.h"

#include "cwrf/common/files.h"

#include <cstdlib>

namespace cwrf {

bool gnuplot_available() {
  static const bool available = std::system("command -v gnuplot >/dev/null 2>&1") == 0;
  return available;
}

std::string gnuplot_quote(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

bool render_gnuplot(const std::string& script, const std::filesystem::path& png) {
  std::filesystem::path script_path = png;
  script_path.replace_extension(".gp");
  // pngcairo when this gnuplot has it (Debian's gnuplot-nox does), the plain png terminal otherwise.
  const std::string header = "out = " + gnuplot_quote(png.string()) +
                             "\nif (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) "
                             "{ set terminal pngcairo size 900,600 enhanced font 'Sans,10' } "
                             "else { set terminal png size 900,600 }\nset output out\n";
  write_file_atomic(script_path, header + script);
  if (!gnuplot_available()) return false;
  const std::string command = "gnuplot " + gnuplot_quote(script_path.string()) + " >/dev/null 2>&1";
  return std::system(command.c_str()) == 0 && std::filesystem::exists(png);
}

}  // namespace cwrf
