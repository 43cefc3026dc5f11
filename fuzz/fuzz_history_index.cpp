// libFuzzer target: the history store's index.json, read back from the user's data
// folder. Whatever the bytes, reading must not crash, every candidate file it keeps must
// be a plain name inside the image's folder, and what we would write for the result must
// read back to the same index without a problem.
#include <cstdint>
#include <cstdlib>

#include "history_index.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  QStringList problems;
  const bd::ui::HistoryIndex index = bd::ui::parseHistoryIndex(
      QByteArray(reinterpret_cast<const char*>(data), static_cast<qsizetype>(size)), &problems);
  if (index.imageSha256.isEmpty()) {
    // Not an index at all: nothing may have been taken, and the reason is given.
    if (!index.jobs.isEmpty() || problems.isEmpty()) std::abort();
    return 0;
  }
  for (const bd::ui::HistoryJobEntry& job : index.jobs)
    for (const bd::ui::HistoryCandidateFile& c : job.candidates)
      if (!bd::ui::isHistoryFileName(c.file) || c.file.contains('/') || c.file.startsWith('.'))
        std::abort();
  QStringList again;
  const bd::ui::HistoryIndex back =
      bd::ui::parseHistoryIndex(bd::ui::writeHistoryIndex(index), &again);
  if (!again.isEmpty() || !(back == index)) std::abort();
  return 0;
}
