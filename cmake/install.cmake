# Installing delegsim like a tool: the binary, a man page generated from its --help at
# build time (help2man), bash completion, the JSON Schema, the scenario library and the
# docs; and a Debian package (cpack -G DEB).
include(GNUInstallDirs)

# cpack (and `make install`) install what is built and never build it first: the package
# test (tests/install) runs cpack while other tests run the same build tree's binaries, and
# a build started there would relink them under those tests' feet.
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY ON)

install(TARGETS delegsim RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

# The man page: help2man (Debian help2man) reads `delegsim --help` and `--version` and adds
# docs/delegsim.h2m. Without help2man the page is left out, with a warning.
find_program(HELP2MAN_EXECUTABLE help2man)
if(HELP2MAN_EXECUTABLE)
  set(delegsim_man ${PROJECT_BINARY_DIR}/delegsim.1)
  add_custom_command(
    OUTPUT ${delegsim_man}
    COMMAND ${HELP2MAN_EXECUTABLE} --no-info --no-discard-stderr
            --name "simulate Windows / Kerberos impersonation and delegation"
            --section 1 --include ${PROJECT_SOURCE_DIR}/docs/delegsim.h2m
            --output ${delegsim_man} $<TARGET_FILE:delegsim>
    DEPENDS delegsim ${PROJECT_SOURCE_DIR}/docs/delegsim.h2m
    COMMENT "man page delegsim.1 (help2man)"
    VERBATIM)
  add_custom_target(delegsim_man_page ALL DEPENDS ${delegsim_man})
  install(FILES ${delegsim_man} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
else()
  message(WARNING "help2man not found: the man page is not generated nor installed")
endif()

install(FILES ${PROJECT_SOURCE_DIR}/scripts/completion/delegsim.bash
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME delegsim)
install(FILES ${PROJECT_SOURCE_DIR}/docs/scenario.schema.json
        DESTINATION ${CMAKE_INSTALL_DATADIR}/delegsim)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/scenarios/ DESTINATION ${CMAKE_INSTALL_DATADIR}/delegsim/scenarios
        FILES_MATCHING PATTERN "*.json" PATTERN "README.md")
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/docs/scenario-format.md
              ${PROJECT_SOURCE_DIR}/docs/json-output.md ${PROJECT_SOURCE_DIR}/docs/sources.md
        DESTINATION ${CMAKE_INSTALL_DOCDIR})

# The Debian package. Dependencies come from the libraries the binary links
# (dpkg-shlibdeps), so the package names what a fresh Debian 12 must install.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME delegsim)
set(CPACK_PACKAGE_VENDOR "delegsim")
set(CPACK_PACKAGE_CONTACT "delegsim maintainers <delegsim@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "simulator of Windows / Kerberos impersonation and delegation across many hosts")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_STRIP_FILES ON)
include(CPack)
