# CPack: two Debian packages from the install components.
#   host -> taskhost      (Architecture: the build's; the daemon, plugins, config, units, man pages)
#   dev  -> taskhost-dev  (Architecture: all; header, pkg-config, CMake package, plugin guide)
# Build them with packaging/build-debs (or: configure with -DCMAKE_INSTALL_PREFIX=/usr, build,
# then `cpack -G DEB` in the build directory). The version of both is project(VERSION).

set(TASKHOST_PACKAGE_MAINTAINER "taskhost maintainers <taskhost@example.org>" CACHE STRING
    "Maintainer field of the Debian packages (a name and an address)")

set(CPACK_GENERATOR "DEB")
# Each package's description below starts with its own summary line; CPackDeb
# would put a non-default CPACK_PACKAGE_DESCRIPTION_SUMMARY in front of both.
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${CMAKE_PROJECT_NAME} built using CMake")
set(CPACK_PACKAGE_NAME "taskhost")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_CONTACT "${TASKHOST_PACKAGE_MAINTAINER}")
set(CPACK_PACKAGE_VENDOR "taskhost")
set(CPACK_PACKAGING_INSTALL_PREFIX "/usr")
set(CPACK_STRIP_FILES ON)
set(CPACK_COMPONENTS_ALL host dev)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME "DEB-DEFAULT")
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${TASKHOST_PACKAGE_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_PRIORITY "optional")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_DEBIAN_COMPRESSION_TYPE "xz")
# Refuses to package a build configured for another prefix: the paths compiled
# into the host and written into taskhost.pc would not match the package.
configure_file("${CMAKE_CURRENT_LIST_DIR}/CPackProject.cmake.in"
               "${CMAKE_BINARY_DIR}/CPackProject.cmake" @ONLY)
set(CPACK_PROJECT_CONFIG_FILE "${CMAKE_BINARY_DIR}/CPackProject.cmake")

# --- taskhost
set(CPACK_DEBIAN_HOST_PACKAGE_NAME "taskhost")
set(CPACK_DEBIAN_HOST_PACKAGE_SECTION "net")
set(CPACK_DEBIAN_HOST_PACKAGE_SHLIBDEPS ON)
# adduser: postinst creates the system user; procps: /bin/kill of ExecReload.
set(CPACK_DEBIAN_HOST_PACKAGE_DEPENDS "adduser, procps")
# A plugin package can depend on the ABI it was built for.
set(CPACK_DEBIAN_HOST_PACKAGE_PROVIDES "taskhost-plugin-abi-${TASKHOST_ABI_VERSION}")
set(CPACK_DEBIAN_HOST_DESCRIPTION
"worker host for task queues kept in MongoDB
taskhost claims tasks from a MongoDB collection with atomic leases and runs
them in plugins, shared objects loaded from /usr/lib/taskhost/plugins. Any
number of hosts on any number of machines share one queue; failed tasks are
retried with backoff, and the tasks of a host that died are taken over by the
others.

This package holds the daemon and its command-line tools, the shipped
plugins (noop, sleep, flaky, exec, webhook), the configuration
/etc/taskhost/taskhost.cfg and the systemd units taskhost.service and
taskhost@.service (one per configuration /etc/taskhost/NAME.cfg). No unit is
enabled on installation.")
set(_maint "${CMAKE_CURRENT_LIST_DIR}/debian")
file(WRITE "${CMAKE_CURRENT_BINARY_DIR}/debian/conffiles"
     "${TASKHOST_CONFIG_INSTALL_DIR}/taskhost.cfg\n")
set(CPACK_DEBIAN_HOST_PACKAGE_CONTROL_EXTRA
    "${_maint}/postinst;${_maint}/prerm;${_maint}/postrm;${CMAKE_CURRENT_BINARY_DIR}/debian/conffiles")

# --- taskhost-dev: depends on nothing of the host.
set(CPACK_DEBIAN_DEV_PACKAGE_NAME "taskhost-dev")
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION "devel")
set(CPACK_DEBIAN_DEV_PACKAGE_ARCHITECTURE "all")
set(CPACK_DEBIAN_DEV_PACKAGE_SUGGESTS "taskhost, pkg-config, cmake")
set(CPACK_DEBIAN_DEV_DESCRIPTION
"SDK for taskhost plugins
taskhost runs task types from plugins: shared objects that export one entry
function returning a descriptor. This package holds what a plugin author
needs and nothing of the host: the header taskhost/plugin.h, the pkg-config
file taskhost.pc (compile flags only: plugins link nothing of the host), the
CMake package for find_package(taskhost) with taskhost_add_plugin(), the
plugin guide and an example plugin.

Plugins built with this SDK speak plugin ABI ${TASKHOST_ABI_VERSION} and load into
any taskhost that provides taskhost-plugin-abi-${TASKHOST_ABI_VERSION}.")

include(CPack)
