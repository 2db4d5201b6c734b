// Staging directories on a filesystem several machines share: their names carry the host, and
// only this host's dead ones are cleaned up.
#include "cwrf/common/files.h"
#include "cwrf/job/model_dir.h"
#include "test_support.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <unistd.h>

namespace cwrf {
namespace {

namespace fs = std::filesystem;

// A pid no process has: above the kernel's limit.
constexpr long kDeadPid = 99999999;

TEST(StagingTest, NamesCarryTheHostAndThePid) {
  cwrf::testing::TempDir dir;
  const fs::path staging = make_staging_dir(dir / "model");
  const auto owner = staging_owner(staging.filename().string());
  ASSERT_TRUE(owner.has_value()) << staging;
  EXPECT_EQ(owner->host, host_name());
  EXPECT_EQ(owner->pid, ::getpid());
  EXPECT_NE(staging.filename().string().find(".tmp-" + host_name() + "-"), std::string::npos) << staging;
  // Host names with dashes and digits split back; the old form has no host; others are no staging name.
  EXPECT_EQ(staging_owner("cnn-ce-m0-ab12.tmp-node-07-1234-5")->host, "node-07");
  EXPECT_EQ(staging_owner("cnn-ce-m0-ab12.tmp-node-07-1234-5")->pid, 1234);
  EXPECT_EQ(staging_owner("cnn-ce-m0-ab12.tmp-1234-5")->host, "");
  EXPECT_EQ(staging_owner("cnn-ce-m0-ab12.tmp-1234-5")->pid, 1234);
  EXPECT_FALSE(staging_owner("cnn-ce-m0-ab12").has_value());
  EXPECT_FALSE(staging_owner("cnn-ce-m0-ab12.tmp-x").has_value());
}

TEST(StagingTest, OnlyThisHostsDeadStagingDirsAreRemoved) {
  cwrf::testing::TempDir dir;
  const std::string me = host_name();
  const fs::path mine_dead = dir / fmt::format("a.tmp-{}-{}-0", me, kDeadPid);
  const fs::path mine_alive = dir / fmt::format("b.tmp-{}-{}-0", me, ::getpid());
  const fs::path other_host = dir / fmt::format("c.tmp-{}-other-{}-0", me, kDeadPid);  // another machine's
  const fs::path old_dead = dir / fmt::format("d.tmp-{}-0", kDeadPid);                 // before hosts were named
  const fs::path model = dir / "cnn-ce-m0-0123456789abcdef";
  for (const fs::path& p : {mine_dead, mine_alive, other_host, old_dead, model}) fs::create_directories(p / "x");
  job::remove_stale_staging_dirs(dir.path());
  EXPECT_FALSE(fs::exists(mine_dead));
  EXPECT_TRUE(fs::exists(mine_alive));
  EXPECT_TRUE(fs::exists(other_host)) << "another node's staging dir was deleted";
  EXPECT_FALSE(fs::exists(old_dead));
  EXPECT_TRUE(fs::exists(model));
}

}  // namespace
}  // namespace cwrf
