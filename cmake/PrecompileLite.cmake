# cmake -P script, run by cmake/Judge.cmake: the lite PCH with its own object code, in three files.
#   lite.pch          -fpch-codegen: the header code a learner's file uses (at::softmax, Tensor::masked_fill,
#                     the instantiations of instantiate_lite.h) is compiled once, here, not in every judged
#                     file; the file's object only refers to it (causal_attention: 0.18 s instead of 0.26)
#   lite_pch.o        that code
#   liblite_pch.so    that code as a library, which a learner's file is linked against and the test host
#                     loads once (harness/service.h: pch_runtime)
#   liblite_pch_stub.so  an empty library named as that one, which the judge links a learner's file
#                     against instead: the file then needs the runtime by name, and the linker does not
#                     read the runtime's 39,000 symbols for it (0.055 s a link instead of 0.03)
#
# The object refers to a few LibTorch internals that LibTorch does not export (header code nobody calls
# from a solution, e.g. a JIT node's vtable): each is bound to kata_pch_unavailable (lite_runtime.cpp),
# which stops the program with a message if it is ever reached. Whatever fails here (a LibTorch update,
# another clang), the plain PCH is built instead, with a runtime that holds only the stand-in: slower,
# never wrong.
#
# Variables: CLANG, FLAGS (a list), LIBS (a list of libraries to link), SOURCES (harness/pch), OUT (the pch
# directory).

set(pch ${OUT}/lite.pch)
set(object ${OUT}/lite_pch.o)
set(runtime ${OUT}/liblite_pch.so)
set(standin ${OUT}/lite_runtime.o)
set(stub ${OUT}/liblite_pch_stub.so)
set(precompile ${CLANG} ${FLAGS} -fpch-instantiate-templates -x c++-header -MD -MF ${pch}.d -MT ${pch} -o ${pch})

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE out)
  set(status ${status} PARENT_SCOPE)
  set(out "${out}" PARENT_SCOPE)
endfunction()

run(${CLANG} -fPIC -c ${SOURCES}/lite_runtime.cpp -o ${standin})
if(NOT status EQUAL 0)
  message(FATAL_ERROR "cannot compile ${SOURCES}/lite_runtime.cpp:\n${out}")
endif()

# The object code: the PCH, the PCH compiled, then linked with every symbol it needs bound (-z defs).
# Sets ok, and out to what the failing step said.
function(build_with_codegen)
  set(ok FALSE PARENT_SCOPE)
  run(${precompile} -fpch-codegen ${SOURCES}/instantiate_lite.h)
  set(out "${out}" PARENT_SCOPE)
  if(NOT status EQUAL 0)
    return()
  endif()
  # One section per function: pch_reach follows calls through the object's relocations.
  run(${CLANG} ${FLAGS} -ffunction-sections -Wno-unused-command-line-argument -c ${pch} -o ${object})
  set(out "${out}" PARENT_SCOPE)
  if(NOT status EQUAL 0)
    return()
  endif()
  set(link ${CLANG} -shared -fuse-ld=lld -Wl,-z,defs -Wl,--no-demangle ${object} ${standin} ${LIBS})
  run(${link} -o ${runtime}.probe)
  file(REMOVE ${runtime}.probe)
  string(REGEX MATCHALL "undefined symbol: [^ \n]+" missing "${out}")
  list(REMOVE_DUPLICATES missing)
  set(bindings)
  foreach(line ${missing})
    string(REPLACE "undefined symbol: " "" symbol ${line})
    list(APPEND bindings -Wl,--defsym=${symbol}=kata_pch_unavailable)
  endforeach()
  run(${link} ${bindings} -o ${runtime})
  set(out "${out}" PARENT_SCOPE)
  if(status EQUAL 0)
    list(LENGTH missing n)
    message(STATUS "lite PCH with its object code; ${n} LibTorch internals bound to the stand-in")
    set(ok TRUE PARENT_SCOPE)
  endif()
endfunction()

build_with_codegen()
if(NOT ok)
  message(STATUS "the lite PCH's object code did not build; using the plain PCH:\n${out}")
  run(${precompile} ${SOURCES}/instantiate_lite.h)
  if(NOT status EQUAL 0)
    run(${precompile} ${SOURCES}/lite.h)
  endif()
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "cannot precompile ${SOURCES}/lite.h:\n${out}")
  endif()
  file(WRITE ${object} "")  # pch_reach: nothing to follow
  run(${CLANG} -shared -fuse-ld=lld ${standin} -o ${runtime})
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "cannot link ${runtime}:\n${out}")
  endif()
endif()

run(${CLANG} -shared -nostdlib -fuse-ld=lld -Wl,-soname,${runtime} -x c /dev/null -o ${stub})
if(NOT status EQUAL 0)
  message(FATAL_ERROR "cannot link ${stub}:\n${out}")
endif()
