#include "core/log.h"

#include <mutex>

namespace bd::log {

std::shared_ptr<spdlog::logger> get(const char* name) {
  static std::mutex mutex;
  std::lock_guard<std::mutex> lock(mutex);
  if (auto existing = spdlog::get(name)) return existing;
  // Share the default logger's sinks so app/ decides where everything goes.
  auto sinks = spdlog::default_logger()->sinks();
  auto logger = std::make_shared<spdlog::logger>(name, sinks.begin(), sinks.end());
  logger->set_level(spdlog::default_logger()->level());
  spdlog::register_logger(logger);
  return logger;
}

}  // namespace bd::log
