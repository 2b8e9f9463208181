#include "table.h"

#include <algorithm>
#include <sstream>

namespace kata {
namespace {

constexpr const char* kGap = "  ";
constexpr size_t kNarrowest = 8;  // a wrapping column never gets narrower, even if words must be cut

bool continuation_byte(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

// The first `n` code points of a string without escapes.
std::string take(const std::string& text, size_t n) {
  size_t end = 0;
  for (size_t points = 0; end < text.size(); ++end)
    if (!continuation_byte(text[end]) && points++ == n) break;
  return text.substr(0, end);
}

std::vector<std::string> words(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

// Greedy wrap at spaces. A word wider than the line is cut in a table, whose columns must line up, and
// kept whole in prose, where it is often code to copy.
std::vector<std::string> wrap(const std::string& text, size_t width, bool cut_long_words) {
  if (display_width(text) <= width) return {text};
  std::vector<std::string> lines{""};
  for (std::string w : words(text)) {
    for (; cut_long_words && display_width(w) > width; w = w.substr(take(w, width).size())) {
      if (!lines.back().empty()) lines.emplace_back();
      lines.back() = take(w, width);
      lines.emplace_back();
    }
    if (lines.back().empty())
      lines.back() = w;
    else if (display_width(lines.back()) + 1 + display_width(w) <= width)
      lines.back() += " " + w;
    else
      lines.push_back(w);
  }
  if (lines.back().empty()) lines.pop_back();
  return lines;
}

std::string pad(const std::string& text, size_t width, Table::Align align) {
  std::string spaces(width - std::min(width, display_width(text)), ' ');
  return align == Table::Align::left ? text + spaces : spaces + text;
}

}  // namespace

size_t display_width(const std::string& text) {
  size_t width = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\033' && i + 1 < text.size() && text[i + 1] == '[') {  // CSI: ends at a byte in @..~
      for (i += 2; i < text.size() && (text[i] < '@' || text[i] > '~');) ++i;
      continue;
    }
    width += !continuation_byte(text[i]);
  }
  return width;
}

std::string hanging(const std::string& lead, const std::string& text, size_t width) {
  size_t indent = display_width(lead);
  std::string out = lead;
  for (const auto& line : wrap(text, std::max(width - std::min(width, indent), kNarrowest), false))
    out += (out.size() > lead.size() ? std::string(indent, ' ') : "") + line + "\n";
  return out;
}

std::vector<size_t> Table::widths(size_t width) const {
  std::vector<size_t> w(columns_.size()), longest_word(columns_.size());
  auto measure = [&](const std::vector<std::string>& cells) {
    for (size_t c = 0; c < cells.size() && c < w.size(); ++c) {
      w[c] = std::max(w[c], display_width(cells[c]));
      for (const auto& word : words(cells[c])) longest_word[c] = std::max(longest_word[c], display_width(word));
    }
  };
  std::vector<std::string> headers;
  for (const auto& col : columns_) headers.push_back(col.header);
  measure(headers);
  for (const auto& row : rows_) measure(row);

  size_t total = std::string(kGap).size() * (w.size() - 1);
  for (size_t cw : w) total += cw;
  int last_order = 0;
  for (const auto& col : columns_) last_order = std::max(last_order, col.wrap_order);
  // First without cutting words, then down to kNarrowest.
  for (bool cut_words : {false, true})
    for (int order = 1; order <= last_order && total > width; ++order)
      for (size_t c = 0; c < w.size() && total > width; ++c) {
        if (columns_[c].wrap_order != order) continue;
        size_t floor = std::min(w[c], cut_words ? kNarrowest : std::max(longest_word[c], kNarrowest));
        size_t cut = std::min(total - width, w[c] - floor);
        w[c] -= cut;
        total -= cut;
      }
  return w;
}

std::string Table::line(const std::vector<std::string>& cells, const std::vector<size_t>& widths) const {
  std::vector<std::vector<std::string>> wrapped;
  size_t height = 1;
  for (size_t c = 0; c < widths.size(); ++c) {
    wrapped.push_back(wrap(c < cells.size() ? cells[c] : "", widths[c], true));
    height = std::max(height, wrapped.back().size());
  }
  std::string out;
  for (size_t l = 0; l < height; ++l) {
    std::string text;
    for (size_t c = 0; c < widths.size(); ++c)
      text += (c ? kGap : "") + pad(l < wrapped[c].size() ? wrapped[c][l] : "", widths[c], columns_[c].align);
    out += text.erase(text.find_last_not_of(' ') + 1) + "\n";
  }
  return out;
}

std::string Table::render(size_t width) const {
  auto w = widths(width);
  std::vector<std::string> headers;
  for (const auto& col : columns_) headers.push_back(col.header);
  std::string out = line(headers, w);
  for (const auto& row : rows_) out += line(row, w);
  return out;
}

}  // namespace kata
