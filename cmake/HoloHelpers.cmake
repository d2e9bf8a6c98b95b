# holo_cc_library(NAME n SRCS ... [DEPS ...] [PUBLIC_DEPS ...])
#   Defines STATIC library holo_<n> with alias holo::<n>. DEPS link PRIVATE,
#   PUBLIC_DEPS link PUBLIC. An edge not listed fails to link (see STYLE.md).
# holo_cc_test(NAME n SRCS ... [DEPS ...])
#   A GoogleTest binary registered with ctest through gtest_discover_tests.
# holo_cc_benchmark(NAME n SRCS ... [DEPS ...])
include_guard(GLOBAL)

function(holo_cc_library)
  cmake_parse_arguments(H "" "NAME" "SRCS;DEPS;PUBLIC_DEPS" ${ARGN})
  add_library(holo_${H_NAME} STATIC ${H_SRCS})
  add_library(holo::${H_NAME} ALIAS holo_${H_NAME})
  target_include_directories(holo_${H_NAME}
    PUBLIC ${PROJECT_SOURCE_DIR}/include
    PRIVATE ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(holo_${H_NAME} PUBLIC ${H_PUBLIC_DEPS} PRIVATE ${H_DEPS})
  target_compile_options(holo_${H_NAME} PRIVATE ${HOLO_WARNINGS})
endfunction()

function(holo_cc_test)
  if(NOT HOLO_BUILD_TESTS)
    return()
  endif()
  cmake_parse_arguments(H "" "NAME" "SRCS;DEPS;PROPERTIES" ${ARGN})
  add_executable(${H_NAME} ${H_SRCS})
  target_include_directories(${H_NAME} PRIVATE ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(${H_NAME} PRIVATE ${H_DEPS} GTest::gtest GTest::gmock GTest::gtest_main)
  target_compile_options(${H_NAME} PRIVATE ${HOLO_WARNINGS})
  gtest_discover_tests(${H_NAME} DISCOVERY_TIMEOUT 60
    PROPERTIES ENVIRONMENT "HOLO_SHARED=${HOLO_SHARED_DIR}" ${H_PROPERTIES})
endfunction()

function(holo_cc_benchmark)
  if(NOT HOLO_BUILD_BENCHMARKS)
    return()
  endif()
  cmake_parse_arguments(H "" "NAME" "SRCS;DEPS" ${ARGN})
  add_executable(${H_NAME} ${H_SRCS})
  target_include_directories(${H_NAME} PRIVATE ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(${H_NAME} PRIVATE ${H_DEPS})
endfunction()
