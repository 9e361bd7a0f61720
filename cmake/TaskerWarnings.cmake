# Adds tasker's warning flags to one target. A function, not an INTERFACE target: an
# INTERFACE warnings target would have to be exported and would leak flags to users.
function(tasker_add_warnings target)
    # -Wno-missing-field-initializers: designated initializers of config aggregates
    # leave fields at their defaults on purpose.
    target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow=local
        -Wno-missing-field-initializers)
    if(TASKER_WARNINGS_AS_ERRORS)
        target_compile_options(${target} PRIVATE -Werror)
    endif()
endfunction()
