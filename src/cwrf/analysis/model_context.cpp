#include "cwrf/analysis/model_context.h"

#include "cwrf/common/threads.h"
#include "cwrf/job/keys.h"
#include "cwrf/job/model_job.h"

namespace cwrf::analysis {

ModelContext open_model_context(const std::filesystem::path& model_dir,
                                const std::function<void(config::Config&)>& adjust) {
  ModelContext context{job::open_model_dir(model_dir), config::Config(job::schema()), nullptr, nullptr};
  context.config = job::model_config(context.dir);
  if (adjust) adjust(context.config);
  job::resolve_derived_config(context.config, context.dir);
  const torch::Device device = job::resolve_device(context.config);  // before the data is read
  context.job = std::make_shared<job::JobData>(job::load_job_data(context.config));
  job::resolve_config(context.config, *context.job);
  apply_thread_count(context.config.get_int("threads"));
  context.sets = std::make_shared<job::ModelSets>(job::prepare_model_sets(context.config, *context.job, device));
  return context;
}

weights::Scores model_scores(const ModelContext& context, weights::ScoreMethod method,
                             const std::filesystem::path& cache_dir) {
  config::Config c = context.config;
  c.set("cwrf.score", weights::to_string(method));
  return job::model_scores(context.dir, c, *context.sets, cache_dir);
}

}  // namespace cwrf::analysis
