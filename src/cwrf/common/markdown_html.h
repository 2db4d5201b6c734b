// The report's markdown as one HTML page: the subset the reports write (#-headings, paragraphs,
// "- " lists, pipe tables, ![alt](src) images, **bold**, `code`, [text](url) links), with every
// image's src replaced by what `image_src` returns (a data: URI, so the page is self-contained).
#pragma once

#include <functional>
#include <string>

namespace cwrf {

std::string html_escape(const std::string& text);

std::string markdown_to_html(const std::string& markdown, const std::string& title,
                             const std::function<std::string(const std::string& src)>& image_src);

}  // namespace cwrf
