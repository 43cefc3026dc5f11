// MainWindow's Compute menu (device and precision, remembered), the GPU memory shown in
// the status bar while an edit runs, and the question before a long edit on the CPU.
#include <QActionGroup>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QSettings>
#include <QStatusBar>
#include <QTimer>

#include "bd/gpu.h"
#include "edit_controller.h"
#include "edit_estimate.h"
#include "main_window.h"
#include "params_panel.h"

namespace bd::gui {

namespace {

// An edit the question is not worth asking for.
constexpr double kAskAboveSeconds = 10.0 * 60.0;

int cudaIndex(const QString& device) {
  if (device == QLatin1String("cuda")) return 0;
  if (!device.startsWith(QLatin1String("cuda:"))) return -1;
  bool ok = false;
  const int index = device.mid(5).toInt(&ok);
  return ok ? index : -1;
}

}  // namespace

void MainWindow::buildComputeMenu(const QString& commandLineDevice) {
  QSettings s;
  // A --device other than auto on the command line wins over the remembered choice.
  m_device = commandLineDevice != QLatin1String("auto") ? commandLineDevice
                                                        : s.value("compute/device", "auto").toString();
  m_precision = s.value("compute/precision", "auto").toString();

  QMenu* compute = menuBar()->addMenu(tr("&Compute"));
  QMenu* deviceMenu = compute->addMenu(tr("&Device"));
  auto* devices = new QActionGroup(this);
  auto addDevice = [&](const QString& id, const QString& label) {
    QAction* a = deviceMenu->addAction(label);
    a->setCheckable(true);
    a->setChecked(id == m_device);
    a->setData(id);
    devices->addAction(a);
  };
  addDevice(QStringLiteral("auto"), tr("Auto (the first GPU, else the CPU)"));
  addDevice(QStringLiteral("cpu"), tr("CPU"));
  for (const bd::GpuDevice& d : bd::cuda_devices())
    addDevice(QStringLiteral("cuda:%1").arg(d.index),
              QStringLiteral("cuda:%1 — %2, %3")
                  .arg(d.index)
                  .arg(QString::fromStdString(d.name), QString::fromStdString(bd::format_bytes(d.total_bytes))));
  if (!bd::torch_built_with_cuda()) {
    QAction* note = deviceMenu->addAction(tr("No GPU: this build's LibTorch has no CUDA"));
    note->setEnabled(false);
  }

  QMenu* precisionMenu = compute->addMenu(tr("&Precision"));
  auto* precisions = new QActionGroup(this);
  const QList<QPair<QString, QString>> modes{
      {QStringLiteral("auto"), tr("Auto (fp16 on a GPU, fp32 on the CPU)")},
      {QStringLiteral("fp32"), tr("fp32 (exact, slowest)")},
      {QStringLiteral("fp16"), tr("fp16 (GPU only)")},
      {QStringLiteral("bf16"), tr("bf16 (recent GPUs and CPUs with AVX-512 BF16)")}};
  for (const auto& [id, label] : modes) {
    QAction* a = precisionMenu->addAction(label);
    a->setCheckable(true);
    a->setChecked(id == m_precision);
    a->setData(id);
    precisions->addAction(a);
  }

  connect(devices, &QActionGroup::triggered, this, [this](QAction* a) {
    m_device = a->data().toString();
    QSettings().setValue("compute/device", m_device);
    m_controller->setCompute(m_device, m_precision);
  });
  connect(precisions, &QActionGroup::triggered, this, [this](QAction* a) {
    m_precision = a->data().toString();
    QSettings().setValue("compute/precision", m_precision);
    m_controller->setCompute(m_device, m_precision);
  });
  m_controller->setCompute(m_device, m_precision);

  m_gpuLabel = new QLabel(this);
  m_gpuLabel->setObjectName("gpuMemoryLabel");
  m_gpuLabel->setToolTip(tr("GPU memory in use on the card (all programs) and its size"));
  m_gpuLabel->hide();
  statusBar()->addPermanentWidget(m_gpuLabel);
  m_gpuTimer = new QTimer(this);
  m_gpuTimer->setInterval(1000);
  connect(m_gpuTimer, &QTimer::timeout, this, &MainWindow::updateGpuMemory);
  connect(m_controller, &EditController::busyChanged, this, [this](bool busy) {
    const bool gpu = cudaIndex(m_controller->pack().device) >= 0;
    if (busy && gpu) {
      updateGpuMemory();
      m_gpuTimer->start();
    } else {
      m_gpuTimer->stop();
    }
  });
}

void MainWindow::updateGpuMemory() {
  const auto m = bd::gpu_memory(cudaIndex(m_controller->pack().device));
  if (!m) {
    m_gpuLabel->hide();
    return;
  }
  const std::uint64_t used = m->total_bytes - m->free_bytes;
  m_gpuLabel->setText(tr("GPU %1 / %2").arg(QString::fromStdString(bd::format_bytes(used)),
                                            QString::fromStdString(bd::format_bytes(m->total_bytes))));
  m_gpuLabel->show();
}

bool MainWindow::confirmLongCpuEdit(const bd::EditParams& params) {
  const bd::ui::PackInfo pack = m_controller->pack();
  if (pack.device != QLatin1String("cpu")) return true;
  const double seconds =
      bd::ui::estimateCpuEditSeconds(params, pack, m_controller->measuredSecondsPerCandidateStep());
  if (seconds < kAskAboveSeconds) return true;
  const int candidates = params.batch_size * params.iterations;
  const QString perCandidate = bd::ui::describeDuration(seconds / std::max(1, candidates));
  const auto answer = QMessageBox::question(
      this, tr("A long edit on the CPU"),
      tr("This edit runs on the CPU (%1 threads): %2 per candidate, %3 for all %4.\n\n"
         "A CUDA GPU does it in seconds; fewer candidates, fewer steps (Steps / Skip) or "
         "fewer CLIP views also shorten it. Continue?")
          .arg(pack.threads)
          .arg(perCandidate, bd::ui::describeDuration(seconds))
          .arg(candidates),
      QMessageBox::Yes | QMessageBox::Cancel, QMessageBox::Cancel);
  return answer == QMessageBox::Yes;
}

}  // namespace bd::gui
