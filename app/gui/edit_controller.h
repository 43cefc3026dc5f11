#pragma once
// The GUI-thread side of editing: owns the worker thread, turns the Document (image +
// mask) and the panels' values into requests, and feeds what comes back into the
// document: each Generate appends a job to its history (earlier ones stay), candidates
// and the live preview go to that job. A Generate while an edit runs waits in a queue
// (with the image and mask as they were when it was asked for) and the worker runs the
// queue in order, one edit at a time; a waiting job can be cancelled. It keeps the editing rules: a
// preview or a candidate is only shown until "Apply" makes it the base image (one undo step);
// cancel leaves the image and mask as they were; export never overwrites the source
// silently. The gallery and the canvas observe the document, never the controller.
#include <QImage>
#include <QObject>
#include <QPointer>
#include <QThread>
#include <atomic>
#include <memory>

#include "bd/edit_params.h"
#include "document.h"
#include "edit_types.h"
#include "queue_button.h"

namespace bd::gui {

class EditWorker;

class EditController : public QObject {
  Q_OBJECT

 public:
  EditController(bd::ui::Document* document, QObject* parent = nullptr,
                 const QString& device = QStringLiteral("auto"), int threads = 0);
  ~EditController() override;

  // Model pack (loads on the worker; packReady or packFailed follow).
  void loadPack(const QString& dir);
  // Where the engine computes (see EditWorker::setCompute); reloads the pack when one is
  // loaded or loading, so the choice applies to the next Generate.
  void setCompute(const QString& device, const QString& precision);
  // Seconds one candidate-step took in the last finished edit on the CPU with this pack
  // and device; 0 until one finished.
  double measuredSecondsPerCandidateStep() const { return m_measuredCandidateStepS; }
  bool isPackReady() const { return m_packReady; }
  bool isPackLoading() const { return m_packLoading; }
  bd::ui::PackInfo pack() const { return m_pack; }

  // Document. A new image cancels a running edit and starts a new document.
  bd::ui::Document* document() const { return m_document; }
  bool openImage(const QString& path);  // errorOccurred on failure
  void setImage(const QImage& image, const QString& sourcePath = {});

  // Edits. While one runs, generate() queues the request (true: it will run).
  bool generate(const QString& prompt, const bd::EditParams& params);
  void cancel();  // the running edit; the queued ones then run in turn
  bool isBusy() const { return m_busy; }
  // The waiting jobs, in the order they will run.
  QVector<bd::ui::QueuedJobInfo> queuedJobs() const;
  bool cancelQueued(quint64 id);  // false: no such waiting job
  void clearQueue();
  // The document job the running (or last) edit fills; -1 when it has none.
  int runningDocumentJob() const { return m_documentJob; }
  QString lastPrompt() const { return m_lastPrompt; }
  bd::EditParams lastParams() const { return m_lastParams; }
  int latestPreviewStep() const { return m_previewStep; }

  // Candidates: rows of the document's current job.
  void showCandidate(int row);  // -1: the base image
  void applyCandidate(int row);
  bool rerunWithSeed(int row);
  void discardCandidate(int row);
  // Any candidate of any job of the document's history.
  void applyCandidate(int job, int row);
  // Its job's prompt and parameters (read back from the candidate's parameters text)
  // with its seed, as one candidate.
  bool rerunCandidate(int job, int row);

  // Export. The shown image (candidate, else base) with its parameters in the PNG
  // "parameters" text chunk. Refuses the source file unless overwriteSource.
  bool exportShown(const QString& path, bool overwriteSource = false);
  bool exportCandidate(int job, int row, const QString& path, bool overwriteSource = false);
  int exportAllCandidates(const QString& dir);  // files written, -1 on error

 signals:
  void packLoading(const QString& dir);
  void packReady(const bd::ui::PackInfo& info);
  void packFailed(const QString& dir, const QString& kind, const QString& message);
  void documentOpened(const QString& path);
  void busyChanged(bool busy);
  void progress(const bd::ui::StepProgress& progress);
  // `engineNs`: when the engine produced it (steady clock), for latency measurements.
  void previewShown(int step, qint64 engineNs);
  void candidateAdded(int row);
  void queueChanged();
  void editFinished(int candidates, const QStringList& warnings);
  void editCancelled();
  void errorOccurred(const QString& title, const QString& kind, const QString& message);

 private:
  void setBusy(bool busy);
  void onPreview(const bd::ui::PreviewFrame& frame);
  void endJob(quint64 jobId, bd::ui::JobRecord::State state);
  struct PendingJob {
    quint64 id = 0;
    QString prompt;
    bd::EditParams params;
    QImage image;
    QImage mask;
  };
  void start(const PendingJob& job);
  void startNextQueued();
  bool refuseExport(const QString& path, bool overwriteSource);
  bool writeExport(const QString& path, const QImage& image, const QString& parameters);

  QPointer<bd::ui::Document> m_document;
  QThread m_thread;
  EditWorker* m_worker;  // lives on m_thread, deleted when it finishes

  bool m_packReady = false;
  bool m_packLoading = false;
  bd::ui::PackInfo m_pack;
  QString m_packDir;  // the last one asked for, loaded or not
  bd::ui::StepProgress m_lastProgress;
  double m_measuredCandidateStepS = 0.0;

  bool m_busy = false;
  quint64 m_jobId = 0;
  quint64 m_nextId = 0;
  QVector<PendingJob> m_queue;
  std::shared_ptr<std::atomic<bool>> m_cancel;
  int m_previewStep = -1;
  int m_documentJob = -1;  // the running (or last) job's index in the document's history
  QString m_lastPrompt;
  bd::EditParams m_lastParams;
};

}  // namespace bd::gui
