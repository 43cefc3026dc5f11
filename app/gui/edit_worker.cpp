#include "edit_worker.h"

#include <spdlog/spdlog.h>

#include <QThread>
#include <chrono>
#include <exception>

#include "bd/engine.h"
#include "bd/parameters_text.h"
#include "bd/error.h"
#include "bd/model_pack.h"
#include "bd/runtime.h"
#include "candidate_model.h"
#include "image_convert.h"

namespace bd::gui {

namespace {

constexpr int kMaxPreviewsInFlight = 2;

// Made once, from the sinks main() configured; held here so that it outlives a
// registry shutdown while an edit is still winding down.
std::shared_ptr<spdlog::logger> logger() {
  static const std::shared_ptr<spdlog::logger> instance = [] {
    if (auto existing = spdlog::get("gui")) return existing;
    const auto fallback = spdlog::default_logger();
    std::vector<spdlog::sink_ptr> sinks;
    if (fallback) sinks = fallback->sinks();
    auto l = std::make_shared<spdlog::logger>("gui", sinks.begin(), sinks.end());
    if (fallback) l->set_level(fallback->level());
    spdlog::register_logger(l);
    return l;
  }();
  return instance;
}

QString qs(const std::string& s) { return QString::fromStdString(s); }

qint64 steadyNowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

QString errorKindName(bd::ErrorKind kind) {
  switch (kind) {
    case bd::ErrorKind::ModelFiles:
      return QStringLiteral("ModelFiles");
    case bd::ErrorKind::InvalidInput:
      return QStringLiteral("InvalidInput");
    case bd::ErrorKind::OutOfMemory:
      return QStringLiteral("OutOfMemory");
    case bd::ErrorKind::Backend:
      return QStringLiteral("Backend");
  }
  return QStringLiteral("Backend");
}

EditWorker::EditWorker(QString device, int threads)
    : m_device(std::move(device)), m_threads(threads) {}

EditWorker::~EditWorker() = default;

void EditWorker::setCompute(const QString& device, const QString& precision) {
  m_device = device;
  m_precision = precision;
}

void EditWorker::loadPack(const QString& dir) {
  emit packLoading(dir);
  m_engine.reset();  // free the old pack's memory before loading the next
  try {
    const int threads = m_threads > 0 ? m_threads : bd::hardware_threads();
    // Engine::load checks the pack's files and names every missing or wrong one.
    bd::ModelPack pack = bd::load_model_pack(dir.toStdString());
    bd::EngineOptions options;
    options.device = m_device.toStdString();
    options.threads = m_threads;
    options.precision = bd::parse_precision(m_precision.toStdString()).value_or(bd::Precision::Auto);
    m_engine = bd::Engine::load(pack, options);
    bd::ui::PackInfo info;
    info.dir = dir;
    info.name = qs(pack.name);
    info.title = qs(pack.title.empty() ? pack.name : pack.title);
    info.device = qs(m_engine->device());
    info.precision = qs(bd::precision_name(m_engine->precision()));
    info.imageSize = pack.image_size;
    info.cpuSecondsPerStep = pack.cpu_seconds_per_step;
    info.cpuThreads = pack.cpu_threads;
    info.threads = threads;
    info.defaults = pack.defaults;
    logger()->info("model pack {} loaded from {} on {}", pack.name, dir.toStdString(),
                   m_engine->device());
    emit packLoaded(info);
  } catch (const bd::Error& e) {
    logger()->error("loading the model pack {}: {}", dir.toStdString(), e.what());
    emit packFailed(dir, errorKindName(e.kind()), qs(e.what()));
  } catch (const std::exception& e) {
    logger()->error("loading the model pack {}: {}", dir.toStdString(), e.what());
    emit packFailed(dir, QStringLiteral("Backend"), qs(e.what()));
  }
}

void EditWorker::runEdit(const EditJob& job) {
  if (!m_engine) {
    emit editFailed(job.id, QStringLiteral("ModelFiles"), tr("No model pack is loaded."));
    return;
  }
  if (job.cancel && job.cancel->load()) {  // cancelled while queued
    emit editCancelled(job.id);
    return;
  }
  try {
    bd::EditRequest request;
    request.image = bd::ui::fromQImage(job.image);
    request.mask = bd::ui::maskFromQImage(job.mask);
    request.prompt = job.prompt.toStdString();
    request.params = job.params;
    const std::string model = m_engine->pack().name;
    request.callbacks.cancel = job.cancel.get();
    request.callbacks.on_step = [this, &job](const bd::StepInfo& s) {
      emit stepProgress({job.id, s.step, s.total, s.iteration, s.elapsed_s, s.eta_s});
    };
    request.callbacks.on_preview = [this, &job](const bd::Preview& preview) {
      if (m_previewsInFlight.load() >= kMaxPreviewsInFlight) return;  // the GUI is behind: skip
      m_previewsInFlight.fetch_add(1);
      bd::ui::PreviewFrame frame;
      frame.engineNs = steadyNowNs();
      frame.jobId = job.id;
      frame.step = preview.step;
      frame.at = QPoint(preview.x, preview.y);
      // Converted here, in one pass, to the format the screen uses, so that painting it
      // on the GUI thread samples it directly instead of converting it first.
      frame.image = bd::ui::toDisplayQImage(preview.patch);
      emit previewReady(frame);
    };
    request.callbacks.on_candidate = [this, &job, &request, &model](const bd::Candidate& c) {
      bd::ui::CandidateEntry entry;
      entry.image = bd::ui::toQImage(c.image);
      entry.thumbnail = bd::ui::CandidateModel::makeThumbnail(entry.image);
      entry.score = c.score;
      entry.seed = c.seed;
      entry.iteration = c.iteration;
      entry.index = c.index;
      entry.seconds = c.seconds;
      entry.parameters = qs(bd::parameters_text(request.prompt, request.params, c.seed, c.score, model));
      emit candidateReady(job.id, entry);
    };
    logger()->info("edit {}: \"{}\", {}x{}, steps {}, skip {}, {} x {} candidates", job.id,
                   request.prompt, request.image.width, request.image.height,
                   request.params.timestep_respacing, request.params.skip_timesteps,
                   request.params.batch_size, request.params.iterations);
    const bd::EditResult result = m_engine->edit(request);
    if (result.status == bd::EditStatus::Cancelled) {
      logger()->info("edit {} cancelled", job.id);
      emit editCancelled(job.id);
      return;
    }
    QStringList warnings;
    for (const std::string& w : result.warnings) warnings << qs(w);
    logger()->info("edit {} done in {:.1f} s", job.id, result.timings.total_s);
    emit editFinished(job.id, warnings);
  } catch (const bd::Error& e) {
    logger()->error("edit {}: {}", job.id, e.what());
    emit editFailed(job.id, errorKindName(e.kind()), qs(e.what()));
  } catch (const std::bad_alloc&) {
    logger()->error("edit {}: out of memory", job.id);
    emit editFailed(
        job.id, QStringLiteral("OutOfMemory"),
        tr("Out of memory. Try fewer candidates per batch, a smaller mask or less padding."));
  } catch (const std::exception& e) {
    logger()->error("edit {}: {}", job.id, e.what());
    emit editFailed(job.id, QStringLiteral("Backend"), qs(e.what()));
  }
}

}  // namespace bd::gui
