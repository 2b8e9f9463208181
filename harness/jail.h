// Contains a process that runs the learner's code (the compiler on their file, the linker, the worker that
// calls their functions): its own PID, mount, network, IPC and UTS namespaces, a root filesystem that shows
// only what the step needs (read-only) plus one private scratch directory, an unprivileged user,
// no_new_privs, and a cgroup bounding the memory and the number of processes of it and its descendants.
//
// Where the kernel refuses a protection (no user namespaces, no writable cgroup), the process still runs,
// and Protections says which ones are off, so the judge can say so once.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace kata {

struct JailSpec {
  std::string root_mountpoint;         // an empty directory of the run: the new root is a tmpfs mounted here
  std::vector<std::string> read_only;  // host paths shown read-only at the same path (files or directories)
  std::string writable;                // a host directory shown read-write at the same path ("" for none)
  int64_t tmp_bytes = 64 << 20;        // size of the private /tmp
  int64_t file_bytes = 64 << 20;       // largest file the process may write
};

// What was in force for one contained process. Sent back to the judge as a bit set.
struct Protections {
  bool namespaces = false;    // PID, mount, network, IPC, UTS
  bool filesystem = false;    // the restricted root
  bool unprivileged = false;  // another uid (or no capabilities in a user namespace), no_new_privs
  bool cgroup = false;        // memory and process count bounded for the whole tree

  int bits() const;
  static Protections from_bits(int bits);
  // "" when everything is on, else which protections are off, in one sentence.
  std::string missing() const;
};

// A cgroup (v1 memory + pids, or v2) for one contained run, removed on destruction. When no hierarchy is
// writable, `available()` is false and the caller polls the processes instead.
class Cgroup {
 public:
  Cgroup(int64_t memory_bytes, int max_processes);
  ~Cgroup();
  Cgroup(const Cgroup&) = delete;
  Cgroup& operator=(const Cgroup&) = delete;

  bool available() const { return !dirs_.empty(); }
  bool add(pid_t pid) const;    // moves pid (and its future children) into the group
  bool oom_killed() const;      // the kernel killed something in it for crossing the memory limit
  int64_t peak_memory() const;  // bytes, 0 when unknown
  // The high-water mark of one stretch of the run: reset_peak() starts it at the memory in use now (false
  // when the kernel cannot: cgroup v2 before Linux 6.12), peak_since_reset() reads it, in bytes.
  bool reset_peak();
  int64_t memory_now() const;
  int64_t peak_since_reset() const;
  void kill_all() const;        // SIGKILL to every process in it

 private:
  std::vector<std::string> dirs_;  // every directory created, one per hierarchy
  std::string memory_dir_;
  bool v2_ = false;
  int peak_fd_ = -1;  // v2: memory.peak, opened for reset_peak (its reset holds for this descriptor only)
};

// Removes cgroups and run directories left by judges that were killed (their owner pid is gone). Run
// directories are named "<pid>-<anything>" under run_root.
void clean_leftovers(const std::string& run_root);

// In a freshly forked, single-threaded child: joins `cgroup` (when available), unshares the namespaces,
// forks into the new PID namespace, builds the restricted root, drops privileges, and forks once more
// under the namespace's init (which reaps orphans). Returns in that contained process; the intermediate
// process outside never returns: it waits and ends the way the contained process ended (same exit code or
// signal), and when it is killed the jail and everything in it die with it.
Protections enter_jail(const JailSpec& spec, const Cgroup* cgroup);

// For a process that only waits: closes its standard streams, so that whoever reads them sees their end when
// the process that writes them closes them, not after every waiting process is gone.
void let_go_of_streams();

// The wait status of a child, once it has ended; and ending this process the same way (the same exit code,
// or the same signal), for a process that stands for the child it waited for.
int wait_for(pid_t child);
[[noreturn]] void end_as(int wait_status);

// In a child about to run a program: its CPU time (SIGXCPU at `cpu_seconds`, rounded up) and address space
// bounded, and no core dumps.
void limit_process(double cpu_seconds, int64_t address_space_bytes);

// A file descriptor that becomes readable when pid ends (a pidfd), or -1 when the kernel has none.
int open_pidfd(pid_t pid);

// Sum of the anonymous resident memory of pid and all its descendants, in bytes. Anonymous, because a
// worker forked from a process with LibTorch loaded shares hundreds of MB of its library pages.
int64_t tree_memory(pid_t pid);
// pid and all its descendants.
std::vector<pid_t> process_tree(pid_t pid);

}  // namespace kata
