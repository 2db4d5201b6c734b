#include "cwrf/common/markdown_html.h"

#include <fmt/format.h>

#include <sstream>
#include <vector>

namespace cwrf {

namespace {

bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

std::string trim(const std::string& s) {
  const size_t a = s.find_first_not_of(" \t"), b = s.find_last_not_of(" \t");
  return a == std::string::npos ? "" : s.substr(a, b - a + 1);
}

// Inline markup of one line of text (escaped first, then the markers turned into tags).
std::string inline_html(const std::string& text, const std::function<std::string(const std::string&)>& image_src) {
  std::string out;
  size_t i = 0;
  bool bold = false;
  while (i < text.size()) {
    if (text.compare(i, 2, "**") == 0) {
      out += bold ? "</strong>" : "<strong>";
      bold = !bold;
      i += 2;
      continue;
    }
    if (text[i] == '`') {
      const size_t end = text.find('`', i + 1);
      if (end != std::string::npos) {
        out += "<code>" + html_escape(text.substr(i + 1, end - i - 1)) + "</code>";
        i = end + 1;
        continue;
      }
    }
    const bool image = text.compare(i, 2, "![") == 0;
    if (image || text[i] == '[') {
      const size_t open = i + (image ? 2 : 1);
      const size_t close = text.find("](", open);
      const size_t end = close == std::string::npos ? std::string::npos : text.find(')', close + 2);
      if (end != std::string::npos) {
        const std::string label = text.substr(open, close - open), target = text.substr(close + 2, end - close - 2);
        if (image)
          out += fmt::format("<img alt=\"{}\" src=\"{}\">", html_escape(label), html_escape(image_src(target)));
        else
          out += fmt::format("<a href=\"{}\">{}</a>", html_escape(target), html_escape(label));
        i = end + 1;
        continue;
      }
    }
    out += html_escape(std::string(1, text[i]));
    ++i;
  }
  if (bold) out += "</strong>";
  return out;
}

std::vector<std::string> table_cells(const std::string& line) {
  std::string s = trim(line);
  if (!s.empty() && s.front() == '|') s.erase(0, 1);
  if (!s.empty() && s.back() == '|') s.pop_back();
  std::vector<std::string> cells;
  std::stringstream in(s);
  std::string cell;
  while (std::getline(in, cell, '|')) cells.push_back(trim(cell));
  return cells;
}

bool is_separator(const std::string& line) {
  const std::string s = trim(line);
  return !s.empty() && s.find_first_not_of("|-: ") == std::string::npos && s.find('-') != std::string::npos;
}

}  // namespace

std::string html_escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string markdown_to_html(const std::string& markdown, const std::string& title,
                             const std::function<std::string(const std::string&)>& image_src) {
  std::vector<std::string> lines;
  {
    std::stringstream in(markdown);
    std::string line;
    while (std::getline(in, line)) lines.push_back(line);
  }
  std::string body, paragraph;
  auto flush = [&] {
    if (!paragraph.empty()) body += "<p>" + inline_html(paragraph, image_src) + "</p>\n";
    paragraph.clear();
  };
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string line = trim(lines[i]);
    if (line.empty()) {
      flush();
    } else if (starts_with(line, "#")) {
      flush();
      const size_t level = std::min<size_t>(line.find_first_not_of('#'), 6);
      body += fmt::format("<h{0}>{1}</h{0}>\n", level, inline_html(trim(line.substr(level)), image_src));
    } else if (starts_with(line, "- ")) {
      flush();
      body += "<ul>\n";
      for (; i < lines.size() && starts_with(trim(lines[i]), "- "); ++i)
        body += "<li>" + inline_html(trim(lines[i]).substr(2), image_src) + "</li>\n";
      --i;
      body += "</ul>\n";
    } else if (line.front() == '|' && i + 1 < lines.size() && is_separator(lines[i + 1])) {
      flush();
      body += "<table>\n<thead><tr>";
      for (const std::string& c : table_cells(line)) body += "<th>" + inline_html(c, image_src) + "</th>";
      body += "</tr></thead>\n<tbody>\n";
      for (i += 2; i < lines.size() && trim(lines[i]).rfind('|', 0) == 0; ++i) {
        body += "<tr>";
        for (const std::string& c : table_cells(lines[i])) body += "<td>" + inline_html(c, image_src) + "</td>";
        body += "</tr>\n";
      }
      --i;
      body += "</tbody>\n</table>\n";
    } else {
      paragraph += (paragraph.empty() ? "" : " ") + line;
    }
  }
  flush();
  return fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<style>\n"
      "body {{ font-family: system-ui, sans-serif; max-width: 72rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.45; }}\n"
      "table {{ border-collapse: collapse; margin: 1rem 0; font-size: 0.9rem; }}\n"
      "th, td {{ border: 1px solid #bbb; padding: 0.25rem 0.5rem; text-align: right; }}\n"
      "th:first-child, td:first-child {{ text-align: left; }}\n"
      "thead {{ background: #f0f0f0; }}\nimg {{ max-width: 100%; margin: 0.5rem 0; }}\n"
      "code {{ background: #f4f4f4; padding: 0 0.2rem; }}\n</style>\n</head>\n<body>\n{}</body>\n</html>\n",
      html_escape(title), body);
}

}  // namespace cwrf
