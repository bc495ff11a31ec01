#include <libpq-fe.h>

#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "tests/support/pg_server.hpp"
#include "tests/support/temp_dir.hpp"

namespace labctl::testing {
namespace {

// "1" when `url` accepts a connection and answers SELECT 1 as role labctl, else the error.
std::string select_one(const std::string& url) {
  const std::unique_ptr<PGconn, decltype(&PQfinish)> connection(
      PQconnectdb((url + "?connect_timeout=10").c_str()), &PQfinish);
  if (PQstatus(connection.get()) != CONNECTION_OK) return PQerrorMessage(connection.get());
  const std::unique_ptr<PGresult, decltype(&PQclear)> result(
      PQexec(connection.get(), "SELECT 1, current_user"), &PQclear);
  if (PQresultStatus(result.get()) != PGRES_TUPLES_OK) {
    return PQresultErrorMessage(result.get());
  }
  if (std::string(PQgetvalue(result.get(), 0, 1)) != "labctl") {
    return std::string("connected as ") + PQgetvalue(result.get(), 0, 1);
  }
  return PQgetvalue(result.get(), 0, 0);
}

class PgServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    server = PgServer::shared(&why);
    if (server == nullptr) GTEST_SKIP() << why;
  }

  PgServer* server = nullptr;
};

// Given a new database, expect role labctl to reach it over TCP with the password in its URL.
TEST_F(PgServerTest, NewDatabaseAnswersAsLabctlOverTcp) {
  const std::string url = server->create_database();
  EXPECT_EQ(url.rfind("postgresql://labctl:" + server->password() +
                          "@127.0.0.1:" + std::to_string(server->port()) + "/lt_",
                      0),
            0U)
      << url;
  EXPECT_EQ(select_one(url), "1");
  EXPECT_NE(server->create_database(), url);
}

// Given a wrong password, expect the server to refuse labctl (scram-sha-256 over TCP, not trust).
TEST_F(PgServerTest, WrongPasswordIsRefused) {
  std::string url = server->create_database();
  url.replace(url.find(server->password()), server->password().size(), "wrong");
  EXPECT_NE(select_one(url), "1");
}

// Given a stop, expect the postmaster gone and connections refused; after start, expect the same
// port and database to answer again.
TEST_F(PgServerTest, StopThenStartOnTheSamePort) {
  const std::string url = server->create_database();
  ASSERT_EQ(select_one(url), "1");
  const pid_t before = server->pid();
  const int port = server->port();
  ASSERT_GT(before, 0);

  server->stop();
  EXPECT_EQ(server->pid(), -1);
  EXPECT_NE(select_one(url), "1");
  EXPECT_FALSE(process_running(before)) << "postmaster " << before << " survived stop()";

  server->start();
  EXPECT_GT(server->pid(), 0);
  EXPECT_EQ(server->port(), port);
  EXPECT_EQ(select_one(url), "1");
}

// Given the role created and used (including a failed login), expect its password nowhere in the
// server's log, which does hold the server's own lines.
TEST_F(PgServerTest, PasswordNeverReachesTheLog) {
  const std::string url = server->create_database();
  ASSERT_EQ(select_one(url), "1");
  std::string wrong = url;
  wrong.replace(wrong.find(server->password()), server->password().size(), "wrong");
  ASSERT_NE(select_one(wrong), "1");

  const std::string log = read_text(server->log_file());
  EXPECT_NE(log.find("ready to accept connections"), std::string::npos) << log;
  EXPECT_NE(log.find("password authentication failed"), std::string::npos) << log;
  EXPECT_EQ(log.find(server->password()), std::string::npos);
}

}  // namespace
}  // namespace labctl::testing
