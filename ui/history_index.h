#pragma once
// The index of one image's history store: which jobs were run on it and which
// candidate PNG files they left, as one JSON file (index.json beside the PNGs).
//
//   {"format": "blendiff-history", "version": 1,
//    "image": {"sha256": "<64 hex>", "name": "scene.png"},
//    "jobs": [{"id": "20261205-162735123-0", "prompt": "a red ball",
//              "parameters": "Steps: 50, ...", "pack": "ToyWorld",
//              "started": "2026-12-05T16:27:35.123Z", "state": "done",
//              "candidates": [{"file": "20261205-162735123-0_0_1.png", "score": 0.81,
//                              "seed": "405", "iteration": 0, "index": 1, "seconds": 3.5,
//                              "parameters": "a red ball\nSteps: 50, ...",
//                              "exported": false, "applied": false}]}]}
//
// Seeds are decimal strings: a JSON number loses 64-bit integers above 2^53. The file
// is read back from disk, where anything may have happened to it, so the reader checks
// every field and names each problem with its place ("jobs[2].candidates[0].seed: ...");
// a job or candidate with a problem is left out, the rest is kept. Qt Core only.
#include <QByteArray>
#include <QDateTime>
#include <QString>
#include <QStringList>
#include <QVector>
#include <QtGlobal>

namespace bd::ui {

struct HistoryCandidateFile {
  QString file;  // a plain file name in the image's folder: [A-Za-z0-9_-]+.png
  double score = 0.0;
  quint64 seed = 0;
  int iteration = 0;
  int index = 0;
  double seconds = 0.0;
  QString parameters;
  bool exported = false;
  bool applied = false;
};

struct HistoryJobEntry {
  QString id;  // [A-Za-z0-9-]+, unique in the index
  QString prompt;
  QString parameters;
  QString pack;
  QDateTime started;  // UTC, millisecond precision
  QString state;      // "done", "cancelled", "failed" (a running job is stored as "cancelled")
  QVector<HistoryCandidateFile> candidates;
};

struct HistoryIndex {
  QString imageSha256;  // 64 lower-case hex digits
  QString imageName;    // the file name it was last opened as (for messages only)
  QVector<HistoryJobEntry> jobs;
};

bool operator==(const HistoryCandidateFile& a, const HistoryCandidateFile& b);
bool operator==(const HistoryJobEntry& a, const HistoryJobEntry& b);
bool operator==(const HistoryIndex& a, const HistoryIndex& b);

inline constexpr int kHistoryIndexVersion = 1;

QByteArray writeHistoryIndex(const HistoryIndex& index);

// Problems go to `problems` (one line each); a file that is not a history index at all
// (not JSON, another format, a newer version) gives an empty index and says why.
HistoryIndex parseHistoryIndex(const QByteArray& json, QStringList* problems);

// Whether `name` is acceptable as a candidate's file name in the index.
bool isHistoryFileName(const QString& name);

}  // namespace bd::ui
