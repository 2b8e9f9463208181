// Plain-text tables that fit a terminal 80 columns wide: each column is as wide as its widest cell, and
// the columns marked to wrap give up what is missing, their cells wrapped at spaces onto more lines.
#pragma once

#include <string>
#include <vector>

namespace kata {

constexpr size_t kScreenWidth = 80;

// Columns on screen: UTF-8 code points, not counting colour escapes (every character kata prints is one
// column wide).
size_t display_width(const std::string& text);

// `text` after `lead`, wrapped at spaces, the lines after the first indented under the text; ends in "\n".
// "hint 1/3: Work per pair: ..." keeps hints and follow-up questions within the screen (a single word
// too long for a line, such as a long expression, is kept whole).
std::string hanging(const std::string& lead, const std::string& text, size_t width = kScreenWidth);

class Table {
 public:
  enum class Align { left, right };
  struct Column {
    std::string header;
    Align align = Align::left;
    int wrap_order = 0;  // 0: never wraps; 1 wraps first, then 2, ... down to their longest word
  };

  explicit Table(std::vector<Column> columns) : columns_(std::move(columns)) {}
  void add(std::vector<std::string> cells) { rows_.push_back(std::move(cells)); }
  // The header, then the rows; no line wider than `width` unless even single words do not fit.
  std::string render(size_t width = kScreenWidth) const;

 private:
  std::vector<size_t> widths(size_t width) const;
  std::string line(const std::vector<std::string>& cells, const std::vector<size_t>& widths) const;
  std::vector<Column> columns_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace kata
