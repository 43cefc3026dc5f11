#include "edit_estimate.h"

#include <QObject>
#include <QStringList>
#include <algorithm>

namespace bd::ui {

namespace {

qint64 respacedSteps(const QString& respacing) {
  if (respacing.startsWith(QLatin1String("ddim"))) return respacing.mid(4).toLongLong();
  qint64 sum = 0;
  for (const QString& section : respacing.split(QLatin1Char(','), Qt::SkipEmptyParts))
    sum += section.trimmed().toLongLong();
  return sum;
}

}  // namespace

qint64 candidateSteps(const bd::EditParams& p) {
  const qint64 steps = respacedSteps(QString::fromStdString(p.timestep_respacing)) - p.skip_timesteps;
  return std::max<qint64>(0, steps) * p.batch_size * p.iterations;
}

double estimateCpuEditSeconds(const bd::EditParams& params, const PackInfo& pack,
                              double measuredSecondsPerCandidateStep) {
  double perCandidateStep = measuredSecondsPerCandidateStep;
  if (perCandidateStep <= 0.0 && pack.cpuSecondsPerStep > 0.0)
    perCandidateStep = pack.cpuSecondsPerStep * std::max(1, pack.cpuThreads) / std::max(1, pack.threads);
  return perCandidateStep > 0.0 ? perCandidateStep * static_cast<double>(candidateSteps(params)) : 0.0;
}

QString describeDuration(double seconds) {
  if (seconds < 90.0) return QObject::tr("about %1 s").arg(qRound(seconds));
  if (seconds < 90.0 * 60.0) return QObject::tr("about %1 min").arg(qRound(seconds / 60.0));
  return QObject::tr("about %1 h").arg(seconds / 3600.0, 0, 'f', 1);
}

}  // namespace bd::ui
