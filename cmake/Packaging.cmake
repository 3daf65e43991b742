# Debian packages with CPack, one per install component (scripts/package.sh builds them):
#   ringkv-node     kvnode, the systemd unit ringkv-node.service, /etc/ringkv/node.json (a
#                   conffile), the ringkv system user and /var/lib/ringkv (maintainer scripts)
#   ringkv-cli      kv
#   libringkv-dev   the SDK's headers, static libraries and CMake package (find_package(ringkv))
# Runtime dependencies of the binaries come from dpkg-shlibdeps; the dev package names what
# its CMake package finds with pkg-config, pinned to the Cap'n Proto it was compiled against
# (Cap'n Proto has no stable ABI). The files below are EXCLUDE_FROM_ALL: a plain
# `cmake --install --prefix DIR` (tests/package/package_test.sh) never writes to /etc.

install(FILES ${PROJECT_SOURCE_DIR}/packaging/node.json DESTINATION /etc/ringkv COMPONENT node EXCLUDE_FROM_ALL)
install(FILES ${PROJECT_SOURCE_DIR}/packaging/ringkv-node.service DESTINATION lib/systemd/system COMPONENT node
        EXCLUDE_FROM_ALL)
install(FILES ${PROJECT_SOURCE_DIR}/docs/deployment.md ${PROJECT_SOURCE_DIR}/docs/configuration.md
        DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/doc/ringkv-node COMPONENT node EXCLUDE_FROM_ALL)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME ringkv)
set(CPACK_PACKAGE_VENDOR ringkv)
set(CPACK_PACKAGE_CONTACT "ringkv maintainers <ringkv@localhost>")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "ringkv, a Dynamo-style distributed key-value store")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_COMPONENTS_ALL node cli dev)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION database)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
# RINGKV_PACKAGE_REVISION: the Debian revision (0.1.0-REVISION), so that a rebuild of the same
# sources can be installed as an upgrade (docs/deployment.md, rolling upgrade).
set(RINGKV_PACKAGE_REVISION 1 CACHE STRING "Debian revision of the ringkv packages")
set(CPACK_DEBIAN_PACKAGE_RELEASE ${RINGKV_PACKAGE_REVISION})

set(CPACK_DEBIAN_NODE_PACKAGE_NAME ringkv-node)
set(CPACK_COMPONENT_NODE_DESCRIPTION
    "ringkv storage node\n kvnode as a systemd service (ringkv-node.service) running as the ringkv user, with\n its data under /var/lib/ringkv and its configuration in /etc/ringkv/node.json.")
set(CPACK_DEBIAN_NODE_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_NODE_PACKAGE_CONTROL_EXTRA
    "${PROJECT_SOURCE_DIR}/packaging/deb/conffiles;${PROJECT_SOURCE_DIR}/packaging/deb/postinst;${PROJECT_SOURCE_DIR}/packaging/deb/prerm;${PROJECT_SOURCE_DIR}/packaging/deb/postrm")

set(CPACK_DEBIAN_CLI_PACKAGE_NAME ringkv-cli)
set(CPACK_COMPONENT_CLI_DESCRIPTION "ringkv command-line shell\n kv: reads, writes and administers a ringkv cluster.")

set(CPACK_DEBIAN_DEV_PACKAGE_NAME libringkv-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
set(CPACK_COMPONENT_DEV_DESCRIPTION
    "ringkv C++ SDK (development files)\n Headers, static libraries and the CMake package: find_package(ringkv) and link ringkv::sdk.")
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS
    "libcapnp-dev (>= ${CAPNP_RPC_VERSION}), libcapnp-dev (<< ${CAPNP_RPC_VERSION}.~), libcapnp-${CAPNP_RPC_VERSION}, libxxhash-dev, pkg-config | pkgconf")

include(CPack)
