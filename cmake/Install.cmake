include(CMakePackageConfigHelpers)

# Components: node, cli and dev are the Debian packages ringkv-node, ringkv-cli and
# libringkv-dev (cmake/Packaging.cmake); `cmake --install` without --component installs all.
install(TARGETS kvnode RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT node)
install(TARGETS kv RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT cli)
# The SDK links the wire library and the common one privately but statically: all three go.
install(TARGETS ringkv_sdk ringkv_wire ringkv_common
        EXPORT ringkvTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev)
# The public headers: include/ringkv/ as it is (apps write #include <ringkv/client.h>). It
# includes only itself (cmake/CheckLayers.cmake); tests/package/ checks the installed tree.
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/ringkv DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        COMPONENT dev FILES_MATCHING PATTERN "*.h")
install(EXPORT ringkvTargets NAMESPACE ringkv:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/ringkv COMPONENT dev)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/ringkvConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/ringkvConfig.cmake
                              INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/ringkv)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/ringkvConfigVersion.cmake COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/ringkvConfig.cmake ${PROJECT_BINARY_DIR}/ringkvConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/ringkv COMPONENT dev)
