#include "compile.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <fstream>
#include <regex>
#include <sstream>

#include <cxxabi.h>
#include <elf.h>

#include <cstring>
#include <memory>
#include <optional>
#include <set>

#include "compile_service.h"
#include "sandbox.h"

namespace kata {

const char* kContractHint =
    "Your file must define this exactly as the contract header declares it: same name, namespace kata, "
    "parameter types and const-ness.\n";

namespace {

// The compiler and the linker see the system, the toolchain's precompiled headers and the files of this step.
JailSpec tool_jail(const Recipe& recipe, const fs::path& jail_root, const fs::path& out_dir,
                   std::vector<std::string> files) {
  JailSpec jail;
  jail.root_mountpoint = jail_root.string();
  jail.writable = out_dir.string();
  jail.file_bytes = 1LL << 30;
  jail.read_only = {"/etc/ld.so.cache", recipe.pch_sources.string(), recipe.pch_lite.parent_path().string()};
  // The runtime's stub, for the link (next to the PCHs unless a test moved them).
  if (recipe.pch_runtime_stub.parent_path() != recipe.pch_lite.parent_path())
    jail.read_only.push_back(recipe.pch_runtime_stub.string());
  jail.read_only.insert(jail.read_only.end(), files.begin(), files.end());
  return jail;
}

// A compiler or linker may take this much, as the judge's own child or the compile service's.
Limits tool_limits() {
  Limits limits;
  limits.cpu_seconds = 30;  // 3 × a compile without any precompiled header; a template bomb stops here
  limits.wall_seconds = 45;
  limits.memory_bytes = 1536LL << 20;  // 2.4 × that compile's 650 MB
  return limits;
}

StepResult step_result(const RunResult& r, const Limits& limits) {
  StepResult step;
  step.ok = r.exit_code == 0 && !r.timed_out && !r.memory_exceeded && !r.output_exceeded;
  step.diagnostics = r.err + r.out;
  if (r.timed_out)
    step.diagnostics += fmt::format(
        "\n(the compiler was stopped at its time limit: {:.0f} s of CPU or {:.0f} s "
        "of wall time; is something in your file making it work that hard?)",
        limits.cpu_seconds, limits.wall_seconds);
  else if (r.memory_exceeded)
    step.diagnostics +=
        fmt::format("\n(the compiler was stopped at its memory limit: {} MiB)", limits.memory_bytes >> 20);
  else if (r.signal != 0)
    step.diagnostics += fmt::format("\n(the compiler was killed by signal {})", r.signal);
  step.seconds = r.wall_seconds;
  step.stopped_by_limit = r.timed_out || r.memory_exceeded || r.output_exceeded;
  return step;
}

const std::map<std::string, std::string> kToolEnvironment = {{"PATH", "/usr/bin:/bin"}, {"TMPDIR", "/tmp"}};

StepResult run_tool(const std::vector<std::string>& argv, const JailSpec& jail) {
  auto limits = tool_limits();
  return step_result(run_limited(argv, kToolEnvironment, limits, &jail), limits);
}

// lld's command line for the learner's object and the worker side of the binding.
std::vector<std::string> link_command(const Recipe& recipe, const fs::path& object, const fs::path& shared_object) {
  std::vector<std::string> argv = {recipe.linker};
  argv.insert(argv.end(), recipe.link_before.begin(), recipe.link_before.end());
  argv.push_back(object.string());
  argv.insert(argv.end(), recipe.worker_objects.begin(), recipe.worker_objects.end());
  // The PCH's runtime by name (the stub bears it), which a file compiled with the lite PCH calls: lld need not
  // read the runtime's symbols, the file's calls stay undefined, and the worker, which has the runtime loaded,
  // binds them when it loads the file. A file compiled otherwise defines what it uses, before the runtime.
  argv.push_back(recipe.pch_runtime_stub.string());
  argv.insert(argv.end(), recipe.link_after.begin(), recipe.link_after.end());
  argv.insert(argv.end(), {"-o", shared_object.string()});
  return argv;
}

// The lite PCH's compile and the link, done by the compile service, which jails them the same way; nullopt
// when there is no service to ask (it is then started for the next compile) or it went away: compile with
// clang itself. A file it compiled and could not link is left to the judge's own link, whose errors are
// the ones to show.
std::optional<StepResult> compile_served(service::Client& compile_service, const Recipe& recipe,
                                         const JailSpec& jail, const fs::path& source, const fs::path& object,
                                         const fs::path& shared_object) {
  namespace cs = compile_service;
  std::vector<std::string> argv = {recipe.compile_service.string(), cs::kRoot, jail.root_mountpoint, cs::kWritable,
                                   jail.writable};
  for (const auto& path : jail.read_only) argv.insert(argv.end(), {cs::kReadOnly, path});
  auto limits = tool_limits();
  argv.insert(argv.end(), {cs::kMemory, std::to_string(limits.memory_bytes), cs::kFileBytes,
                           std::to_string(jail.file_bytes), "-I", recipe.contract.parent_path().string(), "-c",
                           source.string(), "-o", object.string(), cs::kLink});
  auto link = link_command(recipe, object, shared_object);
  argv.insert(argv.end(), link.begin(), link.end());
  auto child = spawn_served(compile_service, argv, kToolEnvironment, limits);
  if (!child) return std::nullopt;
  auto r = supervise(*child, "", limits);
  if (r.service_lost) return std::nullopt;
  r.memory_exceeded = r.memory_exceeded || (r.signal == 0 && r.exit_code == cs::kMemoryExceeded);
  const bool link_failed = r.signal == 0 && r.exit_code == cs::kLinkFailed;
  if (link_failed) r.exit_code = 0;
  auto step = step_result(r, limits);
  step.served = true;
  step.linked = step.ok && !link_failed;
  return step;
}

// One clang diagnostic: its first line ("file:line:col: error: ...") and the source/caret lines after it.
struct Diagnostic {
  std::string file, severity;
  std::vector<std::string> lines;
};

std::vector<Diagnostic> split_diagnostics(const std::string& output) {
  static const std::regex header(R"(^(.+?):\d+:\d+: (fatal error|error|warning|note): .*)");
  std::vector<Diagnostic> diags;
  std::istringstream in(output);
  std::string line;
  std::smatch m;
  while (std::getline(in, line)) {
    if (std::regex_match(line, m, header))
      diags.push_back({m[1], m[2], {line}});
    else if (line.rfind("In file included from", 0) == 0)
      continue;
    else if (!diags.empty() && diags.back().lines.size() < 4)
      diags.back().lines.push_back(line.substr(0, 300));
  }
  return diags;
}

// The first few errors, each at the learner's own line: an error inside a torch header is shown with the
// note that points back into the learner's file, instead of the pages of template context around it.
std::string learner_errors(const std::string& output, const fs::path& source) {
  auto diags = split_diagnostics(output);
  std::string kept;
  int errors = 0;
  for (size_t i = 0; i < diags.size() && errors < 3; ++i) {
    const auto& d = diags[i];
    if (d.severity != "error" && d.severity != "fatal error") continue;
    if (d.lines[0].find("too many errors emitted") != std::string::npos) continue;
    ++errors;
    for (const auto& l : d.lines) kept += l + "\n";
    if (d.file == source.string()) continue;
    for (size_t j = i + 1; j < diags.size() && diags[j].severity == "note"; ++j) {
      if (diags[j].file != source.string()) continue;
      for (const auto& l : diags[j].lines) kept += l + "\n";
      break;
    }
  }
  return kept.empty() ? output.substr(0, 4000) : kept;
}

// lld's errors, first few only, with the object (a path in the run's temporary directory) called what it is.
std::string link_errors(const std::string& output, const fs::path& object) {
  std::istringstream in(output);
  std::string line, kept;
  int shown = 0;
  while (std::getline(in, line) && shown < 5) {
    if (line.find("error:") == std::string::npos) continue;
    for (size_t at; (at = line.find(object.string())) != std::string::npos;)
      line.replace(at, object.string().size(), "your file");
    kept += line + "\n";
    ++shown;
  }
  return kept.empty() ? output.substr(0, 4000) : kept;
}

struct Symbol {
  std::string mangled, readable;  // readable: demangled, or the mangled name when it does not demangle
  bool defined;
};

// The shared object's dynamic symbols, read bounds-checked: the file came out of a linker fed with the
// learner's object. nullopt when it is not a readable ELF file.
std::optional<std::vector<Symbol>> dynamic_symbols(const fs::path& shared_object) {
  std::ifstream in(shared_object, std::ios::binary);
  std::string elf((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto fits = [&](uint64_t offset, uint64_t size) { return offset <= elf.size() && size <= elf.size() - offset; };
  Elf64_Ehdr eh;
  if (!fits(0, sizeof eh)) return std::nullopt;
  std::memcpy(&eh, elf.data(), sizeof eh);
  if (std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
      !fits(eh.e_shoff, uint64_t{eh.e_shnum} * sizeof(Elf64_Shdr)))
    return std::nullopt;
  std::vector<Elf64_Shdr> sections(eh.e_shnum);
  std::memcpy(sections.data(), elf.data() + eh.e_shoff, sections.size() * sizeof(Elf64_Shdr));
  std::vector<Symbol> symbols;
  for (const auto& sh : sections) {
    if (sh.sh_type != SHT_DYNSYM || sh.sh_link >= sections.size()) continue;
    const auto& strtab = sections[sh.sh_link];
    if (!fits(sh.sh_offset, sh.sh_size) || !fits(strtab.sh_offset, strtab.sh_size)) continue;
    for (uint64_t off = 0; off + sizeof(Elf64_Sym) <= sh.sh_size; off += sizeof(Elf64_Sym)) {
      Elf64_Sym sym;
      std::memcpy(&sym, elf.data() + sh.sh_offset + off, sizeof sym);
      if (sym.st_name == 0 || sym.st_name >= strtab.sh_size) continue;
      const char* start = elf.data() + strtab.sh_offset + sym.st_name;
      std::string name(start, strnlen(start, strtab.sh_size - sym.st_name));
      int status = 0;
      std::unique_ptr<char, decltype(&std::free)> readable(abi::__cxa_demangle(name.c_str(), nullptr, nullptr, &status),
                                                           &std::free);
      symbols.push_back({name, status == 0 ? readable.get() : name, sym.st_shndx != SHN_UNDEF});
    }
  }
  return symbols;
}

// The contract's symbols (namespace kata, not kata_remote) the shared object uses and does not define.
std::vector<std::string> undefined_contract_symbols(const std::vector<Symbol>& symbols) {
  std::vector<std::string> missing;
  for (const auto& s : symbols)
    if (!s.defined && s.mangled.rfind("_ZN4kata", 0) == 0) missing.push_back(s.readable);
  return missing;
}

// "your file calls at::_ops::_scaled_dot_product_attention::call, ..." for each forbidden operation it
// uses, called or inlined from a header, however the source spelled it.
std::string forbidden_calls(const std::vector<Symbol>& symbols, const std::vector<Forbidden>& forbidden) {
  std::string found;
  for (const auto& rule : forbidden) {
    std::set<std::string> calls;
    for (const auto& s : symbols)
      for (const auto& prefix : rule.symbols)
        if (s.readable.rfind(prefix, 0) == 0) calls.insert(s.readable.substr(0, s.readable.find('(')));
    if (calls.empty()) continue;
    found += fmt::format("your file calls {}, which this exercise does not allow: {}\n", fmt::join(calls, ", "),
                         rule.why);
  }
  return found;
}

// Every exercise's: a function looked up by name while the file runs (dlsym) is a call its symbols do not
// show, so an operation the exercise forbids could be reached that way. No solution needs one.
const Forbidden kLookupByName = {
    {"dlsym", "dlvsym", "dlopen", "dlmopen"},
    "a function looked up by name at run time is hidden from the judge's check of what your file calls; "
    "call what you use directly"};

// A file compiled with the lite PCH calls the header code it uses in the PCH's runtime (at::softmax, say)
// instead of holding it, so what that code calls is not among the file's symbols. The PCH's reach table
// has it: the symbols an exercise may forbid that each runtime function reaches. Adds those the file's
// calls reach, so a forbidden call through a header is found as when the file held the header code.
// nullopt when the table cannot be read.
std::optional<std::vector<Symbol>> reached_through_pch(const std::vector<Symbol>& symbols, const fs::path& table) {
  std::ifstream in(table);
  if (!in) return std::nullopt;
  std::set<std::string> calls;
  for (const auto& s : symbols)
    if (!s.defined) calls.insert(s.mangled);
  std::vector<Symbol> reached;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string name;
    if (!std::getline(fields, name, '\t') || calls.count(name) == 0) continue;
    while (std::getline(fields, name, '\t')) reached.push_back({name, name, false});
  }
  return reached;
}

bool is_pch_problem(const std::string& diagnostics) {
  for (const char* sign : {"precompiled header", "PCH file", "AST file"})
    if (diagnostics.find(sign) != std::string::npos) return true;
  return false;
}

}  // namespace

// Three tries, fastest first. (1) The lite PCH, with shadow/torch/torch.h standing in for <torch/torch.h>:
// enough for nearly every solution; done by the compile service when one runs, else by clang itself.
// (2) When that fails, the real <torch/torch.h> with the full PCH, whose errors are the ones to show.
// (3) When a PCH is missing or stale, no PCH at all: slow but sound.
StepResult compile_source(const Recipe& recipe, const fs::path& source, const fs::path& object,
                          const fs::path& shared_object, const fs::path& jail_root, service::Client& compile_service) {
  std::vector<std::string> files = {recipe.contract.string(), source.string()};
  files.insert(files.end(), recipe.worker_objects.begin(), recipe.worker_objects.end());  // for a served link
  auto jail = tool_jail(recipe, jail_root, object.parent_path(), files);
  std::vector<std::string> argv = {recipe.compiler};
  argv.insert(argv.end(), recipe.flags.begin(), recipe.flags.end());
  argv.insert(argv.end(), {"-fno-color-diagnostics", "-ferror-limit=5", "-I", recipe.contract.parent_path().string(),
                           "-c", source.string(), "-o", object.string()});
  auto with = [&](std::vector<std::string> extra) {
    auto args = argv;
    args.insert(args.begin() + 1, extra.begin(), extra.end());
    return args;
  };

  std::string note;
  if (fs::exists(recipe.pch_lite) && fs::exists(recipe.pch_full)) {
    auto served = compile_served(compile_service, recipe, jail, source, object, shared_object);
    auto lite = with({"-include-pch", recipe.pch_lite.string(), "-I", recipe.shadow_dir.string()});
    auto fast = served ? *served : run_tool(lite, jail);
    if (fast.ok || fast.stopped_by_limit) return fast;  // a compile stopped by a limit is not tried again
    auto full = run_tool(with({"-include-pch", recipe.pch_full.string()}), jail);
    full.seconds += fast.seconds;
    if (full.ok || !is_pch_problem(full.diagnostics)) {
      if (!full.ok) full.diagnostics = learner_errors(full.diagnostics, source);
      return full;
    }
    note =
        "the precompiled torch headers did not match this compiler or its headers, so this compile was slow; "
        "the next ./kata call rebuilds them";
  } else {
    note = "the precompiled torch headers are missing, so this compile was slow; the next ./kata call builds them";
  }
  auto step = run_tool(argv, jail);
  if (!step.ok) step.diagnostics = learner_errors(step.diagnostics, source);
  step.note = note;
  return step;
}

StepResult link_learner(const Recipe& recipe, const fs::path& object, const fs::path& shared_object,
                        const fs::path& jail_root) {
  auto step = run_tool(link_command(recipe, object, shared_object),
                       tool_jail(recipe, jail_root, object.parent_path(), recipe.worker_objects));
  if (!step.ok) step.diagnostics = link_errors(step.diagnostics, object);
  return step;
}

StepResult check_shared_object(const Recipe& recipe, const fs::path& shared_object,
                               const std::vector<Forbidden>& forbidden) {
  StepResult step;
  auto symbols = dynamic_symbols(shared_object);
  if (!symbols) {
    step.diagnostics = "the linker produced an unreadable shared object";
    return step;
  }
  auto reached = reached_through_pch(*symbols, recipe.pch_reach);
  if (!reached) {  // without it a forbidden call could pass unseen
    step.diagnostics = fmt::format("the judge's build is incomplete ({} is missing); the next ./kata call rebuilds it",
                                   recipe.pch_reach.string());
    return step;
  }
  symbols->insert(symbols->end(), reached->begin(), reached->end());
  auto missing = undefined_contract_symbols(*symbols);
  if (!missing.empty()) {
    for (const auto& m : missing) step.diagnostics += "your file does not define " + m + "\n";
    step.diagnostics += kContractHint;
    return step;
  }
  step.diagnostics = forbidden_calls(*symbols, forbidden) + forbidden_calls(*symbols, {kLookupByName});
  step.forbidden = !step.diagnostics.empty();
  step.ok = !step.forbidden;
  return step;
}

}  // namespace kata
