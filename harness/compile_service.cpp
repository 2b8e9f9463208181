// The compile service: clang in a process that stays, with the lite PCH loaded and a prefix of common
// template uses parsed (harness/pch/warm_up.cpp), that forks one process per learner's file to go on with
// the parse from there. A compile then skips what every file paid before its first line: clang starting
// (~0.03 s), reading the PCH (~0.07 s), and loading the PCH's specializations of the templates the prefix
// uses (~0.14 s for a file with a module of its own); and most of what it paid after its last: reading
// what the end of a file checks and defines from the PCH (~0.1 s). The object is the same as a plain
// compile's; when asked, lld (as a library) links it in the same process, ~0.04 s less than its own jail.
//
//   kata_cc --serve SOCKET --stamp STAMP --idle SECONDS --preload PCH
//
// It is a judge service (service.h) like the test host's, stamped with this program and the PCH, so a
// rebuilt PCH is never used through a stale service. The learner's file is untrusted: each forked host
// only supervises, and the process that opens and parses the file first enters the jail (jail.h), in a
// cgroup that bounds its memory. The request is compile_service.h's command line.
#include <clang/Basic/Diagnostic.h>
#include <clang/Basic/FileManager.h>
#include <clang/Basic/SourceManager.h>
#include <clang/CodeGen/CodeGenAction.h>
#include <clang/Driver/Compilation.h>
#include <clang/Driver/Driver.h>
#include <clang/Frontend/CompilerInstance.h>
#include <clang/Frontend/CompilerInvocation.h>
#include <clang/Lex/HeaderSearch.h>
#include <clang/Lex/Pragma.h>
#include <clang/Lex/Preprocessor.h>
#include <clang/Sema/Sema.h>
#include <fcntl.h>
#include <lld/Common/Driver.h>
#include <llvm/Support/Host.h>
#include <llvm/Support/TargetSelect.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "compile_service.h"
#include "jail.h"
#include "service.h"

namespace {

namespace fs = std::filesystem;
namespace cs = kata::compile_service;

struct ServeArgs {
  std::string socket, stamp, pch;
  double idle_seconds = 0;
};

struct CompileRequest {
  kata::JailSpec jail;
  int64_t memory_bytes = 0;
  std::string contract_dir, source, object;
  std::vector<std::string> link;  // lld's command line, or empty: the judge links
};

std::optional<CompileRequest> parse_request(const std::vector<std::string>& args) {
  CompileRequest r;
  try {
    for (size_t i = 1; i + 1 < args.size(); i += 2) {
      const std::string &flag = args[i], &value = args[i + 1];
      if (flag == cs::kLink) {
        r.link.assign(args.begin() + i + 1, args.end());
        break;
      }
      if (flag == cs::kRoot)
        r.jail.root_mountpoint = value;
      else if (flag == cs::kWritable)
        r.jail.writable = value;
      else if (flag == cs::kReadOnly)
        r.jail.read_only.push_back(value);
      else if (flag == cs::kMemory)
        r.memory_bytes = std::stoll(value);
      else if (flag == cs::kFileBytes)
        r.jail.file_bytes = std::stoll(value);
      else if (flag == "-I")
        r.contract_dir = value;
      else if (flag == "-c")
        r.source = value;
      else if (flag == "-o")
        r.object = value;
      else
        return std::nullopt;
    }
  } catch (const std::exception&) {
    return std::nullopt;
  }
  bool complete = !r.jail.root_mountpoint.empty() && r.memory_bytes > 0 && !r.contract_dir.empty() &&
                  !r.source.empty() && !r.object.empty();
  return complete ? std::optional(r) : std::nullopt;
}

// In the jailed process: the learner's file goes on where the prefix ended, its object to standard output
// (where clang writes it: "-o -"), and the contract's directory is searched as `-I` would (after the
// shadow directory, before the system ones).
void continue_with(clang::Preprocessor& pp, const CompileRequest& request) {
  int object = open(request.object.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (object < 0 || dup2(object, STDOUT_FILENO) < 0) {
    std::fprintf(stderr, "cannot write %s\n", request.object.c_str());
    _exit(1);
  }
  close(object);
  auto& files = pp.getFileManager();
  if (auto dir = files.getDirectoryRef(request.contract_dir))
    pp.getHeaderSearchInfo().AddSearchPath(clang::DirectoryLookup(*dir, clang::SrcMgr::C_User, false),
                                           /*isAngled=*/true);
  auto file = files.getFileRef(request.source);
  if (!file) {
    std::fprintf(stderr, "cannot read %s\n", request.source.c_str());
    _exit(1);
  }
  // No include location: the file is shown as a main file is, in every diagnostic.
  auto id = pp.getSourceManager().createFileID(*file, clang::SourceLocation(), clang::SrcMgr::C_User);
  pp.EnterSourceFile(id, nullptr, clang::SourceLocation());
}

// What the jailed compile's process does once the parse is done. report_end: its end of a pipe to its
// supervisor, to say how it ended before its exit, which frees the memory it wrote (tens of milliseconds
// the judge need not wait for). link: lld's command line, when the request asked for the link.
struct AfterCompile {
  int report_end = -1;
  std::vector<std::string> link;
};
AfterCompile g_after;

// lld on the object just written, in this process, which has LLVM loaded: milliseconds, where a jail and
// lld's own start took ~0.04 s. Its messages go to stderr (stdout is the object).
bool link_if_asked() {
  if (g_after.link.empty()) return true;
  std::vector<const char*> argv;
  for (const auto& a : g_after.link) argv.push_back(a.c_str());
  return lld::elf::link(argv, llvm::errs(), llvm::errs(), /*exitEarly=*/false, /*disableOutput=*/false);
}

[[noreturn]] void report_and_exit(int code) {
  std::fflush(nullptr);
  llvm::errs().flush();
  close(STDOUT_FILENO);  // the object, written
  close(STDERR_FILENO);  // the diagnostics: the judge sees their end now
  if (g_after.report_end >= 0) [[maybe_unused]] ssize_t n = write(g_after.report_end, &code, sizeof code);
  _exit(code);
}

// In the forked host, outside the jail: ends as the compile did, as soon as it says how (a compile that
// says nothing, killed or crashed, when its process has ended), or says that the kernel stopped it at its
// memory limit. It holds none of the streams, whose end the judge waits for.
[[noreturn]] void await_compile(pid_t compile, const kata::Cgroup& cgroup, int report) {
  kata::let_go_of_streams();
  int code = 0;
  if (read(report, &code, sizeof code) == sizeof code) _exit(code);
  int status = kata::wait_for(compile);
  if (cgroup.oom_killed()) _exit(cs::kMemoryExceeded);
  kata::end_as(status);
}

// Done once here instead of at the end of every file: the prefix's template functions instantiated, and
// what the end of a file reads from the PCH (~0.1 s of each compile): the vtables its headers use
// (defined, with the template members they need), the constructors that delegate (checked for cycles),
// and the fields deleted where the delete may not match their new. A file's end then finds these read and
// adds only its own; it emits what a plain compile emits (the same symbols, checked on every reference
// and differently-right solution).
void do_end_of_file_work_once(clang::Sema& sema) {
  do sema.PerformPendingInstantiations();
  while (sema.DefineUsedVTables());
  sema.CheckDelegatingCtorCycles();
  if (auto* pch = sema.getExternalSource()) {
    llvm::MapVector<clang::FieldDecl*, llvm::SmallVector<std::pair<clang::SourceLocation, bool>, 4>> deletes;
    pch->ReadMismatchingDeleteExpressions(deletes);
    for (const auto& entry : deletes) {  // what that check reads: the initializers of the field
      entry.first->getInClassInitializer();
      for (const auto* ctor : llvm::cast<clang::CXXRecordDecl>(entry.first->getParent())->ctors()) {
        const clang::FunctionDecl* definition = nullptr;
        if (ctor->isDefined(definition))
          for (const auto* init : llvm::cast<clang::CXXConstructorDecl>(definition)->inits()) init->getInit();
      }
    }
  }
}

// `#pragma kata_compile_here`, the prefix's last line. In the service it serves until idle and exits;
// it returns only in the jailed process of one request, whose file the parse then goes on with.
class CompileHere : public clang::PragmaHandler {
 public:
  CompileHere(clang::CompilerInstance& compiler, ServeArgs serve)
      : PragmaHandler("kata_compile_here"), compiler_(compiler), serve_(std::move(serve)) {}

  void HandlePragma(clang::Preprocessor& pp, clang::PragmaIntroducer, clang::Token& token) override {
    while (token.isNot(clang::tok::eod)) pp.Lex(token);
    if (pp.getDiagnostics().hasErrorOccurred()) _exit(1);  // a broken prefix would fail every file
    do_end_of_file_work_once(compiler_.getSema());
    auto args = kata::service::serve(serve_.socket, serve_.stamp, fs::read_symlink("/proc/self/exe"), serve_.pch,
                                     serve_.idle_seconds);
    auto request = parse_request(args);
    if (!request) _exit(2);
    kata::Cgroup cgroup(request->memory_bytes, /*max_processes=*/64);
    int report[2];
    if (pipe2(report, O_CLOEXEC) != 0) _exit(1);
    pid_t compile = fork();
    if (compile < 0) _exit(1);
    if (compile > 0) {
      close(report[1]);
      await_compile(compile, cgroup, report[0]);
    }
    close(report[0]);
    g_after = {report[1], request->link};
    kata::enter_jail(request->jail, &cgroup);
    continue_with(pp, *request);
  }

 private:
  clang::CompilerInstance& compiler_;
  ServeArgs serve_;
};

class ServeCompiles : public clang::EmitObjAction {
 public:
  explicit ServeCompiles(ServeArgs serve) : serve_(std::move(serve)) {}
  bool BeginSourceFileAction(clang::CompilerInstance& compiler) override {
    compiler.getPreprocessor().AddPragmaHandler(new CompileHere(compiler, serve_));
    return EmitObjAction::BeginSourceFileAction(compiler);
  }

 private:
  ServeArgs serve_;
};

// The judge's compile command (toolchain.json, the lite PCH's flags of compile.cpp) for the prefix, as
// the clang driver turns it into the compiler's own arguments.
std::unique_ptr<clang::CompilerInstance> make_compiler(const std::string& pch) {
  std::ifstream in(KATA_CC_TOOLCHAIN);
  auto toolchain = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (toolchain.is_discarded()) return nullptr;
  std::vector<std::string> args = {toolchain.value("compiler", ""), "-include-pch", pch, "-I",
                                   toolchain.value("shadow", "")};
  for (const auto& flag : toolchain["flags"]) args.push_back(flag.get<std::string>());
  args.insert(args.end(), {"-fno-color-diagnostics", "-ferror-limit=5", "-c",
                           toolchain.value("pch_sources", "") + "/warm_up.cpp", "-o", "-"});
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());

  auto compiler = std::make_unique<clang::CompilerInstance>();
  compiler->createDiagnostics();
  clang::driver::Driver driver(argv[0], llvm::sys::getDefaultTargetTriple(), compiler->getDiagnostics());
  std::unique_ptr<clang::driver::Compilation> compilation(driver.BuildCompilation(argv));
  if (!compilation || compilation->getJobs().size() != 1) return nullptr;
  const auto& cc1 = compilation->getJobs().begin()->getArguments();
  if (!clang::CompilerInvocation::CreateFromArgs(compiler->getInvocation(), cc1, compiler->getDiagnostics()))
    return nullptr;
  return compiler;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 9 || std::string(argv[1]) != "--serve" || std::string(argv[3]) != "--stamp" ||
      std::string(argv[5]) != "--idle" || std::string(argv[7]) != "--preload") {
    std::fprintf(stderr, "usage: kata_cc --serve SOCKET --stamp STAMP --idle SECONDS --preload PCH\n");
    return 2;
  }
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  auto compiler = make_compiler(argv[8]);
  if (!compiler) return 1;
  ServeCompiles action({argv[2], argv[4], argv[8], std::stod(argv[6])});
  // In the service this never returns (the prefix's pragma serves); it returns in each jailed compile.
  bool ok = compiler->ExecuteAction(action) && !compiler->getDiagnostics().hasErrorOccurred();
  // Without destructors: the object is written, and the service's state is large.
  report_and_exit(!ok ? 1 : link_if_asked() ? 0 : cs::kLinkFailed);
}
