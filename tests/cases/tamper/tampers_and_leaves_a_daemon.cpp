// expect: accepted
// why: a correct solution that also tries to overwrite, delete and add files of the project and the
//      build, and leaves a daemon behind; any write that succeeds crashes it. Acceptance shows none did,
//      and a CLI test checks the files are unchanged and the daemon is gone.
#include "causal_attention.h"

#include <fcntl.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <string>

namespace {
// This file is tests/cases/tamper/<name>.cpp: the project is three directories up.
std::string project() {
  std::string here = __FILE__;
  for (int i = 0; i < 4; ++i) here = here.substr(0, here.rfind('/'));
  return here;
}

bool any_write_succeeds() {
  const std::string root = project();
  bool wrote = false;
  for (const std::string& path : {root + "/build/judge/judge_host", root + "/build/kata", std::string(__FILE__),
                                  root + "/workspace/kata.db", root + "/exercises/causal_attention/.meta/reference.cpp"}) {
    int fd = open(path.c_str(), O_WRONLY | O_APPEND);
    wrote |= fd >= 0;
    if (fd >= 0) close(fd);
    wrote |= unlink(path.c_str()) == 0;
  }
  int fd = open((root + "/build/judge/planted").c_str(), O_WRONLY | O_CREAT, 0644);
  wrote |= fd >= 0;
  return wrote;
}

void leave_a_daemon() {
  if (fork() != 0) return;
  setsid();
  if (fork() != 0) _exit(0);
  prctl(PR_SET_NAME, "kata-daemon");
  for (;;) pause();
}
}  // namespace

namespace kata {
torch::Tensor causal_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v) {
  static const bool tried = [] {
    if (any_write_succeeds()) std::abort();
    leave_a_daemon();
    return true;
  }();
  (void)tried;
  auto scores = torch::matmul(q, k.transpose(-2, -1)) / std::sqrt(static_cast<double>(q.size(-1)));
  auto future = torch::ones({q.size(-2), q.size(-2)}, q.options().dtype(torch::kBool)).triu(1);
  return torch::matmul(torch::softmax(scores.masked_fill(future, -INFINITY), /*dim=*/-1), v);
}
}  // namespace kata
