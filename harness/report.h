// How a judgement is shown: lines for a person (colour only on a terminal), or one JSON object.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

#include "judge.h"

namespace kata {

struct Style {
  bool color = false;
  bool compact = false;  // watch and mock: the failures only, shortened
};

std::string render(const Judgement& j, const Style& style);
nlohmann::json to_json(const Judgement& j);
// "ACCEPTED", "WRONG ANSWER", ... coloured when style.color.
std::string verdict_label(Verdict v, const Style& style);

}  // namespace kata
