// The paper's published numbers, typed in from its tables (Fang & Kim, "Learnability and Privacy
// Vulnerability are Entangled in a Few Critical Weights"), and what its figures state in words,
// for the report to set beside ours. Percentages are stored as fractions.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace cwrf::experiment::paper {

// Table 1: PCC(PVE, TFO) per weight type, and the type's share of the weights.
struct Table1Row {
  std::string architecture;  // our model name: "resnet18" | "vit"
  std::string weight_type;   // our correlation_table group: "all", "conv", "attention+mlp", "linear", "norm"
  double pcc;
  double share;
};
const std::vector<Table1Row>& table1();

// Table 2: cross-entropy after fine-tuning with RelaxLoss, by the fraction r of rewound weights.
struct Table2Row {
  std::string approach;  // "A2" | "A3" | "scratch"
  std::string split;     // "train" | "test"
  double rate;           // -1 for scratch
  double cross_entropy;
};
const std::vector<Table2Row>& table2();

// Table 3 (CIFAR-10): mean (std over three runs) of test accuracy and the attacks, in our report's
// column keys (report.h): test_acc, lira_auc, lira_tpr_0.001, lira_tpr_1e-05, rmia_auc, ...
struct Table3Row {
  std::string architecture;  // "resnet18" | "vit"
  std::string defense;       // our defense.name: "ce" (No Defense), "dp-sgd", "relaxloss", "hamp", "ccl", "past"
  bool cwrf;
  std::vector<std::pair<std::string, std::pair<double, double>>> values;  // key -> (mean, std)
};
const std::vector<Table3Row>& table3();
std::optional<Table3Row> table3_row(const std::string& architecture, const std::string& defense, bool cwrf);

// What a figure or a passage of the paper says, with where it says it.
struct Statement {
  std::string id;     // "fig1", "fig4", "fig5", "sec4.3", "fig9"
  std::string where;  // "Fig. 1 (ResNet18, CIFAR-100)"
  std::string text;
};
const Statement& statement(const std::string& id);

}  // namespace cwrf::experiment::paper
