// The judge service: a test host kept running with LibTorch loaded, which forks a host for each
// judgement. A fresh host spends ~0.9 CPU seconds loading LibTorch and its 287 shared libraries before
// it can run a check; a host forked from the service starts in a few milliseconds.
//
// The service is trusted code like any host: it never loads a learner's file or an exercise's checks
// (each forked host does, and forks its own jailed worker). It listens on a Unix socket in the judge's
// private run directory, named after a stamp of the host program, so a rebuilt host is never served by
// a service running the old one; it exits when idle, or when its program is rebuilt. Anything wrong with
// it (not running, starting, stale, killed mid-judgement) makes a judgement slower, never different: the
// judge then starts a fresh host as it would without a service.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace kata::service {

namespace fs = std::filesystem;

// What a served host is started with, exactly as a fresh one would be: its command line (argv[0] the
// host program), its whole environment, its working directory, and its CPU and address-space limits.
struct Request {
  std::vector<std::string> argv;
  std::map<std::string, std::string> env;
  std::string cwd;
  double cpu_seconds = 0;
  int64_t address_space_bytes = 0;
};

// How a served host ended, as wait4 tells its parent.
struct Ended {
  int status = 0;
  double cpu_seconds = 0;
  int64_t max_rss_bytes = 0;
};

// Reaps `pid` if it has ended (without blocking): nullopt while it runs.
std::optional<Ended> try_reap(pid_t pid);

// A host the service started: the leader of its own process group, and the connection on which the
// service reports how it ended (closing it kills the host).
struct Started {
  pid_t pid = -1;
  int control_fd = -1;
};

// The judge's side. `host` is the host program and `runtime` the library each host loads before it forks
// its worker ("" for none); the socket lives in `run_root`, which must be a directory only this user can
// write to (else there is no service).
class Client {
 public:
  Client(fs::path host, fs::path runtime, fs::path run_root);
  // Asks the service to start a host whose standard streams are these descriptors. When there is no
  // service to ask, starts one for the next judgement and returns nullopt.
  std::optional<Started> start_host(const Request& request, int in_fd, int out_fd, int err_fd);

 private:
  void launch(const std::string& stamp);
  fs::path host_, runtime_, run_root_;
};

// Reads the service's report without blocking: nullopt while the host runs. Throws std::runtime_error
// when the service is gone without saying how the host ended.
std::optional<Ended> poll_ended(int control_fd);

// The service's side, in `judge_host --serve SOCKET --stamp STAMP --idle SECONDS --preload RUNTIME`
// (with `runtime` loaded already): serves until idle for `idle_seconds` or until `host` and `runtime` no
// longer have `stamp`, then exits. Returns only in each host it forks, set up as a fresh host would be
// (its streams, working directory, environment and limits), with the host's command line.
std::vector<std::string> serve(const std::string& socket, const std::string& stamp, const std::string& host,
                               const std::string& runtime, double idle_seconds);

// A short fingerprint of the host program and its runtime library (device, inode, size, modification
// time of each): another build of either has another stamp. "" when the program is missing.
std::string stamp_of(const std::string& program, const std::string& runtime);

}  // namespace kata::service
