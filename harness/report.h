// How a judgement is shown: lines for a person (colour only on a terminal), or one JSON object.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

#include "judge.h"

namespace kata {

struct Style {
  bool color = false;
  bool compact = false;  // watch and mock: the failures only, shortened
  bool verbose = false;  // every failed check explained, with all its findings
};

std::string render(const Judgement& j, const Style& style);
// The failed check the learner reads about first: the first that matches a known mistake, else the first
// with findings; null when there is none.
const Check* leading_failure(const Judgement& j);
nlohmann::json to_json(const Judgement& j);
// "ACCEPTED", "WRONG ANSWER", ... coloured when style.color.
std::string verdict_label(Verdict v, const Style& style);

}  // namespace kata
