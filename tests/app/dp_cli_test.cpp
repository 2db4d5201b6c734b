// `cwrf dp epsilon|sigma` as a user runs them: the number on stdout, errors as one line.
#include "test_support.h"

#include <gtest/gtest.h>

#include <string>

namespace cwrf {
namespace {

using Output = cwrf::testing::Invocation;

Output run_stdout(const std::string& args) { return cwrf::testing::run_cwrf(args, cwrf::testing::Streams::StdoutOnly); }

TEST(DpCli, EpsilonPrintsTheAccountantsValue) {
  const Output r = run_stdout("dp epsilon --sigma 1.1 --q 0.01 --steps 10000 --delta 1e-5");
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out, "5.63199\n");
}

TEST(DpCli, SigmaPrintsANoiseMultiplierWithinTheTarget) {
  const Output r = run_stdout("dp sigma --epsilon 5.632 --q 0.01 --steps 10000 --tolerance 0.0001");
  EXPECT_EQ(r.status, 0);
  EXPECT_NEAR(std::stod(r.out), 1.1, 1e-3) << r.out;
}

TEST(DpCli, PrvAccountantPrintsItsCertifiedUpperBound) {
  const Output r = run_stdout("dp epsilon --sigma 1.5 --q 0.05 --steps 100 --delta 1e-6 --accountant prv");
  EXPECT_EQ(r.status, 0);
  // opacus' msr_values (computed with microsoft/prv_accountant): 1.95385313568420015961635272106.
  EXPECT_NEAR(std::stod(r.out), 1.953853, 1e-4) << r.out;
  const Output s = run_stdout("dp sigma --epsilon 1.9539 --q 0.05 --steps 100 --delta 1e-6 --tolerance 0.0001 --accountant prv");
  EXPECT_EQ(s.status, 0);
  EXPECT_NEAR(std::stod(s.out), 1.5, 2e-3) << s.out;
}

TEST(DpCli, BadArgumentsAreOneLineErrors) {
  const Output r = run_stdout("dp epsilon --sigma 1 --q 2 --steps 10");
  EXPECT_EQ(r.status, 1);
  EXPECT_TRUE(r.out.empty()) << r.out;
  EXPECT_EQ(run_stdout("dp epsilon --sigma 1 --q 0.1 --steps 10 --accountant gdp").status, 1);
}

}  // namespace
}  // namespace cwrf
