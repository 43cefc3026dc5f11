#pragma once
// What one editor window edits, apart from any view of it (Tiled's MapDocument): the
// image, the edit mask, a scribble layer, the undo stack they share, the history of
// edit jobs with their candidates, which candidate is shown, the running job's live
// preview, the source file and whether the image was saved since it last changed.
//
// Views (MaskCanvas, CandidateModel, the window title) observe it through its signals
// and change it through its methods; every change a user can undo goes through the
// undo stack as a command. Nothing here knows about widgets or the engine.
#include <QDateTime>
#include <QImage>
#include <QObject>
#include <QPolygonF>
#include <QRect>
#include <QString>
#include <QVector>

#include "edit_types.h"
#include "mask_ops.h"

class QUndoStack;

namespace bd::ui {

// The pixel layers of a document, each the image's size.
enum class Layer {
  Image,     // the base image (RGB or RGBA as opened)
  Mask,      // QImage::Format_Grayscale8, 255 = edit here
  Scribble,  // QImage::Format_RGBA8888, transparent where nothing was drawn
};

// One Generate: what was asked, and the candidates it gave, best (lowest score) first.
struct JobRecord {
  enum class State { Running, Done, Cancelled, Failed };
  QString id;  // unique in the history: the start time (UTC) and a counter
  QString prompt;
  QString parameters;  // the request's parameters as text ("Steps: 50, Seed: 404, ...")
  QString pack;        // the model pack's name
  QDateTime started;
  State state = State::Running;
  QVector<CandidateEntry> candidates;
  bool restored = false;  // read back from the history store, not run in this session
};

class Document : public QObject {
  Q_OBJECT

 public:
  explicit Document(QObject* parent = nullptr);
  ~Document() override;

  // --- the document as a whole ---------------------------------------------------------

  // A new document: `image` becomes the base, the mask and the scribble layer start
  // empty, the undo stack and the job history are cleared and the document is clean.
  // Not undoable. A null image empties the document.
  void setImage(const QImage& image, const QString& sourcePath = {});
  bool hasImage() const { return !m_image.isNull(); }
  QSize size() const { return m_image.size(); }
  QString sourcePath() const { return m_sourcePath; }
  // True when `path` names the file this document was opened from.
  bool isSourcePath(const QString& path) const;
  QUndoStack* undoStack() const { return m_undoStack; }

  // Modified: the image differs from the one last opened or saved (mask and scribble
  // edits do not count: only the image is ever written back).
  bool isModified() const;
  void markSaved();
  // The image differs from its file although it was just set (a restored session's).
  void markUnsaved();

  // --- layers --------------------------------------------------------------------------

  QImage image() const { return m_image; }
  QImage mask() const { return m_mask; }
  QImage scribble() const { return m_scribble; }
  QImage layer(Layer layer) const;
  // True while the scribble layer is fully transparent (views skip drawing it then).
  bool isScribbleEmpty() const { return m_scribbleEmpty; }

  // Each of these is one undo step. A layer that does not match the image's size is
  // resized (the mask and scribble nearest-neighbour) and converted to its format.
  void replaceImage(const QImage& image, const QString& undoText);  // keeps mask, scribble
  void setMask(const QImage& mask, const QString& undoText);
  void setScribble(const QImage& scribble, const QString& undoText);
  void clearScribble();

  // Mask operations, each one undo step (none when nothing would change).
  void invertMask();
  void clearMask();
  void growMask(int px);  // negative shrinks
  void fillRect(const QRect& imageRect, bool erase = false);
  void fillPolygon(const QPolygonF& imagePolygon, bool erase = false);

  // Mask files. A transparent PNG carries the region in its alpha channel.
  bool loadMask(const QString& path, QString* error = nullptr);
  bool saveMask(const QString& path, QString* error = nullptr) const;

  // A brush drag paints live, in place, and is recorded afterwards by one
  // BrushStrokeCommand per move (they merge). Returns the changed rectangle.
  QRect paintMaskSegment(QPointF from, QPointF to, const BrushShape& brush);

  // For undo commands: write without recording. A layer written whole must already have
  // the image's size and the layer's format; a patch is copied into `rect`.
  void writeLayer(Layer layer, const QImage& content);
  void writeLayerRect(Layer layer, const QRect& rect, const QImage& patch);

  // --- edit jobs -----------------------------------------------------------------------

  // Appends a running job and makes it current (its candidates fill the gallery);
  // earlier jobs stay in the history. Returns its index.
  int beginJob(const QString& prompt, const QString& parameters, const QString& pack);
  // Inserts at the candidate's place by score (equal scores keep arrival order);
  // returns its row. -1 when `job` is not in the history.
  int addCandidate(int job, const CandidateEntry& candidate);
  void removeCandidate(int job, int row);
  void finishJob(int job, JobRecord::State state);
  // Replaces the whole history (jobs read back from the history store); the newest job
  // becomes current. Not undoable: jobs never are.
  void setJobs(const QVector<JobRecord>& jobs);
  // Drops a finished job (a running one stays). Later jobs move up by one.
  bool removeJob(int job);
  void markCandidateExported(int job, int row);
  void markCandidateApplied(int job, int row);
  // Candidates of this session's jobs that were neither exported nor applied.
  int unkeptCandidateCount() const;
  const QVector<JobRecord>& jobs() const { return m_jobs; }
  int currentJob() const { return m_currentJob; }  // -1: none yet
  void setCurrentJob(int job);
  // The current job's candidates (empty when there is none).
  const QVector<CandidateEntry>& candidates() const;
  // A candidate's full image, read from its file first if it was restored without it
  // (null when that file is gone).
  QImage candidateImage(int job, int row);

  // The candidate of the current job shown instead of the image (-1: the image).
  int shownCandidate() const { return m_shownCandidate; }
  void setShownCandidate(int row);
  // The running job's newest preview: the part of the image it can change, with its
  // top-left at previewOffset(). Not part of the undoable document.
  void setPreview(const QImage& patch, QPoint at);
  void clearPreview();
  QImage preview() const { return m_preview; }
  QPoint previewOffset() const { return m_previewAt; }

 signals:
  // setImage is about to replace the document (the old one is still whole).
  void documentAboutToBeReplaced();
  // setImage made a new document (after the change signals it also sends).
  void documentReplaced();
  void imageChanged();
  // `rect`: the changed part in image pixels; a null rect means the whole layer.
  void maskChanged(const QRect& rect);
  void scribbleChanged(const QRect& rect);
  void sourcePathChanged(const QString& path);
  void modifiedChanged(bool modified);

  void historyChanged();  // a job was added, finished, or its candidates changed
  void currentJobAboutToChange();
  void currentJobChanged(int job);
  void candidateAboutToBeAdded(int job, int row);
  void candidateAdded(int job, int row);
  void candidateAboutToBeRemoved(int job, int row);
  void candidateRemoved(int job, int row);
  void jobRemoved(int job);
  void shownCandidateChanged(int row);
  // The union of the old and the new preview's rectangle (image pixels).
  void previewChanged(const QRect& rect);

 private:
  QImage& layerRef(Layer layer);
  QImage fitLayer(Layer layer, const QImage& content) const;
  void pushSnapshot(Layer layer, const QString& text, const QImage& after);
  void emitLayerChanged(Layer layer, const QRect& rect);
  void updateModified();

  QImage m_image;
  QImage m_mask;      // Grayscale8, image size
  QImage m_scribble;  // RGBA8888, image size
  bool m_scribbleEmpty = true;
  QUndoStack* m_undoStack;
  QString m_sourcePath;
  qint64 m_savedImageKey = 0;
  bool m_modified = false;

  QVector<JobRecord> m_jobs;
  int m_currentJob = -1;
  int m_shownCandidate = -1;
  QImage m_preview;
  QPoint m_previewAt;
};

}  // namespace bd::ui
