// The compile service's protocol (harness/compile_service.cpp): what the judge asks it, and how a compile
// it ran ended. Both sides include this; neither links the other.
#pragma once

namespace kata::compile_service {

// A served compile's command line, after the program's name, in this order:
//   --root DIR --rw DIR [--ro PATH]... --memory BYTES --file-bytes BYTES -I CONTRACT_DIR -c SOURCE -o OBJECT
//   [--link LLD_ARGUMENT...]
// The jail (JailSpec) is --root, --rw, --ro and --file-bytes; --memory bounds the compile's cgroup. With
// --link, the object is then linked in the same jailed process: the rest of the line is lld's command line
// (from its program name on).
constexpr const char* kRoot = "--root";
constexpr const char* kWritable = "--rw";
constexpr const char* kReadOnly = "--ro";
constexpr const char* kMemory = "--memory";
constexpr const char* kFileBytes = "--file-bytes";
constexpr const char* kLink = "--link";

// Its exit code: 0 compiled (and linked), 1 errors (on stderr, as clang prints them), kMemoryExceeded when
// the kernel stopped it at --memory, 2 a request it could not read, kLinkFailed compiled but not linked.
constexpr int kMemoryExceeded = 3;
constexpr int kLinkFailed = 4;

}  // namespace kata::compile_service
