# Install rules and package files, one export set per component, so that
# find_package(tasker COMPONENTS ...) loads only the components asked for (and those they
# need) and looks up only their third-party packages (cmake/taskerConfig.cmake.in).

set(TASKER_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/tasker
    CACHE STRING "Where tasker's package files are installed, under the prefix")

# tasker_install_component(<component> TARGETS <target>...)
#   Installs the libraries <target>... in the export set tasker-<component>-targets, and
#   writes that set's targets file twice: for the install tree, and into the build tree so a
#   consumer can use the build directory (tasker_DIR=<build dir>) without installing.
#   Records <component> as one the package provides.
function(tasker_install_component component)
    cmake_parse_arguments(PARSE_ARGV 1 ARG "" "" "TARGETS")
    install(TARGETS ${ARG_TARGETS}
        EXPORT tasker-${component}-targets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
    install(EXPORT tasker-${component}-targets
        NAMESPACE tasker::
        DESTINATION ${TASKER_INSTALL_CMAKEDIR})
    export(EXPORT tasker-${component}-targets
        NAMESPACE tasker::
        FILE ${PROJECT_BINARY_DIR}/tasker-${component}-targets.cmake)
    set_property(GLOBAL APPEND PROPERTY TASKER_PACKAGE_COMPONENTS ${component})
endfunction()

# tasker_write_package_config()
#   Writes taskerConfig.cmake, listing the components installed by tasker_install_component,
#   and its version file into the build tree (where they serve the build-tree exports) and
#   installs both. Call it once, after every component.
function(tasker_write_package_config)
    get_property(TASKER_PACKAGE_COMPONENTS GLOBAL PROPERTY TASKER_PACKAGE_COMPONENTS)
    configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/taskerConfig.cmake.in
        ${PROJECT_BINARY_DIR}/taskerConfig.cmake
        INSTALL_DESTINATION ${TASKER_INSTALL_CMAKEDIR})
    write_basic_package_version_file(${PROJECT_BINARY_DIR}/taskerConfigVersion.cmake
        COMPATIBILITY SameMinorVersion)
    install(FILES
        ${PROJECT_BINARY_DIR}/taskerConfig.cmake
        ${PROJECT_BINARY_DIR}/taskerConfigVersion.cmake
        DESTINATION ${TASKER_INSTALL_CMAKEDIR})
endfunction()
