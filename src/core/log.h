#pragma once
// Named spdlog loggers, one per layer. Only app/ configures sinks; these fall back to
// spdlog's default sink when no one has.
#include <spdlog/spdlog.h>

#include <memory>

namespace bd::log {

std::shared_ptr<spdlog::logger> get(const char* name);

inline std::shared_ptr<spdlog::logger> core() { return get("core"); }
inline std::shared_ptr<spdlog::logger> io() { return get("io"); }
inline std::shared_ptr<spdlog::logger> nn() { return get("nn"); }
inline std::shared_ptr<spdlog::logger> text() { return get("text"); }
inline std::shared_ptr<spdlog::logger> diffusion() { return get("diffusion"); }
inline std::shared_ptr<spdlog::logger> editing() { return get("editing"); }

}  // namespace bd::log
