// The attack families, one entry each; a family's definition lives in families/<name>.cpp.
#include "cwrf/attack/family.h"

#include "cwrf/common/error.h"

#include <fmt/format.h>

namespace cwrf::attack {

AttackFamily lira_family();    // families/lira.cpp
AttackFamily rmia_family();    // families/rmia.cpp
AttackFamily metric_family();  // families/metric.cpp
AttackFamily base_family();     // families/base.cpp
AttackFamily bavaria_family();  // families/bavaria.cpp
AttackFamily qmia_family();     // families/qmia.cpp

const std::vector<AttackFamily>& attack_families() {
  static const std::vector<AttackFamily> families = {
      lira_family(),
      rmia_family(),
      metric_family(),
      base_family(),
      bavaria_family(),
      qmia_family(),
  };
  return families;
}

const AttackFamily& find_family(const std::string& name) {
  for (const AttackFamily& f : attack_families())
    if (f.name == name) return f;
  std::string known;
  for (const AttackFamily& f : attack_families()) known += (known.empty() ? "" : ", ") + f.name;
  throw Error(fmt::format("unknown attack '{}'; known: {}", name, known));
}

}  // namespace cwrf::attack
