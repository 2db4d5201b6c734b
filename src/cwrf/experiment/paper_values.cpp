#include "cwrf/experiment/paper_values.h"

#include "cwrf/common/error.h"

namespace cwrf::experiment::paper {

const std::vector<Table1Row>& table1() {
  // Table 1, "The correlation between privacy vulnerability and learnability in two architectures".
  static const std::vector<Table1Row> rows = {
      {"resnet18", "all", 0.8329, 1.0},       {"resnet18", "conv", 0.9410, 0.9950},
      {"resnet18", "linear", 0.8096, 0.0045}, {"resnet18", "norm", 0.6776, 0.0005},
      {"vit", "all", 0.7667, 1.0},            {"vit", "attention+mlp", 0.9068, 0.9939},
      {"vit", "linear", 0.8642, 0.0054},      {"vit", "norm", 0.7336, 0.0007},
  };
  return rows;
}

const std::vector<Table2Row>& table2() {
  // Table 2, "The Cross-entropy loss after fine-tuning with a privacy-preserving approach
  // [RelaxLoss], according to the portion of rewound weights" (ResNet18, CIFAR-100).
  static const std::vector<Table2Row> rows = {
      {"A2", "train", 0.001, 1.2268}, {"A2", "train", 0.01, 0.8570}, {"A2", "train", 0.03, 0.4326},
      {"A2", "train", 0.05, 0.4619},  {"A2", "test", 0.001, 1.3797}, {"A2", "test", 0.01, 1.2728},
      {"A2", "test", 0.03, 0.9288},   {"A2", "test", 0.05, 0.9610},  {"A3", "train", 0.001, 0.1502},
      {"A3", "train", 0.01, 0.3376},  {"A3", "train", 0.03, 0.4473}, {"A3", "train", 0.05, 0.4815},
      {"A3", "test", 0.001, 0.7720},  {"A3", "test", 0.01, 0.7433},  {"A3", "test", 0.03, 0.8044},
      {"A3", "test", 0.05, 0.8330},   {"scratch", "train", -1, 0.8087}, {"scratch", "test", -1, 1.5398},
  };
  return rows;
}

namespace {

// One Table 3 row: test accuracy, LiRA AUC / TPR@0.1 % / TPR@0.001 %, RMIA the same; (mean, std) in percent.
Table3Row row(std::string architecture, std::string defense, bool cwrf, std::vector<std::pair<double, double>> v) {
  static const char* keys[] = {"test_acc",       "lira_auc", "lira_tpr_0.001", "lira_tpr_1e-05",
                               "rmia_auc",       "rmia_tpr_0.001", "rmia_tpr_1e-05"};
  Table3Row r{std::move(architecture), std::move(defense), cwrf, {}};
  for (size_t i = 0; i < v.size(); ++i) r.values.push_back({keys[i], {v[i].first / 100.0, v[i].second / 100.0}});
  return r;
}

}  // namespace

const std::vector<Table3Row>& table3() {
  // Table 3 (CIFAR-10). The extracted text mislabels the rows; the order in the paper is ResNet18:
  // No Defense, RelaxLoss ±CWRF, HAMP ±CWRF, CCL ±CWRF; ViT: No Defense, DP-SGD ±CWRF,
  // RelaxLoss ±CWRF, HAMP ±CWRF, CCL ±CWRF, PAST ±CWRF.
  static const std::vector<Table3Row> rows = {
      row("resnet18", "ce", false, {{79.44, 0.23}, {85.00, 2.20}, {2.18, 0.59}, {1.78, 0.34}, {74.76, 1.59}, {5.88, 0.70}, {3.90, 1.31}}),
      row("resnet18", "relaxloss", false, {{77.10, 1.21}, {70.51, 2.72}, {1.38, 0.42}, {0.52, 0.21}, {66.60, 1.67}, {0.52, 0.34}, {0.12, 0.16}}),
      row("resnet18", "relaxloss", true, {{76.86, 0.29}, {68.31, 0.68}, {0.03, 0.05}, {0.03, 0.05}, {68.18, 1.53}, {1.22, 0.97}, {0.27, 0.19}}),
      row("resnet18", "hamp", false, {{77.79, 0.33}, {79.71, 0.20}, {3.33, 0.73}, {1.80, 1.47}, {80.07, 0.58}, {7.28, 1.64}, {1.93, 1.28}}),
      row("resnet18", "hamp", true, {{81.43, 0.15}, {77.96, 0.13}, {0.53, 0.58}, {0.07, 0.06}, {80.26, 0.41}, {4.30, 1.33}, {1.66, 0.65}}),
      row("resnet18", "ccl", false, {{79.56, 0.38}, {83.95, 0.36}, {1.50, 0.71}, {0.80, 0.61}, {76.04, 0.39}, {4.23, 0.54}, {2.22, 1.55}}),
      row("resnet18", "ccl", true, {{77.77, 0.56}, {64.82, 0.32}, {0.22, 0.06}, {0.10, 0.04}, {74.25, 0.36}, {2.80, 0.43}, {0.93, 0.33}}),
      row("vit", "ce", false, {{56.45, 0.46}, {82.88, 0.68}, {1.60, 1.14}, {1.92, 0.41}, {84.44, 0.27}, {1.52, 0.81}, {0.45, 0.32}}),
      row("vit", "dpsgd", false, {{57.63, 0.29}, {54.97, 0.41}, {0.45, 0.11}, {0.17, 0.06}, {60.86, 0.18}, {0.23, 0.16}, {0.18, 0.06}}),
      row("vit", "dpsgd", true, {{60.45, 0.37}, {55.68, 0.58}, {0.13, 0.06}, {0.00, 0.00}, {60.46, 1.03}, {0.13, 0.02}, {0.03, 0.05}}),
      row("vit", "relaxloss", false, {{57.21, 0.75}, {73.45, 0.73}, {0.38, 0.18}, {0.37, 0.18}, {72.87, 1.35}, {0.85, 0.72}, {0.23, 0.23}}),
      row("vit", "relaxloss", true, {{56.82, 0.15}, {55.88, 0.54}, {0.12, 0.10}, {0.03, 0.05}, {63.30, 0.77}, {0.38, 0.31}, {0.10, 0.11}}),
      row("vit", "hamp", false, {{51.62, 0.72}, {50.53, 0.41}, {0.07, 0.09}, {0.00, 0.00}, {54.42, 0.55}, {0.27, 0.12}, {0.05, 0.04}}),
      row("vit", "hamp", true, {{52.50, 0.39}, {50.15, 0.40}, {0.05, 0.11}, {0.00, 0.00}, {51.50, 1.14}, {0.13, 0.08}, {0.02, 0.02}}),
      row("vit", "ccl", false, {{54.25, 0.71}, {52.18, 0.53}, {0.02, 0.02}, {0.00, 0.00}, {56.33, 0.83}, {0.12, 0.08}, {0.00, 0.00}}),
      row("vit", "ccl", true, {{53.45, 0.65}, {51.68, 0.36}, {0.00, 0.00}, {0.00, 0.00}, {51.32, 0.57}, {0.07, 0.06}, {0.00, 0.00}}),
      row("vit", "past", false, {{54.84, 0.56}, {54.30, 0.79}, {0.17, 0.10}, {0.08, 0.08}, {62.99, 1.42}, {0.97, 0.25}, {0.25, 0.25}}),
      row("vit", "past", true, {{54.66, 0.37}, {53.86, 1.29}, {0.15, 0.19}, {0.08, 0.08}, {62.10, 0.08}, {0.68, 0.31}, {0.22, 0.14}}),
  };
  return rows;
}

std::optional<Table3Row> table3_row(const std::string& architecture, const std::string& defense, bool cwrf) {
  for (const Table3Row& r : table3())
    if (r.architecture == architecture && r.defense == defense && r.cwrf == cwrf) return r;
  return std::nullopt;
}

const Statement& statement(const std::string& id) {
  static const std::vector<Statement> statements = {
      {"fig1", "Sec. 3, Fig. 1 (ResNet18, CIFAR-100)",
       "\"even in the very high sparsities, accuracy is maintained, but privacy vulnerability does not improve\"; the "
       "test loss at 90 % sparsity is higher than unpruned"},
      {"fig3", "Sec. 4.2, Fig. 3 / Table 1",
       "\"most of the weights are neither privacy-vulnerable nor learnability-critical\"; main components correlate "
       "most (> 0.9), normalization layers least"},
      {"fig4", "Sec. 4.4, Fig. 4 (ResNet18, CIFAR-100, 85 % pruned)",
       "M1 and M2 reach \"almost the same final accuracy\"; M3 drops"},
      {"fig5", "Sec. 4.4, Fig. 5 (RelaxLoss fine-tuning)",
       "removing the privacy-vulnerable weights (A1) \"leads to unrecoverable accuracy crash\", unlike rewinding them "
       "(A2, A3); A3 even outperforms RelaxLoss trained from scratch"},
      {"table2", "Sec. 4.4, Table 2",
       "A3 has a \"significantly better loss gap\" than A2 and the model trained from scratch, especially at 3 % and 5 %"},
      {"sec4.3", "Sec. 4.3",
       "rewinding the privacy-vulnerable weights to their initial values \"usually leads to random-guess-level "
       "utility\" before fine-tuning"},
      {"fig9", "Sec. 5, Fig. 9", "defenses with CWRF sit at better privacy-utility trade-offs than the defenses alone"},
  };
  for (const Statement& s : statements)
    if (s.id == id) return s;
  throw Error("no paper statement '" + id + "'");
}

}  // namespace cwrf::experiment::paper
