// The self-contained HTML report: base64 against RFC 4648's test vectors, and the markdown
// subset the reports write.
#include "cwrf/common/base64.h"
#include "cwrf/common/markdown_html.h"

#include <gtest/gtest.h>

namespace cwrf {
namespace {

TEST(Base64, Rfc4648Vectors) {
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("foo"), "Zm9v");
  EXPECT_EQ(base64_encode("foob"), "Zm9vYg==");
  EXPECT_EQ(base64_encode("fooba"), "Zm9vYmE=");
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64_encode(std::string("\x00\xff\x10", 3)), "AP8Q");
}

TEST(MarkdownHtml, HeadingsTablesListsImagesAndEscaping) {
  const std::string md =
      "# Title <x>\n\nSome **bold** and `code` text,\nwrapped.\n\n- one\n- [two](report.md)\n\n"
      "| a | b |\n|---|---:|\n| 1 & 2 | 3 |\n\n![fig](plot.png)\n";
  const std::string html = markdown_to_html(md, "T", [](const std::string& src) { return "data:" + src; });
  EXPECT_NE(html.find("<h1>Title &lt;x&gt;</h1>"), std::string::npos) << html;
  EXPECT_NE(html.find("<p>Some <strong>bold</strong> and <code>code</code> text, wrapped.</p>"), std::string::npos) << html;
  EXPECT_NE(html.find("<ul>\n<li>one</li>\n<li><a href=\"report.md\">two</a></li>\n</ul>"), std::string::npos) << html;
  EXPECT_NE(html.find("<thead><tr><th>a</th><th>b</th></tr></thead>"), std::string::npos) << html;
  EXPECT_NE(html.find("<tr><td>1 &amp; 2</td><td>3</td></tr>"), std::string::npos) << html;
  EXPECT_NE(html.find("<img alt=\"fig\" src=\"data:plot.png\">"), std::string::npos) << html;
  EXPECT_EQ(html.find("|---|"), std::string::npos) << "the separator row is not a table row";
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
}

}  // namespace
}  // namespace cwrf
