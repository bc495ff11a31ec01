# Every dependency comes from a Debian 12 package (see .ci/run for the list).
find_package(CLI11 REQUIRED CONFIG)
find_package(yaml-cpp REQUIRED CONFIG)
find_package(nlohmann_json 3.11 REQUIRED CONFIG)
find_package(libssh REQUIRED CONFIG)
find_package(CURL REQUIRED)
find_package(OpenSSL REQUIRED)
find_package(SQLite3 REQUIRED)
find_package(pugixml REQUIRED CONFIG)
find_package(valijson REQUIRED CONFIG)
find_package(Threads REQUIRED)
# libpq (libpq-dev): the PostgreSQL state store (CE_STATE_URL).
find_package(PkgConfig REQUIRED)
pkg_check_modules(LIBPQ REQUIRED IMPORTED_TARGET libpq)
