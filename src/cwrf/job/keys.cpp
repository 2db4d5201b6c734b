#include "cwrf/job/keys.h"

#include "cwrf/common/device.h"
#include "cwrf/data/data_keys.h"
#include "cwrf/models/model_keys.h"
#include "cwrf/train/train_keys.h"
#include "cwrf/weights/cwrf_keys.h"

namespace cwrf::job {

namespace {

config::Schema build_schema() {
  using config::Type;
  config::Schema s;
  s.add(data::data_keys());
  s.add(models::model_keys());
  s.add(train::train_keys());
  s.add(weights::cwrf_keys());
  // Runtime: do not change what is computed, only where and how fast.
  s.add({
      {"device", Type::String, "cpu", "cpu, cuda or cuda:N (cuda needs a CUDA LibTorch)", {}, false, {},
       [](const config::Json& v) { return device_syntax_error(v.get<std::string>()); }},
      {"threads", Type::Int, 0, "intra-op threads (0: all cores)", {}, false, config::at_least(0)},
  });
  return s;
}

}  // namespace

const config::Schema& schema() {
  static const config::Schema s = build_schema();
  return s;
}

}  // namespace cwrf::job
