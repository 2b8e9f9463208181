// The interactive mock round in a terminal: a live clock, judging on every save, hints, and a scorecard.
#pragma once

#include <string>

#include "mock.h"

namespace kata {

// Starts a round (or resumes the active one) and runs it; returns the exit code (0 when accepted).
int run_session(const Context& ctx, const RoundRequest& request);

std::string scorecard(const Context& ctx, const Submission& s, bool color);
std::string format_clock(double seconds);      // "12:05"
std::string format_date(double unix_seconds);  // "2026-11-23 14:05", local time

}  // namespace kata
