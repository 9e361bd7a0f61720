# Builds and runs a consumer project against tasker as a user would; any failing step fails
# the test. Arguments (-D):
#   TASKER_BINARY_DIR    tasker's build directory
#   CONSUMER_SOURCE_DIR  the consumer project
#   WORK_DIR             scratch directory, emptied first
#   CMAKE_GENERATOR      the generator to configure the consumer with
#   FROM                 "install" (default): install tasker into WORK_DIR/prefix and use that;
#                        "build": use tasker's build directory (tasker_DIR), installing nothing
#   CONSUMER_ARGS        more arguments to configure the consumer with, '|'-separated
#   EXPECT_ERROR         configuring the consumer must fail, printing this regular expression;
#                        nothing is built then
file(REMOVE_RECURSE ${WORK_DIR})
function(run)
    execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc)
    if(NOT rc EQUAL 0)
        message(FATAL_ERROR "failed (${rc}): ${ARGN}")
    endif()
endfunction()

if(NOT DEFINED FROM OR FROM STREQUAL "install")
    run(${CMAKE_COMMAND} --install ${TASKER_BINARY_DIR} --prefix ${WORK_DIR}/prefix)
    set(where -DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix)
elseif(FROM STREQUAL "build")
    set(where -Dtasker_DIR=${TASKER_BINARY_DIR})
else()
    message(FATAL_ERROR "FROM is 'install' or 'build', not '${FROM}'")
endif()
string(REPLACE "|" ";" consumer_args "${CONSUMER_ARGS}")
set(configure ${CMAKE_COMMAND} -S ${CONSUMER_SOURCE_DIR} -B ${WORK_DIR}/build -G ${CMAKE_GENERATOR}
    ${where} -DCMAKE_BUILD_TYPE=Release ${consumer_args})

if(DEFINED EXPECT_ERROR)
    execute_process(COMMAND ${configure} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
    if(rc EQUAL 0)
        message(FATAL_ERROR "configuring ${CONSUMER_SOURCE_DIR} succeeded; it must fail with '${EXPECT_ERROR}'")
    endif()
    string(REGEX REPLACE "[ \t\r\n]+" " " said "${out} ${err}") # CMake wraps its messages
    if(NOT said MATCHES "${EXPECT_ERROR}")
        message(FATAL_ERROR "configuring failed, but without '${EXPECT_ERROR}':\n${out}\n${err}")
    endif()
    message(STATUS "configuring failed as it must: ${EXPECT_ERROR}")
    return()
endif()
run(${configure})
run(${CMAKE_COMMAND} --build ${WORK_DIR}/build)
run(${WORK_DIR}/build/consumer)
