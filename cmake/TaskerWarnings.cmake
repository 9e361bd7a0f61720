# Adds tasker's warning flags to one target. A function, not an INTERFACE target: an
# INTERFACE warnings target would have to be exported and would leak flags to users.
function(tasker_add_warnings target)
    # -Wno-missing-field-initializers: designated initializers of config aggregates
    # leave fields at their defaults on purpose.
    # -Wno-mismatched-new-delete: g++ 12 flags Asio's coroutine frames (allocated by
    # aligned_new, freed by the frame's own operator delete, which calls aligned_delete)
    # depending on what it inlines; a known false positive (GCC bug 109224).
    target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow=local
        -Wno-missing-field-initializers -Wno-mismatched-new-delete)
    if(TASKER_WARNINGS_AS_ERRORS)
        target_compile_options(${target} PRIVATE -Werror)
    endif()
endfunction()
