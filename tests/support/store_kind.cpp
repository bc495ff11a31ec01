#include "tests/support/store_kind.hpp"

#include "tests/support/pg_server.hpp"

namespace labctl::testing {

std::string store_kind_name(const ::testing::TestParamInfo<StoreKind>& info) {
  return info.param == StoreKind::sqlite ? "sqlite" : "postgresql";
}

std::optional<std::string> state_url_for(StoreKind kind, std::string* why) {
  if (kind == StoreKind::sqlite) return std::string();
  PgServer* server = PgServer::shared(why);
  if (server == nullptr) return std::nullopt;
  return server->create_database();
}

}  // namespace labctl::testing
