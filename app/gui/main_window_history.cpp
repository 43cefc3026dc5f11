// MainWindow's memory of results: the History panel (every job of the open image, kept in
// the history store under the data folder), the queue indicator, the question before
// quitting with candidates nobody exported or applied, and crash recovery (the autosaved
// image, mask and scribbles, offered back after a session that did not exit cleanly).
#include <spdlog/spdlog.h>

#include <QCloseEvent>
#include <QDir>
#include <QDockWidget>
#include <QFileDialog>
#include <QFileInfo>
#include <QMessageBox>
#include <QPushButton>
#include <QSettings>
#include <QStatusBar>

#include "candidate_model.h"
#include "document.h"
#include "edit_controller.h"
#include "history_keeper.h"
#include "history_panel.h"
#include "history_store.h"
#include "main_window.h"
#include "queue_button.h"
#include "recovery_store.h"

namespace bd::gui {

void MainWindow::buildHistory() {
  const QString dataDir = bd::ui::appDataDir();
  m_history = new bd::ui::HistoryKeeper(m_document, dataDir, this);
  m_history->setCapBytes(QSettings()
                             .value("history/capMiB", bd::ui::HistoryKeeper::kDefaultCapBytes >> 20)
                             .toLongLong()
                         << 20);
  m_recovery = new bd::ui::RecoveryStore(m_document, m_history, dataDir, this);

  m_historyPanel = new bd::ui::HistoryPanel(m_document, this);
  m_historyPanel->setObjectName("historyPanel");
  auto* dock = new QDockWidget(tr("History"), this);
  dock->setObjectName("historyDock");
  dock->setWidget(m_historyPanel);
  addDockWidget(Qt::RightDockWidgetArea, dock);

  connect(m_historyPanel, &bd::ui::HistoryPanel::showRequested, this, [this](int job, int row) {
    m_document->setCurrentJob(job);
    m_document->setShownCandidate(row);
  });
  connect(m_historyPanel, &bd::ui::HistoryPanel::applyRequested, this, [this](int job, int row) {
    if (m_controller->isBusy()) {
      statusBar()->showMessage(tr("Apply after the running edit ends (or cancel it)"), 5000);
      return;
    }
    m_controller->applyCandidate(job, row);
    statusBar()->showMessage(tr("Applied; Ctrl+Z undoes it"), 5000);
  });
  connect(m_historyPanel, &bd::ui::HistoryPanel::rerunRequested, m_controller,
          &EditController::rerunCandidate);
  connect(m_historyPanel, &bd::ui::HistoryPanel::exportRequested, this,
          &MainWindow::exportCandidateDialog);

  connect(m_history, &bd::ui::HistoryKeeper::restored, this, [this](int jobs, int candidates) {
    statusBar()->showMessage(tr("History: %n earlier job(s) of this image", nullptr, jobs) +
                                 tr(", %n candidate(s)", nullptr, candidates),
                             8000);
  });
  connect(m_history, &bd::ui::HistoryKeeper::problemsFound, this, [this](const QStringList& p) {
    for (const QString& line : p) spdlog::warn("history: {}", line.toStdString());
    statusBar()->showMessage(tr("History: %1").arg(p.front()), 10000);
  });
  connect(m_history, &bd::ui::HistoryKeeper::cleanedUp, this, [this](const QStringList& removed) {
    for (const QString& line : removed)
      spdlog::info("history over its size cap: removed {}", line.toStdString());
    statusBar()->showMessage(
        tr("History over its size cap: removed the %n oldest job(s): %1", nullptr, removed.size())
            .arg(removed.join(QStringLiteral("; "))),
        15000);
  });
  connect(m_recovery, &bd::ui::RecoveryStore::problem, this, [this](const QString& message) {
    spdlog::warn("{}", message.toStdString());
    statusBar()->showMessage(message, 10000);
  });

  m_queueButton = new bd::ui::QueueButton(this);
  statusBar()->addPermanentWidget(m_queueButton);
  connect(m_controller, &EditController::queueChanged, this,
          [this] { m_queueButton->setJobs(m_controller->queuedJobs()); });
  connect(m_queueButton, &bd::ui::QueueButton::cancelRequested, m_controller,
          &EditController::cancelQueued);
}

void MainWindow::exportCandidateDialog(int job, int row) {
  const QVector<bd::ui::JobRecord>& jobs = m_document->jobs();
  if (job < 0 || job >= jobs.size() || row < 0 || row >= jobs[job].candidates.size()) return;
  const QString source = m_document->sourcePath();
  const QString stem =
      source.isEmpty() ? QStringLiteral("edit") : QFileInfo(source).completeBaseName();
  const QString name =
      QStringLiteral("%1_seed%2.png").arg(stem).arg(jobs[job].candidates[row].seed);
  QString path = QFileDialog::getSaveFileName(
      this, tr("Export candidate"),
      QDir(QSettings().value("lastExportDir").toString()).filePath(name),
      tr("PNG with parameters (*.png);;JPEG (*.jpg *.jpeg);;WebP (*.webp)"));
  if (path.isEmpty()) return;
  if (QFileInfo(path).suffix().isEmpty()) path += QStringLiteral(".png");
  QSettings().setValue("lastExportDir", QFileInfo(path).absolutePath());
  if (m_controller->exportCandidate(job, row, path))
    statusBar()->showMessage(tr("Exported %1").arg(path), 5000);
}

bool MainWindow::confirmQuitWithUnkeptCandidates() {
  const int unkept = m_document->unkeptCandidateCount();
  if (!m_askBeforeQuit || unkept == 0) return true;
  m_history->flush();  // what the question promises must be true when it is asked
  QMessageBox box(
      QMessageBox::Information, tr("Candidates not exported"),
      tr("%n candidate(s) of this session were neither exported nor applied.", nullptr, unkept),
      QMessageBox::NoButton, this);
  box.setInformativeText(
      tr("They stay in this image's History panel and come back when you "
         "open the image again."));
  QPushButton* quit = box.addButton(tr("Quit"), QMessageBox::AcceptRole);
  box.addButton(QMessageBox::Cancel);
  box.setDefaultButton(quit);
  box.exec();
  return box.clickedButton() == quit;
}

bool MainWindow::offerRecovery() {
  if (!m_recovery->crashedSession()) return false;
  const bd::ui::RecoveredSession session = *m_recovery->crashedSession();
  const QString name = session.sourcePath.isEmpty() ? tr("an image without a file")
                                                    : QFileInfo(session.sourcePath).fileName();
  QMessageBox box(QMessageBox::Question, tr("Restore the last session?"),
                  tr("Blendiff did not close properly last time. Restore %1 with its mask and "
                     "scribbles as autosaved at %2?")
                      .arg(name, session.saved.toLocalTime().toString(QStringLiteral("HH:mm:ss"))),
                  QMessageBox::NoButton, this);
  box.setInformativeText(tr("Its edit history is kept either way."));
  QPushButton* restore = box.addButton(tr("Restore"), QMessageBox::AcceptRole);
  box.addButton(QMessageBox::Discard);
  box.setDefaultButton(restore);
  box.exec();
  if (box.clickedButton() != restore) {
    m_recovery->discardCrashedSession();
    return false;
  }
  m_controller->clearQueue();
  m_controller->cancel();
  m_recovery->restore(session, m_history);
  statusBar()->showMessage(tr("Restored %1 as it was autosaved").arg(name), 8000);
  return true;
}

}  // namespace bd::gui
