// How to judge an exercise, as the build left it: the toolchain and the exercise's prebuilt pieces.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace kata {

namespace fs = std::filesystem;

// <judge_dir>/toolchain.json and <judge_dir>/<id>/recipe.json, written by cmake/Judge.cmake in build/judge.
struct Recipe {
  std::string compiler;
  std::vector<std::string> flags;
  fs::path pch_lite, pch_full;
  fs::path pch_runtime;       // the lite PCH's object code: a file compiled with it needs it
  fs::path pch_runtime_stub;  // an empty library named as pch_runtime: what a file is linked against
  fs::path pch_reach;    // what that code calls that an exercise may forbid (harness/pch/pch_reach.cpp)
  fs::path pch_sources;                     // the headers the PCHs were built from (clang checks they are unchanged)
  fs::path shadow_dir;                      // holds a torch/torch.h that includes only the lite subset
  // The linker and its arguments before and after the learner's object and the worker's binding: together
  // they make a shared object.
  std::string linker;
  std::vector<std::string> link_before, link_after;
  fs::path host;                            // the judge's test host (checker and worker)
  fs::path compile_service;                 // compiles with the lite PCH loaded (harness/compile_service.cpp)
  fs::path contract;                        // the exercise's header, the only file of the exercise the compile sees
  fs::path checks_library;                  // the hidden checks, the reference and the checker side of the binding
  std::vector<std::string> worker_objects;  // the worker side of the binding
  std::vector<std::string> checks;          // "Suite.Name" of every hidden check
  fs::path mistakes;                        // the known mistakes, built like learner files (<case>.so)
  fs::path cases;                           // their sources, whose first lines name them
};
// The judge's compile flags for an editor (clangd's compile_flags.txt): the toolchain's flags, each
// contract's directory, and the language; empty when the build has not written the toolchain yet.
std::vector<std::string> editor_flags(const fs::path& judge_dir, const std::vector<fs::path>& contract_dirs);
// Throws std::runtime_error naming the missing piece when the build has not produced it.
Recipe load_recipe(const fs::path& judge_dir, const std::string& exercise);

}  // namespace kata
