# The `check_layers` target: fails the build when a source includes a layer above its own
# (cmake/CheckLayers.cmake holds the order; docs/architecture.md, "Layers", draws it).
# Every ringkv library depends on it, so a wrong-way include stops `cmake --build`.
file(GLOB_RECURSE RINGKV_LAYERED_SOURCES CONFIGURE_DEPENDS
     ${PROJECT_SOURCE_DIR}/include/*.h
     ${PROJECT_SOURCE_DIR}/common/*.h ${PROJECT_SOURCE_DIR}/common/*.cc
     ${PROJECT_SOURCE_DIR}/capnp/*.h ${PROJECT_SOURCE_DIR}/capnp/*.cc
     ${PROJECT_SOURCE_DIR}/node/*.h ${PROJECT_SOURCE_DIR}/node/*.cc
     ${PROJECT_SOURCE_DIR}/sdk/*.h ${PROJECT_SOURCE_DIR}/sdk/*.cc
     ${PROJECT_SOURCE_DIR}/cli/*.h ${PROJECT_SOURCE_DIR}/cli/*.cc)
add_custom_command(
  OUTPUT ${CMAKE_BINARY_DIR}/layers.ok
  COMMAND ${CMAKE_COMMAND} -DROOT=${PROJECT_SOURCE_DIR} -DSTAMP=${CMAKE_BINARY_DIR}/layers.ok
          -P ${PROJECT_SOURCE_DIR}/cmake/CheckLayers.cmake
  DEPENDS ${RINGKV_LAYERED_SOURCES} ${PROJECT_SOURCE_DIR}/cmake/CheckLayers.cmake
  COMMENT "Checking that includes follow the layers")
add_custom_target(check_layers ALL DEPENDS ${CMAKE_BINARY_DIR}/layers.ok)
