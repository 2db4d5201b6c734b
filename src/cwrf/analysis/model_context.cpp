#include "cwrf/analysis/model_context.h"

#include "cwrf/config/keys.h"
#include "cwrf/weights/cwrf_job.h"

namespace cwrf::analysis {

ModelContext open_model_context(const std::filesystem::path& model_dir,
                                const std::function<void(config::Config&)>& adjust) {
  ModelContext context{train::open_model_dir(model_dir), config::Config(config::schema()), nullptr, nullptr};
  context.config = weights::derived_config(context.dir);
  if (adjust) adjust(context.config);
  weights::resolve_cwrf_config(context.config, context.dir);
  context.job = std::make_shared<train::JobData>(train::load_job_data(context.config));
  train::resolve_config(context.config, *context.job);
  train::apply_thread_count(context.config.get_int("threads"));
  context.sets = std::make_shared<train::ModelSets>(
      train::prepare_model_sets(context.config, *context.job, train::resolve_device(context.config)));
  return context;
}

weights::Scores model_scores(const ModelContext& context, weights::ScoreMethod method,
                             const std::filesystem::path& cache_dir) {
  config::Config c = context.config;
  c.set("cwrf.score", weights::to_string(method));
  return weights::parent_scores(context.dir, c, *context.sets, cache_dir);
}

}  // namespace cwrf::analysis
