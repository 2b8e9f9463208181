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

set(KATA_PCHS)
foreach(kind lite full)
  set(pch ${KATA_JUDGE_DIR}/pch/${kind}.pch)
  add_custom_command(
    OUTPUT ${pch}
    COMMAND ${KATA_CLANG} ${KATA_JUDGE_FLAGS} -fpch-instantiate-templates -x c++-header
            ${CMAKE_SOURCE_DIR}/harness/pch/${kind}.h -MD -MF ${pch}.d -MT ${pch} -o ${pch}
    DEPFILE ${pch}.d
    DEPENDS ${CMAKE_SOURCE_DIR}/harness/pch/${kind}.h ${KATA_CLANG}
    COMMENT "Precompiling torch headers for the judge (${kind})"
    VERBATIM)
  list(APPEND KATA_PCHS ${pch})
endforeach()
add_custom_target(judge_pch ALL DEPENDS ${KATA_PCHS})

# The support library of the hidden tests: assertion helpers and the code that runs the checks.
add_library(kata_test_support STATIC ${CMAKE_SOURCE_DIR}/tests/support/kata_test.cpp
                                     ${CMAKE_SOURCE_DIR}/tests/support/run_tests.cpp)
target_include_directories(kata_test_support PUBLIC ${CMAKE_SOURCE_DIR}/tests/support)
target_link_libraries(kata_test_support PUBLIC ${TORCH_LIBRARIES} GTest::gtest fmt::fmt)

# The judge's test host: LibTorch, GoogleTest and the support library, all of it exported so that the
# learner's checks, loaded later as a shared object, link against this process.
add_executable(judge_host ${CMAKE_SOURCE_DIR}/harness/judge_host.cpp)
target_link_libraries(judge_host PRIVATE kata_test_support ${CMAKE_DL_LIBS})
target_link_options(judge_host PRIVATE "LINKER:--whole-archive" $<TARGET_FILE:kata_test_support>
                    $<TARGET_FILE:GTest::gtest> "LINKER:--no-whole-archive" "LINKER:--no-as-needed")
set_target_properties(judge_host PROPERTIES ENABLE_EXPORTS ON RUNTIME_OUTPUT_DIRECTORY ${KATA_JUDGE_DIR})

file(GENERATE OUTPUT ${KATA_JUDGE_DIR}/toolchain.json CONTENT "{
  \"compiler\": \"${KATA_CLANG}\",
  \"flags\": [\"$<JOIN:${KATA_JUDGE_FLAGS},\", \">\"],
  \"pch\": {\"lite\": \"${KATA_JUDGE_DIR}/pch/lite.pch\", \"full\": \"${KATA_JUDGE_DIR}/pch/full.pch\"},
  \"shadow\": \"${CMAKE_SOURCE_DIR}/harness/pch/shadow\",
  \"link\": [\"-shared\", \"-fuse-ld=lld\", \"$<TARGET_FILE:fmt::fmt>\", \"${KATA_LIB_torch}\", \"${KATA_LIB_torch_cpu}\",
             \"${KATA_LIB_c10}\"],
  \"host\": \"$<TARGET_FILE:judge_host>\"
}
")

# kata_exercise(id): the hidden tests of one exercise as linkable objects, a runner built from the
# reference solution (proof that the reference passes, and the list of checks the judge must see pass).
function(kata_exercise id)
  add_library(hidden_${id} OBJECT ${CMAKE_SOURCE_DIR}/tests/hidden/${id}_test.cpp)
  set_target_properties(hidden_${id} PROPERTIES POSITION_INDEPENDENT_CODE ON)  # linked into a shared object
  target_include_directories(hidden_${id} PRIVATE ${CMAKE_SOURCE_DIR}/exercises/${id} ${CMAKE_SOURCE_DIR})
  target_link_libraries(hidden_${id} PRIVATE kata_test_support)

  add_executable(reference_${id} ${CMAKE_SOURCE_DIR}/solutions/${id}.cpp $<TARGET_OBJECTS:hidden_${id}>
                                ${CMAKE_SOURCE_DIR}/tests/support/main.cpp)
  target_include_directories(reference_${id} PRIVATE ${CMAKE_SOURCE_DIR}/exercises/${id})
  target_link_libraries(reference_${id} PRIVATE kata_test_support)

  set(checks ${KATA_JUDGE_DIR}/${id}/checks.txt)
  add_custom_command(
    OUTPUT ${checks}
    COMMAND reference_${id} --gtest_list_tests > ${checks}
    DEPENDS reference_${id}
    COMMENT "Listing the hidden checks of ${id}")
  add_custom_target(checks_${id} ALL DEPENDS ${checks})

  file(GENERATE OUTPUT ${KATA_JUDGE_DIR}/${id}/recipe.json CONTENT "{
  \"include\": \"${CMAKE_SOURCE_DIR}/exercises/${id}\",
  \"objects\": [\"$<JOIN:$<TARGET_OBJECTS:hidden_${id}>,\", \">\"],
  \"checks\": \"${checks}\"
}
")
endfunction()

foreach(id ${KATA_EXERCISES})
  kata_exercise(${id})
endforeach()
