#include "catalogue.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <toml++/toml.h>
#include <algorithm>

namespace kata {
namespace {

template <typename T>
T required(const toml::table& t, const char* key, const fs::path& file) {
  auto value = t[key].value<T>();
  if (!value) throw std::runtime_error(fmt::format("{}: missing or mistyped field '{}'", file.string(), key));
  return *value;
}

std::vector<std::string> strings(const toml::table& t, const char* key, const fs::path& file, size_t at_least) {
  std::vector<std::string> out;
  if (auto array = t[key].as_array())
    for (const auto& item : *array)
      if (auto s = item.value<std::string>()) out.push_back(*s);
  if (out.size() < at_least)
    throw std::runtime_error(fmt::format("{}: '{}' needs at least {} entries", file.string(), key, at_least));
  return out;
}

toml::table parse_toml(const fs::path& file) {
  if (!fs::exists(file)) throw std::runtime_error(fmt::format("{} is missing", file.string()));
  try {
    return toml::parse_file(file.string());
  } catch (const toml::parse_error& e) {
    throw std::runtime_error(fmt::format("{}: {}", file.string(), e.description()));
  }
}

Exercise parse(const fs::path& dir) {
  auto file = dir / "exercise.toml";
  toml::table t = parse_toml(file);
  Exercise e;
  e.id = dir.filename().string();
  e.dir = dir;
  e.title = required<std::string>(t, "title", file);
  e.topic = required<std::string>(t, "topic", file);
  e.difficulty = required<std::string>(t, "difficulty", file);
  e.minutes = static_cast<int>(required<int64_t>(t, "minutes", file));
  e.time_limit_seconds = t["time_limit_seconds"].value_or(10.0);
  e.memory_limit_mb = t["memory_limit_mb"].value_or(int64_t{768});
  e.hints = strings(t, "hints", file, 3);
  e.followups = strings(t, "followups", file, 2);
  if (auto* list = t["forbidden"].as_array()) {
    for (auto& item : *list) {
      auto* entry = item.as_table();
      if (!entry) throw std::runtime_error(fmt::format("{}: 'forbidden' holds tables ([[forbidden]])", file.string()));
      e.forbidden.push_back({strings(*entry, "symbols", file, 1), required<std::string>(*entry, "why", file)});
    }
  }
  return e;
}

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t substitution = diagonal + (a[i - 1] != b[j - 1]);
      diagonal = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, substitution});
    }
  }
  return row[b.size()];
}

}  // namespace

Catalogue Catalogue::load(const fs::path& exercises_dir) {
  Catalogue c;
  for (const auto& entry : fs::directory_iterator(exercises_dir)) {
    if (!entry.is_directory() || !fs::exists(entry.path() / "exercise.toml")) continue;
    try {
      c.exercises_.push_back(parse(entry.path()));
    } catch (const std::runtime_error& e) {
      c.broken_.push_back({entry.path().filename().string(), e.what()});
    }
  }
  auto by_id = [](const auto& a, const auto& b) { return a.id < b.id; };
  std::sort(c.exercises_.begin(), c.exercises_.end(), by_id);
  std::sort(c.broken_.begin(), c.broken_.end(), by_id);
  return c;
}

const Exercise* Catalogue::find(const std::string& id) const {
  auto it = std::find_if(exercises_.begin(), exercises_.end(), [&](const Exercise& e) { return e.id == id; });
  return it == exercises_.end() ? nullptr : &*it;
}

std::string Catalogue::unknown_message(const std::string& id) const {
  for (const auto& b : broken_)
    if (b.id == id) return fmt::format("exercise '{}' does not load: {}", id, b.problem);
  std::vector<std::string> ids;
  for (const auto& e : exercises_) ids.push_back(e.id);
  std::string msg = fmt::format("unknown exercise '{}'", id);
  auto closest = std::min_element(ids.begin(), ids.end(), [&](const auto& a, const auto& b) {
    return edit_distance(id, a) < edit_distance(id, b);
  });
  if (closest != ids.end() && edit_distance(id, *closest) <= std::max<size_t>(3, id.size() / 2))
    msg += fmt::format("; did you mean '{}'?", *closest);
  return msg + fmt::format("\nexercises: {}", fmt::join(ids, ", "));
}

std::vector<ChecklistItem> load_checklist(const fs::path& file) {
  toml::table t = parse_toml(file);
  std::vector<ChecklistItem> items;
  if (auto* list = t["item"].as_array()) {
    for (auto& entry : *list) {
      auto* item = entry.as_table();
      if (!item) throw std::runtime_error(fmt::format("{}: 'item' holds tables ([[item]])", file.string()));
      items.push_back({required<std::string>(*item, "name", file), strings(*item, "exercises", file, 1)});
    }
  }
  if (items.empty()) throw std::runtime_error(fmt::format("{}: no [[item]]", file.string()));
  return items;
}

std::vector<RoundPlan> load_round_plans(const fs::path& file) {
  toml::table t = parse_toml(file);
  std::vector<RoundPlan> plans;
  auto* list = t["round"].as_array();
  if (!list) throw std::runtime_error(fmt::format("{}: no [[round]]", file.string()));
  for (auto& entry : *list) {
    auto* round = entry.as_table();
    if (!round) throw std::runtime_error(fmt::format("{}: 'round' holds tables ([[round]])", file.string()));
    RoundPlan plan{required<std::string>(*round, "name", file), required<std::string>(*round, "title", file),
                   required<double>(*round, "minutes", file), {}};
    if (auto* parts = (*round)["parts"].as_array())
      for (auto& p : *parts)
        if (auto* part = p.as_table())
          plan.parts.push_back({required<std::string>(*part, "exercise", file), required<std::string>(*part, "prompt", file)});
    if (plan.parts.empty()) throw std::runtime_error(fmt::format("{}: round '{}' has no parts", file.string(), plan.name));
    plans.push_back(plan);
  }
  return plans;
}

}  // namespace kata
