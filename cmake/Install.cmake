# Install rules and the Debian package (CPack DEB), included by the top
# CMakeLists.txt. `make install PREFIX=...` and `make deb` use them;
# tests/packaging/ checks what they produce. Paths follow GNUInstallDirs:
# with the prefix /usr, the config goes to /etc (not /usr/etc).
include(GNUInstallDirs)

# Where systemd reads units: systemd.pc's systemdsystemunitdir for the
# prefix /usr (/lib/systemd/system on Debian 12), else PREFIX/lib/systemd/
# system, which systemd also reads for /usr/local. -DSYMSRVD_UNITDIR=...
# overrides both.
if(SYMSRVD_UNITDIR)
  set(symsrvd_unitdir ${SYMSRVD_UNITDIR})
elseif(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  pkg_get_variable(symsrvd_unitdir systemd systemdsystemunitdir)
  if(NOT symsrvd_unitdir)
    set(symsrvd_unitdir /lib/systemd/system)
  endif()
else()
  set(symsrvd_unitdir ${CMAKE_INSTALL_PREFIX}/lib/systemd/system)
endif()
set(symsrvd_confdir ${CMAKE_INSTALL_FULL_SYSCONFDIR}/symsrvd)

# The unit as shipped names the package's paths (/usr/sbin/symsrvd,
# /etc/symsrvd/symsrvd.conf); the installed copy names this prefix's.
file(READ ${CMAKE_SOURCE_DIR}/conf/symsrvd.service symsrvd_unit)
string(REPLACE "/usr/sbin/symsrvd" "${CMAKE_INSTALL_FULL_SBINDIR}/symsrvd"
  symsrvd_unit "${symsrvd_unit}")
string(REPLACE "/etc/symsrvd/symsrvd.conf" "${symsrvd_confdir}/symsrvd.conf"
  symsrvd_unit "${symsrvd_unit}")
file(WRITE ${CMAKE_BINARY_DIR}/conf/symsrvd.service "${symsrvd_unit}")
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
  ${CMAKE_SOURCE_DIR}/conf/symsrvd.service)

# Man pages and the changelog, compressed as Debian wants them (-n: no
# name or time stamp inside, so the package is reproducible).
set(symsrvd_gz)
foreach(src man/symsrvd.8 man/symsrvd.conf.5 man/symsrv.1
    packaging/changelog)
  get_filename_component(name ${src} NAME)
  add_custom_command(OUTPUT ${CMAKE_BINARY_DIR}/gz/${name}.gz
    COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/gz
    COMMAND gzip -9nc ${CMAKE_SOURCE_DIR}/${src} > ${CMAKE_BINARY_DIR}/gz/${name}.gz
    DEPENDS ${CMAKE_SOURCE_DIR}/${src} VERBATIM)
  list(APPEND symsrvd_gz ${CMAKE_BINARY_DIR}/gz/${name}.gz)
endforeach()
add_custom_target(symsrvd_gz ALL DEPENDS ${symsrvd_gz})

# Full RELRO: relocations resolved at start, then the GOT read-only
# (lintian's hardening-no-bindnow).
foreach(t symsrvd symsrv)
  target_link_options(${t} PRIVATE -Wl,-z,relro,-z,now)
endforeach()

install(TARGETS symsrvd DESTINATION ${CMAKE_INSTALL_SBINDIR})
install(TARGETS symsrv DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES ${CMAKE_BINARY_DIR}/conf/symsrvd.service
  ${CMAKE_SOURCE_DIR}/conf/symsrvd.socket DESTINATION ${symsrvd_unitdir})
install(FILES ${CMAKE_SOURCE_DIR}/conf/symsrvd.conf
  DESTINATION ${symsrvd_confdir})
install(FILES ${CMAKE_SOURCE_DIR}/conf/symsrvd.logrotate
  DESTINATION ${CMAKE_INSTALL_FULL_SYSCONFDIR}/logrotate.d RENAME symsrvd)
install(FILES ${CMAKE_BINARY_DIR}/gz/symsrvd.8.gz
  DESTINATION ${CMAKE_INSTALL_MANDIR}/man8)
install(FILES ${CMAKE_BINARY_DIR}/gz/symsrvd.conf.5.gz
  DESTINATION ${CMAKE_INSTALL_MANDIR}/man5)
install(FILES ${CMAKE_BINARY_DIR}/gz/symsrv.1.gz
  DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES ${CMAKE_SOURCE_DIR}/packaging/copyright
  ${CMAKE_BINARY_DIR}/gz/changelog.gz
  DESTINATION ${CMAKE_INSTALL_DOCDIR})

# The .deb: `make deb` (prefix /usr), into the build directory.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME symsrvd)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "symsrvd maintainers <symsrvd@example.org>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
  "symbol server for debuggers and crash reporters")
# CPack writes the summary as the synopsis, then this, indented.
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
  "symsrvd serves a symstore-layout symbol store over HTTP and HTTPS to
the programs that fetch debug files by key: WinDbg, Visual Studio, gdb,
lldb, crash reporters and symbolicators, and answers debuginfod's
/buildid/ requests. symsrv fills a store as symstore.exe does.")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Depends: what dpkg-shlibdeps finds the binaries link.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "logrotate")
set(CPACK_STRIP_FILES ON)
# conffiles, and the scripts that enable, start and stop the service
# where systemd runs (packaging/debian/README says what each does).
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
  ${CMAKE_BINARY_DIR}/debian/conffiles
  ${CMAKE_SOURCE_DIR}/packaging/debian/postinst
  ${CMAKE_SOURCE_DIR}/packaging/debian/prerm
  ${CMAKE_SOURCE_DIR}/packaging/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
file(WRITE ${CMAKE_BINARY_DIR}/debian/conffiles
  "${symsrvd_confdir}/symsrvd.conf\n"
  "${CMAKE_INSTALL_FULL_SYSCONFDIR}/logrotate.d/symsrvd\n")
include(CPack)
