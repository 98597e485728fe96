#include "libs/render/escape.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_format.h"

namespace wecom_notify::render {
namespace {

std::string Escape(absl::string_view value, bool multiline, bool markdown) {
  std::string out;
  out.reserve(value.size() + value.size() / 4);
  bool line_start = true;
  for (size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    if (c == '\r' || c == '\n' || c == '\t') {
      if (multiline && c == '\n') {
        out.push_back('\n');
        line_start = true;
      } else if (!(multiline && c == '\r')) {
        out.push_back(' ');
      }
      continue;
    }
    const bool was_line_start = line_start;
    line_start = false;
    switch (c) {
      case '<':
        out.append("\xEF\xBC\x9C");  // ＜
        continue;
      case '>':
        out.append("\xEF\xBC\x9E");  // ＞
        continue;
      case '&': {
        const absl::string_view rest = value.substr(i + 1);
        if (absl::StartsWithIgnoreCase(rest, "lt;") || absl::StartsWithIgnoreCase(rest, "gt;") ||
            absl::StartsWith(rest, "#")) {
          out.append("\xEF\xBC\x86");  // ＆
          continue;
        }
        break;
      }
      default:
        break;
    }
    if (markdown) {
      switch (c) {
        case '[':
          out.append("\xEF\xBC\xBB");  // ［
          continue;
        case ']':
          out.append("\xEF\xBC\xBD");  // ］
          continue;
        case '*':
          out.append("\xEF\xBC\x8A");  // ＊
          continue;
        case '`':
          out.append("\xCB\x8B");  // ˋ
          continue;
        case '#':
          if (was_line_start) {
            out.append("\xEF\xBC\x83");  // ＃
            continue;
          }
          break;
        default:
          break;
      }
    }
    out.push_back(c);
  }
  return out;
}

}  // namespace

std::string EscapeMarkdown(absl::string_view value, bool multiline) {
  return Escape(value, multiline, /*markdown=*/true);
}

std::string EscapeText(absl::string_view value, bool multiline) {
  return Escape(value, multiline, /*markdown=*/false);
}

std::string SafeUrl(absl::string_view url) {
  url = absl::StripAsciiWhitespace(url);
  if (!absl::StartsWithIgnoreCase(url, "http://") && !absl::StartsWithIgnoreCase(url, "https://")) {
    return "";
  }
  std::string out;
  for (unsigned char c : url) {
    const bool encode = c <= 0x20 || c == 0x7F || c == '(' || c == ')' || c == '<' || c == '>' ||
                        c == '[' || c == ']' || c == '"' || c == '\'' || c == '`';
    if (encode) {
      out.append(absl::StrFormat("%%%02X", c));
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return out;
}

}  // namespace wecom_notify::render
