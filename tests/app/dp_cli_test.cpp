// `cwrf dp epsilon|sigma` as a user runs them: the number on stdout, errors as one line.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <string>
#include <sys/wait.h>

namespace cwrf {
namespace {

struct Output {
  int status = -1;
  std::string out;  // stdout only
};

Output run_stdout(const std::string& args) {
  Output r;
  const std::string command = std::string(CWRF_BINARY) + " " + args + " 2>/dev/null";
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return r;
  std::array<char, 4096> buffer{};
  size_t n;
  while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) r.out.append(buffer.data(), n);
  const int status = ::pclose(pipe);
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

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

TEST(DpCli, BadArgumentsAreOneLineErrors) {
  const Output r = run_stdout("dp epsilon --sigma 1 --q 2 --steps 10");
  EXPECT_EQ(r.status, 1);
  EXPECT_TRUE(r.out.empty()) << r.out;
}

}  // namespace
}  // namespace cwrf
