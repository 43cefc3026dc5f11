#pragma once
// The one object that owns the engine. It lives on a long-lived QThread (Tiled's
// worker pattern): requests arrive as value types through queued calls, results leave
// through queued signals as value types (QImage, numbers, strings). Exceptions never
// leave it: every failure becomes a signal with the error's kind and message.
//
// Torch-free header: the engine is only forward-declared.
#include <QImage>
#include <QObject>
#include <QString>
#include <QStringList>
#include <atomic>
#include <memory>

#include "bd/edit_params.h"
#include "bd/error.h"
#include "edit_types.h"

namespace bd {
class Engine;
}

namespace bd::gui {

// Stable names of bd::ErrorKind for signals and dialogs: "ModelFiles", "InvalidInput",
// "OutOfMemory", "Backend".
QString errorKindName(bd::ErrorKind kind);

struct EditJob {
  quint64 id = 0;
  QImage image;
  QImage mask;  // Grayscale8, image size
  QString prompt;
  bd::EditParams params;
  std::shared_ptr<std::atomic<bool>> cancel;  // set by the GUI; checked once per step
};

class EditWorker : public QObject {
  Q_OBJECT

 public:
  explicit EditWorker(QString device = QStringLiteral("auto"), int threads = 0);

  // Where the engine computes: "auto", "cpu", "cuda:N"; precision "auto", "fp32", "fp16",
  // "bf16". Takes effect at the next loadPack (the caller reloads the pack).
  void setCompute(const QString& device, const QString& precision);
  ~EditWorker() override;

  // Called from the GUI thread when it has taken a preview off the queue, so the
  // worker never piles up more than a couple of full-resolution frames.
  void previewConsumed() { m_previewsInFlight.fetch_sub(1); }

 public slots:
  void loadPack(const QString& dir);
  void runEdit(const bd::gui::EditJob& job);

 signals:
  void packLoading(const QString& dir);
  void packLoaded(const bd::ui::PackInfo& info);
  void packFailed(const QString& dir, const QString& kind, const QString& message);
  void stepProgress(const bd::ui::StepProgress& progress);
  void previewReady(const bd::ui::PreviewFrame& frame);
  void candidateReady(quint64 jobId, const bd::ui::CandidateEntry& candidate);
  void editFinished(quint64 jobId, const QStringList& warnings);
  void editCancelled(quint64 jobId);
  void editFailed(quint64 jobId, const QString& kind, const QString& message);

 private:
  QString m_device;
  QString m_precision = QStringLiteral("auto");
  int m_threads;
  std::unique_ptr<bd::Engine> m_engine;
  std::atomic<int> m_previewsInFlight{0};
};

}  // namespace bd::gui
