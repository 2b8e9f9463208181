#include "jail.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <grp.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <climits>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

namespace kata {
namespace {

namespace fs = std::filesystem;

constexpr uid_t kNobody = 65534;
constexpr const char* kCgroupPrefix = "kata-";

bool write_file(const std::string& path, const std::string& text) {
  int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bool ok = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  close(fd);
  return ok;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// "key value" lines (memory.events, memory.oom_control, /proc/pid/status): the value of key, or -1.
int64_t field(const std::string& text, const std::string& key) {
  std::istringstream in(text);
  std::string k;
  while (in >> k) {
    if (k == key || k == key + ":") {
      int64_t v = -1;
      in >> v;
      return v;
    }
    in.ignore(1 << 12, '\n');
  }
  return -1;
}

// The directory of our own cgroup in each writable hierarchy that has `controller` (v1), or the unified one.
struct Hierarchy {
  std::string mount, own_path;
  bool v2;
};
std::vector<Hierarchy> hierarchies(const std::vector<std::string>& controllers) {
  std::map<std::string, std::string> own;  // controller list (v1) or "" (v2) -> our path in it
  std::istringstream cg(read_file("/proc/self/cgroup"));
  for (std::string line; std::getline(cg, line);) {
    auto a = line.find(':'), b = line.find(':', a + 1);
    if (a == std::string::npos || b == std::string::npos) continue;
    own[line.substr(a + 1, b - a - 1)] = line.substr(b + 1);
  }
  std::vector<Hierarchy> found;
  std::istringstream mi(read_file("/proc/self/mountinfo"));
  for (std::string line; std::getline(mi, line);) {
    std::istringstream f(line);
    std::vector<std::string> parts;
    for (std::string p; f >> p;) parts.push_back(p);
    auto dash = std::find(parts.begin(), parts.end(), "-");
    if (dash == parts.end() || parts.end() - dash < 4 || parts.size() < 5) continue;
    const std::string& type = *(dash + 1);
    const std::string& mount = parts[4];
    if (type == "cgroup2" && own.count("")) {
      found.push_back({mount, own[""], true});
    } else if (type == "cgroup") {
      const std::string& options = *(dash + 3);
      for (const auto& c : controllers) {
        if (("," + options + ",").find("," + c + ",") == std::string::npos) continue;
        for (const auto& [list, path] : own)
          if (("," + list + ",").find("," + c + ",") != std::string::npos) found.push_back({mount, path, false});
      }
    }
  }
  return found;
}

bool pid_alive(pid_t pid) { return kill(pid, 0) == 0 || errno == EPERM; }

// "kata-<pid>-..." or "<pid>-...": the owner's pid.
pid_t owner_of(std::string name) {
  if (name.rfind(kCgroupPrefix, 0) == 0) name = name.substr(std::strlen(kCgroupPrefix));
  return static_cast<pid_t>(std::atol(name.c_str()));
}

// A remount in a user namespace must keep the flags the original mount has (the kernel locks them).
unsigned long locked_flags(const std::string& path) {
  struct statvfs st {};
  if (statvfs(path.c_str(), &st) != 0) return 0;
  unsigned long flags = 0;
  if (st.f_flag & ST_NODEV) flags |= MS_NODEV;
  if (st.f_flag & ST_NOEXEC) flags |= MS_NOEXEC;
  if (st.f_flag & ST_RDONLY) flags |= MS_RDONLY;
  if (st.f_flag & ST_NOATIME) flags |= MS_NOATIME;
  if (st.f_flag & ST_NODIRATIME) flags |= MS_NODIRATIME;
  if (st.f_flag & ST_RELATIME) flags |= MS_RELATIME;
  return flags;
}

// Shows host path `path` at the same place under `root`: a symlink stays a symlink, a directory or file is
// bind-mounted read-only (or read-write).
bool show(const std::string& root, const std::string& path, bool writable) {
  std::error_code ec;
  fs::path target = root + path;
  fs::create_directories(target.parent_path(), ec);
  auto status = fs::symlink_status(path, ec);
  if (ec) return false;
  if (fs::is_symlink(status)) {
    fs::create_symlink(fs::read_symlink(path, ec), target, ec);
    return !ec;
  }
  if (fs::is_directory(status)) {
    fs::create_directories(target, ec);
  } else {
    int fd = open(target.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return false;
    close(fd);
  }
  if (mount(path.c_str(), target.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0) return false;
  unsigned long flags = MS_BIND | MS_REMOUNT | MS_NOSUID | (writable ? 0 : MS_RDONLY) | locked_flags(path);
  return mount(nullptr, target.c_str(), nullptr, flags, nullptr) == 0;
}

// A new root of its own: a tmpfs with the system's read-only directories, the spec's paths, a few devices,
// a fresh /proc for the new PID namespace and a private /tmp. Then pivot into it.
bool build_root(const JailSpec& spec) {
  const std::string& root = spec.root_mountpoint;
  if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) return false;
  if (mount("kata-root", root.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=1m") != 0) return false;
  // The private /tmp first: paths of the spec under the host's /tmp are then shown inside it.
  fs::create_directories(root + "/tmp");
  std::string tmp_options = "mode=1777,size=" + std::to_string(spec.tmp_bytes);
  bool ok = mount("kata-tmp", (root + "/tmp").c_str(), "tmpfs", MS_NOSUID | MS_NODEV, tmp_options.c_str()) == 0;
  for (const char* system : {"/usr", "/bin", "/lib", "/lib64", "/lib32", "/libx32", "/sbin"})
    if (fs::exists(fs::symlink_status(system))) ok &= show(root, system, false);
  for (const auto& path : spec.read_only) ok &= show(root, path, false);
  if (!spec.writable.empty()) ok &= show(root, spec.writable, true);
  for (const char* dev : {"/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom"}) {
    std::string target = root + dev;
    fs::create_directories(root + "/dev");
    int fd = open(target.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0666);
    if (fd >= 0) close(fd);
    ok &= mount(dev, target.c_str(), nullptr, MS_BIND, nullptr) == 0;
  }
  fs::create_directories(root + "/proc");
  ok &= mount("proc", (root + "/proc").c_str(), "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) == 0;
  if (!ok) return false;
  // pivot_root(".", ".") stacks the old root under the new one; detaching it leaves only the new root.
  if (chdir(root.c_str()) != 0 || syscall(SYS_pivot_root, ".", ".") != 0) return false;
  if (umount2(".", MNT_DETACH) != 0 || chdir("/") != 0) return false;
  return mount(nullptr, "/", nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, nullptr) == 0;
}

bool drop_capabilities() {
  for (int cap = 0; cap <= CAP_LAST_CAP; ++cap) prctl(PR_CAPBSET_DROP, cap, 0, 0, 0);
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  return syscall(SYS_capset, &header, data) == 0;
}

// Root becomes nobody; in a user namespace (we were not root) the mapped root loses every capability.
bool drop_privileges(bool in_user_namespace) {
  bool ok = true;
  if (!in_user_namespace) {
    ok &= setgroups(0, nullptr) == 0;
    ok &= setresgid(kNobody, kNobody, kNobody) == 0;
    ok &= setresuid(kNobody, kNobody, kNobody) == 0;
  }
  ok &= drop_capabilities();
  ok &= prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0;
  return ok;
}

bool enter_user_namespace() {
  uid_t uid = getuid();
  gid_t gid = getgid();
  if (unshare(CLONE_NEWUSER) != 0) return false;
  write_file("/proc/self/setgroups", "deny");
  return write_file("/proc/self/uid_map", "0 " + std::to_string(uid) + " 1") &&
         write_file("/proc/self/gid_map", "0 " + std::to_string(gid) + " 1");
}

void set_limits(const JailSpec& spec) {
  rlimit file{static_cast<rlim_t>(spec.file_bytes), static_cast<rlim_t>(spec.file_bytes)};
  setrlimit(RLIMIT_FSIZE, &file);
  rlimit no_core{0, 0};
  setrlimit(RLIMIT_CORE, &no_core);
  rlimit files{256, 256};
  setrlimit(RLIMIT_NOFILE, &files);
}

// The intermediate process: waits for the jail and ends the way the contained process ended. The jail's
// init reports that through `report`: a namespace's init cannot end by a signal it does not handle.
[[noreturn]] void mirror(pid_t child, int report) {
  let_go_of_streams();
  int status = wait_for(child);
  int reported = 0;
  if (read(report, &reported, sizeof reported) == sizeof reported) status = reported;
  end_as(status);
}

// PID 1 of the jail: reaps whatever the contained process leaves behind; when the contained process ends,
// reports how and exits, which ends every process still in the namespace.
[[noreturn]] void init(pid_t contained, int report) {
  let_go_of_streams();
  for (;;) {
    int status = 0;
    pid_t done = waitpid(-1, &status, 0);
    if (done == contained) {
      [[maybe_unused]] ssize_t n = write(report, &status, sizeof status);
      _exit(0);
    }
    if (done < 0 && errno == ECHILD) _exit(0);
  }
}

}  // namespace

void let_go_of_streams() {
  for (int fd : {STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO}) close(fd);
}

int wait_for(pid_t child) {
  int status = 0;
  while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

void end_as(int status) {
  if (WIFSIGNALED(status)) {
    signal(WTERMSIG(status), SIG_DFL);
    kill(getpid(), WTERMSIG(status));
  }
  _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 127);
}

int Protections::bits() const { return namespaces | filesystem << 1 | unprivileged << 2 | cgroup << 3; }

Protections Protections::from_bits(int bits) {
  return {bool(bits & 1), bool(bits & 2), bool(bits & 4), bool(bits & 8)};
}

std::string Protections::missing() const {
  std::vector<std::string> off;
  if (!namespaces) off.push_back("no namespaces (the code can see other processes and the network)");
  if (!filesystem) off.push_back("no restricted filesystem (the code can read your files)");
  if (!unprivileged) off.push_back("privileges not dropped");
  if (!cgroup) off.push_back("no cgroup (memory is polled instead of bounded)");
  if (off.empty()) return "";
  std::string s = "this kernel refused part of the sandbox: ";
  for (size_t i = 0; i < off.size(); ++i) s += (i ? "; " : "") + off[i];
  return s;
}

Cgroup::Cgroup(int64_t memory_bytes, int max_processes) {
  static std::atomic<int> counter{0};
  std::string name = kCgroupPrefix + std::to_string(getpid()) + "-" + std::to_string(counter++);
  for (const auto& h : hierarchies({"memory", "pids"})) {
    std::string dir = h.mount + h.own_path + "/" + name;
    if (mkdir(dir.c_str(), 0755) != 0) continue;
    const bool memory = h.v2 || fs::exists(dir + "/memory.limit_in_bytes");
    bool ok = true;
    if (memory) {
      ok &= write_file(dir + (h.v2 ? "/memory.max" : "/memory.limit_in_bytes"), std::to_string(memory_bytes));
      if (h.v2) write_file(dir + "/memory.swap.max", "0");
    }
    if (h.v2 || fs::exists(dir + "/pids.max")) ok &= write_file(dir + "/pids.max", std::to_string(max_processes));
    if (!ok) {  // e.g. a v2 hierarchy beside v1 ones, without the controllers: no use
      rmdir(dir.c_str());
      continue;
    }
    dirs_.push_back(dir);
    v2_ = v2_ || h.v2;
    if (memory) memory_dir_ = dir;
  }
  if (memory_dir_.empty() || (!v2_ && dirs_.size() < 2)) {  // both bounds, or neither: then poll
    for (const auto& d : dirs_) rmdir(d.c_str());
    dirs_.clear();
    memory_dir_.clear();
  }
}

Cgroup::~Cgroup() {
  if (peak_fd_ >= 0) close(peak_fd_);
  kill_all();
  for (const auto& d : dirs_) {
    for (int i = 0; i < 100 && rmdir(d.c_str()) != 0 && errno == EBUSY; ++i) usleep(2000);
  }
}

bool Cgroup::add(pid_t pid) const {
  bool ok = true;
  for (const auto& d : dirs_) ok &= write_file(d + "/cgroup.procs", std::to_string(pid));
  return ok;
}

bool Cgroup::oom_killed() const {
  if (memory_dir_.empty()) return false;
  if (v2_) return field(read_file(memory_dir_ + "/memory.events"), "oom_kill") > 0;
  return field(read_file(memory_dir_ + "/memory.oom_control"), "oom_kill") > 0;
}

int64_t Cgroup::peak_memory() const {
  if (memory_dir_.empty()) return 0;
  auto text = read_file(memory_dir_ + (v2_ ? "/memory.peak" : "/memory.max_usage_in_bytes"));
  return text.empty() ? 0 : std::atoll(text.c_str());
}

bool Cgroup::reset_peak() {
  if (memory_dir_.empty()) return false;
  if (!v2_) return write_file(memory_dir_ + "/memory.max_usage_in_bytes", "0");
  if (peak_fd_ < 0) peak_fd_ = open((memory_dir_ + "/memory.peak").c_str(), O_RDWR | O_CLOEXEC);
  return peak_fd_ >= 0 && write(peak_fd_, "reset\n", 6) == 6;
}

int64_t Cgroup::memory_now() const {
  if (memory_dir_.empty()) return 0;
  return std::atoll(read_file(memory_dir_ + (v2_ ? "/memory.current" : "/memory.usage_in_bytes")).c_str());
}

int64_t Cgroup::peak_since_reset() const {
  if (!v2_) return peak_memory();
  char text[32] = {};
  return peak_fd_ >= 0 && pread(peak_fd_, text, sizeof text - 1, 0) > 0 ? std::atoll(text) : 0;
}

void Cgroup::kill_all() const {
  for (const auto& d : dirs_) {
    if (v2_ && write_file(d + "/cgroup.kill", "1")) continue;
    for (int round = 0; round < 10; ++round) {
      std::istringstream procs(read_file(d + "/cgroup.procs"));
      bool any = false;
      for (pid_t p; procs >> p; any = true) kill(p, SIGKILL);
      if (!any) break;
      usleep(1000);
    }
  }
}

void clean_leftovers(const std::string& run_root) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(run_root, ec)) {
    pid_t owner = owner_of(entry.path().filename());
    if (owner > 0 && !pid_alive(owner)) fs::remove_all(entry.path(), ec);
  }
  for (const auto& h : hierarchies({"memory", "pids"})) {
    for (const auto& entry : fs::directory_iterator(h.mount + h.own_path, ec)) {
      std::string name = entry.path().filename();
      if (name.rfind(kCgroupPrefix, 0) != 0) continue;
      pid_t owner = owner_of(name);
      if (owner > 0 && !pid_alive(owner)) rmdir(entry.path().c_str());
    }
  }
}

void limit_process(double cpu_seconds, int64_t address_space_bytes) {
  rlim_t cpu = static_cast<rlim_t>(std::ceil(cpu_seconds));
  rlimit cpu_limit{cpu, cpu + 1};
  setrlimit(RLIMIT_CPU, &cpu_limit);
  rlimit as_limit{static_cast<rlim_t>(address_space_bytes), static_cast<rlim_t>(address_space_bytes)};
  setrlimit(RLIMIT_AS, &as_limit);
  rlimit no_core{0, 0};
  setrlimit(RLIMIT_CORE, &no_core);
}

Protections enter_jail(const JailSpec& spec, const Cgroup* cgroup) {
  Protections p;
  p.cgroup = cgroup && cgroup->available() && cgroup->add(getpid());
  const bool root = geteuid() == 0;
  const bool user_ns = !root && enter_user_namespace();
  p.namespaces =
      (root || user_ns) && unshare(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS) == 0;
  int report[2];
  if (pipe2(report, O_CLOEXEC) != 0) _exit(127);
  pid_t parent = getpid();
  pid_t child = fork();
  if (child < 0) _exit(127);
  if (child > 0) {
    close(report[1]);
    mirror(child, report[0]);
  }
  close(report[0]);
  // From here on: dies with the intermediate process (which the judge kills).
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (!p.namespaces && getppid() != parent) _exit(127);
  p.filesystem = p.namespaces && build_root(spec);
  p.unprivileged = drop_privileges(user_ns);
  if (!p.unprivileged) prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
  set_limits(spec);
  if (!p.cgroup) {
    rlimit procs{256, 256};
    setrlimit(RLIMIT_NPROC, &procs);
  }
  if (p.namespaces) {  // this is the namespace's init; the code runs in a child of it
    pid_t contained = fork();
    if (contained < 0) _exit(127);
    if (contained > 0) init(contained, report[1]);
  }
  close(report[1]);
  return p;
}

std::vector<pid_t> process_tree(pid_t pid) {
  std::vector<pid_t> all = {pid};
  for (size_t i = 0; i < all.size(); ++i) {
    std::error_code ec;
    std::string task_dir = "/proc/" + std::to_string(all[i]) + "/task";
    for (const auto& task : fs::directory_iterator(task_dir, ec)) {
      std::istringstream children(read_file(task.path() / "children"));
      for (pid_t c; children >> c;) all.push_back(c);
    }
  }
  return all;
}

int open_pidfd(pid_t pid) {
  // Through syscall(): glibc 2.36's <sys/pidfd.h> declares pidfd_open without C linkage for C++.
  return static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
}

int64_t tree_memory(pid_t pid) {
  int64_t total = 0;
  for (pid_t p : process_tree(pid)) {
    auto status = read_file("/proc/" + std::to_string(p) + "/status");
    int64_t anon = field(status, "RssAnon"), shmem = field(status, "RssShmem");
    total += (std::max<int64_t>(anon, 0) + std::max<int64_t>(shmem, 0)) * 1024;
  }
  return total;
}

}  // namespace kata
