# Everything the judge reuses when it compiles a learner's file: the precompiled torch headers, and per
# exercise the hidden tests (with the reference inside) as objects ready to link.
#
# The judge compiles only the learner's file, with clang and a precompiled header, then links it with lld
# against these objects. build/judge/toolchain.json and build/judge/<id>/recipe.json tell it how.

find_program(KATA_CLANG NAMES clang++ clang++-14 REQUIRED)
find_program(KATA_LLD NAMES ld.lld ld.lld-14 REQUIRED)
foreach(lib torch torch_cpu c10)
  find_library(KATA_LIB_${lib} ${lib} REQUIRED)
endforeach()

set(KATA_JUDGE_DIR ${CMAKE_BINARY_DIR}/judge)

# One set of flags for the precompiled headers and every learner file: clang rejects a PCH built otherwise.
separate_arguments(torch_flags UNIX_COMMAND "${TORCH_CXX_FLAGS}")
set(KATA_JUDGE_FLAGS -std=c++17 -O0 -g0 -fPIC ${torch_flags})
foreach(dir ${TORCH_INCLUDE_DIRS})
  if(NOT dir STREQUAL "/usr/include")  # a system dir given as -isystem breaks libstdc++'s #include_next
    list(APPEND KATA_JUDGE_FLAGS -isystem ${dir})
  endif()
endforeach()

# Each PCH also instantiates the template members every file would otherwise instantiate again
# (instantiate_<kind>.h); if that list no longer compiles, the plain header still gives a working PCH.
# The lite one also carries its object code, and a runtime library learners' files link against
# (cmake/PrecompileLite.cmake); pch_reach lists the forbidden calls made inside that code.
set(pch_dir ${KATA_JUDGE_DIR}/pch)
find_library(KATA_LIB_glog glog REQUIRED)
add_custom_command(
  OUTPUT ${pch_dir}/lite.pch ${pch_dir}/lite_pch.o ${pch_dir}/liblite_pch.so ${pch_dir}/liblite_pch_stub.so
  COMMAND ${CMAKE_COMMAND} -DCLANG=${KATA_CLANG} "-DFLAGS=${KATA_JUDGE_FLAGS}"
          "-DLIBS=${KATA_LIB_torch};${KATA_LIB_torch_cpu};${KATA_LIB_c10};${KATA_LIB_glog}"
          -DSOURCES=${CMAKE_SOURCE_DIR}/harness/pch -DOUT=${pch_dir} -P ${CMAKE_SOURCE_DIR}/cmake/PrecompileLite.cmake
  DEPFILE ${pch_dir}/lite.pch.d
  DEPENDS ${CMAKE_SOURCE_DIR}/harness/pch/instantiate_lite.h ${CMAKE_SOURCE_DIR}/harness/pch/lite.h
          ${CMAKE_SOURCE_DIR}/harness/pch/lite_runtime.cpp ${CMAKE_SOURCE_DIR}/cmake/PrecompileLite.cmake ${KATA_CLANG}
  COMMENT "Precompiling torch headers for the judge (lite, with its object code)"
  VERBATIM)
set(precompile ${KATA_CLANG} ${KATA_JUDGE_FLAGS} -fpch-instantiate-templates -x c++-header -MD -MF
               ${pch_dir}/full.pch.d -MT ${pch_dir}/full.pch -o ${pch_dir}/full.pch)
add_custom_command(
  OUTPUT ${pch_dir}/full.pch
  COMMAND ${precompile} ${CMAKE_SOURCE_DIR}/harness/pch/instantiate_full.h
          || ${precompile} ${CMAKE_SOURCE_DIR}/harness/pch/full.h
  DEPFILE ${pch_dir}/full.pch.d
  DEPENDS ${CMAKE_SOURCE_DIR}/harness/pch/instantiate_full.h ${CMAKE_SOURCE_DIR}/harness/pch/full.h ${KATA_CLANG}
  COMMENT "Precompiling torch headers for the judge (full)"
  VERBATIM)
add_executable(pch_reach ${CMAKE_SOURCE_DIR}/harness/pch/pch_reach.cpp ${CMAKE_SOURCE_DIR}/harness/catalogue.cpp)
target_link_libraries(pch_reach PRIVATE fmt::fmt tomlplusplus::tomlplusplus)
add_custom_command(
  OUTPUT ${pch_dir}/lite_reach.tsv
  COMMAND pch_reach ${pch_dir}/lite_pch.o ${CMAKE_SOURCE_DIR}/exercises ${pch_dir}/lite_reach.tsv
  DEPENDS pch_reach ${pch_dir}/lite_pch.o ${exercise_tomls}
  COMMENT "Listing the forbidden calls inside the lite PCH's object code"
  VERBATIM)
add_custom_target(judge_pch ALL DEPENDS ${pch_dir}/lite.pch ${pch_dir}/full.pch ${pch_dir}/liblite_pch.so
                                        ${pch_dir}/liblite_pch_stub.so ${pch_dir}/lite_reach.tsv)

# The support library of the hidden tests: assertion helpers and the code that runs the checks.
add_library(kata_test_support STATIC ${CMAKE_SOURCE_DIR}/tests/support/kata_test.cpp
                                     ${CMAKE_SOURCE_DIR}/tests/support/run_tests.cpp)
target_include_directories(kata_test_support PUBLIC ${CMAKE_SOURCE_DIR}/tests/support ${CMAKE_SOURCE_DIR}/harness/host)
target_link_libraries(kata_test_support PUBLIC ${TORCH_LIBRARIES} GTest::gtest fmt::fmt)

# The judge's test host, checker and worker in one program (harness/judge_host.cpp): LibTorch, GoogleTest,
# the support library and the remote-call runtime, all exported, so that the hidden checks (in the
# checker) and the learner's code (in the worker), loaded later as shared objects, link against it.
add_executable(judge_host ${CMAKE_SOURCE_DIR}/harness/judge_host.cpp ${CMAKE_SOURCE_DIR}/harness/host/wire.cpp
                          ${CMAKE_SOURCE_DIR}/harness/host/session.cpp ${CMAKE_SOURCE_DIR}/harness/host/serve.cpp
                          ${CMAKE_SOURCE_DIR}/harness/host/remote.cpp ${CMAKE_SOURCE_DIR}/harness/host/mistakes.cpp
                          ${CMAKE_SOURCE_DIR}/harness/jail.cpp ${CMAKE_SOURCE_DIR}/harness/service.cpp)
target_include_directories(judge_host PRIVATE ${CMAKE_SOURCE_DIR}/harness)
target_link_libraries(judge_host PRIVATE kata_test_support nlohmann_json::nlohmann_json ${CMAKE_DL_LIBS})
target_link_options(judge_host PRIVATE "LINKER:--whole-archive" $<TARGET_FILE:kata_test_support>
                    $<TARGET_FILE:GTest::gtest> "LINKER:--no-whole-archive" "LINKER:--no-as-needed")
set_target_properties(judge_host PROPERTIES ENABLE_EXPORTS ON RUNTIME_OUTPUT_DIRECTORY ${KATA_JUDGE_DIR})

# The compile service (harness/compile_service.cpp): clang as a library (Debian's libclang-cpp14-dev,
# built without RTTI, so this program is too), serving compiles with the lite PCH loaded, and lld as a
# library (liblld-14-dev) linking what it compiled.
find_path(KATA_CLANG_INCLUDE clang/Frontend/CompilerInstance.h PATHS /usr/lib/llvm-14/include REQUIRED)
find_library(KATA_LIB_clang_cpp clang-cpp PATHS /usr/lib/llvm-14/lib REQUIRED)
find_library(KATA_LIB_llvm LLVM-14 PATHS /usr/lib/llvm-14/lib REQUIRED)
find_library(KATA_LIB_lld_elf lldELF PATHS /usr/lib/llvm-14/lib REQUIRED NO_DEFAULT_PATH)
find_library(KATA_LIB_lld_common lldCommon PATHS /usr/lib/llvm-14/lib REQUIRED NO_DEFAULT_PATH)
find_package(ZLIB REQUIRED)  # lld's, for compressed sections
add_executable(kata_cc ${CMAKE_SOURCE_DIR}/harness/compile_service.cpp ${CMAKE_SOURCE_DIR}/harness/jail.cpp
                       ${CMAKE_SOURCE_DIR}/harness/service.cpp)
target_include_directories(kata_cc PRIVATE ${CMAKE_SOURCE_DIR}/harness SYSTEM ${KATA_CLANG_INCLUDE})
target_compile_definitions(kata_cc PRIVATE KATA_CC_TOOLCHAIN="${KATA_JUDGE_DIR}/toolchain.json")
target_compile_options(kata_cc PRIVATE -fno-rtti)
target_link_libraries(kata_cc PRIVATE ${KATA_LIB_clang_cpp} ${KATA_LIB_lld_elf} ${KATA_LIB_lld_common} ${KATA_LIB_llvm}
                                      ZLIB::ZLIB nlohmann_json::nlohmann_json)
# The service parses warm_up.cpp when it starts: relinking on its change gives the program a new stamp, so
# a running service of the old prefix is not used (service.h).
set_target_properties(kata_cc PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${KATA_JUDGE_DIR}
                                         LINK_DEPENDS ${CMAKE_SOURCE_DIR}/harness/pch/warm_up.cpp)

# A learner's file is linked by lld itself, not through the compiler driver (a quarter of a second less
# on a loaded machine): what the driver would add around the objects, asked of it once here.
foreach(file crti.o crtbeginS.o crtendS.o crtn.o libc.so)
  execute_process(COMMAND ${KATA_CLANG} -print-file-name=${file} OUTPUT_VARIABLE path
                  OUTPUT_STRIP_TRAILING_WHITESPACE COMMAND_ERROR_IS_FATAL ANY)
  string(MAKE_C_IDENTIFIER ${file} name)
  set(startup_${name} ${path})
endforeach()
get_filename_component(gcc_dir ${startup_crtbeginS_o} DIRECTORY)
get_filename_component(libc_dir ${startup_libc_so} DIRECTORY)
set(KATA_LINK_BEFORE --hash-style=both --eh-frame-hdr -m elf_x86_64 -shared ${startup_crti_o} ${startup_crtbeginS_o})
set(KATA_LINK_AFTER -L${gcc_dir} -L${libc_dir} -lstdc++ -lm -lgcc_s -lgcc -lc -lgcc_s -lgcc ${startup_crtendS_o}
                    ${startup_crtn_o})

file(GENERATE OUTPUT ${KATA_JUDGE_DIR}/toolchain.json CONTENT "{
  \"compiler\": \"${KATA_CLANG}\",
  \"flags\": [\"$<JOIN:${KATA_JUDGE_FLAGS},\", \">\"],
  \"pch\": {\"lite\": \"${pch_dir}/lite.pch\", \"full\": \"${pch_dir}/full.pch\",
          \"runtime\": \"${pch_dir}/liblite_pch.so\", \"runtime_stub\": \"${pch_dir}/liblite_pch_stub.so\",
          \"reach\": \"${pch_dir}/lite_reach.tsv\"},
  \"pch_sources\": \"${CMAKE_SOURCE_DIR}/harness/pch\",
  \"shadow\": \"${CMAKE_SOURCE_DIR}/harness/pch/shadow\",
  \"link\": {\"linker\": \"${KATA_LLD}\", \"before\": [\"$<JOIN:${KATA_LINK_BEFORE},\", \">\"], \"after\": [\"$<JOIN:${KATA_LINK_AFTER},\", \">\"]},
  \"host\": \"$<TARGET_FILE:judge_host>\",
  \"compile_service\": \"$<TARGET_FILE:kata_cc>\"
}
")

# One precompiled header for every exercise's checks and bindings: LibTorch, GoogleTest and fmt parsed
# once instead of once per file (each file then takes a few seconds instead of ~12). The targets that reuse
# it get the same flags: position-independent code, GoogleTest's definitions, no per-target export macro.
add_library(kata_exercise_pch OBJECT ${CMAKE_SOURCE_DIR}/harness/pch/exercise_pch.cpp)
target_link_libraries(kata_exercise_pch PRIVATE ${TORCH_LIBRARIES} fmt::fmt GTest::gtest)
target_include_directories(kata_exercise_pch PRIVATE $<TARGET_PROPERTY:kata_test_support,INTERFACE_INCLUDE_DIRECTORIES>)
set_target_properties(kata_exercise_pch PROPERTIES POSITION_INDEPENDENT_CODE ON)
target_precompile_headers(kata_exercise_pch PRIVATE <torch/torch.h> <gtest/gtest.h> <fmt/format.h> <fmt/ranges.h>)

# The flags of a target that reuses the precompiled header.
function(kata_use_exercise_pch target)
  target_link_libraries(${target} PRIVATE ${TORCH_LIBRARIES} fmt::fmt)
  target_compile_definitions(${target} PRIVATE $<TARGET_PROPERTY:GTest::gtest,INTERFACE_COMPILE_DEFINITIONS>)
  target_include_directories(${target} PRIVATE $<TARGET_PROPERTY:kata_test_support,INTERFACE_INCLUDE_DIRECTORIES>)
  set_target_properties(${target} PROPERTIES POSITION_INDEPENDENT_CODE ON DEFINE_SYMBOL "")
  target_precompile_headers(${target} REUSE_FROM kata_exercise_pch)
endfunction()

# kata_known_mistakes(id): every wrong case whose header names a mistake ("// mistake: ..."), compiled and
# linked as the judge builds a learner's file, so the checker can run it in a worker's place and name the
# mistake a learner's values match. Its worker is forked from the checker, where the checks' stand-ins
# for the contract are loaded: -Bsymbolic makes the mistake call its own functions, not those.
function(kata_known_mistakes id)
  set(contract ${CMAKE_SOURCE_DIR}/exercises/${id})
  set(out ${KATA_JUDGE_DIR}/${id}/mistakes)
  file(GLOB cases CONFIGURE_DEPENDS ${contract}/.meta/cases/wrong_*.cpp)
  set(libraries)
  foreach(case ${cases})
    file(STRINGS ${case} header LIMIT_COUNT 5 REGEX "^// mistake: ")
    if(NOT header)
      continue()
    endif()
    get_filename_component(name ${case} NAME_WE)
    add_custom_command(
      OUTPUT ${out}/${name}.so
      COMMAND ${KATA_CLANG} ${KATA_JUDGE_FLAGS} -include-pch ${KATA_JUDGE_DIR}/pch/full.pch -I ${contract} -c
              ${case} -o ${out}/${name}.o
      COMMAND ${KATA_CLANG} ${out}/${name}.o $<TARGET_OBJECTS:worker_${id}> -shared -fuse-ld=lld
              -Wl,-Bsymbolic -o ${out}/${name}.so
      DEPENDS ${case} ${contract}/${id}.h ${pch_dir}/full.pch $<TARGET_OBJECTS:worker_${id}>
      COMMENT "Building the known mistake ${id}/${name}"
      VERBATIM)
    list(APPEND libraries ${out}/${name}.so)
  endforeach()
  file(MAKE_DIRECTORY ${out})
  add_custom_target(mistakes_${id} DEPENDS ${libraries})
endfunction()

# kata_exercise(id): the checker's half of an exercise (its hidden tests with the reference inside and the
# checker side of its binding, as a shared object the host loads), the worker side of its binding (an
# object linked with the learner's file), and the list of its checks.
function(kata_exercise id)
  set(contract ${CMAKE_SOURCE_DIR}/exercises/${id})
  set(meta ${contract}/.meta)
  # One line in the hidden test includes the reference inside namespace reference, with internal linkage:
  # the contract is included again there (its guard undone), so the reference's classes are its own.
  string(TOUPPER "KATA_${id}_H" guard)
  set(generated ${CMAKE_BINARY_DIR}/generated/${id})
  file(WRITE ${generated}/kata_reference.h.in "// Generated by cmake/Judge.cmake for ${id}.
#undef ${guard}
namespace {
namespace reference {
#include \"${meta}/reference.cpp\"
}  // namespace reference
}  // namespace
")
  configure_file(${generated}/kata_reference.h.in ${generated}/kata_reference.h COPYONLY)
  # The binding, built for each side (a definition in the file, so both reuse the one precompiled header).
  foreach(side CHECKER WORKER)
    file(WRITE ${generated}/binding_${side}.cpp.in "#define KATA_${side}_SIDE\n#include \"${meta}/binding.cpp\"\n")
    configure_file(${generated}/binding_${side}.cpp.in ${generated}/binding_${side}.cpp COPYONLY)
  endforeach()

  # GoogleTest and the support library come from the host at load time: one registry of tests.
  add_library(checks_${id} SHARED ${meta}/checks.cpp ${generated}/binding_CHECKER.cpp)
  target_include_directories(checks_${id} PRIVATE ${contract} ${generated})
  kata_use_exercise_pch(checks_${id})
  set_target_properties(checks_${id} PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${KATA_JUDGE_DIR}/${id})

  add_library(worker_${id} OBJECT ${generated}/binding_WORKER.cpp)
  target_include_directories(worker_${id} PRIVATE ${contract})
  kata_use_exercise_pch(worker_${id})

  set(checks ${KATA_JUDGE_DIR}/${id}/checks.txt)
  add_custom_command(
    OUTPUT ${checks}
    COMMAND judge_host --list --checks $<TARGET_FILE:checks_${id}> --gtest_list_tests > ${checks}
    DEPENDS judge_host checks_${id}
    COMMENT "Listing the hidden checks of ${id}")
  add_custom_target(checks_${id}_list ALL DEPENDS ${checks})
  kata_known_mistakes(${id})
  add_dependencies(checks_${id}_list worker_${id} mistakes_${id})  # all a judge of this exercise needs

  file(GENERATE OUTPUT ${KATA_JUDGE_DIR}/${id}/recipe.json CONTENT "{
  \"contract\": \"${contract}/${id}.h\",
  \"checks_library\": \"$<TARGET_FILE:checks_${id}>\",
  \"worker_objects\": [\"$<JOIN:$<TARGET_OBJECTS:worker_${id}>,\", \">\"],
  \"checks\": \"${checks}\",
  \"mistakes\": \"${KATA_JUDGE_DIR}/${id}/mistakes\",
  \"cases\": \"${meta}/cases\"
}
")
endfunction()

foreach(id ${KATA_EXERCISES})
  kata_exercise(${id})
endforeach()
