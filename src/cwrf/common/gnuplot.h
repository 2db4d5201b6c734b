// Plots through gnuplot (Debian's gnuplot-nox, installed by scripts/setup.sh). A missing
// gnuplot never fails a command: the data files and the script are still written, so the
// plot can be made elsewhere, and the caller gets false.
#pragma once

#include <filesystem>
#include <string>

namespace cwrf {

bool gnuplot_available();

// Writes `<png>.gp` (the script, which must plot to the file named by the variable `out`)
// next to the PNG and runs gnuplot on it. Data files referenced by the script must already
// exist. Returns true when the PNG was made.
bool render_gnuplot(const std::string& script, const std::filesystem::path& png);

// A gnuplot string literal for a path or title.
std::string gnuplot_quote(const std::string& text);

}  // namespace cwrf
